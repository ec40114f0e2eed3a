-- Code: the tables for people and exports (SPEC section 4): one view per admin
-- page, and a capped CSV export of the users table.
--
-- Who sees what.  Each view answers for the current Run:ai subject (runai.can and
-- runai.permitted_scopes, which run as the caller), while it reads the private tables
-- with its owner's privileges (security_invoker is off).  A row is shown when the
-- subject holds the view permission of the view's resource type:
--   roles_table, role_permissions_table   roles view at some scope
--   users_table                           users view at some scope
--   applications_table                    apps view at some scope
--   event_history                         events-history view at some scope
--   access_rules_table                    access_rules view at the rule's scope
--   scopes_table                          view on the scope's own type at the scope
--                                         (tenant view at system for the root)
-- Roles, users, applications and events belong to no scope, so holding the
-- permission anywhere is enough (the predefined roles that grant events-history view
-- are all tenant-wide).  The access-rule summaries in users_table and
-- applications_table list only the unexpired rules the subject may view, so a
-- Department administrator sees the rules within its departments and no others.
--
-- Database superusers see every row, as they bypass row-level security and can read
-- the tables anyway; every other role without a Run:ai subject sees no row.
--
-- The views call only functions every role may execute (runai.can,
-- runai.permitted_scopes, runai.scope_type, runai.actionset_has): PostgreSQL checks
-- a view's function calls against the querying role, its table reads against the
-- view's owner.
--
-- Leaks and speed.  Where the check is all or nothing (every view but
-- access_rules_table and scopes_table) it is an uncorrelated condition: PostgreSQL evaluates it once,
-- as a one-time filter, before it reads any row, so a user's own conditions and
-- functions never see a row the subject may not view.  These views are therefore
-- plain views, not security_barrier views: a security barrier would make PostgreSQL
-- plan the view apart from the user's query, so ORDER BY ... LIMIT could no longer
-- use an index and every row would be computed and sorted (a page of 50 users at
-- 100,000 users: 2.5 s instead of about 1 ms).  The rule summaries are correlated
-- subqueries of the select list, computed only for the rows returned (ORDER BY
-- last_login DESC NULLS LAST LIMIT 50 computes 50).  access_rules_table and
-- scopes_table check each row and keep a security barrier where they need one
-- (see there).

-- ---------------------------------------------------------------------------
-- roles_table, role_permissions_table
-- ---------------------------------------------------------------------------

CREATE OR REPLACE VIEW runai.roles_table AS
SELECT r.name        AS role,
       r.created_by  AS created_by,
       r.created_at  AS creation_time,
       r.description AS description
  FROM runai_internal.roles r
 WHERE (SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.rolname OPERATOR(pg_catalog.=) CURRENT_USER)
    OR EXISTS (SELECT 1 FROM runai.permitted_scopes('roles', 'view'));
COMMENT ON VIEW runai.roles_table IS
  'The Roles page: the 18 predefined roles. Shows rows when the current Run:ai subject holds roles view at some scope; database superusers see every row, a role without a subject none.';
COMMENT ON COLUMN runai.roles_table.role IS 'Role name, as runai.add_access_rule takes it.';
COMMENT ON COLUMN runai.roles_table.created_by IS 'Who created the role: Run:ai for the predefined roles.';
COMMENT ON COLUMN runai.roles_table.creation_time IS 'When the role was created (when the extension was installed).';
COMMENT ON COLUMN runai.roles_table.description IS 'What a subject holding the role does.';

CREATE OR REPLACE VIEW runai.role_permissions_table AS
SELECT r.name AS role,
       t.display_name AS entity,
       runai.actionset_has(p.actions, 'view')   AS "view",
       runai.actionset_has(p.actions, 'edit')   AS edit,
       runai.actionset_has(p.actions, 'create') AS "create",
       runai.actionset_has(p.actions, 'delete') AS "delete"
  FROM runai_internal.role_permissions p
  JOIN runai_internal.roles r ON r.id OPERATOR(pg_catalog.=) p.role_id
  JOIN runai.resource_types t ON t.id OPERATOR(pg_catalog.=) p.resource_type_id
 WHERE (SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.rolname OPERATOR(pg_catalog.=) CURRENT_USER)
    OR EXISTS (SELECT 1 FROM runai.permitted_scopes('roles', 'view'));
COMMENT ON VIEW runai.role_permissions_table IS
  'The permission matrix, one row per role and entity: which of view, edit, create and delete the role grants. Visible with roles view at some scope (superusers: always).';
