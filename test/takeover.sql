-- Nobody takes over a stronger subject (SPEC section 3.1; issue 10 points 1, 2, 6,
-- 7, 8, 9 and 10).  Each attack of the issue is replayed with ordinary database
-- roles and tokens on a tree of two tenants, and is followed by the normal case
-- that must keep working.
--
--   system
--   ├─ tenant/acme ── cluster/acme-c ── department/acme-d ── project/acme-p, project/merger
--   └─ tenant/beta ── cluster/beta-c ── department/beta-d ── project/beta-p
--
-- Every call is made by regress_tk_app (the database role a platform back end
-- shares for all its users, without privileges of its own) after
-- runai.authenticate(token) of the user it serves; the identity-provider bridge
-- is regress_tk_bridge; regress_tk_dba is a database administrator's role with
-- CREATEROLE.  Everything runs in one transaction that is rolled back.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS runai_rbac;
SET LOCAL client_min_messages = warning;

SELECT plan(97);

-- pgTAP keeps its state in temporary tables: let the test roles write them.
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.oid::regclass AS rel FROM pg_class c
            WHERE c.relnamespace = pg_my_temp_schema() AND c.relkind IN ('r', 'S') LOOP
    EXECUTE format('GRANT ALL ON %s TO PUBLIC', r.rel);
  END LOOP;
END
$$;

-- ===========================================================================
-- Fixture
-- ===========================================================================

CREATE ROLE regress_tk_app;                  -- the shared application role
CREATE ROLE regress_tk_bridge;               -- the identity-provider bridge
CREATE ROLE regress_tk_dba CREATEROLE;       -- a database administrator
CREATE ROLE regress_tk_psql;                 -- an administrator's own psql login
CREATE ROLE regress_tk_gone;                 -- bound, then dropped
CREATE ROLE regress_tk_grouped;              -- granted to another role
CREATE ROLE regress_tk_member;               -- member of another role
CREATE ROLE regress_tk_bypass BYPASSRLS;
CREATE ROLE regress_tk_creator CREATEROLE;
GRANT regress_tk_grouped TO regress_tk_dba;
GRANT regress_tk_bridge TO regress_tk_member;
GRANT EXECUTE ON FUNCTION runai.sso_sign_in(text, text[]) TO regress_tk_bridge;

SELECT runai.create_scope('tenant', 'acme', 'Acme', 'system');
SELECT runai.create_scope('cluster', 'acme-c', 'Acme cluster', 'tenant/acme');
SELECT runai.create_scope('department', 'acme-d', 'Acme research', 'cluster/acme-c');
SELECT runai.create_scope('project', 'acme-p', 'Acme vision', 'department/acme-d');
SELECT runai.create_scope('project', 'merger', 'Acme merger', 'department/acme-d');
SELECT runai.create_scope('tenant', 'beta', 'Beta', 'system');
SELECT runai.create_scope('cluster', 'beta-c', 'Beta cluster', 'tenant/beta');
SELECT runai.create_scope('department', 'beta-d', 'Beta research', 'cluster/beta-c');
SELECT runai.create_scope('project', 'beta-p', 'Beta vision', 'department/beta-d');

-- Local users with passwords of their own, and their rules.
INSERT INTO runai_internal.users (email, type, password_hash, created_by)
SELECT u, 'local', runai_internal.password_hash('pw-' || u), 'test'
  FROM unnest(ARRAY['root@acme.io', 'root2@acme.io', 'acme-admin@acme.io', 'beta-admin@beta.io',
                    'cloudop@acme.io', 'dept@acme.io', 'temp@acme.io', 'res@acme.io',
                    'bob@beta.io', 'bob2@beta.io', 'accomplice@acme.io']) u;
SELECT runai.add_access_rule('user', r.u, r.role, r.scope::runai.scope, r.expires)
  FROM (VALUES ('root@acme.io', 'System administrator', 'system', NULL::timestamptz),
               ('root2@acme.io', 'System administrator', 'system', NULL),
               ('acme-admin@acme.io', 'System administrator', 'tenant/acme', NULL),
               ('beta-admin@beta.io', 'System administrator', 'tenant/beta', NULL),
               ('cloudop@acme.io', 'Cloud operator', 'system', NULL),
               ('dept@acme.io', 'Department administrator', 'department/acme-d', NULL),
               ('temp@acme.io', 'System administrator', 'system', now() + interval '1 hour'),
               ('res@acme.io', 'L1 researcher', 'project/acme-p', NULL),
               ('bob@beta.io', 'L1 researcher', 'project/beta-p', NULL),
               ('bob2@beta.io', 'L1 researcher', 'project/beta-p', NULL)) r(u, role, scope, expires);
