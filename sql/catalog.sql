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
       (SELECT count(*) FROM runai_internal.roles) AS roles,
       (SELECT count(*) FROM runai_internal.role_permissions) AS matrix_cells,
       (SELECT count(*) FROM runai.workload_kinds) AS workload_kinds;

-- The 36 resource types, in the order of the data file.
SELECT id, name, display_name, "group" FROM runai.resource_types ORDER BY id;

-- The 18 roles: created by Run:ai, with a creation time and a description.
SELECT id, name, created_by, tenant_wide, in_seed_documents,
       created_at IS NOT NULL AND created_at <= now() AS has_creation_time,
       description
FROM runai_internal.roles ORDER BY id;

-- Exactly these four roles are tenant-wide.
SELECT name FROM runai_internal.roles WHERE tenant_wide ORDER BY name;

-- 12 roles are named by the seed documents, 6 were added later.
SELECT in_seed_documents, count(*) FROM runai_internal.roles GROUP BY 1 ORDER BY 1;

-- Every role has a row for every resource type (18 x 36), and no role grants
-- nothing at all.
SELECT count(*) AS missing_cells
FROM runai_internal.roles r CROSS JOIN runai.resource_types t
WHERE NOT EXISTS (SELECT 1 FROM runai_internal.role_permissions p
                  WHERE p.role_id = r.id AND p.resource_type_id = t.id);
SELECT r.name AS role_granting_nothing
FROM runai_internal.roles r
WHERE NOT EXISTS (SELECT 1 FROM runai_internal.role_permissions p
                  WHERE p.role_id = r.id AND p.actions OPERATOR(pg_catalog.<>) '{}'::runai.actionset);

-- A few well-known cells (the full matrix is checked by test/matrix.sql).
SELECT r.name AS role, t.name AS resource_type, p.actions
FROM runai_internal.role_permissions p
JOIN runai_internal.roles r ON r.id = p.role_id
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
FROM runai_internal.role_permissions p
JOIN runai_internal.roles r ON r.id = p.role_id
JOIN runai.resource_types t ON t.id = p.resource_type_id
WHERE t.name = 'tenant' AND p.actions OPERATOR(pg_catalog.@>) '{create}'::runai.actionset;

-- The 26 workload kinds: 3 native, 23 third-party.
SELECT origin, count(*) FROM runai.workload_kinds GROUP BY origin ORDER BY origin;
SELECT kind, api_group FROM runai.workload_kinds WHERE origin = 'native' ORDER BY kind;
SELECT string_agg(kind, ', ' ORDER BY kind) AS third_party
FROM runai.workload_kinds WHERE origin = 'third-party';

-- The scope tree holds exactly its root, system.
SELECT scope, parent, name, created_by FROM runai_internal.scopes;

-- ===========================================================================
-- The predefined tables cannot be changed, by a superuser either
-- ===========================================================================

SELECT current_setting('is_superuser') AS superuser;

-- (TRUNCATE ... CASCADE names the tables that reference these ones: not shown.)
SET client_min_messages = warning;
SELECT t.tbl, s.op, pg_temp.try(format(s.stmt, t.tbl, t.col)) AS result
FROM (VALUES (1, 'runai_internal.roles'::regclass, 'name'), (2, 'runai_internal.role_permissions', 'actions'),
             (3, 'runai.resource_types', 'display_name'), (4, 'runai.workload_kinds', 'kind')) t(n, tbl, col)
CROSS JOIN (VALUES
  (1, 'INSERT',   'INSERT INTO %s SELECT * FROM %1$s LIMIT 1'),
  (2, 'UPDATE',   'UPDATE %s SET %I = %2$I'),
  (3, 'DELETE',   'DELETE FROM %s'),
  (4, 'TRUNCATE', 'TRUNCATE %s CASCADE')) s(n, op, stmt)
ORDER BY t.n, s.n;
RESET client_min_messages;