COMMENT ON COLUMN runai.role_permissions_table.role IS 'Role name.';
COMMENT ON COLUMN runai.role_permissions_table.entity IS 'Entity (resource type) by display name; runai.resource_types maps it to the API name.';
COMMENT ON COLUMN runai.role_permissions_table."view" IS 'Does the role grant view on the entity?';
COMMENT ON COLUMN runai.role_permissions_table.edit IS 'Does the role grant edit on the entity?';
COMMENT ON COLUMN runai.role_permissions_table."create" IS 'Does the role grant create on the entity?';
COMMENT ON COLUMN runai.role_permissions_table."delete" IS 'Does the role grant delete on the entity?';

-- ---------------------------------------------------------------------------
-- users_table
-- ---------------------------------------------------------------------------

CREATE OR REPLACE VIEW runai.users_table AS
SELECT u.email AS "user",
       u.type AS type,
       u.last_login AS last_login,
       (SELECT pg_catalog.string_agg(ro.name OPERATOR(pg_catalog.||) ' @ ' OPERATOR(pg_catalog.||) ar.scope::text,
                                     ', ' ORDER BY ar.id)
          FROM runai_internal.access_rules ar
          JOIN runai_internal.roles ro ON ro.id OPERATOR(pg_catalog.=) ar.role_id
         WHERE ar.subject_type OPERATOR(pg_catalog.=) 'user'
           AND ar.subject OPERATOR(pg_catalog.=) u.email
           AND (ar.expires_at IS NULL OR ar.expires_at OPERATOR(pg_catalog.>) pg_catalog.statement_timestamp())
           AND ((SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.rolname OPERATOR(pg_catalog.=) CURRENT_USER)
                OR runai.can('access_rules', 'view', ar.scope))) AS access_rules,
       u.created_by AS created_by,
       u.created_at AS creation_time,
       u.updated_at AS last_updated
  FROM runai_internal.users u
 WHERE (SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.rolname OPERATOR(pg_catalog.=) CURRENT_USER)
    OR EXISTS (SELECT 1 FROM runai.permitted_scopes('users', 'view'));
COMMENT ON VIEW runai.users_table IS
  'The Users page: local and SSO users. Visible with users view at some scope (superusers: always); each row''s access_rules lists only the rules the subject may view. A page sorted by last_login or user reads an index, and access_rules is computed for the rows returned only.';
COMMENT ON COLUMN runai.users_table."user" IS 'The user''s email (stored lower-case).';
COMMENT ON COLUMN runai.users_table.type IS 'local (signs in with a password) or sso (signs in through the identity provider).';
COMMENT ON COLUMN runai.users_table.last_login IS 'Time of the last successful sign-in; NULL if never.';
COMMENT ON COLUMN runai.users_table.access_rules IS
  'The user''s own unexpired access rules that the current subject may view, as "<role> @ <scope>" joined with ", " in the order they were given; NULL if none. Rules of the user''s SSO groups are not listed.';
COMMENT ON COLUMN runai.users_table.created_by IS 'Who created the user (email, application or database role).';
COMMENT ON COLUMN runai.users_table.creation_time IS 'When the user was created.';
COMMENT ON COLUMN runai.users_table.last_updated IS 'When the user was last changed.';

-- users_last_login_idx and users_last_login_asc_idx (30_data_catalog.sql) serve
-- the pages sorted by last_login.

-- ---------------------------------------------------------------------------
-- access_rules_table
-- ---------------------------------------------------------------------------