SELECT runai.add_access_rule('group', 'acme-admins', 'System administrator', 'system');

-- Applications: ci runs the platform, beta-ci works in beta, ops-bot operates.
CREATE TEMP TABLE apps AS
  SELECT n AS name, a.client_id, a.client_secret
    FROM unnest(ARRAY['ci', 'beta-ci', 'ops-bot']) n, LATERAL runai.create_application(n) a;
SELECT runai.add_access_rule('app', 'ci', 'System administrator', 'system');
SELECT runai.add_access_rule('app', 'beta-ci', 'L1 researcher', 'project/beta-p');
SELECT runai.add_access_rule('app', 'ops-bot', 'Cloud operator', 'system');

GRANT SELECT ON apps TO PUBLIC;

-- The back end signs its user in (who: the part of the email before the @) and
-- authenticates its connection with the token.
CREATE TEMP TABLE emails AS SELECT split_part(email, '@', 1) AS who, email FROM runai_internal.users;
GRANT SELECT ON emails TO PUBLIC;
CREATE FUNCTION pg_temp.as_user(who text) RETURNS text LANGUAGE sql AS $$
  SELECT runai.authenticate(s.token)
    FROM pg_temp.emails u, LATERAL runai.sign_in(u.email, 'pw-' || u.email) s
   WHERE u.who = as_user.who
$$;
-- Runs an attempt and rolls it back, whatever it did: 'ok', or 'SQLSTATE: message |
-- detail'.  (So that an attack that works on a version without these defences
-- does not change what the later attacks meet.)
CREATE FUNCTION pg_temp.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  msg text;
  det text;
BEGIN
  BEGIN
    EXECUTE stmt;
    RAISE EXCEPTION USING ERRCODE = 'ZZ999';
  EXCEPTION WHEN SQLSTATE 'ZZ999' THEN
    RETURN 'ok';
  END;
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ': ' || msg || coalesce(' | ' || nullif(det, ''), '');
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.as_user(text), pg_temp.try(text) TO PUBLIC;

-- ===========================================================================
-- Attack 1: a Cloud operator (apps edit, access_rules view only) regenerates the
-- secret of an application holding System administrator at system, signs in as
-- it, grants itself System administrator and purges the event history.
-- ===========================================================================

SET LOCAL ROLE regress_tk_app;
SELECT pg_temp.as_user('cloudop');
SELECT is(pg_temp.try($$SELECT runai.regenerate_application_secret('ci')$$),
          '42501: permission denied: user:cloudop@acme.io may not act on app:ci | app:ci holds department view at system, which user:cloudop@acme.io does not hold there.',
          'attack 1: a Cloud operator cannot take over an application that holds more than it');
SELECT is(pg_temp.try($$SELECT runai.delete_application('ci')$$),
          '42501: permission denied: user:cloudop@acme.io may not act on app:ci | app:ci holds department view at system, which user:cloudop@acme.io does not hold there.',
          'attack 1: nor delete it');
SELECT is(pg_temp.try($$SELECT runai.add_access_rule('user', 'cloudop@acme.io', 'System administrator', 'system')$$),
          '42501: permission denied: user:cloudop@acme.io may not create access_rules at any scope | No unexpired access rule of user:cloudop@acme.io or of its groups grants create on access_rules anywhere.',
          'attack 1: and cannot grant itself System administrator');
SELECT is((SELECT count(*) FROM apps a, LATERAL runai.app_sign_in(a.client_id, a.client_secret) t WHERE a.name = 'ci'),
          1::bigint, 'attack 1: the application''s own secret still works');
-- Normal: an application whose permissions it holds (Cloud operator at system).
SELECT ok(runai.regenerate_application_secret('ops-bot') IS NOT NULL,
          'attack 1, normal case: a Cloud operator regenerates the secret of an operator application');
RESET ROLE;
SET LOCAL ROLE regress_tk_app;
SELECT pg_temp.as_user('beta-admin');
CREATE TEMP TABLE new_secret AS SELECT runai.regenerate_application_secret('beta-ci') AS secret;
SELECT ok((SELECT runai.app_sign_in(a.client_id, n.secret) FROM apps a, new_secret n WHERE a.name = 'beta-ci') IS NOT NULL,
          'attack 1, normal case: a tenant''s administrator regenerates the secret of an application inside its tenant, which signs in with it');
RESET ROLE;

-- ===========================================================================
-- Attack 2: the System administrator of tenant beta resets the password of the
-- global administrator, and deletes the other one.
-- ===========================================================================

