-- The permission engine: scopes, access rules, inheritance down the tree, groups,
-- expiry, the checks and lookups, database role bindings and the event history.
--
-- Users are inserted into runai_internal.users directly (as superuser); each acts through a
-- database role bound to it with runai.bind_db_role, so SET ROLE makes can() answer
-- for that user.
CREATE EXTENSION runai_rbac;
\set VERBOSITY terse

-- Runs a statement and says how it ended: 'ok', or the SQLSTATE and the message.
CREATE FUNCTION pg_temp.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE stmt;
  RETURN 'ok';
EXCEPTION WHEN others THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- The events recorded since the last call, without the time and uuid ids; the
-- superuser running the test is shown as <superuser>.
CREATE TEMP TABLE seen_events (last_id bigint);
INSERT INTO seen_events VALUES (0);
CREATE FUNCTION pg_temp.new_events()
RETURNS TABLE (subject text, subject_type text, action text, result text,
               entity_type text, entity_name text, entity_id text, details jsonb)
LANGUAGE sql AS $$
  SELECT CASE WHEN e.subject = current_user THEN '<superuser>' ELSE e.subject END,
         e.subject_type, e.action, e.result, e.entity_type, e.entity_name,
         CASE WHEN e.entity_id ~ '^[0-9a-f]{8}-' THEN '<uuid>' ELSE e.entity_id END,
         e.details - 'expires_at'
           || CASE WHEN e.details ? 'expires_at'
                   THEN jsonb_build_object('expires', e.details->>'expires_at' IS NOT NULL)
                   ELSE '{}' END
    FROM runai_internal.events e, seen_events s
   WHERE e.id > s.last_id
   ORDER BY e.id;
$$;
CREATE FUNCTION pg_temp.events_seen() RETURNS void LANGUAGE sql AS $$
  UPDATE seen_events SET last_id = (SELECT coalesce(max(id), 0) FROM runai_internal.events);
$$;
CREATE VIEW pg_temp.events AS SELECT * FROM pg_temp.new_events();

-- ===========================================================================
-- Subjects: users inserted directly, database roles bound to them
-- ===========================================================================

INSERT INTO runai_internal.users (email, type, created_by) VALUES
  ('admin@x.io', 'local', 'test'),   -- System administrator at system
  ('dept@x.io', 'local', 'test'),    -- Department administrator at department/d1
  ('res@x.io', 'local', 'test'),     -- L1 researcher at project/p1
  ('inh@x.io', 'local', 'test'),     -- inheritance
  ('grp@x.io', 'local', 'test'),     -- groups
  ('exp@x.io', 'local', 'test'),     -- expiry
  ('other@x.io', 'local', 'test'),   -- rules given and taken by the others
  ('t2admin@x.io', 'local', 'test'); -- System administrator of tenant/t2 only
CREATE ROLE regress_admin;
CREATE ROLE regress_dept;
CREATE ROLE regress_res;
CREATE ROLE regress_inh;
CREATE ROLE regress_grp;
CREATE ROLE regress_exp;
CREATE ROLE regress_other;
CREATE ROLE regress_t2admin;
CREATE ROLE regress_nobody;          -- never bound
SELECT u AS email, r AS db_role, runai.bind_db_role(u, r::regrole) IS NOT NULL AS bound
FROM unnest(ARRAY['admin@x.io', 'dept@x.io', 'res@x.io', 'inh@x.io', 'grp@x.io',
                  'exp@x.io', 'other@x.io', 't2admin@x.io']) u,
     LATERAL (SELECT 'regress_' || split_part(u, '@', 1)) r(r);

-- The scopes every test role may list (runai_internal.scopes itself is private).
CREATE TABLE regress_scopes (scope runai.scope PRIMARY KEY);
GRANT SELECT ON regress_scopes TO PUBLIC;

-- ===========================================================================
-- Scopes: the five levels, with siblings
-- ===========================================================================
--
-- system
-- ├─ tenant/t1
-- │  ├─ cluster/c1
-- │  │  ├─ department/d1 ── project/p1, project/p2
-- │  │  └─ department/d2 ── project/p3
-- │  └─ cluster/c2 ── department/d3 ── project/p4
-- └─ tenant/t2 ── cluster/c3 ── department/d4 ── project/p5

-- Tenants are created by a superuser (no role grants tenant create).
SELECT runai.create_scope('tenant', 't1', 'Tenant one', 'system');
SELECT runai.create_scope('tenant', 't2', 'Tenant two', 'system');
SELECT runai.add_access_rule('user', 'admin@x.io', 'System administrator', 'system');
SET ROLE regress_admin;
SELECT runai.create_scope('cluster', 'c1', 'Cluster one', 'tenant/t1');
SELECT runai.create_scope('cluster', 'c2', 'Cluster two', 'tenant/t1');
SELECT runai.create_scope('cluster', 'c3', 'Cluster three', 'tenant/t2');
SELECT runai.create_scope('department', 'd1', 'Research', 'cluster/c1');
SELECT runai.create_scope('department', 'd2', 'Engineering', 'cluster/c1');
SELECT runai.create_scope('department', 'd3', 'Finance', 'cluster/c2');
SELECT runai.create_scope('department', 'd4', 'Other tenant', 'cluster/c3');
SELECT runai.create_scope('project', 'p1', 'Vision', 'department/d1');
SELECT runai.create_scope('project', 'p2', 'Speech', 'department/d1');
SELECT runai.create_scope('project', 'p3', 'Platform', 'department/d2');
SELECT runai.create_scope('project', 'p4', 'Forecasts', 'department/d3');
SELECT runai.create_scope('project', 'p5', 'Elsewhere', 'department/d4');
-- SQL metacharacters in a name are just text.
SELECT runai.create_scope('project', 'odd.name_1:2-3', 'O''Brien"; DROP TABLE runai_internal.scopes; --', 'department/d1');
-- A System administrator may not create a tenant.
SELECT pg_temp.try($$SELECT runai.create_scope('tenant', 't3', 'T3', 'system')$$) AS admin_creates_tenant;
RESET ROLE;

INSERT INTO regress_scopes SELECT scope FROM runai_internal.scopes;
SELECT scope, parent, name,
       CASE WHEN created_by = current_user THEN '<superuser>' ELSE created_by END AS created_by
