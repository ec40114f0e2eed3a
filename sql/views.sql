-- The tables for people and exports (SPEC section 4): the seven views, their columns
-- and comments, who sees which rows, COPY ... CSV and \copy round trips, and
-- runai.export_users_csv (quoting, the 20,000-row cap and its warning).
CREATE EXTENSION runai_rbac;
\set VERBOSITY terse

-- ===========================================================================
-- Shape: columns in the order of the spec, comments, privileges
-- ===========================================================================

SELECT c.relname AS view,
       string_agg(format('%s %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY a.attnum) AS columns
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace = 'runai'::regnamespace AND c.relkind = 'v'
 GROUP BY c.relname ORDER BY c.relname;

-- Every view and every column a user can see explains itself in \d+: the columns of
-- the views and of the tables of schema runai (the predefined resource types and
-- workload kinds, runai.workloads).
SELECT c.relname AS view_without_comment FROM pg_class c
 WHERE c.relnamespace = 'runai'::regnamespace AND c.relkind = 'v' AND obj_description(c.oid, 'pg_class') IS NULL;
SELECT c.relname, a.attname AS column_without_comment
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace = 'runai'::regnamespace AND c.relkind IN ('v', 'r', 'p')
   AND col_description(c.oid, a.attnum) IS NULL;
SELECT count(*) AS user_visible_columns
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace = 'runai'::regnamespace AND c.relkind IN ('v', 'r', 'p');
SELECT obj_description('runai.export_users_csv()'::regprocedure, 'pg_proc') IS NOT NULL AS export_has_comment;
-- And so does everything else of the extension in \dn+, \d+, \df+, \dT+ and \do+:
-- no table, view, sequence, function, type or schema of runai and runai_internal,
-- and no operator of the types (in pg_catalog) without a comment.
SELECT kind, object AS without_comment FROM (
  SELECT 'schema' AS kind, n.nspname::text AS object FROM pg_namespace n
   WHERE n.nspname IN ('runai', 'runai_internal') AND obj_description(n.oid, 'pg_namespace') IS NULL
  UNION ALL
  SELECT 'relation', c.oid::regclass::text FROM pg_class c
   WHERE c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace)
     AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
     AND obj_description(c.oid, 'pg_class') IS NULL
  UNION ALL
  SELECT 'function', p.oid::regprocedure::text FROM pg_proc p
   WHERE p.pronamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace)
     AND obj_description(p.oid, 'pg_proc') IS NULL
  UNION ALL
  SELECT 'type', t.oid::regtype::text FROM pg_type t
   WHERE t.typnamespace = 'runai'::regnamespace AND t.typtype IN ('b', 'c', 'd', 'e', 'r', 'm')
     AND t.typrelid = 0 AND t.typcategory <> 'A' AND obj_description(t.oid, 'pg_type') IS NULL
  UNION ALL
  SELECT 'operator', o.oid::regoperator::text FROM pg_operator o
   WHERE (o.oprleft IN ('runai.scope'::regtype, 'runai.actionset'::regtype)
          OR o.oprright IN ('runai.scope'::regtype, 'runai.actionset'::regtype))
     AND obj_description(o.oid, 'pg_operator') IS NULL
) missing ORDER BY kind, object;

-- Anyone may select from the seven views (the rows answer for the caller) and read
-- the predefined resource types and workload kinds; nobody but the owner reads the
-- tables behind the views or the internal view.
CREATE ROLE regress_views_nobody;
SELECT v AS relation, has_table_privilege('regress_views_nobody', v, 'SELECT') AS may_select
  FROM unnest(ARRAY['runai.roles_table', 'runai.role_permissions_table', 'runai.users_table',
                    'runai.access_rules_table', 'runai.applications_table', 'runai.event_history',
                    'runai.scopes_table', 'runai.resource_types', 'runai.workload_kinds',
                    'runai_internal.users', 'runai_internal.access_rules', 'runai_internal.applications',
                    'runai_internal.events', 'runai_internal.scopes', 'runai_internal.roles',
                    'runai_internal.access_rules_within_reach']) v;