SET LOCAL ROLE regress_tk_app;
SELECT pg_temp.as_user('beta-admin');
SELECT is(pg_temp.try($$SELECT runai.reset_password('root@acme.io')$$),
          '42501: permission denied: user:beta-admin@beta.io may not act on user:root@acme.io | user:root@acme.io holds tenant view at system, which user:beta-admin@beta.io does not hold there.',
          'attack 2: a tenant''s administrator cannot reset the global administrator''s password');
SELECT is(pg_temp.try($$SELECT runai.delete_user('root2@acme.io')$$),
          '42501: permission denied: user:beta-admin@beta.io may not act on user:root2@acme.io | user:root2@acme.io holds tenant view at system, which user:beta-admin@beta.io does not hold there.',
          'attack 2: nor delete another global administrator');
SELECT is(pg_temp.try($$SELECT runai.reset_password('acme-admin@acme.io')$$),
          '42501: permission denied: user:beta-admin@beta.io may not act on user:acme-admin@acme.io | user:acme-admin@acme.io holds tenant view at tenant/acme, which user:beta-admin@beta.io does not hold there.',
          'attack 2: nor the administrator of the other tenant');
SELECT is(pg_temp.try($$SELECT runai.set_user_groups('res@acme.io', '{}')$$),
          '42501: permission denied: user:beta-admin@beta.io may not act on user:res@acme.io | user:res@acme.io holds tenant view at project/acme-p, which user:beta-admin@beta.io does not hold there.',
          'attack 2: nor change the groups of a user of the other tenant');
-- Normal: its own tenant's users.
CREATE TEMP TABLE bob_pw AS SELECT runai.reset_password('bob@beta.io') AS pw;
SELECT is((SELECT s.status FROM bob_pw, LATERAL runai.sign_in('bob@beta.io', bob_pw.pw) s), 'password_change_required',
          'attack 2, normal case: a tenant''s administrator resets the password of its tenant''s user');
SELECT lives_ok($$SELECT runai.delete_user('bob2@beta.io')$$,
                'attack 2, normal case: and deletes one');
RESET ROLE;
SELECT is((SELECT count(*) FROM runai_internal.users WHERE email IN ('root@acme.io', 'root2@acme.io')), 2::bigint,
          'attack 2: both global administrators are still there');

-- ===========================================================================
-- Attack 3: an administrator gives System administrator to newcto@acme.io before
-- that person's first SSO sign-in; beta's administrator creates a local account
-- with that email.
-- ===========================================================================

SET LOCAL ROLE regress_tk_app;
SELECT pg_temp.as_user('root');
SELECT ok(runai.add_access_rule('user', 'newcto@acme.io', 'System administrator', 'system') IS NOT NULL,
          'attack 3: the rule for the future SSO user');
SELECT ok(runai.add_access_rule('user', 'newbie@beta.io', 'L1 researcher', 'project/beta-p') IS NOT NULL,
          'attack 3: a rule for a future user of beta');
SELECT pg_temp.as_user('beta-admin');
SELECT is(pg_temp.try($$SELECT * FROM runai.create_local_user('newcto@acme.io')$$),
          '42501: permission denied: user:beta-admin@beta.io may not act on user:newcto@acme.io | user:newcto@acme.io holds tenant view at system, which user:beta-admin@beta.io does not hold there.',
          'attack 3: a local account cannot be created to inherit rules its creator does not hold');
SELECT is((SELECT u.email FROM runai.create_local_user('newbie@beta.io') u), 'newbie@beta.io',
          'attack 3, normal case: a local account whose rules lie within the tenant');
SELECT is((SELECT u.email FROM runai.create_local_user('fresh@beta.io') u), 'fresh@beta.io',
          'attack 3, normal case: a local account no rule names');
RESET ROLE;
SET LOCAL ROLE regress_tk_bridge;
SELECT ok(runai.sso_sign_in('newcto@acme.io', '{}') IS NOT NULL, 'attack 3: the real person signs in through SSO');
RESET ROLE;
SELECT ok(runai.has_permission('newcto@acme.io', 'users', 'edit', 'system'), 'attack 3: and holds the rule given for it');

-- ===========================================================================
-- Attack 5 (issue point 6): look-alike emails.  sso_sign_in with a KELVIN SIGN
-- for the k of kim@corp.io returned kim's token and replaced kim's groups.
-- ===========================================================================

