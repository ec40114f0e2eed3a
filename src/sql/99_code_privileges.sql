-- Code: privileges, and the comments every part leaves to this one.
--
-- Schema runai holds the documented interface.  Its functions are executable by
-- every role (they check the caller's permissions themselves), except
-- runai.sso_sign_in, which trusts the email and groups it is given: an
-- administrator grants it to the identity-provider bridge only.  Its views are
-- readable by every role (they show each subject only its rows), as are the
-- predefined resource types and workload kinds; runai.workloads is protected by
-- row-level security.
--
-- Schema runai_internal holds everything else, revoked from PUBLIC: the tables are
-- read and written only through the functions of runai (which run as the owner)
-- and the C code.  Granted back is exactly what ordinary roles run as themselves:
--  - the support functions of the types, including the bodies of the operators in
--    pg_catalog, which PostgreSQL runs as the querying role;
--  - the row-level security functions: the checks the policies call, the key
--    arrays and the gate the planner puts into plans of protected tables, and the
--    validation and the registry of protected tables (rls_protected_sync, SECURITY
--    DEFINER, which can only make the registry match the table's policies) that
--    runai.protect and runai.unprotect call as the table's owner.
-- The planner support function needs no grant: PostgreSQL calls it without a
-- privilege check.
--
-- USAGE on schema runai_internal is granted to PUBLIC.  A policy created by
-- runai.protect names runai_internal.rls_check: runai.protect runs as the table's
-- owner, who must be able to name it, and so must whoever restores a dump of the
-- table (pg_dump writes the policy's expression with the schema name).  USAGE only
-- lets a role look names up; every object in the schema keeps its own privileges
-- (none for PUBLIC but the functions above), so it reveals nothing that pg_proc
-- and pg_class do not already show.
--
-- Replaying this part (an upgrade) first revokes everything from PUBLIC, then
-- grants the same again; grants made to other roles (the bridge's EXECUTE on
-- runai.sso_sign_in) are kept.

REVOKE ALL ON ALL TABLES IN SCHEMA runai, runai_internal FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA runai, runai_internal FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA runai_internal FROM PUBLIC;
GRANT USAGE ON SCHEMA runai, runai_internal TO PUBLIC;

-- ---------------------------------------------------------------------------
-- runai
-- ---------------------------------------------------------------------------

REVOKE ALL ON FUNCTION runai.sso_sign_in(text, text[]) FROM PUBLIC;

GRANT SELECT ON runai.resource_types, runai.workload_kinds TO PUBLIC;
GRANT SELECT ON runai.roles_table, runai.role_permissions_table, runai.users_table,
                runai.access_rules_table, runai.applications_table, runai.event_history,
                runai.scopes_table
  TO PUBLIC;

GRANT SELECT, INSERT, DELETE ON runai.workloads TO PUBLIC;
GRANT UPDATE (name, kind, project, status, gpu_request, spec) ON runai.workloads TO PUBLIC;
GRANT USAGE ON SEQUENCE runai.workloads_id_seq TO PUBLIC;

-- ---------------------------------------------------------------------------
-- runai_internal: what ordinary roles run as themselves
-- ---------------------------------------------------------------------------

-- The types' support functions and the bodies of their operators.
DO $$
DECLARE f regprocedure;
BEGIN
  FOR f IN
    SELECT p.oid::pg_catalog.regprocedure
      FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'runai_internal'::pg_catalog.regnamespace
       AND (p.oid IN (SELECT t.typinput FROM pg_catalog.pg_type t WHERE t.oid IN ('runai.scope'::pg_catalog.regtype, 'runai.actionset'::pg_catalog.regtype)
                      UNION ALL SELECT t.typoutput FROM pg_catalog.pg_type t WHERE t.oid IN ('runai.scope'::pg_catalog.regtype, 'runai.actionset'::pg_catalog.regtype)
                      UNION ALL SELECT t.typreceive FROM pg_catalog.pg_type t WHERE t.oid IN ('runai.scope'::pg_catalog.regtype, 'runai.actionset'::pg_catalog.regtype)
                      UNION ALL SELECT t.typsend FROM pg_catalog.pg_type t WHERE t.oid IN ('runai.scope'::pg_catalog.regtype, 'runai.actionset'::pg_catalog.regtype))
            OR p.oid IN (SELECT o.oprcode FROM pg_catalog.pg_operator o
                          WHERE o.oprleft IN ('runai.scope'::pg_catalog.regtype, 'runai.actionset'::pg_catalog.regtype)
                             OR o.oprright IN ('runai.scope'::pg_catalog.regtype, 'runai.actionset'::pg_catalog.regtype))
            OR p.oid IN (SELECT ap.amproc FROM pg_catalog.pg_amproc ap JOIN pg_catalog.pg_opfamily f ON f.oid = ap.amprocfamily
                          WHERE f.opfnamespace = 'runai_internal'::pg_catalog.regnamespace))
  LOOP
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO PUBLIC', f);
  END LOOP;
END
$$;

-- Row-level security.
GRANT EXECUTE ON FUNCTION
  runai_internal.rls_check(runai.scope, pg_catalog.text, pg_catalog.text),
  runai_internal.rls_check(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text),
  runai_internal.rls_check(pg_catalog.int4, pg_catalog.text, pg_catalog.text, pg_catalog.text),
  runai_internal.rls_check(pg_catalog.int8, pg_catalog.text, pg_catalog.text, pg_catalog.text),
  runai_internal.rls_check(pg_catalog.uuid, pg_catalog.text, pg_catalog.text, pg_catalog.text),
  runai_internal.rls_scope_keys(pg_catalog.text, pg_catalog.text),
  runai_internal.rls_id_keys_text(pg_catalog.text, pg_catalog.text, pg_catalog.text),
  runai_internal.rls_id_keys_integer(pg_catalog.text, pg_catalog.text, pg_catalog.text),
  runai_internal.rls_id_keys_bigint(pg_catalog.text, pg_catalog.text, pg_catalog.text),
  runai_internal.rls_id_keys_uuid(pg_catalog.text, pg_catalog.text, pg_catalog.text),
  runai_internal.rls_gate(pg_catalog.text, pg_catalog.text),
  runai_internal.rls_validate(pg_catalog.text, pg_catalog.text),
  runai_internal.rls_protected_sync(pg_catalog.regclass)
TO PUBLIC;

-- ---------------------------------------------------------------------------
-- Comments: the schemas, the bodies of the dispatched functions (uniform), the
-- id sequences.  Each part comments what it defines otherwise.
-- ---------------------------------------------------------------------------

COMMENT ON SCHEMA runai IS
  'Run:ai role-based access control (extension runai_rbac): the documented interface: checks, scopes, access rules, users, applications, row-level security, the tables for people and the types runai.scope and runai.actionset.';
COMMENT ON SCHEMA runai_internal IS
  'Internal objects of extension runai_rbac: the catalog tables and the functions behind schema runai. Not an interface: nothing here is executable or readable by ordinary roles except what row-level security and the types run as the querying role.';

DO $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT p.oid::pg_catalog.regprocedure AS twin, pub.oid::pg_catalog.regprocedure AS public_function
      FROM pg_catalog.pg_proc p
      JOIN pg_catalog.pg_proc pub ON pub.pronamespace = 'runai'::pg_catalog.regnamespace
                                 AND pub.proname = p.proname
                                 AND pub.proargtypes = p.proargtypes
     WHERE p.pronamespace = 'runai_internal'::pg_catalog.regnamespace
  LOOP
    EXECUTE pg_catalog.format('COMMENT ON FUNCTION %s IS %L', r.twin,
      pg_catalog.format('The body of %s, run as the extension owner with the caller recorded as the actor (src/dispatch.h). Executable by the owner only.',
                        r.public_function));
  END LOOP;
  FOR r IN
    SELECT s.oid::pg_catalog.regclass AS seq, d.refobjid::pg_catalog.regclass AS tbl
      FROM pg_catalog.pg_class s
      JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = s.oid
                                 AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')
     WHERE s.relnamespace IN ('runai'::pg_catalog.regnamespace, 'runai_internal'::pg_catalog.regnamespace)
       AND s.relkind = 'S'
  LOOP
    EXECUTE pg_catalog.format('COMMENT ON SEQUENCE %s IS %L', r.seq,
                              pg_catalog.format('Generates the ids of %s.', r.tbl));
  END LOOP;
END
$$;

-- ---------------------------------------------------------------------------
-- The privileges pg_dump takes for the extension's own
-- ---------------------------------------------------------------------------

-- PostgreSQL records the privileges an extension's scripts give its objects
-- (pg_init_privs), and pg_dump dumps only the changes made to them since.  A GRANT
-- or REVOKE run by a script records the object's whole ACL at that moment: replayed
-- by ALTER EXTENSION UPDATE, the statements above would record the grants that
-- administrators made to their own roles (SELECT on runai.workloads, EXECUTE on
-- runai.sso_sign_in for the identity-provider bridge) as the extension's, and a dump
-- of the updated database would leave them out.  The scripts grant to PUBLIC only,
-- so whatever they recorded for another role than PUBLIC and the object's owner is
-- taken out again.  (At CREATE EXTENSION there is nothing to take out.)
WITH obj AS (
  SELECT d.classid, d.objid,
         CASE d.classid
           WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = d.objid)
           WHEN 'pg_catalog.pg_proc'::pg_catalog.regclass THEN (SELECT p.proowner FROM pg_catalog.pg_proc p WHERE p.oid = d.objid)
           WHEN 'pg_catalog.pg_type'::pg_catalog.regclass THEN (SELECT t.typowner FROM pg_catalog.pg_type t WHERE t.oid = d.objid)
           WHEN 'pg_catalog.pg_namespace'::pg_catalog.regclass THEN (SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.oid = d.objid)
         END AS owner
    FROM pg_catalog.pg_depend d
   WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e'
     AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'runai_rbac'))
UPDATE pg_catalog.pg_init_privs i
   SET initprivs = coalesce((SELECT pg_catalog.array_agg(x.a ORDER BY x.n)
                               FROM pg_catalog.unnest(i.initprivs) WITH ORDINALITY x(a, n)
                              WHERE (SELECT e.grantee FROM pg_catalog.aclexplode(ARRAY[x.a]) e LIMIT 1)
                                    OPERATOR(pg_catalog.=) ANY (ARRAY[0, obj.owner]::pg_catalog.oid[])),
                            '{}')
  FROM obj
 WHERE i.classoid = obj.classid AND i.objoid = obj.objid AND i.privtype = 'e'
   AND EXISTS (SELECT 1 FROM pg_catalog.unnest(i.initprivs) a, pg_catalog.aclexplode(ARRAY[a]) e
                WHERE e.grantee OPERATOR(pg_catalog.<>) ALL (ARRAY[0, obj.owner]::pg_catalog.oid[]));