-- The UPDATEs above change nothing; real edits are refused too.
SELECT pg_temp.try($$UPDATE runai_internal.roles SET created_by = 'me' WHERE name = 'Viewer'$$);
SELECT pg_temp.try($$UPDATE runai_internal.role_permissions SET actions = '{view,edit,create,delete}'$$);
SELECT pg_temp.try($$INSERT INTO runai_internal.roles (id, name, description, tenant_wide, in_seed_documents)
                     VALUES (30, 'Root', 'all', true, false)$$);
SELECT pg_temp.try($$DELETE FROM runai.workload_kinds WHERE kind = 'Pod'$$);

-- The refusal with its detail and hint.
\set VERBOSITY default
DELETE FROM runai_internal.roles WHERE name = 'Viewer';
\set VERBOSITY terse

-- The triggers also fire in replica mode (ENABLE ALWAYS), which skips ordinary ones.
SET session_replication_role = replica;
SELECT pg_temp.try($$DELETE FROM runai_internal.roles$$) AS replica_delete;
SELECT pg_temp.try($$TRUNCATE runai_internal.role_permissions$$) AS replica_truncate;
RESET session_replication_role;

-- Nothing changed.
SELECT (SELECT count(*) FROM runai_internal.roles) AS roles,
       (SELECT count(*) FROM runai_internal.role_permissions) AS matrix_cells,
       (SELECT count(*) FROM runai.resource_types) AS resource_types,
       (SELECT count(*) FROM runai.workload_kinds) AS workload_kinds,
       (SELECT created_by FROM runai_internal.roles WHERE name = 'Viewer') AS viewer_created_by;

-- ===========================================================================
-- The guarded triggers cannot be disabled or dropped
-- ===========================================================================

SELECT s.stmt, pg_temp.try(s.stmt) AS result
FROM (VALUES
  (1, 'ALTER TABLE runai_internal.roles DISABLE TRIGGER refuse_change'),
  (2, 'ALTER TABLE runai_internal.roles DISABLE TRIGGER ALL'),
  (3, 'ALTER TABLE runai_internal.roles DISABLE TRIGGER USER'),
  (4, 'DROP TRIGGER refuse_change ON runai_internal.role_permissions'),
  (5, 'DROP TRIGGER refuse_truncate ON runai.resource_types'),
  (6, 'ALTER TABLE runai.workload_kinds DISABLE TRIGGER refuse_truncate'),
  (7, 'ALTER TABLE runai_internal.access_rules DISABLE TRIGGER invalidate'),
  (8, 'ALTER TABLE runai_internal.access_rules ENABLE TRIGGER invalidate'),
  (9, 'ALTER TABLE runai_internal.access_rules ENABLE REPLICA TRIGGER refuse_update'),
  (10, 'DROP TRIGGER invalidate ON runai_internal.scopes'),
  (11, 'DROP TRIGGER append_only ON runai_internal.events'),
  (12, 'ALTER TABLE runai_internal.events DISABLE TRIGGER append_only_truncate'),
  (13, 'ALTER TRIGGER invalidate ON runai_internal.group_members RENAME TO renamed'),
  (14, 'DROP FUNCTION runai_internal.refuse_catalog_change() CASCADE'),
  (15, 'ALTER TABLE runai_internal.access_rules DISABLE TRIGGER USER')) s(n, stmt)
ORDER BY s.n;

-- Replica mode does not switch the guard off.
SET session_replication_role = replica;
SELECT pg_temp.try('ALTER TABLE runai_internal.roles DISABLE TRIGGER refuse_change') AS replica_disable;
SELECT pg_temp.try('DROP TRIGGER invalidate ON runai_internal.access_rules') AS replica_drop;
RESET session_replication_role;

\set VERBOSITY default
DROP TRIGGER invalidate ON runai_internal.users;
\set VERBOSITY terse