FROM runai_internal.scopes ORDER BY scope;

-- Every error path of create_scope, as superuser unless noted.
SELECT v.label, pg_temp.try(v.stmt) AS result
FROM (VALUES
  (1, 'NULL type',        $$SELECT runai.create_scope(NULL, 'x', 'X', 'system')$$),
  (2, 'NULL id',          $$SELECT runai.create_scope('tenant', NULL, 'X', 'system')$$),
  (3, 'NULL name',        $$SELECT runai.create_scope('tenant', 'x', NULL, 'system')$$),
  (4, 'NULL parent',      $$SELECT runai.create_scope('tenant', 'x', 'X', NULL)$$),
  (5, 'bad type',         $$SELECT runai.create_scope('galaxy', 'x', 'X', 'system')$$),
  (6, 'system type',      $$SELECT runai.create_scope('system', 'x', 'X', 'system')$$),
  (7, 'empty name',       $$SELECT runai.create_scope('tenant', 'x', '', 'system')$$),
  (8, 'long name',        $$SELECT runai.create_scope('tenant', 'x', repeat('n', 256), 'system')$$),
  (9, 'bad id',           $$SELECT runai.create_scope('project', 'no spaces', 'X', 'department/d1')$$),
  (10, 'empty id',        $$SELECT runai.create_scope('project', '', 'X', 'department/d1')$$),
  (11, 'long id',         $$SELECT runai.create_scope('project', repeat('i', 64), 'X', 'department/d1')$$),
  (12, 'quote in id',     $$SELECT runai.create_scope('project', 'x''; --', 'X', 'department/d1')$$),
  (13, 'missing parent',  $$SELECT runai.create_scope('project', 'x', 'X', 'department/none')$$),
  (14, 'skips a level',   $$SELECT runai.create_scope('project', 'x', 'X', 'cluster/c1')$$),
  (15, 'level too high',  $$SELECT runai.create_scope('cluster', 'x', 'X', 'department/d1')$$),
  (16, 'same level',      $$SELECT runai.create_scope('department', 'x', 'X', 'department/d1')$$),
  (17, 'under a project', $$SELECT runai.create_scope('project', 'x', 'X', 'project/p1')$$),
  (18, 'duplicate',       $$SELECT runai.create_scope('project', 'p1', 'Again', 'department/d1')$$),
  (19, 'duplicate id elsewhere', $$SELECT runai.create_scope('project', 'p1', 'Again', 'department/d2')$$)
) v(n, label, stmt) ORDER BY v.n;

-- Denied: a subject without create on the type at the parent, and nobody.
SET ROLE regress_res;
SELECT pg_temp.try($$SELECT runai.create_scope('project', 'x', 'X', 'department/d1')$$) AS researcher_creates_project;
SET ROLE regress_nobody;
SELECT pg_temp.try($$SELECT runai.create_scope('project', 'x', 'X', 'department/d1')$$) AS nobody_creates_project;
RESET ROLE;

-- The errors in full: detail and hint.
\set VERBOSITY default
SELECT runai.create_scope('project', 'x', 'X', 'cluster/c1');
SELECT runai.create_scope('project', 'p1', 'Again', 'department/d1');
SET ROLE regress_res;
SELECT runai.create_scope('project', 'x', 'X', 'department/d1');
SET ROLE regress_nobody;
SELECT runai.create_scope('project', 'x', 'X', 'department/d1');
RESET ROLE;
\set VERBOSITY terse

-- Nothing was created by the failed calls.
SELECT count(*) AS scopes FROM runai_internal.scopes;

-- ===========================================================================
-- Access rules
-- ===========================================================================

SELECT runai.add_access_rule('user', 'dept@x.io', 'Department administrator', 'department/d1');
SET ROLE regress_dept;
-- A Department administrator gives L1 researcher inside its department...
SELECT runai.add_access_rule('user', 'res@x.io', 'L1 researcher', 'project/p1');
-- ...but not outside it, nor a role with more than it holds.
SELECT pg_temp.try($$SELECT runai.add_access_rule('user', 'res@x.io', 'L1 researcher', 'project/p3')$$) AS outside_department;
SELECT pg_temp.try($$SELECT runai.add_access_rule('user', 'res@x.io', 'L1 researcher', 'department/d2')$$) AS sibling_department;
SELECT pg_temp.try($$SELECT runai.add_access_rule('user', 'res@x.io', 'L1 researcher', 'cluster/c1')$$) AS above_department;
SELECT pg_temp.try($$SELECT runai.add_access_rule('user', 'res@x.io', 'Editor', 'department/d1')$$) AS escalation;
\set VERBOSITY default
SELECT runai.add_access_rule('user', 'res@x.io', 'Editor', 'project/p2');
SELECT runai.add_access_rule('user', 'res@x.io', 'L1 researcher', 'project/p3');
\set VERBOSITY terse
-- A role it holds completely, it may give (also its own role, inside its scope).
SELECT runai.add_access_rule('user', 'other@x.io', 'Department administrator', 'project/p2');
RESET ROLE;

-- The researcher itself may not give rules at all.
SET ROLE regress_res;
SELECT pg_temp.try($$SELECT runai.add_access_rule('user', 'other@x.io', 'Viewer', 'project/p1')$$) AS researcher_adds_rule;
SET ROLE regress_nobody;
SELECT pg_temp.try($$SELECT runai.add_access_rule('user', 'other@x.io', 'Viewer', 'project/p1')$$) AS nobody_adds_rule;
RESET ROLE;