-- Visibility is per row here, so the view has two branches, and for each subject
-- one of them is empty.  A subject that sees every rule (a superuser, or
-- access_rules view at system) reads the table itself: no per-row check, and its own
-- conditions on leakproof or indexed expressions (id, scope, subject, times) use the
-- indexes.  Any other subject reads runai_internal.access_rules_within_reach, a
-- security_barrier view that fetches only the rules of the scopes below the
-- subject's permitted scopes (through access_rules_scope_idx) and checks each with
-- runai.can; a user's own conditions see a row only after that check, unless they
-- are leakproof, and the work is proportional to the rules the subject may see.
-- The first branch is sorted newest first (id DESC): PostgreSQL plans a UNION ALL
-- branch that has a WHERE clause apart from the outer query, so without that order
-- the usual page (ORDER BY id DESC LIMIT 50) would sort every rule; with it, that
-- page reads 50 index entries.  Other orders sort the visible rules.  The second
-- branch is left unsorted so that PostgreSQL always reads it through the scope index
-- (sorted, an index scan of the primary key filtered by reach would look cheaper for
-- a page, and read every rule when the reach is small).  permitted_scopes returns
-- disjoint subtrees, so the walk down the tree needs no UNION (whose hash table,
-- sized for the planner's guess, cost more than the walk).

CREATE OR REPLACE VIEW runai_internal.access_rules_within_reach WITH (security_barrier) AS
SELECT ar.id AS id,
       ar.subject_type AS type,
       ar.subject_type OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) ar.subject AS subject,
       (SELECT ro.name FROM runai_internal.roles ro WHERE ro.id OPERATOR(pg_catalog.=) ar.role_id) AS role,
       ar.scope AS scope,
       ar.created_by AS authorized_by,
       ar.created_at AS creation_time,
       ar.updated_at AS last_updated,
       ar.expires_at AS expires_at
  FROM runai_internal.access_rules ar
 WHERE NOT ((SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.rolname OPERATOR(pg_catalog.=) CURRENT_USER)
            OR runai.can('access_rules', 'view', 'system'))
   AND ar.scope OPERATOR(pg_catalog.=) ANY (ARRAY(
         WITH RECURSIVE reach(scope) AS (
           SELECT p.p FROM runai.permitted_scopes('access_rules', 'view') p(p)
           UNION ALL
           SELECT s.scope FROM runai_internal.scopes s JOIN reach r ON s.parent OPERATOR(pg_catalog.=) r.scope)
         SELECT reach.scope FROM reach))
   AND runai.can('access_rules', 'view', ar.scope);
COMMENT ON VIEW runai_internal.access_rules_within_reach IS
  'Internal: the rules of runai.access_rules_table for a subject that does not see them all (security barrier, per-row check).';

CREATE OR REPLACE VIEW runai.access_rules_table AS
(SELECT ar.id AS id,
        ar.subject_type AS type,
        ar.subject_type OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) ar.subject AS subject,
        (SELECT ro.name FROM runai_internal.roles ro WHERE ro.id OPERATOR(pg_catalog.=) ar.role_id) AS role,
        ar.scope AS scope,
        ar.created_by AS authorized_by,
        ar.created_at AS creation_time,
        ar.updated_at AS last_updated,
        ar.expires_at AS expires_at
   FROM runai_internal.access_rules ar
  WHERE (SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.rolname OPERATOR(pg_catalog.=) CURRENT_USER)
     OR runai.can('access_rules', 'view', 'system')
  ORDER BY ar.id DESC)
UNION ALL
SELECT w.id, w.type, w.subject, w.role, w.scope, w.authorized_by, w.creation_time, w.last_updated, w.expires_at
  FROM runai_internal.access_rules_within_reach w;
COMMENT ON VIEW runai.access_rules_table IS
  'The Access rules page: every rule, expired ones included, at a scope where the current subject may view access_rules (superusers: all). ORDER BY id DESC LIMIT n pages through the newest rules without sorting them all.';
COMMENT ON COLUMN runai.access_rules_table.id IS 'Rule id, as runai.delete_access_rule takes it.';
COMMENT ON COLUMN runai.access_rules_table.type IS 'Subject type: user, group or app.';
COMMENT ON COLUMN runai.access_rules_table.subject IS 'The subject: user:<email>, group:<name> or app:<name>.';
COMMENT ON COLUMN runai.access_rules_table.role IS 'The role the rule gives.';
COMMENT ON COLUMN runai.access_rules_table.scope IS 'Where the rule applies: this scope and every scope below it.';
COMMENT ON COLUMN runai.access_rules_table.authorized_by IS 'Who added the rule (email, application or database role).';
COMMENT ON COLUMN runai.access_rules_table.creation_time IS 'When the rule was added.';
COMMENT ON COLUMN runai.access_rules_table.last_updated IS 'When the rule last changed (rules are never updated, so its creation time).';
COMMENT ON COLUMN runai.access_rules_table.expires_at IS 'When the rule stops granting anything; NULL if never.';

-- Filtering the view by subject (WHERE subject = 'user:jane@example.com') reads
-- access_rules_subject_text_idx (30_data_catalog.sql) instead of every rule.

-- ---------------------------------------------------------------------------
-- scopes_table
-- ---------------------------------------------------------------------------

