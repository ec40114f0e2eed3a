-- Code: the triggers that keep the catalog's tables correct and every backend's
-- cache coherent.
--
-- Replaying this part on an existing installation (as an upgrade script does)
-- replaces the functions and the triggers: CREATE OR REPLACE TRIGGER makes a
-- trigger merely enabled, so each one is set ENABLE ALWAYS again at once, before
-- the next statement that the guard (95_code_guard.sql) checks.

-- ---------------------------------------------------------------------------
-- The predefined catalog is immutable
-- ---------------------------------------------------------------------------

-- The predefined catalog cannot be changed by anyone, owner and superusers included:
-- the triggers refuse every row change and TRUNCATE, and fire in every
-- session_replication_role.  Each trigger names its table in its argument: on a
-- Citus cluster the trigger also fires on every node's placement of the table
-- (runai_internal.<table>_<shard id>), whose name is not the table's.  The one
-- exception is runai.distribute_catalog, which empties the coordinator's own copy
-- (Citus's shell) of each table once its rows are in the placements.
CREATE OR REPLACE FUNCTION runai_internal.refuse_catalog_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE tbl text := coalesce(TG_ARGV[0], format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME));
BEGIN
  IF TG_OP = 'TRUNCATE' AND runai_internal.distributing() THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'the predefined catalog table % cannot be changed', tbl
    USING ERRCODE = 'insufficient_privilege',
          DETAIL = format('%s on %s was refused: predefined roles, resource types, permissions and workload kinds are fixed.',
                          TG_OP, tbl),
          HINT = 'Give a subject different permissions with runai.add_access_rule and one of the predefined roles.';
END
$$;
COMMENT ON FUNCTION runai_internal.refuse_catalog_change() IS 'Trigger: refuses every change to the predefined catalog (argument: the table''s name).';

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['runai.resource_types', 'runai_internal.roles', 'runai_internal.role_permissions',
                           'runai.workload_kinds'] LOOP
    EXECUTE format('CREATE OR REPLACE TRIGGER refuse_change BEFORE INSERT OR UPDATE OR DELETE ON %s
                      FOR EACH ROW EXECUTE FUNCTION runai_internal.refuse_catalog_change(%L)', t, t);
    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER refuse_change', t);
    EXECUTE format('CREATE OR REPLACE TRIGGER refuse_truncate BEFORE TRUNCATE ON %s
                      FOR EACH STATEMENT EXECUTE FUNCTION runai_internal.refuse_catalog_change(%L)', t, t);
    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER refuse_truncate', t);
  END LOOP;
END
$$;

-- ---------------------------------------------------------------------------
-- The root of the scope tree on restore
-- ---------------------------------------------------------------------------

-- CREATE EXTENSION makes the root, so a restore finds it already there: the dumped
-- root (whose name may have been changed) updates it instead of failing as a duplicate.
-- It reads and changes the relation the row goes into (TG_RELID): the table, or
-- on a Citus cluster this node's placement of it, where every node does the same.
CREATE OR REPLACE FUNCTION runai_internal.restore_system_scope() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE present boolean;
BEGIN
  IF NEW.scope OPERATOR(pg_catalog.<>) 'system'::runai.scope THEN
    RETURN NEW;
  END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE scope OPERATOR(pg_catalog.=) ''system''::runai.scope)',
                 TG_RELID::regclass) INTO present;
  IF present THEN
    EXECUTE format('UPDATE %s SET name = $1, created_at = $2, updated_at = $3 WHERE scope OPERATOR(pg_catalog.=) ''system''::runai.scope',
                   TG_RELID::regclass) USING NEW.name, NEW.created_at, NEW.updated_at;
    RETURN NULL;
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION runai_internal.restore_system_scope() IS
  'Trigger: inserting the system scope again (as a restore does) updates the existing root instead.';
CREATE OR REPLACE TRIGGER restore_system BEFORE INSERT ON runai_internal.scopes
  FOR EACH ROW EXECUTE FUNCTION runai_internal.restore_system_scope();
ALTER TABLE runai_internal.scopes ENABLE ALWAYS TRIGGER restore_system;

-- ---------------------------------------------------------------------------
-- The scope tree every backend shares (src/scopetree.c)
-- ---------------------------------------------------------------------------

-- These triggers record a transaction's changes of the scopes: its own lookups see
-- them at once, and its commit applies them to the tree in shared memory.
CREATE OR REPLACE FUNCTION runai_internal.scope_tree_trigger() RETURNS trigger
AS 'MODULE_PATHNAME', 'rbac_tree_trigger' LANGUAGE C;
COMMENT ON FUNCTION runai_internal.scope_tree_trigger() IS
  'Trigger: records the transaction''s changes of the scope tree for the tree every session shares; refuses to change a scope''s key or parent.';
CREATE OR REPLACE TRIGGER scope_tree AFTER INSERT OR UPDATE OR DELETE ON runai_internal.scopes
  FOR EACH ROW EXECUTE FUNCTION runai_internal.scope_tree_trigger();
ALTER TABLE runai_internal.scopes ENABLE ALWAYS TRIGGER scope_tree;
CREATE OR REPLACE TRIGGER scope_tree_truncate AFTER TRUNCATE ON runai_internal.scopes
  FOR EACH STATEMENT EXECUTE FUNCTION runai_internal.scope_tree_trigger();
ALTER TABLE runai_internal.scopes ENABLE ALWAYS TRIGGER scope_tree_truncate;

-- ---------------------------------------------------------------------------
-- Cache invalidation
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runai_internal.invalidate_cache() RETURNS trigger
AS 'MODULE_PATHNAME', 'rbac_invalidate_trigger' LANGUAGE C;
COMMENT ON FUNCTION runai_internal.invalidate_cache() IS
  'Statement trigger: tells every backend to drop the permissions it cached from this table.';

DO $$
DECLARE t regclass;
BEGIN
  FOREACH t IN ARRAY ARRAY['runai_internal.scopes', 'runai_internal.access_rules', 'runai_internal.group_members',
                           'runai_internal.db_role_bindings']::regclass[] LOOP
    EXECUTE format('CREATE OR REPLACE TRIGGER invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s
                      FOR EACH STATEMENT EXECUTE FUNCTION runai_internal.invalidate_cache()', t);
    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER invalidate', t);
  END LOOP;
END
$$;
-- Checks read only the identity columns of users and applications: a sign-in,
-- which updates last_login, must not flush every backend's cache.
CREATE OR REPLACE TRIGGER invalidate AFTER INSERT OR UPDATE OF id, email OR DELETE OR TRUNCATE ON runai_internal.users
  FOR EACH STATEMENT EXECUTE FUNCTION runai_internal.invalidate_cache();
ALTER TABLE runai_internal.users ENABLE ALWAYS TRIGGER invalidate;
CREATE OR REPLACE TRIGGER invalidate AFTER INSERT OR UPDATE OF id, name OR DELETE OR TRUNCATE ON runai_internal.applications
  FOR EACH STATEMENT EXECUTE FUNCTION runai_internal.invalidate_cache();
ALTER TABLE runai_internal.applications ENABLE ALWAYS TRIGGER invalidate;
-- Ending a session (UPDATE, DELETE, TRUNCATE) must reach every connection that
-- uses it; a new session concerns nobody yet, so INSERT sends nothing.
CREATE OR REPLACE TRIGGER invalidate AFTER UPDATE OR DELETE OR TRUNCATE ON runai_internal.sessions
  FOR EACH STATEMENT EXECUTE FUNCTION runai_internal.invalidate_cache();
ALTER TABLE runai_internal.sessions ENABLE ALWAYS TRIGGER invalidate;