-- Every error path of add_access_rule.
SELECT v.label, pg_temp.try(v.stmt) AS result
FROM (VALUES
  (1, 'NULL subject type',  $$SELECT runai.add_access_rule(NULL, 'res@x.io', 'Viewer', 'project/p1')$$),
  (2, 'NULL subject',       $$SELECT runai.add_access_rule('user', NULL, 'Viewer', 'project/p1')$$),
  (3, 'NULL role',          $$SELECT runai.add_access_rule('user', 'res@x.io', NULL, 'project/p1')$$),
  (4, 'NULL scope',         $$SELECT runai.add_access_rule('user', 'res@x.io', 'Viewer', NULL)$$),
  (5, 'bad subject type',   $$SELECT runai.add_access_rule('robot', 'res@x.io', 'Viewer', 'project/p1')$$),
  (6, 'bad email',          $$SELECT runai.add_access_rule('user', 'not-an-email', 'Viewer', 'project/p1')$$),
  (7, 'empty group',        $$SELECT runai.add_access_rule('group', '', 'Viewer', 'project/p1')$$),
  (8, 'unknown app',        $$SELECT runai.add_access_rule('app', 'no-such-app', 'Viewer', 'project/p1')$$),
  (9, 'unknown role',       $$SELECT runai.add_access_rule('user', 'res@x.io', 'Overlord', 'project/p1')$$),
  (10, 'unknown scope',     $$SELECT runai.add_access_rule('user', 'res@x.io', 'Viewer', 'project/none')$$),
  (11, 'malformed scope',   $$SELECT runai.add_access_rule('user', 'res@x.io', 'Viewer', 'planet/x')$$),
  (12, 'tenant-wide at cluster',    $$SELECT runai.add_access_rule('user', 'res@x.io', 'Cloud operator', 'cluster/c1')$$),
  (13, 'tenant-wide at department', $$SELECT runai.add_access_rule('user', 'res@x.io', 'System administrator', 'department/d1')$$),
  (14, 'tenant-wide at project',    $$SELECT runai.add_access_rule('user', 'res@x.io', 'Application administrator', 'project/p1')$$),
  (15, 'expires in the past', $$SELECT runai.add_access_rule('user', 'res@x.io', 'Viewer', 'project/p1', now() - interval '1 minute')$$),
  (16, 'expires now',       $$SELECT runai.add_access_rule('user', 'res@x.io', 'Viewer', 'project/p1', statement_timestamp())$$),
  (17, 'duplicate',         $$SELECT runai.add_access_rule('user', 'res@x.io', 'L1 researcher', 'project/p1')$$),
  (18, 'duplicate, other spelling', $$SELECT runai.add_access_rule('user', 'user:RES@X.IO', 'l1 RESEARCHER', 'project/p1')$$)
) v(n, label, stmt) ORDER BY v.n;

\set VERBOSITY default
SELECT runai.add_access_rule('user', 'res@x.io', 'Cloud support', 'cluster/c1');
SELECT runai.add_access_rule('user', 'res@x.io', 'Viewer', 'project/p1', '2000-01-01 00:00:00+00');
SELECT runai.add_access_rule('user', 'res@x.io', 'L1 researcher', 'project/p1');
\set VERBOSITY terse

-- Tenant-wide roles are fine at system and at a tenant.
SELECT runai.add_access_rule('user', 'other@x.io', 'Cloud support', 'tenant/t2');
SELECT runai.add_access_rule('user', 'other@x.io', 'Cloud operator', 'system');

-- Rules are never updated, by a superuser either.
SELECT pg_temp.try($$UPDATE runai_internal.access_rules SET expires_at = now() + interval '1 day'$$) AS update_rules;
SELECT pg_temp.try($$UPDATE runai_internal.access_rules SET scope = 'system' WHERE subject = 'res@x.io'$$) AS widen_rule;
\set VERBOSITY default
UPDATE runai_internal.access_rules SET role_id = 0 WHERE subject = 'res@x.io';
\set VERBOSITY terse

-- Applications are subjects too.
INSERT INTO runai_internal.applications (name, client_id, secret_hash, created_by)
VALUES ('ci-bot', 'client-ci-bot', 'not-a-real-hash', 'test');
SELECT runai.add_access_rule('app', 'ci-bot', 'L1 researcher', 'project/p3');

SELECT r.id, r.subject_type, r.subject, ro.name AS role, r.scope,
       CASE WHEN r.created_by = current_user THEN '<superuser>' ELSE r.created_by END AS created_by,
       r.expires_at IS NOT NULL AS expires
FROM runai_internal.access_rules r JOIN runai_internal.roles ro ON ro.id = r.role_id ORDER BY r.id;

-- delete_access_rule: errors, permission, success.
SELECT v.label, pg_temp.try(v.stmt) AS result
FROM (VALUES
  (1, 'NULL id',       $$SELECT runai.delete_access_rule(NULL)$$),
  (2, 'unknown id',    $$SELECT runai.delete_access_rule(9999)$$),
  (3, 'negative id',   $$SELECT runai.delete_access_rule(-1)$$)
) v(n, label, stmt) ORDER BY v.n;
SELECT id AS rule_other_p2 FROM runai_internal.access_rules WHERE subject = 'other@x.io' AND scope::text = 'project/p2' \gset
SELECT id AS rule_other_t2 FROM runai_internal.access_rules WHERE subject = 'other@x.io' AND scope::text = 'tenant/t2' \gset
SELECT id AS rule_res_p1 FROM runai_internal.access_rules WHERE subject = 'res@x.io' AND scope::text = 'project/p1' \gset
-- Nobody, and a researcher, may not delete rules; a Department administrator may
-- inside its department only.
SET ROLE regress_nobody;
SELECT pg_temp.try('SELECT runai.delete_access_rule(' || :rule_res_p1 || ')') AS nobody_deletes;
SET ROLE regress_res;
SELECT pg_temp.try('SELECT runai.delete_access_rule(' || :rule_res_p1 || ')') AS researcher_deletes_own_rule;
SET ROLE regress_dept;
SELECT pg_temp.try('SELECT runai.delete_access_rule(' || :rule_other_t2 || ')') AS department_admin_deletes_tenant_rule;
SELECT runai.delete_access_rule(:rule_other_p2);
SELECT pg_temp.try('SELECT runai.delete_access_rule(' || :rule_other_p2 || ')') AS deleted_twice;
RESET ROLE;
SELECT runai.delete_access_rule(:rule_other_t2);
SELECT count(*) AS rules_left FROM runai_internal.access_rules;

-- Every change so far is in the event history, with who made it.
SELECT * FROM pg_temp.events;
SELECT pg_temp.events_seen();

-- ===========================================================================
-- rename_scope and delete_scope
-- ===========================================================================