-- Only the per-row views are security barriers (see src/sql/80_code_views.sql).
SELECT c.oid::regclass AS view, c.reloptions FROM pg_class c
 WHERE c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace) AND c.relkind = 'v'
 ORDER BY c.oid::regclass::text;

-- ===========================================================================
-- An organisation
-- ===========================================================================

SELECT runai.create_scope('tenant', 'acme', 'Acme', 'system');
SELECT runai.create_scope('cluster', 'eu', 'Europe', 'tenant/acme');
SELECT runai.create_scope('department', 'vision', 'Vision', 'cluster/eu');
SELECT runai.create_scope('department', 'nlp', 'Language', 'cluster/eu');
SELECT runai.create_scope('project', 'detect', 'Detection', 'department/vision');
SELECT runai.create_scope('project', 'segment', 'Segmentation', 'department/vision');
SELECT runai.create_scope('project', 'chat', 'Chat', 'department/nlp');

-- Users and an application, inserted directly with fixed times so that the CSV below
-- is the same in every run.  zed's created_by and the application's name carry a
-- comma, quotes and a newline; nina's created_by a newline alone, rex's is empty
-- (CSV writes "" for it, and nothing for NULL).
INSERT INTO runai_internal.users (email, type, last_login, created_by, created_at, updated_at) VALUES
  ('admin@acme.io', 'local', '2024-05-03 09:00:00+00', 'postgres', '2024-05-01 10:00:00+00', '2024-05-01 10:00:00+00'),
  ('dora@acme.io',  'local', '2024-05-02 09:30:00+00', 'admin@acme.io', '2024-05-01 11:00:00+00', '2024-05-02 08:00:00+00'),
  ('rex@acme.io',   'sso',   '2024-05-03 12:00:00+00', '', '2024-05-01 12:00:00+00', '2024-05-01 12:00:00+00'),
  ('nina@acme.io',  'local', NULL, E'import job\nbatch 7', '2024-05-01 13:00:00+00', '2024-05-01 13:00:00+00'),
  ('zed@acme.io',   'local', NULL, E'Doe, "Jane"\nAdmin', '2024-05-01 14:00:00+00', '2024-05-01 14:00:00+00');
INSERT INTO runai_internal.applications (name, client_id, secret_hash, last_login, created_by, created_at, updated_at) VALUES
  (E'ci, "bot"\nv2', 'client-ci', 'not-a-secret', '2024-05-04 00:00:00+00', 'admin@acme.io', '2024-05-01 15:00:00+00', '2024-05-01 15:00:00+00');

SELECT runai.add_access_rule('user', 'admin@acme.io', 'System administrator', 'system') AS rule_admin;
SELECT runai.add_access_rule('user', 'dora@acme.io', 'Department administrator', 'department/vision') AS rule_dora;
SELECT runai.add_access_rule('user', 'rex@acme.io', 'L1 researcher', 'project/detect') AS rule_rex_detect;
SELECT runai.add_access_rule('user', 'rex@acme.io', 'L2 researcher', 'project/chat') AS rule_rex_chat;
SELECT runai.add_access_rule('group', E'vision, "core"\nteam', 'L2 researcher', 'department/vision') AS rule_group;
SELECT runai.add_access_rule('app', E'ci, "bot"\nv2', 'ML engineer', 'project/chat') AS rule_app;
SELECT runai.add_access_rule('user', 'nina@acme.io', 'Viewer', 'project/segment', now() + interval '1 day') AS rule_nina;
-- An expired rule (add_access_rule refuses a past expiry, so it is inserted directly).
INSERT INTO runai_internal.access_rules (subject_type, subject, role_id, scope, created_by, expires_at)
SELECT 'user', 'nina@acme.io', id, 'project/detect', 'postgres', now() - interval '1 day'
  FROM runai_internal.roles WHERE name = 'Viewer';

-- Database roles that act as the users (schema runai is usable by PUBLIC).
CREATE ROLE regress_views_admin;
CREATE ROLE regress_views_dora;
CREATE ROLE regress_views_rex;
CREATE ROLE regress_views_nina;
SELECT runai.bind_db_role('admin@acme.io', 'regress_views_admin'),
       runai.bind_db_role('dora@acme.io', 'regress_views_dora'),
       runai.bind_db_role('rex@acme.io', 'regress_views_rex'),
       runai.bind_db_role('nina@acme.io', 'regress_views_nina');

