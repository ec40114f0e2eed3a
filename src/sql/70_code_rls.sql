-- Code: row-level security on workload tables (SPEC section 5): the per-row checks
-- and their planner support (C, src/rls.c), runai.protect / runai.unprotect, and
-- the protection of runai.workloads (its table is in 30_data_catalog.sql).
--
-- A protected table has four permissive policies, one per command, each calling
-- runai_internal.rls_check on the row's scope column.  The check answers from the
-- per-backend decision cache; its planner support function estimates how much of
-- the table the current subject sees and, for a subject that sees little, gives
-- the planner the index condition
-- `scope_col = ANY(runai_internal.rls_..._keys(...))`, computed once per scan,
-- with the check kept as a filter; for a subject granted everything it replaces
-- the check by the one-time test runai_internal.rls_gate.
--
-- The policies run the checks as the querying user, and the planner puts the key
-- and gate functions into plans run as that user: they are executable by every
-- role (99_code_privileges.sql), and schema runai_internal is usable by every role
-- so that runai.protect (run by the table's owner) and a restore of a protected
-- table can name them.

-- ---------------------------------------------------------------------------
-- The checks
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runai_internal.rls_support(pg_catalog.internal) RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'rbac_rls_support' LANGUAGE C STRICT;
COMMENT ON FUNCTION runai_internal.rls_support(pg_catalog.internal) IS
  'Planner support of runai_internal.rls_check: selectivity and cost for the current subject, and an index condition on the scope column for a subject that sees little.';

-- Not LEAKPROOF: an unknown resource or action raises an error that names it.  The
-- policies' calls pass constants, and row-level security evaluates them before any
-- function of the user's query that is not leakproof.
CREATE OR REPLACE FUNCTION runai_internal.rls_check(scope runai.scope, resource pg_catalog.text, action pg_catalog.text)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'rbac_rls_check_scope'
LANGUAGE C STABLE STRICT PARALLEL SAFE SUPPORT runai_internal.rls_support;
COMMENT ON FUNCTION runai_internal.rls_check(runai.scope, pg_catalog.text, pg_catalog.text) IS
  'Row-level security check: may the current subject do the action on the resource type at the row''s scope? NULL (no row) for a NULL scope.';

CREATE OR REPLACE FUNCTION runai_internal.rls_check(id pg_catalog.text, scope_type pg_catalog.text, resource pg_catalog.text, action pg_catalog.text)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'rbac_rls_check_text'
LANGUAGE C STABLE STRICT PARALLEL SAFE SUPPORT runai_internal.rls_support;
COMMENT ON FUNCTION runai_internal.rls_check(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
  'Row-level security check for a column of scope ids: may the current subject do the action on the resource type at the scope <scope_type>/<id>?';

CREATE OR REPLACE FUNCTION runai_internal.rls_check(id pg_catalog.int4, scope_type pg_catalog.text, resource pg_catalog.text, action pg_catalog.text)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'rbac_rls_check_int4'
LANGUAGE C STABLE STRICT PARALLEL SAFE SUPPORT runai_internal.rls_support;
COMMENT ON FUNCTION runai_internal.rls_check(pg_catalog.int4, pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
  'Row-level security check for an integer column of scope ids (the id is the integer in decimal).';

CREATE OR REPLACE FUNCTION runai_internal.rls_check(id pg_catalog.int8, scope_type pg_catalog.text, resource pg_catalog.text, action pg_catalog.text)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'rbac_rls_check_int8'
LANGUAGE C STABLE STRICT PARALLEL SAFE SUPPORT runai_internal.rls_support;
COMMENT ON FUNCTION runai_internal.rls_check(pg_catalog.int8, pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
  'Row-level security check for a bigint column of scope ids (the id is the integer in decimal).';

CREATE OR REPLACE FUNCTION runai_internal.rls_check(id pg_catalog.uuid, scope_type pg_catalog.text, resource pg_catalog.text, action pg_catalog.text)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'rbac_rls_check_uuid'
LANGUAGE C STABLE STRICT PARALLEL SAFE SUPPORT runai_internal.rls_support;
COMMENT ON FUNCTION runai_internal.rls_check(pg_catalog.uuid, pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
  'Row-level security check for a uuid column of scope ids (the id is the uuid in its canonical lower-case form).';

-- The index keys of the scopes where the current subject may do the action.  The
-- planner support function puts them in index conditions, for subjects not granted
-- the action at the root (for those they raise an error: no list of keys finds
-- the rows whose scope is not in the tree).  They only reveal the caller's own
-- permissions, like runai.my_permissions().
CREATE OR REPLACE FUNCTION runai_internal.rls_scope_keys(resource pg_catalog.text, action pg_catalog.text)
RETURNS runai.scope[]
AS 'MODULE_PATHNAME', 'rbac_rls_keys' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.rls_scope_keys(pg_catalog.text, pg_catalog.text) IS
  'Every scope where the current subject may do the action on the resource type: the index condition of protected runai.scope columns.';

CREATE OR REPLACE FUNCTION runai_internal.rls_id_keys_text(scope_type pg_catalog.text, resource pg_catalog.text, action pg_catalog.text)
RETURNS pg_catalog.text[]
AS 'MODULE_PATHNAME', 'rbac_rls_keys' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.rls_id_keys_text(pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
  'The ids of the scopes of scope_type where the current subject may do the action: the index condition of protected text id columns.';

CREATE OR REPLACE FUNCTION runai_internal.rls_id_keys_integer(scope_type pg_catalog.text, resource pg_catalog.text, action pg_catalog.text)
RETURNS pg_catalog.int4[]
AS 'MODULE_PATHNAME', 'rbac_rls_keys' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.rls_id_keys_integer(pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
  'Like runai_internal.rls_id_keys_text, for integer id columns (ids that are not integers are left out).';

CREATE OR REPLACE FUNCTION runai_internal.rls_id_keys_bigint(scope_type pg_catalog.text, resource pg_catalog.text, action pg_catalog.text)
RETURNS pg_catalog.int8[]
AS 'MODULE_PATHNAME', 'rbac_rls_keys' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.rls_id_keys_bigint(pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
  'Like runai_internal.rls_id_keys_text, for bigint id columns (ids that are not integers are left out).';

CREATE OR REPLACE FUNCTION runai_internal.rls_id_keys_uuid(scope_type pg_catalog.text, resource pg_catalog.text, action pg_catalog.text)
RETURNS pg_catalog.uuid[]
AS 'MODULE_PATHNAME', 'rbac_rls_keys' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.rls_id_keys_uuid(pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
  'Like runai_internal.rls_id_keys_text, for uuid id columns (ids that are not canonical lower-case uuids are left out).';

-- The one-time test that replaces a policy's check in plans made for a subject
-- granted the action at the root (an InitPlan: no per-row filter at all).
CREATE OR REPLACE FUNCTION runai_internal.rls_gate(resource pg_catalog.text, action pg_catalog.text)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'rbac_rls_gate' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.rls_gate(pg_catalog.text, pg_catalog.text) IS
  'In plans of protected tables made for a subject granted the action at the root: true if the current subject still is, false if it is granted nothing; an error (the statement must be planned again) if it is granted part of the scope tree.';

CREATE OR REPLACE FUNCTION runai_internal.rls_validate(resource pg_catalog.text, scope_type pg_catalog.text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'rbac_rls_validate' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.rls_validate(pg_catalog.text, pg_catalog.text) IS
  'Raises the error runai.protect gives for an unknown resource type or an invalid scope type; does nothing otherwise.';

-- ---------------------------------------------------------------------------
-- The tables protect protected (runai_internal.protected_tables)
-- ---------------------------------------------------------------------------

-- Makes the registry tell the truth about one table: recorded while it carries
-- the runai_select policy, forgotten once it does not (or is gone).  SECURITY
-- DEFINER, and executable by every role, because runai.protect and
-- runai.unprotect run as the table's owner; since it can only make the registry
-- reflect the table as it is, calling it for any table does no harm.  (What counts
-- as protected when a scope is deleted is decided from the policy itself, by
-- runai_internal.protected_rows.)
CREATE OR REPLACE FUNCTION runai_internal.rls_protected_sync(tbl pg_catalog.regclass) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE kind "char";
BEGIN
  IF tbl IS NULL THEN
    RAISE EXCEPTION 'argument "tbl" must not be null'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'The function was called with NULL for "tbl".',
            HINT = 'Pass the table that runai.protect or runai.unprotect changed.';
  END IF;
  SELECT c.relkind INTO kind FROM pg_class c WHERE c.oid = tbl;
  IF FOUND AND kind NOT IN ('r', 'p') THEN
    RAISE EXCEPTION '"%" is not a table', tbl
      USING ERRCODE = 'wrong_object_type',
            DETAIL = 'Only tables and partitioned tables are protected.',
            HINT = 'Pass the table that runai.protect or runai.unprotect changed.';
  END IF;
  IF FOUND AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = tbl AND p.polname = 'runai_select') THEN
    INSERT INTO runai_internal.protected_tables (tbl) VALUES (tbl) ON CONFLICT DO NOTHING;
  ELSE
    DELETE FROM runai_internal.protected_tables t WHERE t.tbl = rls_protected_sync.tbl;
  END IF;
END
$$;
COMMENT ON FUNCTION runai_internal.rls_protected_sync(pg_catalog.regclass) IS
  'Records the table in runai_internal.protected_tables while it has the runai_select policy of runai.protect, and forgets it otherwise.';

CREATE OR REPLACE FUNCTION runai_internal.protected_rows(tbl pg_catalog.regclass, scope runai.scope) RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'rbac_protected_rows' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION runai_internal.protected_rows(pg_catalog.regclass, runai.scope) IS
  'Rows of a protected table (and of its partitions and children) at the scope, read without row-level security; NULL if the table is gone or no longer protected. Locks the tables in SHARE mode until the end of the transaction (src/protected.c).';

-- ---------------------------------------------------------------------------
-- protect / unprotect
-- ---------------------------------------------------------------------------

-- SECURITY INVOKER: only the table's owner (or a member of the owning role) may
-- change its row-level security, which PostgreSQL checks on ALTER TABLE and CREATE
-- POLICY; the function checks it first to say so clearly.
CREATE OR REPLACE FUNCTION runai.protect(tbl pg_catalog.regclass, scope_column pg_catalog.name,
                                         resource pg_catalog.text DEFAULT 'workloads',
                                         scope_type pg_catalog.text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  rel record;
  col record;
  basetype oid;
  key text;
  pol name;
BEGIN
  IF tbl IS NULL OR scope_column IS NULL OR resource IS NULL THEN
    RAISE EXCEPTION 'runai.protect needs a table, a scope column and a resource type'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'tbl, scope_column and resource must not be NULL.',
            HINT = 'For example: SELECT runai.protect(''my_workloads'', ''project'');';
  END IF;
  SELECT c.relkind, c.relowner INTO rel FROM pg_class c WHERE c.oid = tbl;
  IF rel.relkind NOT IN ('r', 'p') THEN
    RAISE EXCEPTION '"%" is not a table', tbl
      USING ERRCODE = 'wrong_object_type',
            DETAIL = 'Row-level security applies to tables and partitioned tables only.',
            HINT = 'Protect the table the view or other object reads from.';
  END IF;
  IF NOT pg_has_role(current_user, rel.relowner, 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of table % to protect it', tbl
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'runai.protect changes the table''s row-level security, which only its owner may do.',
            HINT = 'Ask the table''s owner to run runai.protect.';
  END IF;
  SELECT a.attnum, a.atttypid INTO col
    FROM pg_attribute a
   WHERE a.attrelid = tbl AND a.attname = scope_column AND a.attnum > 0 AND NOT a.attisdropped;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'column "%" of table % does not exist', scope_column, tbl
      USING ERRCODE = 'undefined_column',
            HINT = 'Name the column that holds each row''s scope (a runai.scope) or scope id.';
  END IF;
  -- the type behind any domain
  basetype := col.atttypid;
  WHILE (SELECT t.typtype FROM pg_type t WHERE t.oid = basetype) = 'd' LOOP
    basetype := (SELECT t.typbasetype FROM pg_type t WHERE t.oid = basetype);
  END LOOP;

  IF basetype = 'runai.scope'::regtype THEN
    IF scope_type IS NOT NULL THEN
      RAISE EXCEPTION 'scope_type must be NULL for a runai.scope column'
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = format('Column %I holds whole scopes, type included; scope_type is for columns of scope ids.', scope_column),
              HINT = 'Leave scope_type out.';
    END IF;
    PERFORM runai_internal.rls_validate(resource);
    key := format('%I', scope_column);
  ELSIF basetype IN ('text'::regtype, 'varchar'::regtype, 'int4'::regtype, 'int8'::regtype, 'uuid'::regtype) THEN
    IF scope_type IS NULL THEN
      RAISE EXCEPTION 'scope_type is needed for column "%" of type %', scope_column, format_type(col.atttypid, NULL)
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = 'A column of scope ids does not say which type of scope the ids belong to.',
              HINT = 'Pass scope_type => ''project'' (or tenant, cluster, department).';
    END IF;
    PERFORM runai_internal.rls_validate(resource, scope_type);
    key := format(CASE WHEN basetype IN ('text'::regtype, 'varchar'::regtype)
                       THEN '%I::pg_catalog.text, %L' ELSE '%I, %L' END,
                  scope_column, scope_type);
  ELSE
    RAISE EXCEPTION 'column "%" of type % cannot hold a scope', scope_column, format_type(col.atttypid, NULL)
      USING ERRCODE = 'datatype_mismatch',
            DETAIL = 'A protected table keeps each row''s scope in a runai.scope column, or its scope id in a text, integer, bigint or uuid column.',
            HINT = 'Add a column of one of these types, or protect a different column.';
  END IF;

  FOR pol IN SELECT p.polname FROM pg_policy p
              WHERE p.polrelid = tbl AND p.polname IN ('runai_select', 'runai_insert', 'runai_update', 'runai_delete') LOOP
    EXECUTE format('DROP POLICY %I ON %s', pol, tbl);
  END LOOP;
  EXECUTE format('CREATE POLICY runai_select ON %s AS PERMISSIVE FOR SELECT TO PUBLIC USING (runai_internal.rls_check(%s, %L, %L))',
                 tbl, key, resource, 'view');
  EXECUTE format('CREATE POLICY runai_insert ON %s AS PERMISSIVE FOR INSERT TO PUBLIC WITH CHECK (runai_internal.rls_check(%s, %L, %L))',
                 tbl, key, resource, 'create');
  EXECUTE format('CREATE POLICY runai_update ON %s AS PERMISSIVE FOR UPDATE TO PUBLIC USING (runai_internal.rls_check(%s, %L, %L)) WITH CHECK (runai_internal.rls_check(%s, %L, %L))',
                 tbl, key, resource, 'edit', key, resource, 'edit');
  EXECUTE format('CREATE POLICY runai_delete ON %s AS PERMISSIVE FOR DELETE TO PUBLIC USING (runai_internal.rls_check(%s, %L, %L))',
                 tbl, key, resource, 'delete');
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', tbl);
  PERFORM runai_internal.rls_protected_sync(tbl);
END
$$;
COMMENT ON FUNCTION runai.protect(pg_catalog.regclass, pg_catalog.name, pg_catalog.text, pg_catalog.text) IS
  'Enables and forces row-level security on a table with four policies (runai_select needs view, runai_insert create, runai_update edit on the old and the new row, runai_delete delete) at the scope in scope_column: a runai.scope, or a text, integer, bigint or uuid id of a scope of scope_type. Idempotent. Other permissive policies of the table would widen access. Records the table in runai_internal.protected_tables: runai.delete_scope is refused while it has rows at the scope. Needs ownership of the table.';

CREATE OR REPLACE FUNCTION runai.unprotect(tbl pg_catalog.regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  owner oid;
  pol name;
  dropped boolean := false;
BEGIN
  IF tbl IS NULL THEN
    RAISE EXCEPTION 'runai.unprotect needs a table'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'tbl must not be NULL.',
            HINT = 'For example: SELECT runai.unprotect(''my_workloads'');';
  END IF;
  SELECT c.relowner INTO owner FROM pg_class c WHERE c.oid = tbl;
  IF NOT pg_has_role(current_user, owner, 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of table % to unprotect it', tbl
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'runai.unprotect changes the table''s row-level security, which only its owner may do.',
            HINT = 'Ask the table''s owner to run runai.unprotect.';
  END IF;
  FOR pol IN SELECT p.polname FROM pg_policy p
              WHERE p.polrelid = tbl AND p.polname IN ('runai_select', 'runai_insert', 'runai_update', 'runai_delete') LOOP
    EXECUTE format('DROP POLICY %I ON %s', pol, tbl);
    dropped := true;
  END LOOP;
  -- row-level security stays on while the table has policies of its own, and is
  -- left alone on a table that was not protected
  IF dropped AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = tbl) THEN
    EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY', tbl);
  END IF;
  PERFORM runai_internal.rls_protected_sync(tbl);
END
$$;
COMMENT ON FUNCTION runai.unprotect(pg_catalog.regclass) IS
  'Undoes runai.protect: drops its four policies and, unless the table has other policies, disables row-level security. A table that is not protected is left as it is. Needs ownership of the table.';

-- ---------------------------------------------------------------------------
-- runai.workloads
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runai_internal.workloads_stamp() RETURNS trigger
AS 'MODULE_PATHNAME', 'rbac_rls_workloads_stamp' LANGUAGE C;
COMMENT ON FUNCTION runai_internal.workloads_stamp() IS
  'Trigger: created_by is the subject that inserts the row; an update keeps created_by and created_at and sets updated_at.';
CREATE OR REPLACE TRIGGER stamp BEFORE INSERT OR UPDATE ON runai.workloads
  FOR EACH ROW EXECUTE FUNCTION runai_internal.workloads_stamp();

-- protect is idempotent: replaying this part recreates the same policies.
SELECT runai.protect('runai.workloads', 'project');