SELECT v.label, pg_temp.try(v.stmt) AS result
FROM (VALUES
  (1, 'rename: NULL scope',   $$SELECT runai.rename_scope(NULL, 'x')$$),
  (2, 'rename: NULL name',    $$SELECT runai.rename_scope('project/p1', NULL)$$),
  (3, 'rename: empty name',   $$SELECT runai.rename_scope('project/p1', '')$$),
  (4, 'rename: long name',    $$SELECT runai.rename_scope('project/p1', repeat('n', 256))$$),
  (5, 'rename: unknown',      $$SELECT runai.rename_scope('project/none', 'x')$$),
  (6, 'rename: malformed',    $$SELECT runai.rename_scope('project/a b', 'x')$$),
  (7, 'delete: NULL',         $$SELECT runai.delete_scope(NULL)$$),
  (8, 'delete: unknown',      $$SELECT runai.delete_scope('project/none')$$),
  (9, 'delete: system',       $$SELECT runai.delete_scope('system')$$),
  (10, 'delete: has children', $$SELECT runai.delete_scope('department/d1')$$),
  (11, 'delete: tenant with a subtree', $$SELECT runai.delete_scope('tenant/t1')$$)
) v(n, label, stmt) ORDER BY v.n;
\set VERBOSITY default
SELECT runai.delete_scope('department/d2');
\set VERBOSITY terse

-- A Department administrator renames and deletes projects of its department, but
-- not the department itself (Department administrator only views departments),
-- nor anything outside it; nobody renames system but a superuser.
SET ROLE regress_dept;
SELECT runai.rename_scope('project/p2', 'Speech and audio');
SELECT pg_temp.try($$SELECT runai.rename_scope('department/d1', 'Mine')$$) AS rename_own_department;
SELECT pg_temp.try($$SELECT runai.rename_scope('project/p3', 'Mine')$$) AS rename_outside;
SELECT pg_temp.try($$SELECT runai.rename_scope('system', 'Mine')$$) AS rename_system;
SELECT pg_temp.try($$SELECT runai.delete_scope('project/p3')$$) AS delete_outside;
SELECT pg_temp.try($$SELECT runai.delete_scope('department/d1')$$) AS delete_own_department;
SELECT runai.create_scope('project', 'tmp', 'Temporary', 'department/d1');
SELECT runai.add_access_rule('user', 'other@x.io', 'Viewer', 'project/tmp');
SELECT runai.add_access_rule('group', 'tmp-team', 'L1 researcher', 'project/tmp');
SELECT runai.delete_scope('project/tmp');
RESET ROLE;
SET ROLE regress_admin;
SELECT pg_temp.try($$SELECT runai.rename_scope('system', 'Root')$$) AS admin_renames_system;
-- (System administrator views tenants but does not edit them.)
SELECT pg_temp.try($$SELECT runai.rename_scope('tenant/t2', 'Mine')$$) AS admin_renames_tenant;
SELECT runai.rename_scope('cluster/c3', 'Cluster three (renamed)');
RESET ROLE;
SELECT runai.rename_scope('system', 'The system');
SELECT runai.rename_scope('tenant/t2', 'Tenant two (renamed)');
SELECT scope, name FROM runai_internal.scopes
WHERE scope::text IN ('system', 'tenant/t2', 'cluster/c3', 'project/p2', 'project/tmp') ORDER BY scope;
-- The scope's rules went with it, each recorded.
SELECT count(*) AS rules_at_deleted_scope FROM runai_internal.access_rules WHERE scope::text = 'project/tmp';
SELECT * FROM pg_temp.events;
SELECT pg_temp.events_seen();

-- ===========================================================================
-- Inheritance: a rule at each level covers exactly its subtree
-- ===========================================================================

-- For each level: give inh@x.io the Viewer role there, list where it may view
-- workloads (can() through its bound role, and has_permission() as superuser, which
-- must agree), then take the rule away.  project/none is not in the tree: only a
-- rule at system covers it.
CREATE FUNCTION pg_temp.covered() RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(s.scope::text, ' ' ORDER BY s.scope)
    FROM (SELECT scope FROM regress_scopes UNION ALL SELECT 'project/none') s
   WHERE runai.can('workloads', 'view', s.scope);
$$;
CREATE TABLE regress_inheritance (level text, rule_scope text, covered text, agrees boolean);
GRANT INSERT ON regress_inheritance TO PUBLIC;
DO $$
DECLARE
  lvl text;
  id bigint;
BEGIN
  FOREACH lvl IN ARRAY ARRAY['system', 'tenant/t1', 'cluster/c1', 'department/d1', 'project/p1',
                             'tenant/t2', 'cluster/c2', 'department/d3', 'project/p2'] LOOP
    id := runai.add_access_rule('user', 'inh@x.io', 'Viewer', lvl::runai.scope);
    SET LOCAL ROLE regress_inh;
    INSERT INTO regress_inheritance (level, rule_scope, covered)
    VALUES (runai.scope_type(lvl::runai.scope), lvl, pg_temp.covered());
    RESET ROLE;
    UPDATE regress_inheritance SET agrees = (
      SELECT bool_and(runai.has_permission('inh@x.io', 'workloads', 'view', s.scope)
                      = (' ' || covered || ' ' LIKE '% ' || s.scope::text || ' %'))
        FROM regress_scopes s)
     WHERE rule_scope = lvl;
    PERFORM runai.delete_access_rule(id);
  END LOOP;
END
$$;
SELECT * FROM regress_inheritance;
-- Without a rule, nothing; a future child is covered by its ancestor's rule.
SET ROLE regress_inh;
SELECT pg_temp.covered() AS covered_without_rules;
RESET ROLE;
SELECT runai.add_access_rule('user', 'inh@x.io', 'Viewer', 'department/d3');
SET ROLE regress_inh;
SELECT runai.can('workloads', 'view', 'project/p6') AS before_p6_exists;
RESET ROLE;
SELECT runai.create_scope('project', 'p6', 'Future', 'department/d3');
SET ROLE regress_inh;
SELECT runai.can('workloads', 'view', 'project/p6') AS after_p6_exists,
       runai.can('workloads', 'edit', 'project/p6') AS viewer_edits;
RESET ROLE;

-- ===========================================================================
-- Groups (runai.set_user_groups): a group's rule grants to its members, now
-- ===========================================================================