SET LOCAL ROLE regress_tk_bridge;
SELECT ok(runai.sso_sign_in('kim@corp.io', '{corp-readers}') IS NOT NULL, 'attack 5: kim signs in');
SELECT is(pg_temp.try($$SELECT runai.sso_sign_in(U&'\212Aim@corp.io', '{attackers}')$$),
          '22023: invalid email "' || U&'\212A' || 'im@corp.io" | The email is not a valid email. It contains a character that is not ASCII. Emails are compared exactly as written, so a letter that only looks like an ASCII one (the Kelvin sign, a dotless i, a fullwidth letter, a combining mark) makes it a different email, and none is accepted.',
          'attack 5: a KELVIN SIGN is not a k');
SELECT is(left(pg_temp.try(format('SELECT runai.sso_sign_in(%L, %L)', v.email, '{attackers}')), 22),
          '22023: invalid email "', 'attack 5: refused: ' || v.what)
  FROM (VALUES (U&'k\0131m@corp.io', 'dotless i'),
               (U&'\FF4Bim@corp.io', 'fullwidth k'),
               (U&'ki\0307m@corp.io', 'combining dot above'),
               (U&'kim@corp.io\200B', 'trailing zero-width space'),
               (U&'kim@corp.io\2400', 'trailing symbol for NUL'),
               ('kim@corp.io' || chr(10), 'trailing newline'),
               ('kim@corp.io ', 'trailing space'),
               (U&'kim@corp.\0131o', 'dotless i in the domain')) v(email, what);
RESET ROLE;
SELECT is((SELECT array_agg(g.group_name) FROM runai_internal.group_members g
            JOIN runai_internal.users u ON u.id = g.user_id WHERE u.email = 'kim@corp.io'),
          '{corp-readers}'::text[], 'attack 5: kim''s groups are unchanged');
SELECT is((SELECT count(*) FROM runai_internal.users WHERE email !~ '^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$'),
          0::bigint, 'attack 5: no look-alike account was created');
-- Normal: ASCII letters in any case are the same email.
SET LOCAL ROLE regress_tk_bridge;
CREATE TEMP TABLE kim_tok AS SELECT runai.sso_sign_in('KiM@Corp.IO', '{corp-readers}') AS token;
RESET ROLE;
SELECT is(runai.authenticate((SELECT token FROM kim_tok)), 'user:kim@corp.io',
          'attack 5, normal case: mixed-case ASCII signs in as the same user');
-- Every other place an email enters refuses the look-alike too.
SET LOCAL ROLE regress_tk_app;
SELECT pg_temp.as_user('root');
SELECT is(left(pg_temp.try(v.stmt), 24), '22023: invalid email "' || U&'\212A' || 'i', 'attack 5: ' || v.what)
  FROM (VALUES
    ('create_local_user', format('SELECT * FROM runai.create_local_user(%L)', U&'\212Aim@corp.io')),
    ('reset_password', format('SELECT runai.reset_password(%L)', U&'\212Aim@corp.io')),
    ('delete_user', format('SELECT runai.delete_user(%L)', U&'\212Aim@corp.io')),
    ('set_user_groups', format('SELECT runai.set_user_groups(%L, %L)', U&'\212Aim@corp.io', '{}')),
    ('bind_db_role', format('SELECT runai.bind_db_role(%L, %L)', U&'\212Aim@corp.io', 'regress_tk_psql')),
    ('sign_in', format('SELECT * FROM runai.sign_in(%L, %L)', U&'\212Aim@corp.io', 'x')),
    ('change_password', format('SELECT runai.change_password(%L, %L, %L)', U&'\212Aim@corp.io', 'x', 'a new password')),
    ('bootstrap', format('SELECT runai.bootstrap(%L)', U&'\212Aim@corp.io'))
  ) v(what, stmt);
SELECT is(left(pg_temp.try(v.stmt), 24), '22023: invalid subject "', 'attack 5: ' || v.what)
  FROM (VALUES
    ('has_permission, bare email', format('SELECT runai.has_permission(%L, %L, %L, %L)', U&'\212Aim@corp.io', 'users', 'view', 'system')),
    ('has_permission, user:', format('SELECT runai.has_permission(%L, %L, %L, %L)', U&'user:\212Aim@corp.io', 'users', 'view', 'system')),
    ('explain', format('SELECT * FROM runai.explain(%L, %L, %L, %L)', U&'user:\212Aim@corp.io', 'users', 'view', 'system'))
  ) v(what, stmt);
SELECT is(left(pg_temp.try(format('SELECT runai.add_access_rule(%L, %L, %L, %L)', 'user', U&'\212Aim@corp.io', 'Viewer', 'system')), 24),
          '22023: invalid email "' || U&'\212A' || 'i', 'attack 5: add_access_rule');
SELECT ok(runai.has_permission('user:KIM@corp.io', 'workloads', 'view', 'project/acme-p') IS NOT NULL,
          'attack 5, normal case: has_permission folds ASCII letters');