-- How many rows each view shows to the current role.
CREATE FUNCTION pg_temp.visible() RETURNS TABLE (roles bigint, role_permissions bigint, users bigint,
                                                 access_rules bigint, applications bigint, events bigint,
                                                 scopes bigint)
LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM runai.roles_table), (SELECT count(*) FROM runai.role_permissions_table),
         (SELECT count(*) FROM runai.users_table), (SELECT count(*) FROM runai.access_rules_table),
         (SELECT count(*) FROM runai.applications_table), (SELECT count(*) FROM runai.event_history),
         (SELECT count(*) FROM runai.scopes_table)
$$;

-- ===========================================================================
-- Who sees what
-- ===========================================================================

-- A database superuser sees every row (as it bypasses row-level security).
SELECT * FROM pg_temp.visible();
SELECT (SELECT count(*) FROM runai_internal.access_rules) AS rules_in_table, (SELECT count(*) FROM runai_internal.events) AS events_in_table;

-- The System administrator (at system) sees every row too.
SET ROLE regress_views_admin;
SELECT * FROM pg_temp.visible();
SELECT id, type, subject, role, scope, authorized_by, expires_at IS NOT NULL AS expires
  FROM runai.access_rules_table ORDER BY id;
SELECT "user", type, last_login, access_rules, created_by, creation_time, last_updated
  FROM runai.users_table ORDER BY "user";
SELECT * FROM runai.applications_table;
SELECT action, result, subject, subject_type, entity_type, entity_name, entity_id,
       details - 'expires_at' AS details, details ->> 'expires_at' IS NOT NULL AS expires
  FROM runai.event_history WHERE entity_type = 'access_rules' ORDER BY id;
SELECT * FROM runai.role_permissions_table WHERE entity IN ('Users', 'Access rules') AND role LIKE 'Department%' ORDER BY role, entity;
SELECT role, created_by, creation_time IS NOT NULL AS has_time, description
  FROM runai.roles_table WHERE role IN ('L1 researcher', 'Viewer') ORDER BY role;
-- Every scope, the root included (it holds tenant view at system).
SELECT scope, type, name, parent, created_by, creation_time IS NOT NULL AS has_time
  FROM runai.scopes_table ORDER BY scope;
RESET ROLE;

-- A Department administrator of vision: the roles, the users (users view), the
-- applications (apps view), no events (no events-history view), and only the rules
-- at vision and below.  The rule summaries list only what it may see: rex's rule at
-- project/chat, the application's rule and the administrator's rule at system are
-- left out.
SET ROLE regress_views_dora;
SELECT * FROM pg_temp.visible();
SELECT id, type, subject, role, scope FROM runai.access_rules_table ORDER BY id;
SELECT "user", access_rules FROM runai.users_table ORDER BY "user";
SELECT application, access_rules FROM runai.applications_table;
SELECT count(*) AS nina_rules_seen FROM runai.access_rules_table WHERE subject = 'user:nina@acme.io';
-- The scopes of its department: the department (department view) and its projects
-- (project view); not the cluster, the tenant or the root above it, nor nlp.
SELECT scope, type, name, parent FROM runai.scopes_table ORDER BY scope;
RESET ROLE;

-- An L1 and L2 researcher: nothing in any of these views but its own projects.
SET ROLE regress_views_rex;
SELECT * FROM pg_temp.visible();
SELECT * FROM runai.users_table;
SELECT scope, type, parent FROM runai.scopes_table ORDER BY scope;
RESET ROLE;

-- A Viewer (at a project): no view permission on any of these entities either, but
-- its project (its expired rule at project/detect shows nothing).
SET ROLE regress_views_nina;
SELECT * FROM pg_temp.visible();
SELECT scope FROM runai.scopes_table;
RESET ROLE;

-- A role without a Run:ai subject sees nothing.
SET ROLE regress_views_nobody;
SELECT * FROM pg_temp.visible();
-- and cannot go around the views.
SELECT count(*) FROM runai_internal.users;
SELECT count(*) FROM runai_internal.access_rules_within_reach;
RESET ROLE;