-- Every trigger of the catalog is still there and always enabled.
SELECT tgrelid::regclass AS tbl, tgname, tgenabled
FROM pg_trigger
WHERE tgrelid IN ('runai.resource_types'::regclass, 'runai_internal.roles'::regclass,
                  'runai_internal.role_permissions'::regclass, 'runai.workload_kinds'::regclass,
                  'runai_internal.scopes'::regclass, 'runai_internal.users'::regclass,
                  'runai_internal.group_members'::regclass, 'runai_internal.applications'::regclass,
                  'runai_internal.access_rules'::regclass, 'runai_internal.db_role_bindings'::regclass,
                  'runai_internal.events'::regclass)
  AND NOT tgisinternal
ORDER BY tgrelid::regclass::text, tgname;
SELECT evtname, evtenabled FROM pg_event_trigger WHERE evtname = 'runai_rbac_guard_triggers';

-- Other ALTER TABLE commands on the tables are not affected by the guard.
ALTER TABLE runai_internal.events ALTER COLUMN entity_type SET STATISTICS 200;
ALTER TABLE runai_internal.events ALTER COLUMN entity_type SET STATISTICS -1;

-- ===========================================================================
-- Privileges: PUBLIC reads and writes nothing but what the spec exposes
-- ===========================================================================

CREATE ROLE regress_catalog_user;

-- No table or sequence of the extension is readable or writable by an ordinary role,
-- except: the predefined resource types and workload kinds, which everyone may read,
-- and tables under forced row-level security, such as runai.workloads, which are
-- meant to be used by everyone and show each subject its own rows (with the id
-- sequence their inserts use).
SELECT c.oid::regclass AS accessible_by_public,
       has_table_privilege('regress_catalog_user', c.oid, 'SELECT') AS can_select,
       has_table_privilege('regress_catalog_user', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') AS can_write
FROM pg_class c
WHERE c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace) AND c.relkind IN ('r', 'p', 'S')
  AND NOT (c.relrowsecurity AND c.relforcerowsecurity)
  AND (has_table_privilege('regress_catalog_user', c.oid, 'SELECT')
       OR has_table_privilege('regress_catalog_user', c.oid, 'INSERT')
       OR has_table_privilege('regress_catalog_user', c.oid, 'UPDATE')
       OR has_table_privilege('regress_catalog_user', c.oid, 'DELETE')
       OR has_table_privilege('regress_catalog_user', c.oid, 'TRUNCATE')
       OR (c.relkind = 'S' AND has_sequence_privilege('regress_catalog_user', c.oid, 'USAGE, UPDATE')))
ORDER BY 1::text;

-- The internal functions an ordinary role may execute are exactly those that
-- PostgreSQL runs as the querying role: the types' support functions (with the
-- bodies of their operators) and row-level security's checks, key arrays, gate and
-- validation, and the registry of protected tables that runai.protect keeps as
-- the table's owner (sql/api.sql lists them one by one).
SELECT count(*) FILTER (WHERE p.proname ~ '^(scope|actionset|text)_') AS type_functions,
       count(*) FILTER (WHERE p.proname ~ '^rls_') AS rls_functions,
       count(*) FILTER (WHERE p.proname !~ '^(scope|actionset|text|rls)_') AS others
FROM pg_proc p
WHERE p.pronamespace = 'runai_internal'::regnamespace
  AND has_function_privilege('regress_catalog_user', p.oid, 'EXECUTE');
SELECT p.oid::regprocedure AS internal_function_executable_by_public
FROM pg_proc p
WHERE p.pronamespace = 'runai_internal'::regnamespace
  AND p.proname !~ '^(scope|actionset|text)_' AND p.proname !~ '^rls_(check|scope_keys|id_keys_.*|gate|validate|protected_sync)$'
  AND has_function_privilege('regress_catalog_user', p.oid, 'EXECUTE');

-- The schemas are usable (runai: its functions are the interface; runai_internal:
-- policies and restores name its functions), and nobody but the owner creates in them.
SELECT n.nspname,
       has_schema_privilege('regress_catalog_user', n.oid, 'USAGE') AS schema_usage,
       has_schema_privilege('regress_catalog_user', n.oid, 'CREATE') AS schema_create
