-- Identity (SPEC sections 3 and 4 "Users and applications"): bootstrap, local users
-- and their passwords, sign-in statuses, lockout, SSO users, applications, token
-- sessions (authenticate, local, sign_out, expiry, revocation), what SET, RESET,
-- SET ROLE and DISCARD ALL do to the token subject, the last administrator, the
-- events recorded, and that no secret is stored or shown.
-- Cross-session behaviour is in specs/last_admin.spec and specs/session_revoke.spec,
-- attack attempts and parallel workers in test/identity_attacks.sql.
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
-- The same with the detail and the hint, to show that they are full sentences.
CREATE FUNCTION pg_temp.try_full(stmt text) RETURNS TABLE (sqlstate text, message text, detail text, hint text)
LANGUAGE plpgsql AS $$
DECLARE d text; h text;
BEGIN
  EXECUTE stmt;
  RETURN QUERY SELECT '00000'::text, 'ok'::text, NULL::text, NULL::text;
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  RETURN QUERY SELECT SQLSTATE::text, SQLERRM::text, d, h;
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text), pg_temp.try_full(text) TO PUBLIC;

CREATE ROLE regress_ident_app;       -- a platform back end: no privileges of its own
CREATE ROLE regress_ident_bridge;    -- the identity-provider bridge
CREATE ROLE regress_ident_bound;     -- a database role bound to a Run:ai user (granted to no role)

-- ===========================================================================
-- Bootstrap
-- ===========================================================================

-- Only the extension owner or a superuser, and only with a valid email.
SET ROLE regress_ident_app;
SELECT pg_temp.try($$SELECT runai.bootstrap('admin@example.com')$$) AS not_owner;
RESET ROLE;
SELECT pg_temp.try($$SELECT runai.bootstrap(NULL)$$) AS null_email,
       pg_temp.try($$SELECT runai.bootstrap('not an email')$$) AS bad_email,
       pg_temp.try($$SELECT runai.bootstrap('a@b')$$) AS no_tld;

SELECT runai.bootstrap('Admin@Example.com') AS admin_pw \gset
-- 24 characters of base64url: 144 random bits
SELECT length(:'admin_pw') AS length, :'admin_pw' ~ '^[A-Za-z0-9_-]{24}$' AS base64url;
-- The email is stored lower-case; the password only as a SCRAM-SHA-256 verifier.
SELECT email, type, password_temporary, created_by,
       password_hash LIKE 'SCRAM-SHA-256$4096:%' AS scram,
       strpos(password_hash, :'admin_pw') = 0 AS password_not_in_hash
  FROM runai_internal.users;
SELECT ar.subject_type, ar.subject, ro.name AS role, ar.scope, ar.expires_at
  FROM runai_internal.access_rules ar JOIN runai_internal.roles ro ON ro.id = ar.role_id;
-- Only while no local System administrator exists.
SELECT * FROM pg_temp.try_full($$SELECT runai.bootstrap('other@example.com')$$);

-- ===========================================================================
-- Sign-in statuses and changing a password
-- ===========================================================================

-- A temporary password must be changed before the user gets a session.
SELECT * FROM runai.sign_in('admin@example.com', :'admin_pw');
-- The same answer for a wrong password, an unknown email, an empty password.
SELECT * FROM runai.sign_in('admin@example.com', 'wrong password');
SELECT * FROM runai.sign_in('nobody@example.com', 'wrong password');
SELECT * FROM runai.sign_in('admin@example.com', '');
-- A text that is no email at all is 22023: it says nothing about which emails
-- have accounts, and no lockout counts it.
SELECT pg_temp.try($$SELECT * FROM runai.sign_in('', '')$$) AS empty_email,
       pg_temp.try(format('SELECT * FROM runai.sign_in(%L, %L)', U&'\212Aim@example.com', 'x')) AS kelvin_sign;
-- NULLs are errors, not statuses.
SELECT pg_temp.try($$SELECT * FROM runai.sign_in(NULL, 'x')$$) AS null_email,
       pg_temp.try($$SELECT * FROM runai.sign_in('admin@example.com', NULL)$$) AS null_password;

-- The rules for a new password: 8 to 255 characters, not the email, not the current one.
SELECT pg_temp.try(format($$SELECT runai.change_password('admin@example.com', %L, 'short')$$, :'admin_pw')) AS too_short,
       pg_temp.try(format($$SELECT runai.change_password('admin@example.com', %L, repeat('x', 256))$$, :'admin_pw')) AS too_long,
       pg_temp.try(format($$SELECT runai.change_password('admin@example.com', %L, 'ADMIN@example.com')$$, :'admin_pw')) AS is_email,
       pg_temp.try(format($$SELECT runai.change_password('admin@example.com', %L, %L)$$, :'admin_pw', :'admin_pw')) AS is_current;