-- A rule change is seen by the views at once: rex becomes a Department
-- administrator of nlp and sees the rules there (and users), then loses it again.
SELECT runai.add_access_rule('user', 'rex@acme.io', 'Department administrator', 'department/nlp') AS rule_rex_nlp \gset
SET ROLE regress_views_rex;
SELECT subject, role, scope FROM runai.access_rules_table ORDER BY id;
SELECT count(*) AS users_seen FROM runai.users_table;
RESET ROLE;
SELECT runai.delete_access_rule(:rule_rex_nlp);
SET ROLE regress_views_rex;
SELECT count(*) AS rules_seen, (SELECT count(*) FROM runai.users_table) AS users_seen FROM runai.access_rules_table;
RESET ROLE;

-- ===========================================================================
-- No leaks through the caller's own functions
-- ===========================================================================

-- peek() records every value it is shown.  It is cheap and not leakproof, so
-- PostgreSQL would run it before a costlier condition if the view let it (given a
-- plain column, such as a rule's id, it costs less than the view's runai.can).
CREATE FUNCTION pg_temp.peek(v anyelement) RETURNS boolean LANGUAGE plpgsql STABLE COST 0.0001 AS $$
BEGIN
  PERFORM set_config('regress.seen', current_setting('regress.seen', true) || v::text || '|', false);
  RETURN true;
END
$$;
CREATE FUNCTION pg_temp.seen() RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(string_agg(replace(x, E'\n', '\n'), ' | ' ORDER BY x), '(nothing)')
    FROM unnest(string_to_array(current_setting('regress.seen', true), '|')) x WHERE x <> ''
$$;

SET ROLE regress_views_dora;
SELECT set_config('regress.seen', '', false) AS reset;
SELECT count(*) FROM runai.access_rules_table WHERE pg_temp.peek(subject);
SELECT pg_temp.seen() AS dora_peeked_at;
SELECT set_config('regress.seen', '', false) AS reset;
SELECT count(*) FROM runai.access_rules_table WHERE pg_temp.peek(id) AND pg_temp.peek(scope);
SELECT pg_temp.seen() AS dora_peeked_at;
RESET ROLE;

SET ROLE regress_views_rex;
SELECT set_config('regress.seen', '', false) AS reset;
SELECT count(*) FROM runai.users_table WHERE pg_temp.peek("user");
SELECT count(*) FROM runai.access_rules_table WHERE pg_temp.peek(subject) OR pg_temp.peek(id);
SELECT count(*) FROM runai.applications_table WHERE pg_temp.peek(application);
SELECT count(*) FROM runai.event_history WHERE pg_temp.peek(entity_name);
SELECT count(*) FROM runai.scopes_table WHERE pg_temp.peek(scope) AND pg_temp.peek(name);
SELECT pg_temp.seen() AS rex_peeked_at;
RESET ROLE;

SET ROLE regress_views_nobody;
SELECT set_config('regress.seen', '', false) AS reset;
SELECT count(*) FROM runai.users_table u JOIN runai.access_rules_table r ON pg_temp.peek(u."user" || r.subject);
SELECT count(*) FROM runai.roles_table WHERE pg_temp.peek(role);
SELECT count(*) FROM runai.scopes_table WHERE pg_temp.peek(scope) OR pg_temp.peek(parent);
SELECT pg_temp.seen() AS nobody_peeked_at;
RESET ROLE;

-- ===========================================================================
-- Plain SQL on the views: filter, search, sort, choose columns
-- ===========================================================================

SET ROLE regress_views_admin;
SELECT "user", type FROM runai.users_table WHERE "user" ILIKE '%ACME%' AND type = 'local'
 ORDER BY last_login DESC NULLS LAST, "user" LIMIT 3;
SELECT subject, role FROM runai.access_rules_table WHERE subject ILIKE 'group:%' OR role = 'ML engineer' ORDER BY id;
SELECT scope, count(*) FROM runai.access_rules_table GROUP BY scope ORDER BY count(*) DESC, scope::text LIMIT 3;
SELECT role, count(*) FILTER (WHERE "view") AS entities_viewed
  FROM runai.role_permissions_table GROUP BY role ORDER BY entities_viewed DESC, role LIMIT 3;