FROM pg_namespace n WHERE n.nspname IN ('runai', 'runai_internal') ORDER BY 1;

-- Attempts, as that role.
SET ROLE regress_catalog_user;
SELECT s.stmt, pg_temp.try(s.stmt) AS result
FROM (VALUES
  (1, 'SELECT * FROM runai_internal.roles'),
  (2, 'SELECT * FROM runai_internal.role_permissions'),
  (3, 'SELECT * FROM runai.resource_types'),
  (4, 'SELECT * FROM runai.workload_kinds'),
  (5, 'SELECT * FROM runai_internal.scopes'),
  (6, 'SELECT * FROM runai_internal.access_rules'),
  (7, 'SELECT * FROM runai_internal.users'),
  (8, 'SELECT * FROM runai_internal.events'),
  (9, $$INSERT INTO runai_internal.scopes (scope, parent, name, created_by) VALUES ('tenant/x', 'system', 'x', 'x')$$),
  (10, $$INSERT INTO runai_internal.access_rules (subject_type, subject, role_id, scope, created_by) VALUES ('user', 'a@x.io', 0, 'system', 'x')$$),
  (11, $$INSERT INTO runai_internal.users (email, type, created_by) VALUES ('a@x.io', 'local', 'x')$$),
  (12, $$INSERT INTO runai_internal.group_members (user_id, group_name) VALUES (gen_random_uuid(), 'g')$$),
  (13, $$INSERT INTO runai_internal.db_role_bindings (db_role, user_id, created_by) VALUES ('regress_catalog_user', gen_random_uuid(), 'x')$$),
  (14, $$INSERT INTO runai_internal.events (action, result, entity_type) VALUES ('create', 'Succeeded', 'x')$$),
  (15, $$SELECT nextval('runai_internal.access_rules_id_seq')$$),
  (16, 'SELECT runai_internal.actor()'),
  (17, $$SELECT runai_internal.log_event('create', 'Succeeded', 'x', 'x', 'x')$$),
  (18, 'CREATE TABLE runai.mine (i int)'),
  (19, 'CREATE TABLE runai_internal.mine (i int)'),
  (20, $$SELECT runai_internal.require('users', 'view', 'system')$$),
  (21, $$INSERT INTO runai.resource_types VALUES (40, 'x', 'x', 'x')$$),
  (22, $$SELECT count(*) > 30 FROM runai.resource_types$$),
  (23, $$SELECT count(*) > 20 FROM runai.workload_kinds$$)) s(n, stmt)
ORDER BY s.n;
RESET ROLE;
DROP ROLE regress_catalog_user;

-- ===========================================================================
-- Comments, dumps
-- ===========================================================================

SELECT c.oid::regclass AS table_without_comment
FROM pg_class c
WHERE c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace) AND c.relkind = 'r'
  AND obj_description(c.oid, 'pg_class') IS NULL;
SELECT count(*) AS tables FROM pg_class c
WHERE c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace) AND c.relkind = 'r';

-- The tables that hold user data are dumped by pg_dump (the predefined ones are
-- recreated by CREATE EXTENSION); scopes without the root, which the extension makes.
SELECT t.tbl AS user_data_not_dumped
FROM (VALUES ('runai_internal.scopes'), ('runai_internal.users'), ('runai_internal.group_members'), ('runai_internal.applications'),
             ('runai_internal.access_rules'), ('runai_internal.access_rules_id_seq'), ('runai_internal.db_role_bindings'),
             ('runai_internal.events'), ('runai_internal.events_id_seq')) t(tbl)
WHERE NOT EXISTS (SELECT 1 FROM pg_extension e
                  WHERE e.extname = 'runai_rbac' AND t.tbl::regclass = ANY (e.extconfig));
SELECT c.oid::regclass AS predefined_dumped
FROM pg_extension e, unnest(e.extconfig) c(oid)
WHERE e.extname = 'runai_rbac'
  AND c.oid::regclass::text IN ('runai_internal.roles', 'runai_internal.role_permissions', 'runai.resource_types', 'runai.workload_kinds');