SELECT * FROM pg_temp.try_full($$SELECT runai.change_password('admin@example.com', 'not it', 'correct horse battery')$$);
-- an unknown email gets the very same error
SELECT pg_temp.try($$SELECT runai.change_password('ghost@example.com', 'not it', 'correct horse battery')$$) AS unknown_email;
SELECT pg_temp.try($$SELECT runai.change_password(NULL, 'a', 'correct horse battery')$$) AS null_email;
SELECT runai.change_password('ADMIN@example.com', :'admin_pw', 'correct horse battery');
SELECT password_temporary FROM runai_internal.users WHERE email = 'admin@example.com';
-- the temporary password stopped working, the new one works and gives a token
SELECT * FROM runai.sign_in('admin@example.com', :'admin_pw');
SELECT status, token ~ '^rbt_[A-Za-z0-9_-]{43}$' AS token_form
  FROM runai.sign_in('Admin@Example.COM', 'correct horse battery');
SELECT last_login IS NOT NULL AS last_login_set FROM runai_internal.users WHERE email = 'admin@example.com';

-- ===========================================================================
-- Tokens and the current subject
-- ===========================================================================

SELECT token AS admin_tok FROM runai.sign_in('admin@example.com', 'correct horse battery') \gset
-- Stored only as its SHA-256 digest.
SELECT count(*) AS sessions_of_token,
       bool_and(token_hash = sha256(convert_to(:'admin_tok', 'UTF8'))) AS digest_only
  FROM runai_internal.sessions WHERE token_hash = sha256(convert_to(:'admin_tok', 'UTF8'));
SELECT count(*) AS rows_with_token_text
  FROM runai_internal.sessions s WHERE s::text LIKE '%' || :'admin_tok' || '%';

SET ROLE regress_ident_app;
SELECT runai.current_subject() AS nobody_yet, runai.can('users', 'create', 'system') AS can_create_users;
SELECT pg_temp.try($$SELECT * FROM runai.create_local_user('bob@example.com')$$) AS without_subject;
SELECT runai.authenticate(:'admin_tok');
SELECT runai.current_subject(), runai.can('users', 'create', 'system') AS can_create_users;
-- Bad tokens: all the same error, which never repeats the token.
SELECT pg_temp.try($$SELECT runai.authenticate('rbt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')$$) AS unknown_token,
       pg_temp.try($$SELECT runai.authenticate('x'' OR 1=1 --')$$) AS injection;
SELECT * FROM pg_temp.try_full($$SELECT runai.authenticate('')$$);
SELECT pg_temp.try($$SELECT runai.authenticate(NULL)$$) AS null_token,
       pg_temp.try(format($$SELECT runai.authenticate(%L, NULL)$$, :'admin_tok')) AS null_local;