RESET ROLE;

-- ===========================================================================
-- Attack 8: an administrator whose only rule expires in one hour adds rules
-- without expiry for itself and a second account.
-- ===========================================================================

SET LOCAL ROLE regress_tk_app;
SELECT pg_temp.as_user('temp');
SELECT matches(pg_temp.try($$SELECT runai.add_access_rule('user', 'temp@acme.io', 'System administrator', 'tenant/acme')$$),
               '^42501: permission denied: user:temp@acme\.io may not grant the role System administrator at tenant/acme for longer than it holds it \| Nobody grants longer than they hold: user:temp@acme\.io holds [a-z_-]+ [a-z]+ at tenant/acme only until .*, and the new rule would never expire\.$',
               'attack 8: a rule without expiry for itself is refused');
SELECT matches(pg_temp.try($$SELECT runai.add_access_rule('user', 'accomplice@acme.io', 'System administrator', 'system', now() + interval '1 year')$$),
               '^42501: permission denied: user:temp@acme\.io may not grant the role System administrator at system for longer than it holds it \| .* and the new rule would expire at .*\.$',
               'attack 8: a rule that outlasts its access, for another account, is refused');
SELECT is(left(pg_temp.try($$SELECT runai.add_access_rule('group', 'temp-crew', 'Viewer', 'system')$$), 5), '42501',
          'attack 8: also a smaller role, for a group');
SELECT matches(pg_temp.try($$SELECT runai.reset_password('root@acme.io')$$),
               '^42501: permission denied: user:temp@acme\.io may not act on user:root@acme\.io \| user:root@acme\.io holds [a-z_-]+ [a-z]+ at system without expiry, and user:temp@acme\.io holds it there only until .*\.$',
               'attack 8: dominance holds in time: it cannot take over a permanent administrator');
SELECT matches(pg_temp.try($$SELECT runai.set_user_groups('accomplice@acme.io', '{acme-admins}')$$),
               '^42501: permission denied: user:temp@acme\.io may not act on user:accomplice@acme\.io \| user:accomplice@acme\.io holds [a-z_-]+ [a-z]+ at system without expiry through group acme-admins, and user:temp@acme\.io holds it there only until .*\.$',
               'attack 8: nor put an account into a group whose rules last longer');
-- Normal: within its own time.
SELECT ok(runai.add_access_rule('user', 'accomplice@acme.io', 'System administrator', 'system', now() + interval '30 minutes') IS NOT NULL,
          'attack 8, normal case: a rule that ends before its access does');
SELECT ok(runai.reset_password('accomplice@acme.io') IS NOT NULL,
          'attack 8, normal case: it acts on an account whose rules end before its own');
RESET ROLE;
SELECT is((SELECT count(*) FROM runai_internal.access_rules
            WHERE subject IN ('temp@acme.io', 'accomplice@acme.io', 'temp-crew') AND expires_at IS NULL), 0::bigint,
          'attack 8: no rule without expiry was added');

-- ===========================================================================
-- Attack 9 (issue point 7): delete_scope left the workloads of project/merger,
-- and another tenant's administrator created project/merger under its own
-- department and read and edited them.
-- ===========================================================================

INSERT INTO runai.workloads (name, kind, project) VALUES
  ('merger-model', 'Training', 'project/merger'), ('merger-eval', 'Workspace', 'project/merger');
CREATE TABLE public.regress_tk_jobs (id bigint PRIMARY KEY, project_id text NOT NULL);
INSERT INTO public.regress_tk_jobs VALUES (1, 'merger'), (2, 'acme-p');
SELECT runai.protect('public.regress_tk_jobs', 'project_id', scope_type => 'project');
ALTER TABLE public.regress_tk_jobs RENAME TO regress_tk_jobs2;
ALTER TABLE public.regress_tk_jobs2 RENAME COLUMN project_id TO project_key;
SET LOCAL ROLE regress_tk_app;
SELECT pg_temp.as_user('acme-admin');
SELECT is(pg_temp.try($$SELECT runai.delete_scope('project/merger')$$),
          '2BP01: scope "project/merger" still has rows in protected tables | Rows at project/merger: public.regress_tk_jobs2 (1 row), runai.workloads (2 rows). A scope created again with this name would give them to its new subjects.',
          'attack 9: a scope with workloads is not deleted (tables renamed since they were protected)');
SELECT pg_temp.as_user('beta-admin');
SELECT is(left(pg_temp.try($$SELECT runai.create_scope('project', 'merger', 'Mine now', 'department/beta-d')$$), 5), '23505',
          'attack 9: so no other tenant can create it again');