-- Each scope needs the view permission of its own type at that scope: tenant view
-- for a tenant, cluster view for a cluster, department view for a department,
-- project view for a project.  The root (system) has no resource type of its own;
-- it is shown to a subject holding tenant view at system, that is to a subject
-- who sees the top of the tree (System administrator, Viewer and the other roles
-- given at system).  A per-row check, so the view is a security barrier: a user's
-- own conditions see a row only after it passed, unless they are leakproof.
CREATE OR REPLACE VIEW runai.scopes_table WITH (security_barrier) AS
SELECT s.scope AS scope,
       runai.scope_type(s.scope) AS type,
       s.name AS name,
       s.parent AS parent,
       s.created_by AS created_by,
       s.created_at AS creation_time
  FROM runai_internal.scopes s
 WHERE (SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.rolname OPERATOR(pg_catalog.=) CURRENT_USER)
    OR runai.can(CASE WHEN s.parent IS NULL THEN 'tenant' ELSE runai.scope_type(s.scope) END, 'view', s.scope);
COMMENT ON VIEW runai.scopes_table IS
  'The scope tree: each scope where the current subject holds view on the scope''s own type (tenant, cluster, department, project) at that scope; the system scope for a subject holding tenant view at system. Database superusers see every scope.';
COMMENT ON COLUMN runai.scopes_table.scope IS 'The scope, as the functions take it: system, or <type>/<id>.';
COMMENT ON COLUMN runai.scopes_table.type IS 'system, tenant, cluster, department or project.';
COMMENT ON COLUMN runai.scopes_table.name IS 'The name people see (runai.rename_scope changes it).';
COMMENT ON COLUMN runai.scopes_table.parent IS 'The scope one level up; NULL for system.';
COMMENT ON COLUMN runai.scopes_table.created_by IS 'Who created the scope (email, application or database role); Run:ai for system.';
COMMENT ON COLUMN runai.scopes_table.creation_time IS 'When the scope was created.';

-- ---------------------------------------------------------------------------
-- applications_table
-- ---------------------------------------------------------------------------

CREATE OR REPLACE VIEW runai.applications_table AS
SELECT ap.name AS application,
       ap.client_id AS client_id,
       (SELECT pg_catalog.string_agg(ro.name OPERATOR(pg_catalog.||) ' @ ' OPERATOR(pg_catalog.||) ar.scope::text,
                                     ', ' ORDER BY ar.id)
          FROM runai_internal.access_rules ar
          JOIN runai_internal.roles ro ON ro.id OPERATOR(pg_catalog.=) ar.role_id
         WHERE ar.subject_type OPERATOR(pg_catalog.=) 'app'
           AND ar.subject OPERATOR(pg_catalog.=) ap.name
           AND (ar.expires_at IS NULL OR ar.expires_at OPERATOR(pg_catalog.>) pg_catalog.statement_timestamp())
           AND ((SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.rolname OPERATOR(pg_catalog.=) CURRENT_USER)
                OR runai.can('access_rules', 'view', ar.scope))) AS access_rules,
       ap.last_login AS last_login,
       ap.created_by AS created_by,
       ap.created_at AS creation_time,
       ap.updated_at AS last_updated
  FROM runai_internal.applications ap
 WHERE (SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.rolname OPERATOR(pg_catalog.=) CURRENT_USER)
    OR EXISTS (SELECT 1 FROM runai.permitted_scopes('apps', 'view'));
COMMENT ON VIEW runai.applications_table IS
  'The Applications page: applications (service accounts), never their secrets. Visible with apps view at some scope (superusers: always); access_rules lists only the rules the subject may view.';
COMMENT ON COLUMN runai.applications_table.application IS 'Application name.';
COMMENT ON COLUMN runai.applications_table.client_id IS 'Client id the application signs in with (runai.app_sign_in).';
COMMENT ON COLUMN runai.applications_table.access_rules IS
  'The application''s unexpired access rules that the current subject may view, as "<role> @ <scope>" joined with ", "; NULL if none.';
COMMENT ON COLUMN runai.applications_table.last_login IS 'Time of the last successful sign-in; NULL if never.';
COMMENT ON COLUMN runai.applications_table.created_by IS 'Who created the application.';
COMMENT ON COLUMN runai.applications_table.creation_time IS 'When the application was created.';
COMMENT ON COLUMN runai.applications_table.last_updated IS 'When the application was last changed (for example its secret regenerated).';

-- ---------------------------------------------------------------------------
-- event_history
-- ---------------------------------------------------------------------------