-- the digest that is stored is not a token
SELECT pg_temp.try(format($$SELECT runai.authenticate(%L)$$, encode(sha256(convert_to(:'admin_tok', 'UTF8')), 'hex'))) AS digest_as_token;
-- a failed authenticate, caught or not, leaves the connection with no token subject
-- (the attempts above were caught by pg_temp.try's exception block)
SELECT runai.current_subject() AS after_failed_authenticate;
-- runai.clear_subject drops a token subject without ending the token, for good
SELECT runai.authenticate(:'admin_tok');
BEGIN;
SELECT runai.clear_subject() AS cleared, runai.current_subject() AS now;
ROLLBACK;
SELECT runai.current_subject() AS after_rollback, runai.clear_subject() AS cleared_again;
SELECT runai.authenticate(:'admin_tok');

-- ===========================================================================
-- Local users
-- ===========================================================================

SELECT user_id IS NOT NULL AS has_id, email, temporary_password ~ '^[A-Za-z0-9_-]{24}$' AS temporary_password_form
  FROM runai.create_local_user('Bob@Example.com');
SELECT temporary_password AS carol_pw0 FROM runai.create_local_user('carol@example.com') \gset
SELECT pg_temp.try($$SELECT * FROM runai.create_local_user('BOB@example.com')$$) AS duplicate,
       pg_temp.try($$SELECT * FROM runai.create_local_user('bob@@example.com')$$) AS bad_email,
       pg_temp.try($$SELECT * FROM runai.create_local_user(NULL)$$) AS null_email,
       pg_temp.try($$SELECT * FROM runai.create_local_user(repeat('a', 320) || '@example.com')$$) AS too_long,
       pg_temp.try($$SELECT * FROM runai.create_local_user('x@example.com''); DROP TABLE runai_internal.users; --')$$) AS injection;
-- carol signs in with her temporary password, changes it, gets a token
SELECT runai.change_password('carol@example.com', :'carol_pw0', 'carol password 1');
SELECT token AS carol_tok FROM runai.sign_in('carol@example.com', 'carol password 1') \gset
SELECT runai.reset_password('bob@example.com') AS bob_pw \gset
SELECT runai.change_password('bob@example.com', :'bob_pw', 'bob password 1');
SELECT token AS bob_tok FROM runai.sign_in('bob@example.com', 'bob password 1') \gset

-- Bob has no access rules: every change is refused with a clear 42501.
SELECT runai.authenticate(:'bob_tok');
SELECT * FROM pg_temp.try_full($$SELECT * FROM runai.create_local_user('dave@example.com')$$);
SELECT pg_temp.try($$SELECT runai.reset_password('carol@example.com')$$) AS reset,
       pg_temp.try($$SELECT runai.delete_user('carol@example.com')$$) AS delete,
       pg_temp.try($$SELECT * FROM runai.create_application('bobs-app')$$) AS create_app,
       -- existence is not revealed before the permission check
       pg_temp.try($$SELECT runai.delete_user('ghost@example.com')$$) AS delete_unknown;

-- ===========================================================================
-- What SET, RESET, SET ROLE and DISCARD ALL do to the token subject
-- ===========================================================================

-- Bob's token subject is in force.  It takes precedence over the binding of the
-- current database role, and SET ROLE, RESET ROLE and RESET ALL leave it alone.
RESET ROLE;
SELECT runai.bind_db_role('carol@example.com', 'regress_ident_bound');
SET ROLE regress_ident_bound;
SELECT runai.current_subject() AS token_wins_over_binding;
RESET ROLE;
SELECT runai.current_subject() AS token_survives_reset_role;
SET ROLE regress_ident_app;
-- A non-superuser cannot set, clear, reset or read it.
SELECT pg_temp.try($$SET runai.authenticated_session = ''$$) AS set_empty,
       pg_temp.try($$SELECT set_config('runai.authenticated_session', '1:u:9999999999999999:admin@example.com', false)$$) AS set_config,
       pg_temp.try($$RESET runai.authenticated_session$$) AS reset,
       pg_temp.try($$SET LOCAL runai.authenticated_session TO DEFAULT$$) AS set_default,
       pg_temp.try($$SHOW runai.authenticated_session$$) AS show;
RESET ALL;
SELECT runai.current_subject() AS survives_reset_all;
-- Not even a superuser can forge a subject.
RESET ROLE;
SELECT * FROM pg_temp.try_full($$SET runai.authenticated_session = '1:u:9999999999999999:admin@example.com'$$);
SELECT runai.current_subject();
-- sign_out ends the token subject; then the role's binding applies.
SELECT runai.sign_out() AS signed_out;
SET ROLE regress_ident_bound;
SELECT runai.current_subject() AS binding_applies;
SET ROLE regress_ident_app;
SELECT runai.current_subject() AS unbound_role_is_nobody;
SELECT runai.sign_out() AS nothing_to_sign_out;
SELECT pg_temp.try(format($$SELECT runai.authenticate(%L)$$, :'bob_tok')) AS signed_out_token;

-- ===========================================================================
-- local => true, transactions and savepoints
-- ===========================================================================

SET ROLE regress_ident_app;
BEGIN;
SELECT runai.authenticate(:'carol_tok', local => true);
SELECT runai.current_subject() AS inside;
COMMIT;
SELECT runai.current_subject() AS after_commit;
BEGIN;
SELECT runai.authenticate(:'carol_tok', true);
SELECT 1/0;
ROLLBACK;
SELECT runai.current_subject() AS after_rollback;
-- A session-wide subject established in a rolled back transaction is undone, like SET.
BEGIN;
SELECT runai.authenticate(:'carol_tok');
ROLLBACK;
SELECT runai.current_subject() AS rolled_back_session_wide;
-- local over session-wide: the session-wide subject is back after the transaction.
SELECT runai.authenticate(:'admin_tok');
BEGIN;
SELECT runai.authenticate(:'carol_tok', true);
SELECT runai.current_subject() AS local_in_force;
COMMIT;
SELECT runai.current_subject() AS session_wide_again;
-- A sign-out rolled back to a savepoint keeps its session (the token works again),
-- but the connection's token subject stays dropped, as with clear_subject.
BEGIN;
SAVEPOINT before_sign_out;
SELECT runai.sign_out();
SELECT runai.current_subject() AS signed_out;
ROLLBACK TO SAVEPOINT before_sign_out;
SELECT runai.current_subject() AS still_signed_out;
SELECT runai.authenticate(:'admin_tok') AS token_still_valid;
COMMIT;

-- ===========================================================================
-- sign_out, revocation and expiry
-- ===========================================================================

SELECT runai.authenticate(:'carol_tok');
SELECT runai.sign_out() AS signed_out, runai.current_subject() AS now;
SELECT pg_temp.try(format($$SELECT runai.authenticate(%L)$$, :'carol_tok')) AS token_after_sign_out;

-- change_password ends the user's other sessions but keeps the caller's own.
SELECT token AS bob_tok FROM runai.sign_in('bob@example.com', 'bob password 1') \gset
SELECT token AS bob_tok2 FROM runai.sign_in('bob@example.com', 'bob password 1') \gset
SELECT runai.authenticate(:'bob_tok');
SELECT runai.change_password('bob@example.com', 'bob password 1', 'bob password 2');
SELECT runai.current_subject() AS own_session_kept;
SELECT pg_temp.try(format($$SELECT runai.authenticate(%L)$$, :'bob_tok2')) AS other_session;
SELECT runai.authenticate(:'bob_tok') AS bob_again;   -- the failure above dropped the subject

-- reset_password ends every session of the user: the connection's next statement
-- that needs the subject gets 28000 once, and then it has no token subject.
RESET ROLE;
SELECT runai.reset_password('bob@example.com') IS NOT NULL AS reset;
SET ROLE regress_ident_app;
SELECT * FROM pg_temp.try_full($$SELECT runai.current_subject()$$);
SELECT runai.current_subject() AS after_reset;
SELECT pg_temp.try(format($$SELECT runai.authenticate(%L)$$, :'bob_tok')) AS bob_token;

-- Tokens expire after runai.session_lifetime (superusers only may change it).
SELECT pg_temp.try($$SET runai.session_lifetime = '10d'$$) AS user_cannot_extend;
RESET ROLE;
SHOW runai.session_lifetime;
SET runai.session_lifetime = '90s';
SELECT token AS short_tok FROM runai.sign_in('admin@example.com', 'correct horse battery') \gset
RESET runai.session_lifetime;
SELECT expires_at - created_at AS lifetime FROM runai_internal.sessions
 WHERE token_hash = sha256(convert_to(:'short_tok', 'UTF8'));
-- A subject in force ends when its session expires, without anything else happening.
SET ROLE regress_ident_app;
SELECT runai.authenticate(:'short_tok');
RESET ROLE;
UPDATE runai_internal.sessions SET expires_at = clock_timestamp() + interval '2 seconds'
 WHERE token_hash = sha256(convert_to(:'short_tok', 'UTF8'));
SET ROLE regress_ident_app;
SELECT runai.current_subject() AS before_expiry;
RESET ROLE;
SELECT pg_sleep(greatest(0, extract(epoch FROM expires_at - clock_timestamp())) + 0.1) AS wait_for_expiry
  FROM runai_internal.sessions WHERE token_hash = sha256(convert_to(:'short_tok', 'UTF8'));
-- The next statement that needs the subject gets 28000 once (the detail says when
-- the session expired), then the connection has no token subject: no silently
-- empty answers.
SET ROLE regress_ident_app;
SELECT sqlstate, message, regexp_replace(detail, 'expired at .*;', 'expired at <time>;') AS detail, hint
  FROM pg_temp.try_full($$SELECT runai.can('users', 'view', 'system')$$);
SELECT runai.current_subject() AS then_nobody, runai.can('users', 'view', 'system') AS can_view_users;
SELECT pg_temp.try(format($$SELECT runai.authenticate(%L)$$, :'short_tok')) AS expired_token;
-- A session whose expiry is moved into the past ends at the next statement.
SELECT runai.authenticate(:'admin_tok');
RESET ROLE;
UPDATE runai_internal.sessions SET expires_at = now() - interval '1 second'
 WHERE token_hash = sha256(convert_to(:'admin_tok', 'UTF8'));
SET ROLE regress_ident_app;
SELECT regexp_replace(detail, 'expired at .*;', 'expired at <time>;') AS after_expiry_moved
  FROM pg_temp.try_full($$SELECT runai.current_subject()$$);
SELECT runai.current_subject() AS then_nobody;
RESET ROLE;

-- ===========================================================================
-- Lockout: five consecutive failures lock for runai.lockout_duration
-- ===========================================================================

SELECT token AS admin_tok FROM runai.sign_in('admin@example.com', 'correct horse battery') \gset
-- The count survives the rollback of the transaction that made the attempts.
BEGIN;
SELECT string_agg(s.status, ', ') AS five_failures
  FROM generate_series(1, 5) i, LATERAL runai.sign_in('carol@example.com', 'guess ' || i) s;
ROLLBACK;
SELECT * FROM runai.sign_in('carol@example.com', 'carol password 1');
-- change_password is a password check too: refused while locked.
SELECT pg_temp.try($$SELECT runai.change_password('carol@example.com', 'carol password 1', 'carol password 2')$$) AS change_password;
-- Unknown emails are locked the same way, so "locked" tells nothing.
SELECT string_agg(s.status, ', ' ORDER BY i) AS unknown_email
  FROM generate_series(1, 6) i, LATERAL runai.sign_in('stranger@example.com', 'guess ' || i) s;
-- A success resets the count: four failures, a success, four failures do not lock.
SELECT string_agg(s.status, ', ' ORDER BY i) AS not_consecutive
  FROM generate_series(1, 9) i,
       LATERAL runai.sign_in('admin@example.com', CASE WHEN i = 5 THEN 'correct horse battery' ELSE 'guess ' || i END) s;
SELECT status, token IS NOT NULL AS has_token FROM runai.sign_in('admin@example.com', 'correct horse battery');
-- An administrator's reset lifts the lock.
SELECT runai.reset_password('carol@example.com') AS carol_pw \gset
SELECT * FROM runai.sign_in('carol@example.com', :'carol_pw');
-- Both limits are settings, which only superusers change.
SET runai.max_failed_sign_ins = 2;
SET runai.lockout_duration = '3s';
SELECT string_agg(s.status, ', ' ORDER BY i) AS two_then_locked
  FROM generate_series(1, 3) i, LATERAL runai.sign_in('carol@example.com', 'guess ' || i) s;
SELECT pg_sleep(3.1);
SELECT * FROM runai.sign_in('carol@example.com', :'carol_pw');
RESET runai.max_failed_sign_ins;
RESET runai.lockout_duration;
SET ROLE regress_ident_app;
SELECT pg_temp.try($$SET runai.max_failed_sign_ins = 1000$$) AS user_cannot_raise;
RESET ROLE;

-- ===========================================================================
-- SSO users
-- ===========================================================================

-- Only the bridge the administrator grants EXECUTE may sign SSO users in.
SET ROLE regress_ident_app;
SELECT pg_temp.try($$SELECT runai.sso_sign_in('eve@example.com', '{}')$$) AS not_granted;
-- PostgreSQL's own refusal, with a detail and a hint that say how to grant it.
\set VERBOSITY default
SELECT runai.sso_sign_in('eve@example.com', '{}');
\set VERBOSITY terse
RESET ROLE;
-- Only that refusal gets them: another function the role may not execute keeps
-- PostgreSQL's bare message.  (The hook matches the message, which names the
-- function without its schema: a function called sso_sign_in in another schema
-- would get the hint too.)
CREATE FUNCTION pg_temp.other_denied() RETURNS int LANGUAGE sql RETURN 1;
REVOKE ALL ON FUNCTION pg_temp.other_denied() FROM PUBLIC;
SET ROLE regress_ident_app;
\set VERBOSITY default
SELECT pg_temp.other_denied();
\set VERBOSITY terse
RESET ROLE;
GRANT EXECUTE ON FUNCTION runai.sso_sign_in(text, text[]) TO regress_ident_bridge;
SET ROLE regress_ident_bridge;
SELECT runai.sso_sign_in('Eve@Example.com', ARRAY['researchers', 'ml', 'researchers']) AS eve_tok \gset
SELECT :'eve_tok' ~ '^rbt_' AS token;
SELECT pg_temp.try($$SELECT runai.sso_sign_in('admin@example.com', '{}')$$) AS local_email,
       pg_temp.try($$SELECT runai.sso_sign_in('eve@example.com', NULL)$$) AS null_groups,
       pg_temp.try($$SELECT runai.sso_sign_in('eve@example.com', ARRAY['ok', ''])$$) AS empty_group,
       pg_temp.try($$SELECT runai.sso_sign_in('eve@example.com', ARRAY[NULL::text])$$) AS null_group,
       pg_temp.try($$SELECT runai.sso_sign_in('eve', '{}')$$) AS bad_email;