SELECT is((SELECT count(*) FROM runai.workloads WHERE project = 'project/merger'), 0::bigint,
          'attack 9: and beta''s administrator sees none of its workloads');
-- Normal: once the rows are gone, the scope goes.
SELECT pg_temp.as_user('acme-admin');
DELETE FROM runai.workloads WHERE project = 'project/merger';
RESET ROLE;
UPDATE public.regress_tk_jobs2 SET project_key = 'acme-p' WHERE project_key = 'merger';
SET LOCAL ROLE regress_tk_app;
SELECT pg_temp.as_user('acme-admin');
SELECT lives_ok($$SELECT runai.delete_scope('project/merger')$$,
                'attack 9, normal case: a scope without rows in protected tables is deleted');
SELECT pg_temp.as_user('beta-admin');
SELECT lives_ok($$SELECT runai.create_scope('project', 'merger', 'Beta merger', 'department/beta-d')$$,
                'attack 9, normal case: and the name can be used again');
RESET ROLE;
-- The registry follows the tables: unprotect and DROP TABLE forget them.
SELECT ok(EXISTS (SELECT 1 FROM runai_internal.protected_tables WHERE tbl = 'runai.workloads'::regclass)
          AND EXISTS (SELECT 1 FROM runai_internal.protected_tables WHERE tbl = 'public.regress_tk_jobs2'::regclass),
          'attack 9: runai.workloads and the protected table are recorded');
-- Anyone may call the registry's function, and it only ever tells the truth.
CREATE TABLE public.regress_tk_plain (project runai.scope);
SET LOCAL ROLE regress_tk_app;
SELECT lives_ok($$SELECT runai_internal.rls_protected_sync('runai.workloads'),
                         runai_internal.rls_protected_sync('public.regress_tk_plain')$$,
                'attack 9: any role may ask the registry to follow a table');
RESET ROLE;
SELECT ok(EXISTS (SELECT 1 FROM runai_internal.protected_tables WHERE tbl = 'runai.workloads'::regclass)
          AND NOT EXISTS (SELECT 1 FROM runai_internal.protected_tables WHERE tbl = 'public.regress_tk_plain'::regclass),
          'attack 9: but it cannot make it forget a protected table or record an unprotected one');
SELECT runai.unprotect('public.regress_tk_jobs2');
SELECT ok(NOT EXISTS (SELECT 1 FROM runai_internal.protected_tables WHERE tbl = 'public.regress_tk_jobs2'::regclass),
          'attack 9: unprotect forgets the table');
SELECT runai.protect('public.regress_tk_jobs2', 'project_key', scope_type => 'project');
SELECT ok(EXISTS (SELECT 1 FROM runai_internal.protected_tables WHERE tbl = 'public.regress_tk_jobs2'::regclass),
          'attack 9: protect records it again');
SELECT 'public.regress_tk_jobs2'::regclass::oid AS jobs_oid \gset
DROP TABLE public.regress_tk_jobs2;
SELECT ok(NOT EXISTS (SELECT 1 FROM runai_internal.protected_tables WHERE tbl::oid = :jobs_oid),
          'attack 9: DROP TABLE forgets it');

-- ===========================================================================
-- Attack 11 (issue point 8): a tenant's administrator binds the shared
-- application role to itself; a System administrator binds postgres; a binding
-- survives DROP ROLE.
-- ===========================================================================

SET LOCAL ROLE regress_tk_app;
SELECT pg_temp.as_user('beta-admin');
SELECT is(pg_temp.try($$SELECT runai.bind_db_role('beta-admin@beta.io', 'regress_tk_app')$$),
          '42501: permission denied: database role regress_tk_app may not bind the role it is running as | Role regress_tk_app is the current user of this session; a binding would give every session of it a Run:ai user''s permissions.',
          'attack 11: the shared application role cannot be bound to a tenant''s administrator');
SELECT pg_temp.as_user('root');
SELECT is(pg_temp.try(format('SELECT runai.bind_db_role(%L, %L)', 'root@acme.io', (SELECT rolname FROM pg_roles WHERE oid = 10))),
          format('22023: database role %s cannot be bound to a Run:ai user | It is a superuser: its sessions bypass every check and row-level security, whatever user they act as.',
                 (SELECT quote_ident(rolname) FROM pg_roles WHERE oid = 10)),
          'attack 11: no superuser can be bound');