CREATE OR REPLACE VIEW runai.event_history AS
SELECT e.id, e.at, e.subject, e.subject_type, e.action, e.result,
       e.entity_type, e.entity_name, e.entity_id, e.details
  FROM runai_internal.events e
 WHERE (SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.rolname OPERATOR(pg_catalog.=) CURRENT_USER)
    OR EXISTS (SELECT 1 FROM runai.permitted_scopes('events-history', 'view'));
COMMENT ON VIEW runai.event_history IS
  'The Event history page: every change made through the extension and every sign-in. Visible with events-history view at some scope (superusers: always). Append-only; runai.purge_events removes old events.';
COMMENT ON COLUMN runai.event_history.id IS 'Event id, increasing in the order events were recorded.';
COMMENT ON COLUMN runai.event_history.at IS 'When it happened.';
COMMENT ON COLUMN runai.event_history.subject IS 'Who did it: an email, an application name, or the database role when it had no Run:ai subject; NULL for the failed sign-ins of unknown emails.';
COMMENT ON COLUMN runai.event_history.subject_type IS 'user, app, or db_role for a database role without a Run:ai subject; NULL for the failed sign-ins of unknown emails.';
COMMENT ON COLUMN runai.event_history.action IS 'create, update, delete, sign-in, sign-out or reset-password.';
COMMENT ON COLUMN runai.event_history.result IS 'Succeeded or Failed.';
COMMENT ON COLUMN runai.event_history.entity_type IS 'Resource type of the entity acted on (users, access_rules, project, ...).';
COMMENT ON COLUMN runai.event_history.entity_name IS 'Name of the entity acted on.';
COMMENT ON COLUMN runai.event_history.entity_id IS 'Id of the entity acted on.';
COMMENT ON COLUMN runai.event_history.details IS 'What changed, as JSON; never a password, secret or token. Failed sign-ins of one account (or of all unknown emails) in one window of runai.lockout_duration are one event: window (its start, UTC), count, the count of each status (invalid_credentials, locked) and last_at.';

-- ---------------------------------------------------------------------------
-- CSV export
-- ---------------------------------------------------------------------------

-- Runs as the caller (not SECURITY DEFINER), so the view answers for the caller's
-- subject.  Fields are quoted exactly as COPY ... (FORMAT csv) quotes them: NULL is
-- empty, an empty string is "", a field with a comma, a quote, CR or LF is quoted
-- with its quotes doubled; so the text equals the output of COPY (SELECT * FROM
-- runai.users_table ORDER BY "user" LIMIT 20000) TO STDOUT WITH (FORMAT csv, HEADER).
CREATE OR REPLACE FUNCTION runai.export_users_csv() RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  cap constant bigint := 20000;
  total bigint;
  body text;
BEGIN
  SELECT count(*) INTO total FROM runai.users_table;
  SELECT string_agg(
           (SELECT string_agg(CASE WHEN f.v IS NULL THEN ''
                                   WHEN f.v = '' OR f.v ~ '[",\r\n]'
                                     THEN '"' || replace(f.v, '"', '""') || '"'
                                   ELSE f.v END, ',' ORDER BY f.n)
              FROM unnest(ARRAY[p."user", p.type, p.last_login::text, p.access_rules, p.created_by,
                                p.creation_time::text, p.last_updated::text]) WITH ORDINALITY f(v, n))
           || E'\n', '' ORDER BY p."user")
    INTO body
    FROM (SELECT * FROM runai.users_table ORDER BY "user" LIMIT cap) p;
  IF total > cap THEN
    RAISE WARNING 'the users export has the first % of % users', cap, total
      USING DETAIL = format('runai.export_users_csv() returns at most %s rows, sorted by user; %s users after %L were left out.',
                            cap, total - cap,
                            (SELECT "user" FROM runai.users_table ORDER BY "user" OFFSET cap - 1 LIMIT 1)),
            HINT = 'Export every row with COPY (SELECT * FROM runai.users_table) TO STDOUT WITH (FORMAT csv, HEADER), or \copy in psql, or filter the view and export the pages one by one.';
  END IF;
  RETURN 'user,type,last_login,access_rules,created_by,creation_time,last_updated' || E'\n' || coalesce(body, '');
END
$$;
COMMENT ON FUNCTION runai.export_users_csv() IS
  'The users table (runai.users_table, as the current subject sees it) as CSV text with a header, sorted by user, at most 20,000 rows; a WARNING says how many rows were left out. The text equals COPY (SELECT * FROM runai.users_table ORDER BY "user" LIMIT 20000) TO STDOUT WITH (FORMAT csv, HEADER).';