RESET ROLE;
SELECT email, type, password_hash IS NULL AS no_password, last_login IS NOT NULL AS signed_in
  FROM runai_internal.users WHERE email = 'eve@example.com';
SELECT gm.group_name FROM runai_internal.group_members gm JOIN runai_internal.users u ON u.id = gm.user_id
 WHERE u.email = 'eve@example.com' ORDER BY 1;
-- A rule for a group applies to its members at once.
SELECT runai.add_access_rule('group', 'researchers', 'Viewer', 'system') AS group_rule \gset
SET ROLE regress_ident_app;
SELECT runai.authenticate(:'eve_tok');
SELECT runai.can('project', 'view', 'system') AS via_group;
-- The next sign-in replaces the groups, and the checks follow.
SET ROLE regress_ident_bridge;
SELECT runai.sso_sign_in('eve@example.com', ARRAY['ml']) IS NOT NULL AS signed_in_again;
SET ROLE regress_ident_app;
SELECT runai.current_subject(), runai.can('project', 'view', 'system') AS via_group_after;
RESET ROLE;
SELECT gm.group_name FROM runai_internal.group_members gm JOIN runai_internal.users u ON u.id = gm.user_id
 WHERE u.email = 'eve@example.com' ORDER BY 1;
-- SSO users have no password: reset and change refuse them clearly.
SELECT * FROM pg_temp.try_full($$SELECT runai.reset_password('eve@example.com')$$);
SELECT * FROM pg_temp.try_full($$SELECT runai.change_password('eve@example.com', 'anything', 'new password 1')$$);
SELECT * FROM runai.sign_in('eve@example.com', '');