SELECT is(pg_temp.try($$SELECT runai.bind_db_role('root@acme.io', 'regress_tk_psql')$$),
          '42501: permission denied: database role regress_tk_app may not bind role regress_tk_psql | A binding decides what every session of a database role may do, so only a role that controls it may make or remove one: a superuser, a role with CREATEROLE, or a role that holds it WITH ADMIN OPTION.',
          'attack 11: a role that does not control a database role cannot bind it, whoever it acts as');
RESET ROLE;
SET LOCAL ROLE regress_tk_dba;
SELECT pg_temp.as_user('root');
SELECT is(left(pg_temp.try(format('SELECT runai.bind_db_role(%L, %L)', 'bob@beta.io', v.role)), 5), '22023',
          'attack 11: refused role: ' || v.role)
  FROM (VALUES ('regress_tk_grouped'), ('regress_tk_member'), ('regress_tk_bypass'), ('regress_tk_creator')) v(role);
SELECT pg_temp.as_user('beta-admin');
SELECT matches(pg_temp.try($$SELECT runai.bind_db_role('root@acme.io', 'regress_tk_psql')$$),
          '^42501: permission denied: user:beta-admin@beta\.io may not act on user:root@acme\.io \| ',
          'attack 11: a database administrator''s role binds only users its Run:ai subject dominates');
-- Normal: a database administrator, authenticated as a System administrator.
SELECT pg_temp.as_user('root');
SELECT lives_ok($$SELECT runai.bind_db_role('bob@beta.io', 'regress_tk_psql')$$,
                'attack 11, normal case: a role with CREATEROLE binds an isolated role');
SELECT lives_ok($$SELECT runai.bind_db_role('res@acme.io', 'regress_tk_gone')$$,
                'attack 11, normal case: and another');
RESET ROLE;
SELECT runai.sign_out();   -- the superuser's session: no token subject any more
SET LOCAL ROLE regress_tk_psql;
SELECT is(runai.current_subject(), 'user:bob@beta.io', 'attack 11, normal case: the bound role acts as its user');
RESET ROLE;
DROP ROLE regress_tk_gone;
SELECT is((SELECT count(*) FROM runai_internal.db_role_bindings WHERE db_role_name = 'regress_tk_gone'), 0::bigint,
          'attack 11: DROP ROLE takes the binding with it');
SELECT is((SELECT entity_name || ' ' || (details->>'reason') FROM runai_internal.events ORDER BY id DESC LIMIT 1),
          'res@acme.io database role dropped', 'attack 11: and records it');
-- A binding whose role was replaced (same OID, another name) counts for nothing.
UPDATE runai_internal.db_role_bindings SET db_role_name = 'regress_tk_old_name' WHERE db_role = 'regress_tk_psql'::regrole;
SET LOCAL ROLE regress_tk_psql;
SELECT is(runai.current_subject(), NULL, 'attack 11: a binding whose role has another name now is ignored');
RESET ROLE;
SELECT lives_ok($$SELECT runai.unbind_db_role('regress_tk_psql')$$,
                'attack 11: the next binding change removes the stale binding');
SELECT is((SELECT count(*) FROM runai_internal.db_role_bindings), 0::bigint, 'attack 11: no binding is left');

-- ===========================================================================
-- Attack 12 (issue point 10): a Department administrator calls who_can at its
-- department and sees the rules at system that access_rules_table hides from it.
-- ===========================================================================

SET LOCAL ROLE regress_tk_app;
SELECT pg_temp.as_user('dept');
SELECT is((SELECT count(*) FROM runai.who_can('workloads', 'view', 'department/acme-d')
            WHERE rule_scope IS NOT NULL AND NOT runai.can('access_rules', 'view', rule_scope)), 0::bigint,
          'attack 12: who_can lists no rule the caller may not view');
SELECT results_eq($$SELECT subject, role, rule_scope::text FROM runai.who_can('workloads', 'view', 'department/acme-d')
                    WHERE rule_id IS NOT NULL$$,
                  $$VALUES ('user:dept@acme.io', 'Department administrator', 'department/acme-d')$$,
                  'attack 12, normal case: the rules within its department are listed');
CREATE TEMP TABLE who_can_hidden AS
  SELECT subject, via_group, role, rule_scope FROM runai.who_can('workloads', 'view', 'department/acme-d') WHERE rule_id IS NULL;
RESET ROLE;
SELECT results_eq($$SELECT subject, via_group, role, rule_scope::text FROM who_can_hidden$$,
                  format($$VALUES (NULL::text, NULL::text, '%s more rules at scopes where you may not view access rules', NULL::text)$$,
                         (SELECT count(*) FROM runai_internal.access_rules ar
                            JOIN runai_internal.role_permissions rp ON rp.role_id = ar.role_id
                            JOIN runai.resource_types t ON t.id = rp.resource_type_id AND t.name = 'workloads'
                           WHERE runai.actionset_has(rp.actions, 'view')
                             AND (ar.expires_at IS NULL OR ar.expires_at > now())
                             AND ar.scope::text IN ('system', 'tenant/acme', 'cluster/acme-c'))),
                  'attack 12: the others are one last row that counts them');