SELECT runai.add_access_rule('group', 'ml-team', 'L1 researcher', 'project/p3');
SET ROLE regress_grp;
SELECT runai.can('workloads', 'create', 'project/p3') AS before_joining;
RESET ROLE;
SELECT runai.set_user_groups('GRP@x.io', ARRAY['ml-team', 'ml-team', 'readers']);
SELECT g.group_name FROM runai_internal.group_members g JOIN runai_internal.users u ON u.id = g.user_id
WHERE u.email = 'grp@x.io' ORDER BY 1;
SET ROLE regress_grp;
SELECT runai.can('workloads', 'create', 'project/p3') AS member,
       runai.can('workloads', 'create', 'project/p1') AS elsewhere;
SELECT * FROM runai.permitted_scopes('workloads', 'create');
SELECT * FROM runai.explain('user:grp@x.io', 'workloads', 'create', 'project/p3');
RESET ROLE;
SELECT runai.has_permission('grp@x.io', 'workloads', 'create', 'project/p3') AS member,
       runai.has_permission('group:ml-team', 'workloads', 'create', 'project/p3') AS group_itself,
       runai.has_permission('group:readers', 'workloads', 'create', 'project/p3') AS other_group;
SELECT * FROM runai.who_can('workloads', 'create', 'project/p3');
-- Removal takes effect at once (the cache is warm).
SELECT runai.set_user_groups('grp@x.io', ARRAY['readers']);
SET ROLE regress_grp;
SELECT runai.can('workloads', 'create', 'project/p3') AS after_leaving;
RESET ROLE;
SELECT runai.set_user_groups('grp@x.io', ARRAY[]::text[]);
SELECT count(*) AS memberships FROM runai_internal.group_members;
SELECT v.label, pg_temp.try(v.stmt) AS result
FROM (VALUES
  (1, 'NULL email',    $$SELECT runai.set_user_groups(NULL, ARRAY['a'])$$),
  (2, 'NULL groups',   $$SELECT runai.set_user_groups('grp@x.io', NULL)$$),
  (3, 'NULL element',  $$SELECT runai.set_user_groups('grp@x.io', ARRAY['a', NULL])$$),
  (4, 'empty element', $$SELECT runai.set_user_groups('grp@x.io', ARRAY[''])$$),
  (5, 'unknown user',  $$SELECT runai.set_user_groups('nobody@x.io', ARRAY['a'])$$)
) v(n, label, stmt) ORDER BY v.n;
SET ROLE regress_dept;
SELECT pg_temp.try($$SELECT runai.set_user_groups('grp@x.io', ARRAY['ml-team'])$$) AS department_admin_sets_groups;
RESET ROLE;
-- No escalation through membership: the System administrator of tenant/t2 may put
-- a user in a group whose rules it holds, not in one with a rule elsewhere (itself
-- included).
SELECT runai.add_access_rule('user', 't2admin@x.io', 'System administrator', 'tenant/t2');
SELECT runai.add_access_rule('group', 't2-team', 'Viewer', 'tenant/t2');
SET ROLE regress_t2admin;
SELECT pg_temp.try($$SELECT runai.set_user_groups('grp@x.io', ARRAY['ml-team'])$$) AS t2_admin_adds_to_ml_team;
SELECT pg_temp.try($$SELECT runai.set_user_groups('t2admin@x.io', ARRAY['t2-team', 'ml-team'])$$) AS t2_admin_joins_ml_team;
\set VERBOSITY default
SELECT runai.set_user_groups('grp@x.io', ARRAY['t2-team', 'ml-team']);
\set VERBOSITY terse
SELECT runai.set_user_groups('grp@x.io', ARRAY['t2-team', 'unknown-team']);
RESET ROLE;
SET ROLE regress_grp;
SELECT runai.can('workloads', 'view', 'project/p5') AS via_t2_team,
       runai.can('workloads', 'create', 'project/p3') AS via_ml_team;
RESET ROLE;
SELECT * FROM pg_temp.events;
SELECT pg_temp.events_seen();

-- ===========================================================================
-- Expiry: an expired rule stops granting, even with a warm cache
-- ===========================================================================

SELECT runai.add_access_rule('user', 'exp@x.io', 'L1 researcher', 'project/p4',
                             clock_timestamp() + interval '1 second') AS rule_exp \gset
SET ROLE regress_exp;
SELECT runai.can('workloads', 'view', 'project/p4') AS before_expiry;
SELECT pg_sleep(1.2);
SELECT runai.can('workloads', 'view', 'project/p4') AS after_expiry;
RESET ROLE;
SELECT runai.has_permission('exp@x.io', 'workloads', 'view', 'project/p4') AS has_permission_after_expiry;
SELECT allowed, rule_id, role FROM runai.explain('exp@x.io', 'workloads', 'view', 'project/p4');
SELECT count(*) AS who_can_lists_expired FROM runai.who_can('workloads', 'view', 'project/p4')
WHERE subject = 'user:exp@x.io';
-- The expired rule stays until deleted; a new one needs it deleted first.
SELECT pg_temp.try($$SELECT runai.add_access_rule('user', 'exp@x.io', 'L1 researcher', 'project/p4')$$) AS re_add;
SELECT runai.delete_access_rule(:rule_exp);
SELECT runai.add_access_rule('user', 'exp@x.io', 'L1 researcher', 'project/p4', now() + interval '1 day') IS NOT NULL AS re_added;
SET ROLE regress_exp;
SELECT runai.can('workloads', 'view', 'project/p4') AS renewed;
RESET ROLE;

-- ===========================================================================
-- The checks and lookups
-- ===========================================================================

-- res@x.io: L1 researcher at project/p1.  Give it more: Viewer at department/d1
-- (which covers p1) and ML engineer at project/p3.
SELECT runai.add_access_rule('user', 'res@x.io', 'Viewer', 'department/d1') AS rule_res_d1 \gset
SELECT runai.add_access_rule('user', 'res@x.io', 'ML engineer', 'project/p3') AS rule_res_p3 \gset
SET ROLE regress_res;
SELECT s.scope,
       runai.can('workloads', 'view', s.scope) AS view,
       runai.can('workloads', 'edit', s.scope) AS edit,
       runai.can('workloads', 'create', s.scope) AS "create",
       runai.can('workloads', 'delete', s.scope) AS "delete",
       runai.can('workloads', 'read', s.scope) AS read_alias,
       runai.can('workloads', 'update', s.scope) AS update_alias