SELECT x.condition AS scopes_dump_condition
FROM pg_extension e, unnest(e.extconfig, e.extcondition) x(oid, condition)
WHERE e.extname = 'runai_rbac' AND x.oid = 'runai_internal.scopes'::regclass;

-- ===========================================================================
-- An incomplete catalog fails closed
-- ===========================================================================

-- The C code finds the extension's relations by name (src/catalog.h).  When one it
-- needs is gone, every check fails with an error that names it, rather than answer;
-- the guard keeps the tables and their triggers, an index can still be renamed.
SELECT runai.add_access_rule('group', 'regress-viewers', 'Viewer', 'system') IS NOT NULL AS rule_added;
SELECT runai.has_permission('group:regress-viewers', 'workloads', 'view', 'system') AS before_rename;
BEGIN;
ALTER INDEX runai_internal.users_email_key RENAME TO regress_renamed;
\set VERBOSITY default
SELECT runai.has_permission('group:regress-viewers', 'workloads', 'view', 'system');
\set VERBOSITY terse
ROLLBACK;
SELECT runai.has_permission('group:regress-viewers', 'workloads', 'view', 'system') AS after_rollback,
       runai.has_permission('group:regress-viewers', 'workloads', 'edit', 'system') AS no_edit;

-- ===========================================================================
-- DROP EXTENSION and CREATE EXTENSION again
-- ===========================================================================

-- A user-created scope disappears with the extension.
INSERT INTO runai_internal.scopes (scope, parent, name, created_by) VALUES ('tenant/regress', 'system', 'Regress', 'test');
SELECT count(*) AS operators_in_pg_catalog FROM pg_operator o
WHERE o.oprnamespace = 'pg_catalog'::regnamespace
  AND 'runai'::regnamespace IN ((SELECT typnamespace FROM pg_type WHERE oid = o.oprleft),
                                (SELECT typnamespace FROM pg_type WHERE oid = o.oprright));
DROP EXTENSION runai_rbac;
SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'runai'::regnamespace) AS relations_left,
       (SELECT count(*) FROM pg_proc WHERE pronamespace = 'runai'::regnamespace) AS functions_left,
       (SELECT count(*) FROM pg_type WHERE typnamespace = 'runai'::regnamespace) AS types_left,
       to_regnamespace('runai_internal') AS internal_schema_left,
       (SELECT count(*) FROM pg_operator o
         WHERE NOT EXISTS (SELECT 1 FROM pg_type t WHERE t.oid = o.oprleft) AND o.oprleft <> 0
            OR NOT EXISTS (SELECT 1 FROM pg_type t WHERE t.oid = o.oprright) AND o.oprright <> 0) AS operators_left;
SELECT count(*) AS guard_left FROM pg_event_trigger WHERE evtname = 'runai_rbac_guard_triggers';
CREATE EXTENSION runai_rbac;
SELECT (SELECT count(*) FROM runai.resource_types) AS resource_types,
       (SELECT count(*) FROM runai_internal.roles) AS roles,
       (SELECT count(*) FROM runai_internal.role_permissions) AS matrix_cells,
       (SELECT count(*) FROM runai.workload_kinds) AS workload_kinds,
       (SELECT string_agg(scope::text, ',') FROM runai_internal.scopes) AS scopes;
-- The new copy is guarded and immutable too.
SELECT pg_temp.try($$DELETE FROM runai_internal.roles$$) AS delete_roles;
SELECT pg_temp.try('DROP TRIGGER refuse_change ON runai_internal.roles') AS drop_trigger;
-- And the engine works against the new tables in this same session.
SELECT runai.create_scope('tenant', 'again', 'Again', 'system');
SELECT runai.can('workloads', 'view', 'tenant/again') AS nobody_can;
SELECT scope, parent, name FROM runai_internal.scopes ORDER BY scope;

DROP EXTENSION runai_rbac;