SET LOCAL ROLE regress_tk_app;
SELECT pg_temp.as_user('dept');
SELECT results_eq($$SELECT allowed, rule_id IS NULL, role, rule_scope::text, reason
                      FROM runai.explain('root@acme.io', 'workloads', 'view', 'project/acme-p')$$,
                  $$VALUES (true, true, NULL::text, NULL::text, '1 more rule grants it at scopes where you may not view access rules')$$,
                  'attack 12: explain does not show a rule at system to a Department administrator');
SELECT results_eq($$SELECT allowed, role, rule_scope::text FROM runai.explain('res@acme.io', 'workloads', 'view', 'project/acme-p')$$,
                  $$VALUES (true, 'L1 researcher', 'project/acme-p')$$,
                  'attack 12, normal case: it does show the rules in its department');
-- Those without the permission anywhere learn nothing about what exists.
SELECT pg_temp.as_user('res');
SELECT is(left(pg_temp.try(v.stmt), 5), '42501', 'point 10: ' || v.what)
  FROM (VALUES ('delete_access_rule of an unknown id', 'SELECT runai.delete_access_rule(999999)'),
               ('create_scope under a missing parent', $$SELECT runai.create_scope('project', 'x', 'X', 'department/none')$$),
               ('delete_scope of a missing scope', $$SELECT runai.delete_scope('project/none')$$),
               ('rename_scope of a missing scope', $$SELECT runai.rename_scope('project/none', 'X')$$),
               ('add_access_rule for a missing application', $$SELECT runai.add_access_rule('app', 'no-such-app', 'Viewer', 'project/acme-p')$$)) v(what, stmt);
RESET ROLE;

-- ===========================================================================
-- Point 9: arrays with more than one dimension are refused.
-- ===========================================================================

SET LOCAL ROLE regress_tk_app;
SELECT pg_temp.as_user('root');
SELECT is(pg_temp.try($$SELECT runai.set_user_groups('bob@beta.io', '{{acme-admins,x},{y,z}}')$$),
          '22023: argument "groups" must be a one-dimensional array | It has 2 dimensions: [1:2][1:2].',
          'point 9: set_user_groups refuses a two-dimensional array');
RESET ROLE;
SET LOCAL ROLE regress_tk_bridge;
SELECT is(left(pg_temp.try($$SELECT runai.sso_sign_in('kim@corp.io', '{{a},{b}}')$$), 5), '22023',
          'point 9: sso_sign_in refuses a two-dimensional array');
RESET ROLE;

-- ===========================================================================
-- Attack 10 (issue point 9): a non-superuser deletes an access rule under SET
-- CONSTRAINTS ALL DEFERRED; the deferred last-administrator check then ran as it.
-- (SET CONSTRAINTS ALL IMMEDIATE runs the deferred checks at once, as COMMIT
-- would.)
-- ===========================================================================

SELECT id AS acme_admin_rule FROM runai_internal.access_rules WHERE subject = 'acme-admin@acme.io' \gset
SET LOCAL ROLE regress_tk_app;
SELECT pg_temp.as_user('root');
SET CONSTRAINTS ALL DEFERRED;
SELECT lives_ok(format('SELECT runai.delete_access_rule(%s)', :acme_admin_rule), 'attack 10: deleted, deferred');
SELECT lives_ok('SET CONSTRAINTS ALL IMMEDIATE', 'attack 10: the deferred check runs for a non-superuser');
RESET ROLE;
-- The rule itself still holds when deferred: only root is left, and it may not go.
DELETE FROM runai_internal.access_rules
 WHERE subject IN ('root2@acme.io', 'temp@acme.io', 'beta-admin@beta.io', 'newcto@acme.io');
SELECT id AS root_rule FROM runai_internal.access_rules WHERE subject = 'root@acme.io' \gset
SET LOCAL ROLE regress_tk_app;
SELECT pg_temp.as_user('root');
SET CONSTRAINTS ALL DEFERRED;
SELECT lives_ok(format('SELECT runai.delete_access_rule(%s)', :root_rule), 'attack 10: the last administrator''s rule, deferred');
SELECT throws_ok('SET CONSTRAINTS ALL IMMEDIATE', '23514', 'cannot remove the last local system administrator',
                 'attack 10: is refused when the deferred check runs');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
