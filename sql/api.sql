-- The documented interface (SPEC sections 1, 4 and 5; README "Reference"): schema
-- runai holds exactly it, and everything else lives in schema runai_internal.  The
-- list below is the documentation's, written out by hand: an internal object left
-- in runai, or a documented one missing, shows here.  Then what an ordinary role
-- may use in runai_internal, one by one.
CREATE EXTENSION runai_rbac;
\set VERBOSITY terse

CREATE TEMP TABLE documented (kind text, object text);
INSERT INTO documented VALUES
  -- checks and lookups
  ('function', 'runai.can(text,text,runai.scope)'),
  ('function', 'runai.has_permission(text,text,text,runai.scope)'),
  ('function', 'runai.explain(text,text,text,runai.scope)'),
  ('function', 'runai.permitted_scopes(text,text)'),
  ('function', 'runai.who_can(text,text,runai.scope)'),
  ('function', 'runai.my_permissions()'),
  ('function', 'runai.current_subject()'),
  ('function', 'runai.cache_stats()'),
  -- scopes and access rules
  ('function', 'runai.create_scope(text,text,text,runai.scope)'),
  ('function', 'runai.delete_scope(runai.scope)'),
  ('function', 'runai.rename_scope(runai.scope,text)'),
  ('function', 'runai.add_access_rule(text,text,text,runai.scope,timestamp with time zone)'),
  ('function', 'runai.delete_access_rule(bigint)'),
  ('function', 'runai.set_user_groups(text,text[])'),
  ('function', 'runai.bind_db_role(text,regrole)'),
  ('function', 'runai.unbind_db_role(regrole)'),
  ('function', 'runai.purge_events(interval)'),
  -- users, applications, sessions
  ('function', 'runai.bootstrap(text)'),
  ('function', 'runai.create_local_user(text)'),
  ('function', 'runai.sign_in(text,text)'),
  ('function', 'runai.change_password(text,text,text)'),
  ('function', 'runai.reset_password(text)'),
  ('function', 'runai.delete_user(text)'),
  ('function', 'runai.sso_sign_in(text,text[])'),
  ('function', 'runai.create_application(text)'),
  ('function', 'runai.regenerate_application_secret(text)'),
  ('function', 'runai.app_sign_in(text,text)'),
  ('function', 'runai.delete_application(text)'),
  ('function', 'runai.authenticate(text,boolean)'),
  ('function', 'runai.sign_out()'),
  ('function', 'runai.clear_subject()'),
  -- row-level security and exports
  ('function', 'runai.protect(regclass,name,text,text)'),
  ('function', 'runai.unprotect(regclass)'),
  -- Citus
  ('function', 'runai.distribute_catalog(boolean)'),
  ('function', 'runai.export_users_csv()'),
  -- the types' functions
  ('function', 'runai.scope_type(runai.scope)'),
  ('function', 'runai.scope_id(runai.scope)'),
  ('function', 'runai.scope(text,text)'),
  ('function', 'runai.actionset(text[])'),
  ('function', 'runai.actions(runai.actionset)'),
  ('function', 'runai.actionset_has(runai.actionset,text)'),
  ('aggregate', 'runai.actionset_agg(runai.actionset)'),
  -- the tables for people
  ('view', 'runai.roles_table'),
  ('view', 'runai.role_permissions_table'),
  ('view', 'runai.users_table'),
  ('view', 'runai.access_rules_table'),
  ('view', 'runai.applications_table'),
  ('view', 'runai.event_history'),
  ('view', 'runai.scopes_table'),
  -- tables
  ('table', 'runai.resource_types'),
  ('table', 'runai.workload_kinds'),
  ('table', 'runai.workloads'),
  ('sequence', 'runai.workloads_id_seq'),
  -- types
  ('type', 'runai.scope'),
  ('type', 'runai.actionset');

-- What schema runai holds: functions and aggregates with their signatures,
-- relations (indexes belong to their tables), types (not the row and array types
-- PostgreSQL makes for each table and type), operators and operator classes.
CREATE TEMP VIEW in_runai AS
SELECT CASE p.prokind WHEN 'a' THEN 'aggregate' WHEN 'p' THEN 'procedure' ELSE 'function' END AS kind,
       p.oid::regprocedure::text AS object
  FROM pg_proc p WHERE p.pronamespace = 'runai'::regnamespace
UNION ALL
SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                      WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' ELSE 'relation ' || c.relkind::text END,
       c.oid::regclass::text
  FROM pg_class c WHERE c.relnamespace = 'runai'::regnamespace AND c.relkind NOT IN ('i', 'I')