-- ===========================================================================
-- Applications
-- ===========================================================================

SET ROLE regress_ident_app;
SELECT runai.authenticate(:'admin_tok');
SELECT client_id AS app_id, client_secret AS app_secret FROM runai.create_application('ci-pipeline') \gset
SELECT :'app_secret' ~ '^rbs_[A-Za-z0-9_-]{43}$' AS secret_form, :'app_id' <> 'ci-pipeline' AS client_id_is_not_the_name;
SELECT pg_temp.try($$SELECT * FROM runai.create_application('ci-pipeline')$$) AS duplicate,
       pg_temp.try($$SELECT * FROM runai.create_application('-bad')$$) AS bad_name,
       pg_temp.try($$SELECT * FROM runai.create_application(repeat('a', 64))$$) AS too_long,
       pg_temp.try($$SELECT * FROM runai.create_application(NULL)$$) AS null_name;
SELECT runai.app_sign_in(:'app_id', :'app_secret') AS app_tok \gset
SELECT runai.authenticate(:'app_tok') AS app_subject;
SELECT runai.current_subject(), runai.can('apps', 'view', 'system') AS app_has_no_rules;
SELECT runai.authenticate(:'admin_tok');
SELECT * FROM pg_temp.try_full(format($$SELECT runai.app_sign_in(%L, 'rbs_wrong')$$, :'app_id'));
SELECT pg_temp.try($$SELECT runai.app_sign_in('no-such-client', 'rbs_wrong')$$) AS unknown_client,
       pg_temp.try($$SELECT runai.app_sign_in(NULL, 'x')$$) AS null_client;