RESET ROLE;

-- ===========================================================================
-- CSV: COPY ... TO STDOUT, as each view's allowed subject
-- ===========================================================================

SET ROLE regress_views_admin;
COPY (SELECT * FROM runai.users_table ORDER BY "user") TO STDOUT WITH (FORMAT csv, HEADER);
COPY (SELECT * FROM runai.applications_table) TO STDOUT WITH (FORMAT csv, HEADER);
COPY (SELECT * FROM runai.role_permissions_table WHERE role = 'L1 researcher' AND entity LIKE 'W%') TO STDOUT WITH (FORMAT csv, HEADER);
COPY (SELECT id, type, subject, role, scope, authorized_by FROM runai.access_rules_table WHERE type <> 'user' ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER);
RESET ROLE;
SET ROLE regress_views_dora;
\copy (SELECT role, entity, "view", edit, "create", "delete" FROM runai.role_permissions_table WHERE role = 'Department administrator' AND entity LIKE 'Data%' ORDER BY entity, "view", edit, "create", "delete") TO STDOUT WITH (FORMAT csv, HEADER)
-- Every entity has its own display name: each role has one row per entity, and no two
-- rows of a role name the same entity.
SELECT count(*) AS rows, count(DISTINCT entity) AS entities
  FROM runai.role_permissions_table WHERE role = 'Department administrator';
RESET ROLE;

-- Round trips: each whole view exported with COPY (SELECT * ...) TO STDOUT by an
-- allowed subject (psql writes it to a file under results/), read back with \copy
-- into a table of the view's row type, and compared with the view row for row.
CREATE TEMP TABLE back_roles (LIKE runai.roles_table);
CREATE TEMP TABLE back_role_permissions (LIKE runai.role_permissions_table);
CREATE TEMP TABLE back_users (LIKE runai.users_table);
CREATE TEMP TABLE back_access_rules (LIKE runai.access_rules_table);
CREATE TEMP TABLE back_applications (LIKE runai.applications_table);
CREATE TEMP TABLE back_events (LIKE runai.event_history);
GRANT SELECT ON back_roles, back_role_permissions, back_users, back_access_rules, back_applications, back_events TO PUBLIC;

SET ROLE regress_views_admin;
\o results/views_roles.csv
COPY (SELECT * FROM runai.roles_table) TO STDOUT WITH (FORMAT csv, HEADER);
\o results/views_role_permissions.csv
COPY (SELECT * FROM runai.role_permissions_table) TO STDOUT WITH (FORMAT csv, HEADER);
\o results/views_users.csv
COPY (SELECT * FROM runai.users_table) TO STDOUT WITH (FORMAT csv, HEADER);
\o results/views_applications.csv
COPY (SELECT * FROM runai.applications_table) TO STDOUT WITH (FORMAT csv, HEADER);
\o results/views_events.csv
COPY (SELECT * FROM runai.event_history) TO STDOUT WITH (FORMAT csv, HEADER);
\o
RESET ROLE;
-- The Department administrator's own export of the access rules.
SET ROLE regress_views_dora;
\copy (SELECT * FROM runai.access_rules_table) TO 'results/views_access_rules.csv' WITH (FORMAT csv, HEADER)
RESET ROLE;

\copy back_roles FROM 'results/views_roles.csv' WITH (FORMAT csv, HEADER)
\copy back_role_permissions FROM 'results/views_role_permissions.csv' WITH (FORMAT csv, HEADER)
\copy back_users FROM 'results/views_users.csv' WITH (FORMAT csv, HEADER)
\copy back_applications FROM 'results/views_applications.csv' WITH (FORMAT csv, HEADER)
\copy back_events FROM 'results/views_events.csv' WITH (FORMAT csv, HEADER)
\copy back_access_rules FROM 'results/views_access_rules.csv' WITH (FORMAT csv, HEADER)

SET ROLE regress_views_admin;
SELECT 'roles_table' AS view, (SELECT count(*) FROM back_roles) AS rows_read,
       (SELECT count(*) FROM (SELECT * FROM back_roles EXCEPT ALL SELECT * FROM runai.roles_table) d) AS only_in_file,
       (SELECT count(*) FROM (SELECT * FROM runai.roles_table EXCEPT ALL SELECT * FROM back_roles) d) AS only_in_view