FROM regress_scopes s WHERE s.scope::text IN ('department/d1', 'project/p1', 'project/p2', 'project/p3', 'project/p4')
ORDER BY s.scope;
-- The top-most scopes: department/d1 (which contains p1) and project/p3.
SELECT * FROM runai.permitted_scopes('workloads', 'view') ORDER BY 1;
SELECT * FROM runai.permitted_scopes('workloads', 'create') ORDER BY 1;
SELECT * FROM runai.permitted_scopes('users', 'view') ORDER BY 1;
SELECT * FROM runai.my_permissions() ORDER BY 1 COLLATE "C", 3;
-- Its own permissions it may ask about, and explain.
SELECT runai.has_permission('res@x.io', 'workloads', 'create', 'project/p1') AS self_bare_email,
       runai.has_permission('user:RES@X.IO', 'workloads', 'create', 'project/p2') AS self_prefixed;
SELECT * FROM runai.explain('res@x.io', 'workloads', 'view', 'project/p1');
SELECT * FROM runai.explain('res@x.io', 'workloads', 'create', 'project/p2');
-- Not those of others (it has no access_rules view), nor who can.
SELECT pg_temp.try($$SELECT runai.has_permission('dept@x.io', 'workloads', 'view', 'project/p1')$$) AS ask_about_other;
SELECT pg_temp.try($$SELECT * FROM runai.explain('dept@x.io', 'workloads', 'view', 'project/p1')$$) AS explain_other;
SELECT pg_temp.try($$SELECT * FROM runai.who_can('workloads', 'view', 'project/p1')$$) AS who_can;
\set VERBOSITY default
SELECT runai.has_permission('dept@x.io', 'workloads', 'view', 'project/p1');
\set VERBOSITY terse
RESET ROLE;

-- A Department administrator (access_rules view in d1) may ask about anyone in d1,
-- not elsewhere.
SET ROLE regress_dept;
SELECT runai.has_permission('res@x.io', 'workloads', 'delete', 'project/p1') AS res_in_d1,
       runai.has_permission('app:ci-bot', 'workloads', 'delete', 'project/p1') AS app_in_d1;
SELECT * FROM runai.who_can('workloads', 'delete', 'project/p1');
SELECT pg_temp.try($$SELECT runai.has_permission('res@x.io', 'workloads', 'view', 'project/p3')$$) AS outside_d1;
SELECT pg_temp.try($$SELECT * FROM runai.who_can('workloads', 'view', 'project/p3')$$) AS who_can_outside_d1;
RESET ROLE;

-- The caller is judged at every call: a loop that changes role between calls of
-- the same expression must not reuse the first caller's right to ask.
DO $$
DECLARE
  r text;
  b boolean;
BEGIN
  FOREACH r IN ARRAY ARRAY['regress_res', 'regress_exp', 'regress_nobody', 'regress_dept', 'regress_res'] LOOP
    EXECUTE format('SET LOCAL ROLE %I', r);
    BEGIN
      b := runai.has_permission('res@x.io', 'workloads', 'view', 'project/p1');
      RAISE NOTICE '% asks about res@x.io: %', r, b;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE '% asks about res@x.io: %', r, SQLERRM;
    END;
  END LOOP;
  RESET ROLE;
END
$$;

SET ROLE regress_nobody;
\set VERBOSITY default
SELECT runai.has_permission('res@x.io', 'workloads', 'view', 'project/p1');
\set VERBOSITY terse
RESET ROLE;

-- The superuser may ask anything; apps and groups are subjects.
SELECT runai.has_permission('app:ci-bot', 'workloads', 'create', 'project/p3') AS app_p3,
       runai.has_permission('app:ci-bot', 'workloads', 'create', 'project/p1') AS app_p1,
       runai.has_permission('other@x.io', 'nodepools', 'edit', 'cluster/c3') AS cloud_operator_at_system,
       runai.has_permission('nobody@x.io', 'workloads', 'view', 'system') AS unknown_user;
SELECT * FROM runai.explain('app:ci-bot', 'workloads', 'create', 'project/p3');
SELECT * FROM runai.explain('res@x.io', 'users', 'view', 'project/p4');
SELECT * FROM runai.explain('group:nobody', 'workloads', 'view', 'project/none');
SELECT * FROM runai.who_can('nodepools', 'edit', 'department/d1');

-- Bad arguments: the checks answer false or NULL for NULLs, the others raise.
SELECT runai.can(NULL, 'view', 'system') AS can_null_resource,
       runai.can('workloads', NULL, 'system') AS can_null_action,
       runai.can('workloads', 'view', NULL) AS can_null_scope,
       runai.has_permission(NULL, 'workloads', 'view', 'system') AS hp_null_subject,
       runai.has_permission('res@x.io', NULL, 'view', 'system') AS hp_null_resource,
       runai.has_permission('res@x.io', 'workloads', NULL, 'system') AS hp_null_action,
       runai.has_permission('res@x.io', 'workloads', 'view', NULL) AS hp_null_scope;
SELECT count(*) AS permitted_null FROM runai.permitted_scopes(NULL, 'view');
SELECT count(*) AS permitted_null_action FROM runai.permitted_scopes('workloads', NULL);
SELECT v.label, pg_temp.try(v.stmt) AS result
FROM (VALUES
  (1, 'can: unknown resource',       $$SELECT runai.can('spaceships', 'view', 'system')$$),
  (2, 'can: unknown action',         $$SELECT runai.can('workloads', 'launch', 'system')$$),
  (3, 'can: malformed scope',        $$SELECT runai.can('workloads', 'view', 'project/')$$),
  (4, 'has_permission: bad subject', $$SELECT runai.has_permission('jane', 'workloads', 'view', 'system')$$),
  (5, 'has_permission: empty user',  $$SELECT runai.has_permission('user:', 'workloads', 'view', 'system')$$),
  (6, 'permitted_scopes: unknown',   $$SELECT runai.permitted_scopes('spaceships', 'view')$$),
  (7, 'explain: NULL subject',       $$SELECT runai.explain(NULL, 'workloads', 'view', 'system')$$),
  (8, 'explain: NULL scope',         $$SELECT runai.explain('res@x.io', 'workloads', 'view', NULL)$$),
  (9, 'explain: unknown resource',   $$SELECT runai.explain('res@x.io', 'spaceships', 'view', 'system')$$),
  (10, 'explain: unknown action',    $$SELECT runai.explain('res@x.io', 'workloads', 'launch', 'system')$$),
  (11, 'who_can: NULL resource',     $$SELECT runai.who_can(NULL, 'view', 'system')$$),
  (12, 'who_can: unknown action',    $$SELECT runai.who_can('workloads', 'launch', 'system')$$),
  (13, 'internal function',          $$SELECT runai_internal.require('workloads', 'view', 'system')$$)
) v(n, label, stmt) ORDER BY v.n;