UNION ALL
SELECT 'type', t.oid::regtype::text
  FROM pg_type t WHERE t.typnamespace = 'runai'::regnamespace AND t.typrelid = 0 AND t.typcategory <> 'A'
UNION ALL
SELECT 'operator', o.oid::regoperator::text FROM pg_operator o WHERE o.oprnamespace = 'runai'::regnamespace
UNION ALL
SELECT 'operator class', c.opcname FROM pg_opclass c WHERE c.opcnamespace = 'runai'::regnamespace
UNION ALL
SELECT 'operator family', f.opfname FROM pg_opfamily f WHERE f.opfnamespace = 'runai'::regnamespace;

SELECT kind, object AS undocumented_in_runai FROM (SELECT * FROM in_runai EXCEPT SELECT * FROM documented) x ORDER BY 1, 2;
SELECT kind, object AS documented_but_missing FROM (SELECT * FROM documented EXCEPT SELECT * FROM in_runai) x ORDER BY 1, 2;
SELECT kind, count(*) FROM in_runai GROUP BY kind ORDER BY kind;

-- What psql shows.
\dv runai.*
\df runai.*

-- ===========================================================================
-- runai_internal: what an ordinary role may use
-- ===========================================================================

CREATE ROLE regress_api_user;
-- Name lookup in both schemas (policies created by runai.protect and their dump
-- name runai_internal's functions); creating objects in neither.
SELECT n.nspname, has_schema_privilege('regress_api_user', n.oid, 'USAGE') AS usage,
       has_schema_privilege('regress_api_user', n.oid, 'CREATE') AS "create"
  FROM pg_namespace n WHERE n.nspname IN ('runai', 'runai_internal') ORDER BY 1;
-- No relation of runai_internal is readable or writable.
SELECT c.oid::regclass AS internal_relation_open_to_public
  FROM pg_class c
 WHERE c.relnamespace = 'runai_internal'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
   AND (has_table_privilege('regress_api_user', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
        OR (c.relkind = 'S' AND has_sequence_privilege('regress_api_user', c.oid, 'USAGE, SELECT, UPDATE')));
-- The functions it may execute: those PostgreSQL runs as the querying role, by
-- what needs them.
SELECT CASE WHEN p.oid IN (SELECT typinput FROM pg_type UNION ALL SELECT typoutput FROM pg_type
                           UNION ALL SELECT typreceive FROM pg_type UNION ALL SELECT typsend FROM pg_type)
              THEN 'type input and output'
            WHEN p.oid IN (SELECT oprcode FROM pg_operator) THEN 'operator in pg_catalog'
            WHEN p.oid IN (SELECT amproc FROM pg_amproc) THEN 'operator class support'
            WHEN p.proname ~ '^rls_' THEN 'row-level security'
            ELSE 'other' END AS needed_by,
       p.oid::regprocedure AS executable_by_public
  FROM pg_proc p
 WHERE p.pronamespace = 'runai_internal'::regnamespace
   AND has_function_privilege('regress_api_user', p.oid, 'EXECUTE')
 ORDER BY 1, p.oid::regprocedure::text COLLATE "C";
-- Everything else, the bodies of the public functions included, is the owner's.
SELECT count(*) > 60 AS owner_only_functions
  FROM pg_proc p
 WHERE p.pronamespace = 'runai_internal'::regnamespace
   AND NOT has_function_privilege('regress_api_user', p.oid, 'EXECUTE');
SELECT p.oid::regprocedure AS twin_executable_by_public
  FROM pg_proc p JOIN pg_proc pub ON pub.pronamespace = 'runai'::regnamespace AND pub.proname = p.proname
 WHERE p.pronamespace = 'runai_internal'::regnamespace
   AND has_function_privilege('regress_api_user', p.oid, 'EXECUTE');
-- The operators of the types are in pg_catalog, their support in runai_internal.
SELECT o.oprnamespace::regnamespace AS schema, count(*) AS operators,
       count(DISTINCT p.pronamespace) AS implementation_schemas,
       min(p.pronamespace::regnamespace::text) AS implemented_in
  FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode
 WHERE o.oprleft IN ('runai.scope'::regtype, 'runai.actionset'::regtype)
    OR o.oprright IN ('runai.scope'::regtype, 'runai.actionset'::regtype)
 GROUP BY 1;
SELECT c.opcnamespace::regnamespace AS schema, c.opcname, am.amname
  FROM pg_opclass c JOIN pg_am am ON am.oid = c.opcmethod
 WHERE c.opcintype IN ('runai.scope'::regtype, 'runai.actionset'::regtype) ORDER BY 2, 3;

DROP ROLE regress_api_user;
DROP EXTENSION runai_rbac;