UNION ALL
SELECT 'role_permissions_table', (SELECT count(*) FROM back_role_permissions),
       (SELECT count(*) FROM (SELECT * FROM back_role_permissions EXCEPT ALL SELECT * FROM runai.role_permissions_table) d),
       (SELECT count(*) FROM (SELECT * FROM runai.role_permissions_table EXCEPT ALL SELECT * FROM back_role_permissions) d)
UNION ALL
SELECT 'users_table', (SELECT count(*) FROM back_users),
       (SELECT count(*) FROM (SELECT * FROM back_users EXCEPT ALL SELECT * FROM runai.users_table) d),
       (SELECT count(*) FROM (SELECT * FROM runai.users_table EXCEPT ALL SELECT * FROM back_users) d)
UNION ALL
SELECT 'applications_table', (SELECT count(*) FROM back_applications),
       (SELECT count(*) FROM (SELECT * FROM back_applications EXCEPT ALL SELECT * FROM runai.applications_table) d),
       (SELECT count(*) FROM (SELECT * FROM runai.applications_table EXCEPT ALL SELECT * FROM back_applications) d)
UNION ALL
SELECT 'event_history', (SELECT count(*) FROM back_events),
       (SELECT count(*) FROM (SELECT * FROM back_events EXCEPT ALL SELECT * FROM runai.event_history) d),
       (SELECT count(*) FROM (SELECT * FROM runai.event_history EXCEPT ALL SELECT * FROM back_events) d);
RESET ROLE;
SET ROLE regress_views_dora;
SELECT 'access_rules_table' AS view, (SELECT count(*) FROM back_access_rules) AS rows_read,
       (SELECT count(*) FROM (SELECT * FROM back_access_rules EXCEPT ALL SELECT * FROM runai.access_rules_table) d) AS only_in_file,
       (SELECT count(*) FROM (SELECT * FROM runai.access_rules_table EXCEPT ALL SELECT * FROM back_access_rules) d) AS only_in_view;
RESET ROLE;

-- The comma, quotes and newline came back unchanged.
SELECT "user", created_by, created_by IS NULL AS created_by_null FROM back_users ORDER BY "user";
SELECT "user", created_by = E'Doe, "Jane"\nAdmin' AS created_by_intact FROM back_users WHERE "user" = 'zed@acme.io';
SELECT application = E'ci, "bot"\nv2' AS name_intact FROM back_applications;
SELECT subject = E'group:vision, "core"\nteam' AS group_intact FROM back_access_rules WHERE type = 'group';

-- ===========================================================================
-- export_users_csv()
-- ===========================================================================

\pset format unaligned
\pset tuples_only on
SET ROLE regress_views_admin;
SELECT runai.export_users_csv();
RESET ROLE;
-- Other subjects get the header only (rex) or the rows they may see (dora).
SET ROLE regress_views_rex;
SELECT runai.export_users_csv();
RESET ROLE;
SET ROLE regress_views_dora;
SELECT runai.export_users_csv();
RESET ROLE;
\pset format aligned
\pset tuples_only off

-- The export is the very text of COPY (SELECT * FROM runai.users_table ORDER BY "user"
-- LIMIT 20000) TO STDOUT WITH (FORMAT csv, HEADER): compared line by line (psql ends
-- the value it prints with one more newline, which left() takes off).
SET ROLE regress_views_admin;
SELECT left(runai.export_users_csv(), -1) \g (format=unaligned tuples_only=on) results/views_export.csv
\o results/views_export_copy.csv
COPY (SELECT * FROM runai.users_table ORDER BY "user" LIMIT 20000) TO STDOUT WITH (FORMAT csv, HEADER);
\o
RESET ROLE;
CREATE TEMP TABLE export_lines (n int GENERATED ALWAYS AS IDENTITY, line text);
CREATE TEMP TABLE copy_lines (n int GENERATED ALWAYS AS IDENTITY, line text);
\copy export_lines (line) FROM 'results/views_export.csv' WITH (FORMAT text)
\copy copy_lines (line) FROM 'results/views_export_copy.csv' WITH (FORMAT text)
SELECT (SELECT count(*) FROM export_lines) AS export_lines, (SELECT count(*) FROM copy_lines) AS copy_lines,
       (SELECT count(*) FROM export_lines e FULL JOIN copy_lines c USING (n) WHERE e.line IS DISTINCT FROM c.line) AS differing_lines;