-- ===========================================================================
-- Database role bindings (SPEC section 3, rule 2)
-- ===========================================================================

-- SET ROLE to a bound role acts as its user; RESET ROLE, an unbound role: nobody.
SET ROLE regress_res;
SELECT runai.can('workloads', 'view', 'project/p1') AS can,
       (SELECT string_agg(s::text, ' ' ORDER BY s) FROM runai.permitted_scopes('workloads', 'view') s) AS permitted;
RESET ROLE;
SELECT runai.can('workloads', 'view', 'project/p1') AS can,
       (SELECT string_agg(s::text, ' ' ORDER BY s) FROM runai.permitted_scopes('workloads', 'view') s) AS permitted;
SET ROLE regress_nobody;
SELECT runai.can('workloads', 'view', 'project/p1') AS can,
       (SELECT count(*) FROM runai.permitted_scopes('workloads', 'view')) AS permitted;
SELECT count(*) AS my_permissions FROM runai.my_permissions();
RESET ROLE;
-- Plain SQL cannot pick a subject.
SELECT pg_temp.try($$SET runai.subject = 'user:admin@x.io'$$) AS set_subject;
SELECT pg_temp.try($$SELECT set_config('runai.current_user', 'admin@x.io', false)$$) AS set_config_subject;
SET ROLE regress_nobody;
SELECT runai.can('workloads', 'view', 'project/p1') AS still_nobody;
RESET ROLE;
-- Binding errors, and who may bind.  Roles that cannot be bound (SPEC section
-- 3.1): superusers, BYPASSRLS, CREATEROLE, roles granted to others or granted
-- others (and the extension's owner, a superuser here).
CREATE ROLE regress_super SUPERUSER;
CREATE ROLE regress_bypass BYPASSRLS;
CREATE ROLE regress_creator CREATEROLE;
CREATE ROLE regress_parent;
CREATE ROLE regress_child;
GRANT regress_parent TO regress_child;
SELECT v.label, pg_temp.try(v.stmt) AS result
FROM (VALUES
  (1, 'bind: NULL email',     $$SELECT runai.bind_db_role(NULL, 'regress_nobody')$$),
  (2, 'bind: NULL role',      $$SELECT runai.bind_db_role('res@x.io', NULL)$$),
  (3, 'bind: unknown user',   $$SELECT runai.bind_db_role('nobody@x.io', 'regress_nobody')$$),
  (4, 'bind: unknown role',   $$SELECT runai.bind_db_role('res@x.io', 'regress_no_such_role')$$),
  (5, 'bind: bound to other', $$SELECT runai.bind_db_role('other@x.io', 'regress_res')$$),
  (6, 'bind: again, same user', $$SELECT runai.bind_db_role('RES@x.io', 'regress_res')$$),
  (7, 'unbind: NULL',         $$SELECT runai.unbind_db_role(NULL)$$),
  (8, 'unbind: not bound',    $$SELECT runai.unbind_db_role('regress_nobody')$$),
  (9, 'bind: superuser',      $$SELECT runai.bind_db_role('res@x.io', 'regress_super')$$),
  (10, 'bind: BYPASSRLS',     $$SELECT runai.bind_db_role('res@x.io', 'regress_bypass')$$),
  (11, 'bind: CREATEROLE',    $$SELECT runai.bind_db_role('res@x.io', 'regress_creator')$$),
  (12, 'bind: has a member',  $$SELECT runai.bind_db_role('res@x.io', 'regress_parent')$$),
  (13, 'bind: is a member',   $$SELECT runai.bind_db_role('res@x.io', 'regress_child')$$)
) v(n, label, stmt) ORDER BY v.n;
\set VERBOSITY default
SELECT runai.bind_db_role('res@x.io', 'regress_parent');
\set VERBOSITY terse
SET ROLE regress_dept;
SELECT pg_temp.try($$SELECT runai.bind_db_role('dept@x.io', 'regress_nobody')$$) AS department_admin_binds;
SELECT pg_temp.try($$SELECT runai.unbind_db_role('regress_res')$$) AS department_admin_unbinds;
RESET ROLE;
-- A System administrator's own login role controls no other role: it may not bind
-- one, nor itself.
SET ROLE regress_admin;
SELECT pg_temp.try($$SELECT runai.bind_db_role('res@x.io', 'regress_nobody')$$) AS admin_role_binds_other_role;
SELECT pg_temp.try($$SELECT runai.bind_db_role('admin@x.io', 'regress_admin')$$) AS admin_role_binds_itself;
RESET ROLE;
-- A database administrator's role (CREATEROLE), authenticated as the System
-- administrator, may; the binding takes effect at once.  (Each sign-in gives a
-- new token; sign_out ends the connection's token subject, so that the bound
-- roles act as their users again.)
CREATE ROLE regress_binder CREATEROLE;
UPDATE runai_internal.users SET password_hash = runai_internal.password_hash('password of ' || email)
 WHERE email IN ('admin@x.io', 't2admin@x.io');
SET ROLE regress_binder;
SELECT runai.authenticate(token) FROM runai.sign_in('admin@x.io', 'password of admin@x.io');
SELECT runai.bind_db_role('res@x.io', 'regress_nobody');
RESET ROLE;
SELECT runai.sign_out();
SET ROLE regress_nobody;
SELECT runai.can('workloads', 'view', 'project/p1') AS can,
       (SELECT string_agg(s::text, ' ' ORDER BY s) FROM runai.permitted_scopes('workloads', 'view') s) AS permitted;
RESET ROLE;
SET ROLE regress_binder;
SELECT runai.authenticate(token) FROM runai.sign_in('t2admin@x.io', 'password of t2admin@x.io');
-- No escalation through bindings: the System administrator of tenant/t2 may not
-- undo a binding to a user it does not dominate.
SELECT pg_temp.try($$SELECT runai.unbind_db_role('regress_nobody')$$) AS t2_admin_unbinds_res;
RESET ROLE;
SELECT runai.sign_out();
SET ROLE regress_binder;
SELECT runai.authenticate(token) FROM runai.sign_in('admin@x.io', 'password of admin@x.io');
SELECT runai.unbind_db_role('regress_nobody');
RESET ROLE;
SELECT runai.sign_out();
SET ROLE regress_nobody;
SELECT runai.can('workloads', 'view', 'project/p1') AS can,
       (SELECT string_agg(s::text, ' ' ORDER BY s) FROM runai.permitted_scopes('workloads', 'view') s) AS permitted;
RESET ROLE;
-- The System administrator of tenant/t2 may bind a role to a user whose roles it
-- holds (grp@x.io: Viewer at tenant/t2 through t2-team), not to one with roles
-- elsewhere.
SET ROLE regress_binder;
SELECT runai.authenticate(token) FROM runai.sign_in('t2admin@x.io', 'password of t2admin@x.io');
\set VERBOSITY default
SELECT runai.bind_db_role('res@x.io', 'regress_nobody');
\set VERBOSITY terse
SELECT runai.bind_db_role('grp@x.io', 'regress_nobody');
RESET ROLE;
SELECT runai.sign_out();
SET ROLE regress_nobody;
SELECT runai.can('workloads', 'view', 'project/p5') AS can,
       (SELECT string_agg(s::text, ' ' ORDER BY s) FROM runai.permitted_scopes('workloads', 'view') s) AS permitted;
RESET ROLE;
SET ROLE regress_binder;
SELECT runai.authenticate(token) FROM runai.sign_in('t2admin@x.io', 'password of t2admin@x.io');
SELECT runai.unbind_db_role('regress_nobody');
RESET ROLE;
SELECT runai.sign_out();
-- DROP ROLE takes a role's bindings with it.
REVOKE regress_parent FROM regress_child;
SELECT runai.bind_db_role('other@x.io', 'regress_child');
SET ROLE regress_child;
SELECT runai.current_subject() AS child_acts_as;
RESET ROLE;
DROP ROLE regress_child;
SELECT count(*) AS bindings_of_dropped_role FROM runai_internal.db_role_bindings WHERE db_role_name = 'regress_child';
SELECT db_role, u.email FROM runai_internal.db_role_bindings b JOIN runai_internal.users u ON u.id = b.user_id ORDER BY 1::text;
SELECT * FROM pg_temp.events;
SELECT pg_temp.events_seen();

-- ===========================================================================
-- The event history: append-only, purged only by purge_events
-- ===========================================================================

SELECT pg_temp.try($$UPDATE runai_internal.events SET subject = 'someone else'$$) AS update_events;
SELECT pg_temp.try($$DELETE FROM runai_internal.events$$) AS delete_events;
SELECT pg_temp.try($$TRUNCATE runai_internal.events$$) AS truncate_events;
SELECT v.label, pg_temp.try(v.stmt) AS result
FROM (VALUES
  (1, 'NULL',     $$SELECT runai.purge_events(NULL)$$),
  (2, 'negative', $$SELECT runai.purge_events(interval '-1 day')$$)
) v(n, label, stmt) ORDER BY v.n;
-- Needs settings delete at system: not a Department administrator.
SET ROLE regress_dept;
SELECT pg_temp.try($$SELECT runai.purge_events(interval '0')$$) AS department_admin_purges;
RESET ROLE;
SELECT count(*) > 50 AS many_events, count(*) FILTER (WHERE result = 'Succeeded') = count(*) AS all_succeeded
FROM runai_internal.events;
SELECT pg_temp.events_seen();
-- Nothing is a day old yet.
SET ROLE regress_admin;
SELECT runai.purge_events(interval '1 day') AS purged;
RESET ROLE;
SELECT count(*) > 50 AS events_kept FROM runai_internal.events;
-- Everything older than this statement goes; the purge itself is recorded.
SET ROLE regress_admin;
SELECT runai.purge_events(interval '0') > 50 AS purged_all_but_the_last;
RESET ROLE;
SELECT pg_temp.events_seen();
SELECT count(*) AS events_left FROM runai_internal.events;
SELECT subject, subject_type, action, result, entity_type, details ? 'purged' AS says_how_many
FROM runai_internal.events;

-- ===========================================================================
-- add_access_rule: role names in any letter case, users that do not exist yet,
-- applications that must exist
-- ===========================================================================

SET ROLE regress_admin;
-- Role names are matched without regard to letter case; the rule names the role.
SELECT runai.add_access_rule('user', 'res@x.io', 'vIEWER', 'project/p3') IS NOT NULL AS any_case;
-- A user that does not exist yet gets the rule, with a NOTICE: it applies from the
-- user's first sign-in.
\set VERBOSITY default
SELECT runai.add_access_rule('user', 'Newcomer@X.io', 'L1 researcher', 'project/p3') IS NOT NULL AS future_user;
\set VERBOSITY terse
-- An application that does not exist is an error (42704), as before.
SELECT pg_temp.try($$SELECT runai.add_access_rule('app', 'no-such-app', 'Viewer', 'project/p3')$$) AS unknown_application;
-- Only a caller allowed to add the rule learns whether the user exists.
SET ROLE regress_res;
SELECT pg_temp.try($$SELECT runai.add_access_rule('user', 'ghost@x.io', 'Viewer', 'project/p1')$$) AS researcher_adds;
RESET ROLE;
SELECT r.subject, ro.name AS role, r.scope
FROM runai_internal.access_rules r JOIN runai_internal.roles ro ON ro.id = r.role_id
WHERE r.scope OPERATOR(pg_catalog.=) 'project/p3'::runai.scope AND r.subject_type = 'user' ORDER BY 1, 2;
-- The rule already answers for the newcomer's email.
SELECT runai.has_permission('newcomer@x.io', 'workloads', 'create', 'project/p3') AS newcomer_granted;

-- ===========================================================================
-- Clean up
-- ===========================================================================

DROP TABLE regress_scopes, regress_inheritance;
DROP EXTENSION runai_rbac;
DROP ROLE regress_admin, regress_dept, regress_res, regress_inh, regress_grp, regress_exp,
          regress_other, regress_t2admin, regress_nobody, regress_super, regress_bypass,
          regress_creator, regress_parent, regress_binder;