-- Regenerating the secret revokes the old one and the sessions signed in with it.
SELECT runai.regenerate_application_secret('ci-pipeline') AS app_secret2 \gset
SELECT pg_temp.try(format($$SELECT runai.app_sign_in(%L, %L)$$, :'app_id', :'app_secret')) AS old_secret,
       pg_temp.try(format($$SELECT runai.app_sign_in(%L, %L)$$, :'app_id', :'app_secret2')) AS new_secret,
       pg_temp.try($$SELECT runai.regenerate_application_secret('no-such-app')$$) AS unknown_app,
       pg_temp.try(format($$SELECT runai.authenticate(%L)$$, :'app_tok')) AS old_session;
-- (the failed authenticate dropped the administrator's subject too)
SELECT runai.current_subject() AS after_failed_authenticate, runai.authenticate(:'admin_tok') AS admin_again;
RESET ROLE;
SELECT name, secret_hash LIKE 'SCRAM-SHA-256$4096:%' AS scram, strpos(secret_hash, :'app_secret2') = 0 AS secret_not_in_hash,
       last_login IS NOT NULL AS signed_in
  FROM runai_internal.applications;
-- Deleting it deletes its rules and sessions.
SET ROLE regress_ident_app;
SELECT runai.add_access_rule('app', 'ci-pipeline', 'Viewer', 'system') IS NOT NULL AS app_rule;
SELECT runai.app_sign_in(:'app_id', :'app_secret2') AS app_tok \gset
SELECT runai.delete_application('ci-pipeline');
SELECT pg_temp.try($$SELECT runai.delete_application('ci-pipeline')$$) AS again,
       pg_temp.try(format($$SELECT runai.authenticate(%L)$$, :'app_tok')) AS app_session;
SELECT runai.authenticate(:'admin_tok') AS admin_again;
RESET ROLE;
SELECT (SELECT count(*) FROM runai_internal.access_rules WHERE subject_type = 'app') AS app_rules,
       (SELECT count(*) FROM runai_internal.applications) AS applications;

-- ===========================================================================
-- Deleting users and the last administrator
-- ===========================================================================

-- delete_user takes the user's rules (recorded), groups, bindings and sessions.
SELECT runai.add_access_rule('user', 'carol@example.com', 'Viewer', 'system') IS NOT NULL AS carol_rule;
SET ROLE regress_ident_app;
SELECT runai.delete_user('Carol@Example.com');
RESET ROLE;
SELECT (SELECT count(*) FROM runai_internal.users WHERE email = 'carol@example.com') AS users,
       (SELECT count(*) FROM runai_internal.access_rules WHERE subject = 'carol@example.com') AS rules,
       (SELECT count(*) FROM runai_internal.db_role_bindings WHERE db_role = 'regress_ident_bound'::regrole) AS bindings;
SET ROLE regress_ident_app;
SELECT pg_temp.try($$SELECT runai.delete_user('carol@example.com')$$) AS unknown,
       pg_temp.try($$SELECT runai.delete_user(NULL)$$) AS null_email;
SELECT runai.delete_user('eve@example.com');

-- The last local System administrator cannot go, in any way.
SELECT * FROM pg_temp.try_full($$SELECT runai.delete_user('admin@example.com')$$);
RESET ROLE;
SELECT id AS admin_rule FROM runai_internal.access_rules WHERE subject = 'admin@example.com' \gset
SET ROLE regress_ident_app;
SELECT pg_temp.try(format('SELECT runai.delete_access_rule(%s)', :admin_rule)) AS delete_rule;
RESET ROLE;
SELECT pg_temp.try($$DELETE FROM runai_internal.access_rules$$) AS raw_delete_rules,
       pg_temp.try($$DELETE FROM runai_internal.users WHERE email = 'admin@example.com'$$) AS raw_delete_user,
       pg_temp.try($$UPDATE runai_internal.users SET type = 'sso', password_hash = NULL WHERE email = 'admin@example.com'$$) AS make_sso,
       pg_temp.try($$TRUNCATE runai_internal.access_rules$$) AS truncate_rules,
       pg_temp.try($$TRUNCATE runai_internal.users CASCADE$$) AS truncate_users;
-- A second administrator whose rule expires does not count.
SELECT temporary_password AS frank_pw FROM runai.create_local_user('frank@example.com') \gset
SELECT runai.add_access_rule('user', 'frank@example.com', 'System administrator', 'system', now() + interval '1 day') AS frank_rule \gset
SELECT pg_temp.try(format('SELECT runai.delete_access_rule(%s)', :admin_rule)) AS only_expiring_left;
-- With a lasting second administrator, the first may go; then the second is the last.
SELECT runai.delete_access_rule(:frank_rule);
SELECT runai.create_scope('tenant', 'acme', 'Acme', 'system') AS tenant;
SELECT runai.add_access_rule('user', 'frank@example.com', 'System administrator', 'tenant/acme') AS frank_rule \gset
SELECT runai.delete_user('admin@example.com');
-- (this connection's token subject was admin, whose sessions ended with it: the
-- next statement that needs the subject says so, once)
SELECT pg_temp.try($$SELECT runai.current_subject()$$) AS own_session_ended, runai.current_subject() AS now;
SELECT pg_temp.try(format('SELECT runai.delete_access_rule(%s)', :frank_rule)) AS frank_is_last;
-- SSO administrators do not count either.
SELECT runai.sso_sign_in('grace@example.com', '{}') IS NOT NULL AS grace;
SELECT runai.add_access_rule('user', 'grace@example.com', 'System administrator', 'system') IS NOT NULL AS grace_rule;
SELECT pg_temp.try($$SELECT runai.delete_user('frank@example.com')$$) AS sso_admin_is_not_enough;
-- Before a bootstrap there is nothing to keep (and bootstrap is refused after one).
SELECT pg_temp.try($$SELECT runai.bootstrap('henry@example.com')$$) AS bootstrap_again;

-- ===========================================================================
-- Event history: every change and sign-in, no secret
-- ===========================================================================

SELECT CASE subject_type WHEN 'db_role' THEN '(database role)' ELSE subject END AS subject, subject_type, action, result, entity_type, entity_name,
       details - 'sessions_ended' - 'client_id' AS details
  FROM runai_internal.events
 WHERE (action IN ('sign-in', 'sign-out', 'reset-password') OR entity_type IN ('users', 'apps'))
   AND NOT details ?| ARRAY['bound_db_role', 'unbound_db_role']   -- runai.bind_db_role's own
   AND NOT details ? 'window'                                      -- failed sign-ins: below
 ORDER BY id;
-- Failed password sign-ins: one event per account (all unknown emails together)
-- and window of runai.lockout_duration, with counts.  Summed over windows, as the
-- test may cross from one window into the next.
SELECT subject, subject_type, entity_name, sum((details->>'count')::bigint) AS failures,
       sum((details->>'invalid_credentials')::bigint) AS invalid_credentials,
       sum((details->>'locked')::bigint) AS locked,
       count(*) <= 4 AS few_events,
       bool_and(details->>'window' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$') AS window_in_utc
  FROM runai_internal.events
 WHERE action = 'sign-in' AND result = 'Failed' AND details ? 'window'
 GROUP BY 1, 2, 3 ORDER BY 3 NULLS FIRST;
SELECT count(*) AS events_with_a_secret
  FROM runai_internal.events e,
       unnest(ARRAY[:'admin_pw', :'bob_pw', :'carol_pw', :'frank_pw', 'correct horse battery',
                    'bob password 1', 'carol password 1', :'admin_tok', :'bob_tok', :'carol_tok',
                    :'eve_tok', :'app_tok', :'app_secret', :'app_secret2', 'guess']) s
 WHERE strpos(e::text, s) > 0;
-- Failed sign-ins of unknown emails do not record what was typed.
SELECT count(*) AS unknown_emails_recorded FROM runai_internal.events WHERE strpos(events::text, 'ghost') > 0 OR strpos(events::text, 'nobody@') > 0;

-- ===========================================================================
-- Privileges
-- ===========================================================================

-- Nobody but the owner reads or writes the tables holding verifiers and sessions.
SET ROLE regress_ident_app;
SELECT pg_temp.try($$SELECT * FROM runai_internal.sessions$$) AS sessions,
       pg_temp.try($$SELECT password_hash FROM runai_internal.users$$) AS users,
       pg_temp.try($$SELECT secret_hash FROM runai_internal.applications$$) AS applications,
       pg_temp.try($$SELECT * FROM runai_internal.admin_guard$$) AS guard;
RESET ROLE;
-- The public functions and who may execute them.
SELECT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args,
       has_function_privilege('regress_ident_app', p.oid, 'EXECUTE') AS public_may_execute,
       p.prosecdef AS security_definer
  FROM pg_proc p
 WHERE p.pronamespace = 'runai'::regnamespace
   AND p.proname IN ('bootstrap', 'create_local_user', 'sign_in', 'change_password', 'reset_password',
                     'delete_user', 'sso_sign_in', 'create_application', 'regenerate_application_secret',
                     'app_sign_in', 'delete_application', 'authenticate', 'sign_out', 'current_subject')
 ORDER BY 1;
-- No internal function of this part is executable by PUBLIC (those of the types and
-- of row-level security are: sql/api.sql).
SELECT count(*) AS internal_executable_by_public
  FROM pg_proc p
 WHERE p.pronamespace = 'runai_internal'::regnamespace AND p.proname !~ '^(scope|actionset|text|rls)_'
   AND has_function_privilege('regress_ident_app', p.oid, 'EXECUTE');
SELECT count(*) AS identity_internal_functions
  FROM pg_proc p
 WHERE p.pronamespace = 'runai_internal'::regnamespace
   AND p.proname IN ('password_hash', 'password_verify', 'random_text', 'token_hash', 'lockout_attempt',
                     'lockout_success', 'lockout_available', 'session_end', 'session_id', 'session_expires_at',
                     'new_session', 'end_sessions', 'sign_in', 'sso_sign_in');

-- ===========================================================================
-- DISCARD ALL, a pooler's reset query, ends the token subject
-- ===========================================================================

SELECT runai.sso_sign_in('grace@example.com', '{}') AS grace_tok \gset
SET ROLE regress_ident_app;
SELECT runai.authenticate(:'grace_tok');
DISCARD ALL;
SELECT current_user = session_user AS role_reset_too, runai.current_subject() AS after_discard_all;
-- the session itself is not ended: the token still works
SELECT runai.authenticate(:'grace_tok');
SELECT runai.sign_out();

DROP EXTENSION runai_rbac;
DROP ROLE regress_ident_app, regress_ident_bridge, regress_ident_bound;
