-- The catalog: predefined data loaded from data/*.csv (resource types, roles, the
-- permission matrix, workload kinds), the root scope, immutability of the predefined
-- tables (also for superusers), privileges, dump registration, the trigger guard and
-- DROP / CREATE EXTENSION.  The matrix cell by cell is test/matrix.sql (pgTAP).
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

-- ===========================================================================
-- Predefined data
-- ===========================================================================

SELECT (SELECT count(*) FROM runai.resource_types) AS resource_types,
       (SELECT count(*) FROM runai.roles) AS roles,
       (SELECT count(*) FROM runai.role_permissions) AS matrix_cells,
       (SELECT count(*) FROM runai.workload_kinds) AS workload_kinds;

-- The 36 resource types, in the order of the data file.
SELECT id, name, display_name, "group" FROM runai.resource_types ORDER BY id;

-- The 18 roles: created by Run:ai, with a creation time and a description.
SELECT id, name, created_by, tenant_wide, in_seed_documents,
       created_at IS NOT NULL AND created_at <= now() AS has_creation_time,
       description
FROM runai.roles ORDER BY id;

-- Exactly these four roles are tenant-wide.
SELECT name FROM runai.roles WHERE tenant_wide ORDER BY name;

-- 12 roles are named by the seed documents, 6 were added later.
SELECT in_seed_documents, count(*) FROM runai.roles GROUP BY 1 ORDER BY 1;

-- Every role has a row for every resource type (18 x 36), and no role grants
-- nothing at all.
SELECT count(*) AS missing_cells
FROM runai.roles r CROSS JOIN runai.resource_types t
WHERE NOT EXISTS (SELECT 1 FROM runai.role_permissions p
                  WHERE p.role_id = r.id AND p.resource_type_id = t.id);
SELECT r.name AS role_granting_nothing
FROM runai.roles r
WHERE NOT EXISTS (SELECT 1 FROM runai.role_permissions p
                  WHERE p.role_id = r.id AND p.actions OPERATOR(runai.<>) '{}'::runai.actionset);

-- A few well-known cells (the full matrix is checked by test/matrix.sql).
SELECT r.name AS role, t.name AS resource_type, p.actions
FROM runai.role_permissions p
JOIN runai.roles r ON r.id = p.role_id
JOIN runai.resource_types t ON t.id = p.resource_type_id
WHERE (r.name, t.name) IN (('System administrator', 'tenant'),
                           ('System administrator', 'access_rules'),
                           ('Department administrator', 'department'),
                           ('Department administrator', 'project'),
                           ('L1 researcher', 'workloads'),
                           ('L1 researcher', 'inferences'),
                           ('L1 researcher', 'access_rules'),
                           ('Viewer', 'workloads'))
ORDER BY r.id, t.id;

-- No predefined role may create a tenant (tenants are made by a superuser).
SELECT r.name AS role_creating_tenants
FROM runai.role_permissions p
JOIN runai.roles r ON r.id = p.role_id
JOIN runai.resource_types t ON t.id = p.resource_type_id
WHERE t.name = 'tenant' AND p.actions OPERATOR(runai.@>) '{create}'::runai.actionset;

-- The 26 workload kinds: 3 native, 23 third-party.
SELECT origin, count(*) FROM runai.workload_kinds GROUP BY origin ORDER BY origin;
SELECT kind, api_group FROM runai.workload_kinds WHERE origin = 'native' ORDER BY kind;
SELECT string_agg(kind, ', ' ORDER BY kind) AS third_party
FROM runai.workload_kinds WHERE origin = 'third-party';

-- The scope tree holds exactly its root, system.
SELECT scope, parent, name, created_by FROM runai.scopes;

-- ===========================================================================
-- The predefined tables cannot be changed, by a superuser either
-- ===========================================================================

SELECT current_setting('is_superuser') AS superuser;

-- (TRUNCATE ... CASCADE names the tables that reference these ones: not shown.)
SET client_min_messages = warning;
SELECT t.tbl, s.op, pg_temp.try(format(s.stmt, t.tbl, t.col)) AS result
FROM (VALUES (1, 'roles', 'name'), (2, 'role_permissions', 'actions'),
             (3, 'resource_types', 'display_name'), (4, 'workload_kinds', 'kind')) t(n, tbl, col)
CROSS JOIN (VALUES
  (1, 'INSERT',   'INSERT INTO runai.%I SELECT * FROM runai.%1$I LIMIT 1'),
  (2, 'UPDATE',   'UPDATE runai.%I SET %I = %2$I'),
  (3, 'DELETE',   'DELETE FROM runai.%I'),
  (4, 'TRUNCATE', 'TRUNCATE runai.%I CASCADE')) s(n, op, stmt)
ORDER BY t.n, s.n;
RESET client_min_messages;

-- The UPDATEs above change nothing; real edits are refused too.
SELECT pg_temp.try($$UPDATE runai.roles SET created_by = 'me' WHERE name = 'Viewer'$$);
SELECT pg_temp.try($$UPDATE runai.role_permissions SET actions = '{view,edit,create,delete}'$$);
SELECT pg_temp.try($$INSERT INTO runai.roles (id, name, description, tenant_wide, in_seed_documents)
                     VALUES (30, 'Root', 'all', true, false)$$);
SELECT pg_temp.try($$DELETE FROM runai.workload_kinds WHERE kind = 'Pod'$$);

-- The refusal with its detail and hint.
\set VERBOSITY default
DELETE FROM runai.roles WHERE name = 'Viewer';
\set VERBOSITY terse

-- The triggers also fire in replica mode (ENABLE ALWAYS), which skips ordinary ones.
SET session_replication_role = replica;
SELECT pg_temp.try($$DELETE FROM runai.roles$$) AS replica_delete;
SELECT pg_temp.try($$TRUNCATE runai.role_permissions$$) AS replica_truncate;
RESET session_replication_role;

-- Nothing changed.
SELECT (SELECT count(*) FROM runai.roles) AS roles,
       (SELECT count(*) FROM runai.role_permissions) AS matrix_cells,
       (SELECT count(*) FROM runai.resource_types) AS resource_types,
       (SELECT count(*) FROM runai.workload_kinds) AS workload_kinds,
       (SELECT created_by FROM runai.roles WHERE name = 'Viewer') AS viewer_created_by;

-- ===========================================================================
-- The guarded triggers cannot be disabled or dropped
-- ===========================================================================

SELECT s.stmt, pg_temp.try(s.stmt) AS result
FROM (VALUES
  (1, 'ALTER TABLE runai.roles DISABLE TRIGGER refuse_change'),
  (2, 'ALTER TABLE runai.roles DISABLE TRIGGER ALL'),
  (3, 'ALTER TABLE runai.roles DISABLE TRIGGER USER'),
  (4, 'DROP TRIGGER refuse_change ON runai.role_permissions'),
  (5, 'DROP TRIGGER refuse_truncate ON runai.resource_types'),
  (6, 'ALTER TABLE runai.workload_kinds DISABLE TRIGGER refuse_truncate'),
  (7, 'ALTER TABLE runai.access_rules DISABLE TRIGGER invalidate'),
  (8, 'ALTER TABLE runai.access_rules ENABLE TRIGGER invalidate'),
  (9, 'ALTER TABLE runai.access_rules ENABLE REPLICA TRIGGER refuse_update'),
  (10, 'DROP TRIGGER invalidate ON runai.scopes'),
  (11, 'DROP TRIGGER append_only ON runai.events'),
  (12, 'ALTER TABLE runai.events DISABLE TRIGGER append_only_truncate'),
  (13, 'ALTER TRIGGER invalidate ON runai.group_members RENAME TO renamed'),
  (14, 'DROP FUNCTION runai._refuse_catalog_change() CASCADE'),
  (15, 'ALTER TABLE runai.access_rules DISABLE TRIGGER USER')) s(n, stmt)
ORDER BY s.n;

-- Replica mode does not switch the guard off.
SET session_replication_role = replica;
SELECT pg_temp.try('ALTER TABLE runai.roles DISABLE TRIGGER refuse_change') AS replica_disable;
SELECT pg_temp.try('DROP TRIGGER invalidate ON runai.access_rules') AS replica_drop;
RESET session_replication_role;

\set VERBOSITY default
DROP TRIGGER invalidate ON runai.users;
\set VERBOSITY terse

-- Every trigger of the catalog is still there and always enabled.
SELECT tgrelid::regclass AS tbl, tgname, tgenabled
FROM pg_trigger
WHERE tgrelid IN ('runai.resource_types'::regclass, 'runai.roles'::regclass,
                  'runai.role_permissions'::regclass, 'runai.workload_kinds'::regclass,
                  'runai.scopes'::regclass, 'runai.users'::regclass,
                  'runai.group_members'::regclass, 'runai.applications'::regclass,
                  'runai.access_rules'::regclass, 'runai.db_role_bindings'::regclass,
                  'runai.events'::regclass)
  AND NOT tgisinternal
ORDER BY tgrelid::regclass::text, tgname;
SELECT evtname, evtenabled FROM pg_event_trigger WHERE evtname = 'runai_rbac_guard_triggers';

-- Other ALTER TABLE commands on the tables are not affected by the guard.
ALTER TABLE runai.events ALTER COLUMN entity_type SET STATISTICS 200;
ALTER TABLE runai.events ALTER COLUMN entity_type SET STATISTICS -1;

-- ===========================================================================
-- Privileges: PUBLIC reads and writes nothing but what the spec exposes
-- ===========================================================================

CREATE ROLE regress_catalog_user;

-- No table or sequence of schema runai is readable or writable by an ordinary role
-- (except tables under forced row-level security, such as runai.workloads, which are
-- meant to be used by everyone and show each subject its own rows).
SELECT c.relname AS accessible_by_public
FROM pg_class c
WHERE c.relnamespace = 'runai'::regnamespace AND c.relkind IN ('r', 'p', 'S')
  AND NOT (c.relrowsecurity AND c.relforcerowsecurity)
  AND (has_table_privilege('regress_catalog_user', c.oid, 'SELECT')
       OR has_table_privilege('regress_catalog_user', c.oid, 'INSERT')
       OR has_table_privilege('regress_catalog_user', c.oid, 'UPDATE')
       OR has_table_privilege('regress_catalog_user', c.oid, 'DELETE')
       OR has_table_privilege('regress_catalog_user', c.oid, 'TRUNCATE'));

-- No internal function (leading underscore) is executable by an ordinary role.
SELECT p.oid::regprocedure AS internal_function_executable_by_public
FROM pg_proc p
WHERE p.pronamespace = 'runai'::regnamespace AND p.proname LIKE '\_%'
  AND has_function_privilege('regress_catalog_user', p.oid, 'EXECUTE');

-- The schema itself is usable, so the public API can be called.
SELECT has_schema_privilege('regress_catalog_user', 'runai', 'USAGE') AS schema_usage,
       has_schema_privilege('regress_catalog_user', 'runai', 'CREATE') AS schema_create;

-- Attempts, as that role.
SET ROLE regress_catalog_user;
SELECT s.stmt, pg_temp.try(s.stmt) AS result
FROM (VALUES
  (1, 'SELECT * FROM runai.roles'),
  (2, 'SELECT * FROM runai.role_permissions'),
  (3, 'SELECT * FROM runai.resource_types'),
  (4, 'SELECT * FROM runai.workload_kinds'),
  (5, 'SELECT * FROM runai.scopes'),
  (6, 'SELECT * FROM runai.access_rules'),
  (7, 'SELECT * FROM runai.users'),
  (8, 'SELECT * FROM runai.events'),
  (9, $$INSERT INTO runai.scopes (scope, parent, name, created_by) VALUES ('tenant/x', 'system', 'x', 'x')$$),
  (10, $$INSERT INTO runai.access_rules (subject_type, subject, role_id, scope, created_by) VALUES ('user', 'a@x.io', 0, 'system', 'x')$$),
  (11, $$INSERT INTO runai.users (email, type, created_by) VALUES ('a@x.io', 'local', 'x')$$),
  (12, $$INSERT INTO runai.group_members (user_id, group_name) VALUES (gen_random_uuid(), 'g')$$),
  (13, $$INSERT INTO runai.db_role_bindings (db_role, user_id, created_by) VALUES ('regress_catalog_user', gen_random_uuid(), 'x')$$),
  (14, $$INSERT INTO runai.events (action, result, entity_type) VALUES ('create', 'Succeeded', 'x')$$),
  (15, $$SELECT nextval('runai.access_rules_id_seq')$$),
  (16, 'SELECT runai._actor()'),
  (17, $$SELECT runai._log_event('create', 'Succeeded', 'x', 'x', 'x')$$),
  (18, 'CREATE TABLE runai.mine (i int)')) s(n, stmt)
ORDER BY s.n;
RESET ROLE;
DROP ROLE regress_catalog_user;

-- ===========================================================================
-- Comments, dumps
-- ===========================================================================

SELECT c.relname AS table_without_comment
FROM pg_class c
WHERE c.relnamespace = 'runai'::regnamespace AND c.relkind = 'r'
  AND c.relname IN ('resource_types', 'roles', 'role_permissions', 'workload_kinds', 'scopes',
                    'users', 'group_members', 'applications', 'access_rules',
                    'db_role_bindings', 'events')
  AND obj_description(c.oid, 'pg_class') IS NULL;

-- The tables that hold user data are dumped by pg_dump (the predefined ones are
-- recreated by CREATE EXTENSION); scopes without the root, which the extension makes.
SELECT t.tbl AS user_data_not_dumped
FROM (VALUES ('runai.scopes'), ('runai.users'), ('runai.group_members'), ('runai.applications'),
             ('runai.access_rules'), ('runai.access_rules_id_seq'), ('runai.db_role_bindings'),
             ('runai.events'), ('runai.events_id_seq')) t(tbl)
WHERE NOT EXISTS (SELECT 1 FROM pg_extension e
                  WHERE e.extname = 'runai_rbac' AND t.tbl::regclass = ANY (e.extconfig));
SELECT c.oid::regclass AS predefined_dumped
FROM pg_extension e, unnest(e.extconfig) c(oid)
WHERE e.extname = 'runai_rbac'
  AND c.oid::regclass::text IN ('runai.roles', 'runai.role_permissions', 'runai.resource_types', 'runai.workload_kinds');
SELECT x.condition AS scopes_dump_condition
FROM pg_extension e, unnest(e.extconfig, e.extcondition) x(oid, condition)
WHERE e.extname = 'runai_rbac' AND x.oid = 'runai.scopes'::regclass;

-- ===========================================================================
-- DROP EXTENSION and CREATE EXTENSION again
-- ===========================================================================

-- A user-created scope disappears with the extension.
INSERT INTO runai.scopes (scope, parent, name, created_by) VALUES ('tenant/regress', 'system', 'Regress', 'test');
DROP EXTENSION runai_rbac;
SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'runai'::regnamespace) AS relations_left,
       (SELECT count(*) FROM pg_proc WHERE pronamespace = 'runai'::regnamespace) AS functions_left,
       (SELECT count(*) FROM pg_type WHERE typnamespace = 'runai'::regnamespace) AS types_left;
SELECT count(*) AS guard_left FROM pg_event_trigger WHERE evtname = 'runai_rbac_guard_triggers';
CREATE EXTENSION runai_rbac;
SELECT (SELECT count(*) FROM runai.resource_types) AS resource_types,
       (SELECT count(*) FROM runai.roles) AS roles,
       (SELECT count(*) FROM runai.role_permissions) AS matrix_cells,
       (SELECT count(*) FROM runai.workload_kinds) AS workload_kinds,
       (SELECT string_agg(scope::text, ',') FROM runai.scopes) AS scopes;
-- The new copy is guarded and immutable too.
SELECT pg_temp.try($$DELETE FROM runai.roles$$) AS delete_roles;
SELECT pg_temp.try('DROP TRIGGER refuse_change ON runai.roles') AS drop_trigger;
-- And the engine works against the new tables in this same session.
SELECT runai.create_scope('tenant', 'again', 'Again', 'system');
SELECT runai.can('workloads', 'view', 'tenant/again') AS nobody_can;
SELECT scope, parent, name FROM runai.scopes ORDER BY scope;

DROP EXTENSION runai_rbac;