-- The cap: with 20,010 users the export has the first 20,000 (sorted by user) and
-- warns, with a detail and a hint, that 10 were left out.
INSERT INTO runai_internal.users (email, type, created_by, created_at, updated_at)
SELECT format('bulk%s@example.com', lpad(i::text, 5, '0')), 'sso', 'regress', '2024-06-01 00:00:00+00', '2024-06-01 00:00:00+00'
  FROM generate_series(1, 20005) i;
ANALYZE runai_internal.users;
SET ROLE regress_views_admin;
SELECT count(*) AS users_visible FROM runai.users_table;
\set VERBOSITY default
SELECT left(runai.export_users_csv(), -1) \g (format=unaligned tuples_only=on) results/views_export_capped.csv
\set VERBOSITY terse
RESET ROLE;
CREATE TEMP TABLE back_capped (LIKE runai.users_table);
GRANT SELECT ON back_capped TO PUBLIC;
\copy back_capped FROM 'results/views_export_capped.csv' WITH (FORMAT csv, HEADER)
SET ROLE regress_views_admin;
SELECT (SELECT count(*) FROM back_capped) AS rows_exported,
       (SELECT min("user") FROM back_capped) AS first, (SELECT max("user") FROM back_capped) AS last,
       (SELECT count(*) FROM (SELECT * FROM back_capped
                              EXCEPT ALL
                              (SELECT * FROM runai.users_table ORDER BY "user" LIMIT 20000)) d) AS not_in_view,
       (SELECT count(*) FROM back_capped WHERE "user" IN ('dora@acme.io', 'zed@acme.io')) AS cut_users_exported;
RESET ROLE;
-- No warning for a subject that sees no user: the header alone.
SET ROLE regress_views_rex;
SELECT length(runai.export_users_csv()) AS header_only_length;
RESET ROLE;

-- A page of 50 users sorted by last login reads a last-login index and stops after
-- 50 rows, so only 50 rule summaries are computed, whichever way NULLs sort; sorted
-- by a column without an index, the summaries are computed after the sort, for the
-- 50 rows returned.
CREATE FUNCTION pg_temp.page_plan(q text)
RETURNS TABLE (last_login_index text, sort boolean, summaries_computed int)
LANGUAGE plpgsql AS $$
DECLARE p jsonb;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || q INTO p;
  last_login_index := jsonb_path_query_first(p, '$.**."Index Name" ? (@ starts with "users_last_login")') #>> '{}';
  sort := jsonb_path_exists(p, '$.**."Node Type" ? (@ == "Sort")');
  summaries_computed := jsonb_path_query_first(p, '$.**.Plans[*] ? (@."Subplan Name" starts with "SubPlan")."Actual Loops"');
  RETURN NEXT;
END
$$;
SET ROLE regress_views_admin;
SELECT * FROM pg_temp.page_plan('SELECT * FROM runai.users_table ORDER BY last_login DESC NULLS LAST LIMIT 50');
SELECT * FROM pg_temp.page_plan('SELECT * FROM runai.users_table ORDER BY last_login DESC LIMIT 50');
SELECT * FROM pg_temp.page_plan('SELECT * FROM runai.users_table ORDER BY last_login LIMIT 50');
SELECT * FROM pg_temp.page_plan('SELECT * FROM runai.users_table ORDER BY creation_time DESC LIMIT 50');
RESET ROLE;

-- ===========================================================================
-- Clean up
-- ===========================================================================

DROP TABLE back_roles, back_role_permissions, back_users, back_access_rules, back_applications,
           back_events, back_capped, export_lines, copy_lines;
DROP EXTENSION runai_rbac;
DROP ROLE regress_views_admin, regress_views_dora, regress_views_rex, regress_views_nina, regress_views_nobody;
