-- Attacks on identity (SPEC section 3, issue 4 points 4 to 6): a non-superuser tries
-- to set, forge, keep or change the current subject (SET, set_config, RESET, a
-- function's SET clause, SET ROLE, savepoints, internal functions, forged tokens,
-- direct writes to the catalog), to escape the sign-in lockout by rolling back, and
-- to read secrets; the token subject must also be right inside parallel workers.
-- Everything runs in one transaction that is rolled back.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS runai_rbac;
SET LOCAL client_min_messages = warning;

SELECT plan(120);

-- pgTAP keeps its state in temporary tables: let the test roles write them.
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.oid::regclass AS rel, c.relkind FROM pg_class c
            WHERE c.relnamespace = pg_my_temp_schema() AND c.relkind IN ('r', 'S') LOOP
    EXECUTE format('GRANT ALL ON %s TO PUBLIC', r.rel);
  END LOOP;
END
$$;

CREATE ROLE regress_attacker;          -- an application's database role, no privileges
CREATE ROLE regress_attack_bound;      -- bound to bob
GRANT CREATE ON SCHEMA public TO regress_attacker;

-- Alice is an administrator with a token; bob is a user without rules.
INSERT INTO runai_internal.users (email, type, password_hash, created_by) VALUES
  ('alice@x.io', 'local', runai_internal.password_hash('alice-password'), 'test'),
  ('bob@x.io', 'local', runai_internal.password_hash('bob-password'), 'test');
INSERT INTO runai_internal.access_rules (subject_type, subject, role_id, scope, created_by)
SELECT 'user', 'alice@x.io', id, 'system', 'test' FROM runai_internal.roles WHERE name = 'System administrator';
SELECT runai.bind_db_role('bob@x.io', 'regress_attack_bound');
-- (granted after binding: runai.bind_db_role refuses a role granted to another)
GRANT regress_attack_bound TO regress_attacker;
CREATE TEMP TABLE tok AS
  SELECT 'alice'::text AS who, token FROM runai.sign_in('alice@x.io', 'alice-password');
INSERT INTO tok SELECT 'bob', token FROM runai.sign_in('bob@x.io', 'bob-password');
INSERT INTO tok SELECT 'alice2', token FROM runai.sign_in('alice@x.io', 'alice-password');
GRANT SELECT ON tok TO PUBLIC;

-- ===========================================================================
-- Setting the subject without a token
-- ===========================================================================

SET LOCAL ROLE regress_attacker;
SELECT is(runai.current_subject(), NULL, 'an unbound role without a token is nobody');
SELECT throws_ok($$SET runai.authenticated_session = '1:u:9999999999999999:alice@x.io'$$, '42501',
                 'permission denied to set parameter "runai.authenticated_session"', 
                 'SET of the session parameter is refused');
SELECT throws_ok($$SELECT set_config('runai.authenticated_session', '1:u:9999999999999999:alice@x.io', true)$$,
                 '42501',
                 'permission denied to set parameter "runai.authenticated_session"',  'set_config of the session parameter is refused');
SELECT throws_ok($$RESET runai.authenticated_session$$, '42501',
                 'permission denied to set parameter "runai.authenticated_session"',  'RESET of the session parameter is refused');
SELECT throws_ok($$SET LOCAL runai.authenticated_session = ''$$, '42501',
                 'permission denied to set parameter "runai.authenticated_session"',  'SET LOCAL of the session parameter is refused');
SELECT throws_ok($$CREATE FUNCTION public.regress_forge() RETURNS text LANGUAGE sql
                   SET runai.authenticated_session = '1:u:9999999999999999:alice@x.io' RETURN 'x'$$,
                 '42501',
                 'permission denied to set parameter "runai.authenticated_session"',  'a function SET clause for the session parameter is refused');
SELECT is((SELECT count(*) FROM pg_settings WHERE name = 'runai.authenticated_session'), 0::bigint,
          'the session parameter is hidden from pg_settings');
SELECT throws_ok($$SELECT current_setting('runai.authenticated_session')$$, '42501',
                 'must be superuser or have privileges of pg_read_all_settings to examine "runai.authenticated_session"',
                 'the session parameter cannot be read');
SELECT is(runai.current_subject(), NULL, 'still nobody after the attempts');
-- the bound role acts as bob, and that is all it can be
SET LOCAL ROLE regress_attack_bound;
SELECT is(runai.current_subject(), 'user:bob@x.io', 'SET ROLE to a bound role acts as its user');
SET LOCAL ROLE regress_attacker;
SELECT is(runai.current_subject(), NULL, 'SET ROLE back to the unbound role is nobody again');
RESET ROLE;

-- Superusers cannot forge one either, not even for a role or a database.
SELECT throws_ok($$SET runai.authenticated_session = '1:u:9999999999999999:alice@x.io'$$, '42501',
                 'parameter "runai.authenticated_session" can only be set by runai.authenticate',
                 'a superuser''s SET is refused by the check hook');
SELECT throws_ok($$ALTER ROLE regress_attacker SET runai.authenticated_session = '1:u:9999999999999999:alice@x.io'$$,
                 '42501', NULL, 'ALTER ROLE ... SET of the session parameter is refused');
SELECT throws_ok(format($$ALTER DATABASE %I SET runai.authenticated_session = '1:u:9999999999999999:alice@x.io'$$, current_database()),
                 '42501', NULL, 'ALTER DATABASE ... SET of the session parameter is refused');

-- ===========================================================================
-- Internal functions and the catalog
-- ===========================================================================

SET LOCAL ROLE regress_attacker;
SELECT is((SELECT count(*) FROM pg_proc p
            WHERE p.pronamespace = 'runai_internal'::regnamespace AND p.proname !~ '^(scope|actionset|text|rls)_'
              AND has_function_privilege('regress_attacker', p.oid, 'EXECUTE')), 0::bigint,
          'no internal function of identity is executable by a non-superuser');
SELECT cmp_ok((SELECT count(*) FROM pg_proc p
                WHERE p.pronamespace = 'runai_internal'::regnamespace AND p.proname !~ '^(scope|actionset|text|rls)_'),
              '>=', 60::bigint, 'the internal functions counted above exist');
SELECT throws_ok($$SELECT runai_internal.session_end()$$, '42501', NULL, 'session_end is not executable');
SELECT throws_ok($$SELECT runai_internal.lockout_success('alice@x.io')$$, '42501', NULL, 'lockout_success is not executable');
SELECT throws_ok($$SELECT runai_internal.password_verify('x', 'y')$$, '42501', NULL, 'password_verify is not executable');
SELECT throws_ok($$SELECT * FROM runai_internal.sign_in('alice@x.io', 'alice-password')$$, '42501', NULL,
                 'a twin is not executable: the actor cannot be bypassed');
SELECT throws_ok($$SELECT runai_internal.new_session('user', 'alice@x.io', (SELECT id FROM runai_internal.users LIMIT 1), NULL)$$,
                 '42501', NULL, 'new_session is not executable');
SELECT throws_ok($$SELECT * FROM runai_internal.sessions$$, '42501', NULL, 'sessions are not readable');
SELECT throws_ok($$SELECT password_hash FROM runai_internal.users$$, '42501', NULL, 'password verifiers are not readable');
SELECT throws_ok($$SELECT secret_hash FROM runai_internal.applications$$, '42501', NULL, 'application verifiers are not readable');
SELECT throws_ok($$INSERT INTO runai_internal.sessions (token_hash, subject_type, subject, user_id, expires_at)
                   SELECT sha256('mine'), 'user', 'alice@x.io', id, now() + interval '1 day' FROM runai_internal.users$$,
                 '42501', NULL, 'a session cannot be forged by inserting it');
SELECT throws_ok($$UPDATE runai_internal.users SET password_hash = NULL$$, '42501', NULL, 'passwords cannot be overwritten');
SELECT throws_ok($$INSERT INTO runai_internal.access_rules (subject_type, subject, role_id, scope, created_by)
                   VALUES ('user', 'bob@x.io', 0, 'system', 'me')$$, '42501', NULL, 'rules cannot be inserted directly');
SELECT throws_ok($$UPDATE runai_internal.admin_guard SET changes = 0$$, '42501', NULL, 'the guard row cannot be touched');
SELECT throws_ok($$SELECT runai.sso_sign_in('alice@x.io', '{}')$$, '42501', NULL,
                 'sso_sign_in is not executable unless granted: nobody can claim an SSO identity');
RESET ROLE;
-- Even a superuser cannot call the state-changing internals outside the public functions.
SELECT throws_ok($$SELECT runai_internal.session_end()$$, '42501', NULL, 'session_end refuses to run outside a public function');
SELECT throws_ok($$SELECT runai_internal.lockout_success('alice@x.io')$$, '42501', NULL,
                 'lockout_success refuses to run outside a public function');
SELECT is((SELECT count(*) FROM pg_proc p
            WHERE p.pronamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace)
              AND p.prolang IN (SELECT oid FROM pg_language WHERE lanname IN ('sql', 'plpgsql'))
              AND p.prosqlbody IS NULL
              AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)), 0::bigint,
          'every SQL function of the extension whose body is looked up at run time pins search_path');

-- ===========================================================================
-- Forged and stolen tokens
-- ===========================================================================

SET LOCAL ROLE regress_attacker;
SELECT throws_ok($$SELECT runai.authenticate('rbt_' || repeat('A', 43))$$, '28000', 'invalid or expired token',
                 'a well-formed guessed token is refused');
SELECT throws_ok($$SELECT runai.authenticate(encode(sha256(convert_to((SELECT token FROM tok WHERE who = 'alice'), 'UTF8')), 'hex'))$$,
                 '28000', 'invalid or expired token', 'the stored digest is not a token');
SELECT throws_ok($$SELECT runai.authenticate(upper((SELECT token FROM tok WHERE who = 'alice')))$$, '28000',
                 'invalid or expired token', 'tokens are case-sensitive');
SELECT throws_ok($$SELECT runai.authenticate((SELECT token FROM tok WHERE who = 'alice') || ' ')$$, '28000',
                 'invalid or expired token', 'a token with trailing text is refused');
SELECT throws_ok($$SELECT runai.authenticate(''' OR ''1''=''1')$$, '28000', 'invalid or expired token',
                 'SQL metacharacters are just a bad token');
SELECT is(runai.current_subject(), NULL, 'failed authentications establish nothing');

-- A token subject beats the binding and survives SET ROLE; a savepoint cannot keep it.
SELECT is(runai.authenticate((SELECT token FROM tok WHERE who = 'bob')), 'user:bob@x.io', 'authenticate returns the subject');
SAVEPOINT before_alice;
SELECT is(runai.authenticate((SELECT token FROM tok WHERE who = 'alice')), 'user:alice@x.io', 'a second token replaces the first');
SET LOCAL ROLE regress_attack_bound;
SELECT is(runai.current_subject(), 'user:alice@x.io', 'the token subject takes precedence over the role binding');
SET LOCAL ROLE regress_attacker;
SELECT ok(runai.can('users', 'create', 'system'), 'the token subject''s permissions apply');
ROLLBACK TO SAVEPOINT before_alice;
SELECT is(runai.current_subject(), 'user:bob@x.io', 'ROLLBACK TO SAVEPOINT undoes the authentication');
SELECT ok(NOT runai.can('users', 'create', 'system'), 'and its permissions');
-- bob signs out: the token is dead and rolling back cannot revive it (the row is gone)
SELECT ok(runai.sign_out(), 'sign_out ends the session');
SELECT is(runai.current_subject(), NULL, 'nobody after sign-out');
SELECT throws_ok($$SELECT runai.authenticate((SELECT token FROM tok WHERE who = 'bob'))$$, '28000',
                 'invalid or expired token', 'a signed-out token cannot be reused');
-- an application secret is not a token either
RESET ROLE;
CREATE TEMP TABLE app AS SELECT * FROM runai.create_application('attack-app');
GRANT SELECT ON app TO PUBLIC;
SET LOCAL ROLE regress_attacker;
SELECT throws_ok($$SELECT runai.authenticate((SELECT client_secret FROM app))$$, '28000', 'invalid or expired token',
                 'an application secret is not a token');

-- ===========================================================================
-- A failed authenticate fails closed (issue 10, attack 6): whatever the error,
-- and also when it is caught, the connection has no token subject afterwards
-- ===========================================================================

RESET ROLE;
INSERT INTO tok SELECT 'bob2', token FROM runai.sign_in('bob@x.io', 'bob-password');
INSERT INTO tok SELECT 'expired', token FROM runai.sign_in('bob@x.io', 'bob-password');
UPDATE runai_internal.sessions SET expires_at = now() - interval '1 second'
 WHERE token_hash = sha256(convert_to((SELECT token FROM tok WHERE who = 'expired'), 'UTF8'));
-- Reports the SQLSTATE and the hint of the error a statement raises (or 'no error').
CREATE FUNCTION pg_temp.error_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE state text; hint text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, hint = PG_EXCEPTION_HINT;
  RETURN state || ': ' || hint;
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.error_of(text) TO PUBLIC;

SET LOCAL ROLE regress_attacker;
SELECT is(runai.authenticate((SELECT token FROM tok WHERE who = 'alice')), 'user:alice@x.io',
          'a back end acts for alice');
SELECT ok(runai.can('users', 'create', 'system'), 'with alice''s permissions');
SAVEPOINT alice_in_force;
SELECT throws_ok($$SELECT runai.authenticate((SELECT token FROM tok WHERE who = 'expired'))$$, '28000',
                 'invalid or expired token', 'the next request''s token has expired');
SELECT is(runai.current_subject(), NULL, 'after the failure, caught by an exception block, the connection has no token subject');
SELECT ok(NOT runai.can('users', 'create', 'system'), 'and none of alice''s permissions');
ROLLBACK TO SAVEPOINT alice_in_force;
SELECT is(runai.current_subject(), NULL,
          'rolling back to a savepoint taken while alice was the subject does not bring her back');
SELECT is(runai.authenticate((SELECT token FROM tok WHERE who = 'bob2')), 'user:bob@x.io',
          'a later successful authenticate establishes a subject again');
SELECT is(pg_temp.error_of($$SELECT runai.authenticate(NULL)$$),
          '22023: Pass the token from runai.sign_in, runai.sso_sign_in or runai.app_sign_in.',
          'a NULL token is an error too');
SELECT is(runai.current_subject(), NULL, 'and leaves no token subject either');
SELECT is(runai.authenticate((SELECT token FROM tok WHERE who = 'alice'), local => true), 'user:alice@x.io',
          'a transaction-level subject');
SELECT throws_ok($$SELECT runai.authenticate('rbt_' || repeat('B', 43), local => true)$$, '28000',
                 'invalid or expired token', 'a malformed token');
SELECT is(runai.current_subject(), NULL, 'ends a transaction-level subject as well');
-- Inside one PL/pgSQL block: the failure is caught and the block goes on.
SELECT is(runai.authenticate((SELECT token FROM tok WHERE who = 'alice')), 'user:alice@x.io', 'alice again');
CREATE FUNCTION pg_temp.subject_after_caught_failure() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    PERFORM runai.authenticate((SELECT token FROM tok WHERE who = 'expired'));
  EXCEPTION WHEN invalid_authorization_specification THEN
    NULL;   -- a back end that ignores the failure
  END;
  RETURN coalesce(runai.current_subject(), 'nobody');
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.subject_after_caught_failure() TO PUBLIC;
SELECT is(pg_temp.subject_after_caught_failure(), 'nobody',
          'a block that catches the failure and goes on acts for nobody');
SELECT is(runai.current_subject(), NULL, 'nor does the next statement');

-- runai.clear_subject drops the token subject for good, without ending the token.
SELECT is(runai.authenticate((SELECT token FROM tok WHERE who = 'alice')), 'user:alice@x.io', 'alice');
SAVEPOINT before_clear;
SELECT ok(runai.clear_subject(), 'clear_subject says there was a token subject');
SELECT is(runai.current_subject(), NULL, 'nobody after clear_subject');
ROLLBACK TO SAVEPOINT before_clear;
SELECT is(runai.current_subject(), NULL, 'a rollback does not undo clear_subject');
SELECT ok(NOT runai.clear_subject(), 'a second clear_subject finds none');
SELECT is(runai.authenticate((SELECT token FROM tok WHERE who = 'alice')), 'user:alice@x.io',
          'the token still works: clear_subject did not end its session');
SELECT ok(runai.clear_subject(), 'cleared again');

-- ===========================================================================
-- The pooler guard (issue 10, attack 7): with runai.require_local_authenticate
-- on, a subject for the whole connection cannot be established
-- ===========================================================================

SELECT is(runai.authenticate((SELECT token FROM tok WHERE who = 'bob2')), 'user:bob@x.io',
          'without the guard a session-level authenticate works');
SELECT throws_ok($$SET runai.require_local_authenticate = on$$, '42501',
                 'permission denied to set parameter "runai.require_local_authenticate"',
                 'an ordinary role cannot turn the guard on by itself (superuser only)');
RESET ROLE;
SET LOCAL runai.require_local_authenticate = on;
SET LOCAL ROLE regress_attacker;
SELECT is(runai.authenticate((SELECT token FROM tok WHERE who = 'alice'), local => true), 'user:alice@x.io',
          'with the guard, authenticate with local => true works');
SELECT is(pg_temp.error_of($$SELECT runai.authenticate((SELECT token FROM tok WHERE who = 'alice'))$$),
          '42501: Call runai.authenticate(token, local => true) at the start of each transaction.',
          'with the guard, authenticate without local => true is refused with a hint to use local => true');
SELECT is(runai.current_subject(), NULL, 'the refusal is a failed authenticate: no token subject is left');
SELECT throws_ok($$SET runai.require_local_authenticate = off$$, '42501',
                 'permission denied to set parameter "runai.require_local_authenticate"',
                 'the role cannot turn the guard off');
SELECT throws_ok($$SELECT set_config('runai.require_local_authenticate', 'off', true)$$, '42501', NULL,
                 'nor with set_config');
SELECT throws_ok($$RESET runai.require_local_authenticate$$, '42501', NULL, 'nor with RESET');
RESET ROLE;
SET LOCAL runai.require_local_authenticate = off;
SET LOCAL ROLE regress_attacker;

-- ===========================================================================
-- Lockout cannot be escaped by rolling back
-- ===========================================================================

SAVEPOINT guesses;
SELECT is((SELECT string_agg(s.status, ',' ORDER BY i)
             FROM generate_series(1, 5) i, LATERAL runai.sign_in('alice@x.io', 'guess' || i) s),
          'invalid_credentials,invalid_credentials,invalid_credentials,invalid_credentials,invalid_credentials',
          'five wrong guesses');
ROLLBACK TO SAVEPOINT guesses;
SELECT is((SELECT status FROM runai.sign_in('alice@x.io', 'alice-password')), 'locked',
          'the lock survives rolling the guesses back');
SELECT is((SELECT status FROM runai.sign_in('nobody@x.io', 'guess')), 'invalid_credentials',
          'an unknown email answers like a wrong password');
SELECT throws_ok($$SELECT runai.change_password('alice@x.io', 'alice-password', 'another password')$$, '28000',
                 'account is locked', 'change_password cannot be used to guess around the lock');
SELECT throws_ok($$SELECT runai.change_password('bob@x.io', 'secret guess', 'another password')$$, '28P01',
                 'invalid email or current password', 'a wrong current password is refused without repeating it');
SELECT is((SELECT count(*) FROM runai.sign_in('bob@x.io', 'bob-password') WHERE token IS NOT NULL), 1::bigint,
          'another account is not affected');
RESET ROLE;
SELECT is((SELECT count(*) FROM runai_internal.events
            WHERE strpos(events::text, 'guess') > 0 OR strpos(events::text, 'alice-password') > 0), 0::bigint,
          'no guessed or real password is recorded');

-- ===========================================================================
-- Failed sign-ins cannot grow the event history without bound (issue 10,
-- attack 13): one event per account and lockout window, with a count
-- ===========================================================================

-- The whole test is one transaction, so now(), and with it the window, is the same
-- for every sign-in below; earlier failures of this test are in that window too.
CREATE TEMP VIEW failed_sign_ins AS
  SELECT entity_name, count(*) AS events, sum((details->>'count')::bigint)::bigint AS failures
    FROM runai_internal.events WHERE action = 'sign-in' AND result = 'Failed' AND details ? 'window'
   GROUP BY entity_name;
CREATE TEMP TABLE failed_before AS SELECT * FROM failed_sign_ins;
CREATE TEMP TABLE events_before AS SELECT coalesce(max(id), 0) AS id FROM runai_internal.events;
GRANT SELECT ON events_before TO PUBLIC;
SET LOCAL ROLE regress_attacker;      -- a role with no subject
SELECT is(runai.current_subject(), NULL, 'the flood comes from a role with no subject');
SELECT is((SELECT count(*) FILTER (WHERE s.status = 'locked')
             FROM generate_series(1, 2000) i, LATERAL runai.sign_in('alice@x.io', 'guess' || i) s),
          2000::bigint, '2,000 sign-ins on the locked account are all answered locked');
SELECT is((SELECT count(*) FILTER (WHERE s.status = 'invalid_credentials')
             FROM generate_series(1, 100) i, LATERAL runai.sign_in('ghost' || i || '@x.io', 'guess') s),
          100::bigint, '100 made-up emails are answered invalid_credentials');
SELECT is((SELECT count(*) FROM runai.sign_in('bob@x.io', 'bob-password') WHERE token IS NOT NULL), 1::bigint,
          'bob signs in');
SELECT is((SELECT count(*) FROM runai.sign_in('bob@x.io', 'bob-password') WHERE token IS NOT NULL), 1::bigint,
          'bob signs in again');
RESET ROLE;
SELECT cmp_ok((SELECT count(*) FROM runai_internal.events WHERE id > (SELECT id FROM events_before)
                 AND action = 'sign-in' AND result = 'Failed' AND (entity_name = 'alice@x.io' OR entity_name IS NULL)),
              '<=', 2::bigint, 'the flood added at most one event for alice and one for the made-up emails');
SELECT is((SELECT events FROM failed_sign_ins WHERE entity_name = 'alice@x.io'), 1::bigint,
          'the failures of alice in this window are one event');
SELECT is((SELECT a.failures - coalesce(b.failures, 0) FROM failed_sign_ins a
             LEFT JOIN failed_before b USING (entity_name) WHERE a.entity_name = 'alice@x.io'),
          2000::bigint, 'whose count grew by 2,000');
SELECT is((SELECT events FROM failed_sign_ins WHERE entity_name IS NULL), 1::bigint,
          'the failures of every made-up email in this window are one event');
SELECT is((SELECT a.failures - coalesce(b.failures, 0) FROM failed_sign_ins a
             LEFT JOIN failed_before b ON b.entity_name IS NULL WHERE a.entity_name IS NULL),
          100::bigint, 'whose count grew by 100');
SELECT is((SELECT count(*) FROM runai_internal.events WHERE id > (SELECT id FROM events_before)
             AND action = 'sign-in' AND result = 'Succeeded' AND entity_name = 'bob@x.io'),
          2::bigint, 'each successful sign-in is an event of its own');
SELECT is((SELECT count(*) FROM runai_internal.events WHERE strpos(events::text, 'ghost') > 0), 0::bigint,
          'the made-up emails are not recorded');
SELECT throws_ok($$UPDATE runai_internal.events SET details = details || '{"window": "2000-01-01T00:00:00Z"}'
                    WHERE action = 'sign-in' AND result = 'Failed' AND entity_name = 'alice@x.io'$$, '42501',
                 'the event history cannot be changed', 'even a superuser cannot rewrite an aggregated event');
SELECT throws_ok($$UPDATE runai_internal.events
                      SET details = details || jsonb_build_object('count', (details->>'count')::bigint + 1,
                                                                  'locked', (details->>'locked')::bigint + 1)
                    WHERE action = 'sign-in' AND result = 'Failed' AND entity_name = 'alice@x.io'$$, '42501',
                 'the event history cannot be changed', 'nor count a failure outside runai.sign_in');

-- ===========================================================================
-- Parallel workers see the token subject, and only it
-- ===========================================================================

CREATE TABLE public.regress_parallel AS SELECT g FROM generate_series(1, 50000) g;
ANALYZE public.regress_parallel;
GRANT SELECT ON public.regress_parallel TO PUBLIC;
-- Runs a query with EXPLAIN ANALYZE and returns {launched workers, rows returned}.
-- (The query must be planned on its own: a pgTAP call around it is parallel
-- unsafe and would keep the whole statement in the leader.)
CREATE FUNCTION pg_temp.parallel_rows(q text) RETURNS integer[] LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || q INTO plan;
  RETURN ARRAY[coalesce((plan->0->'Plan'->>'Workers Launched')::integer, 0),
               (plan->0->'Plan'->>'Actual Rows')::integer];
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.parallel_rows(text) TO PUBLIC;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;   -- every row is read by a worker

SET LOCAL ROLE regress_attacker;
SELECT runai.authenticate((SELECT token FROM tok WHERE who = 'alice')) IS NOT NULL AS alice;
SELECT ok(r[1] > 0 AND r[2] = 50000, 'parallel workers see the token subject: ' || r::text)
  FROM pg_temp.parallel_rows($$SELECT g FROM public.regress_parallel
                               WHERE runai.current_subject() = 'user:alice@x.io'$$) r;
SELECT ok(r[1] > 0 AND r[2] = 50000, 'parallel workers answer checks for the token subject: ' || r::text)
  FROM pg_temp.parallel_rows($$SELECT g FROM public.regress_parallel
                               WHERE runai.can('users', 'create', 'system')$$) r;
-- A failed authenticate caught by a savepoint: the leader must not hand the
-- disowned subject to its workers.
SAVEPOINT parallel_alice;
SELECT throws_ok($$SELECT runai.authenticate((SELECT token FROM tok WHERE who = 'expired'))$$, '28000',
                 'invalid or expired token', 'a failed authenticate');
ROLLBACK TO SAVEPOINT parallel_alice;
SELECT ok(r[1] > 0 AND r[2] = 0, 'after a failed authenticate no parallel worker has a subject: ' || r::text)
  FROM pg_temp.parallel_rows($$SELECT g FROM public.regress_parallel
                               WHERE runai.current_subject() IS NOT NULL$$) r;
SELECT ok(r[1] > 0 AND r[2] = 0, 'nor answers a check for it: ' || r::text)
  FROM pg_temp.parallel_rows($$SELECT g FROM public.regress_parallel
                               WHERE runai.can('users', 'create', 'system')$$) r;
-- A session that expires while in force is reported once, by the leader, before
-- any worker starts; after that no worker has a subject.
SELECT runai.authenticate((SELECT token FROM tok WHERE who = 'alice2')) IS NOT NULL AS alice2;
RESET ROLE;
UPDATE runai_internal.sessions SET expires_at = now() - interval '1 second'
 WHERE token_hash = sha256(convert_to((SELECT token FROM tok WHERE who = 'alice2'), 'UTF8'));
SET LOCAL ROLE regress_attacker;
SELECT throws_ok($$SELECT pg_temp.parallel_rows('SELECT g FROM public.regress_parallel
                                                 WHERE runai.current_subject() IS NOT NULL')$$,
                 '28000', 'invalid or expired token', 'an expired session is reported at the next parallel statement');
SELECT ok(r[1] > 0 AND r[2] = 0, 'once: then no worker has a subject, and nothing is raised: ' || r::text)
  FROM pg_temp.parallel_rows($$SELECT g FROM public.regress_parallel
                               WHERE runai.current_subject() IS NOT NULL$$) r;
SELECT runai.authenticate((SELECT token FROM tok WHERE who = 'alice')) IS NOT NULL AS alice;
SELECT runai.sign_out();
SELECT ok(r[1] > 0 AND r[2] = 0, 'after sign-out no parallel worker has a subject: ' || r::text)
  FROM pg_temp.parallel_rows($$SELECT g FROM public.regress_parallel
                               WHERE runai.current_subject() IS NOT NULL$$) r;
-- Parallel workers started outside the executor: a parallel CREATE INDEX runs the
-- index expression in workers that receive the leader's settings too.  They must
-- not act for a token subject the leader no longer has -- one disowned by a failed
-- authenticate and brought back into the setting by a rollback, or one handed to
-- an earlier parallel statement of the transaction and dropped since.  The index
-- expression raises, in a worker only, the subject the worker sees (the leader of
-- a btree build scans too, so the table is large enough for the workers to get
-- rows).
RESET ROLE;
INSERT INTO tok SELECT 'alice3', runai_internal.new_session('user', 'alice@x.io', id, NULL) FROM runai_internal.users WHERE email = 'alice@x.io';
CREATE FUNCTION public.regress_worker_subject(g integer) RETURNS integer
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF pg_backend_pid() <> current_setting('regress.leader')::integer THEN
    RAISE EXCEPTION 'worker subject %, can create users %', coalesce(runai.current_subject(), 'nobody'),
      runai.can('users', 'create', 'system');
  END IF;
  RETURN g;
END
$$;
SET LOCAL ROLE regress_attacker;
CREATE TABLE public.regress_parallel_owned WITH (parallel_workers = 2) AS
  SELECT g FROM generate_series(1, 200000) g;
SELECT set_config('regress.leader', pg_backend_pid()::text, true) IS NOT NULL AS leader;
SET LOCAL max_parallel_maintenance_workers = 2;
SET LOCAL maintenance_work_mem = '128MB';
SELECT runai.authenticate((SELECT token FROM tok WHERE who = 'alice3')) IS NOT NULL AS alice3;
SELECT throws_ok($$CREATE INDEX ON public.regress_parallel_owned (public.regress_worker_subject(g))$$,
                 'P0001', 'worker subject user:alice@x.io, can create users t',
                 'the workers of a parallel CREATE INDEX act for the token subject (the control)');
SAVEPOINT parallel_index;
SELECT throws_ok($$SELECT runai.authenticate((SELECT token FROM tok WHERE who = 'expired'))$$, '28000',
                 'invalid or expired token', 'a failed authenticate');
ROLLBACK TO SAVEPOINT parallel_index;
SELECT is(runai.current_subject(), NULL, 'the leader has no token subject after it');
SELECT throws_ok($$CREATE INDEX ON public.regress_parallel_owned (public.regress_worker_subject(g))$$,
                 'P0001', 'worker subject nobody, can create users f',
                 'nor have the workers of a parallel CREATE INDEX, though the rollback restored the setting');
SELECT runai.authenticate((SELECT token FROM tok WHERE who = 'alice3')) IS NOT NULL AS alice3;
SELECT ok(r[1] > 0 AND r[2] = 50000, 'a parallel statement for the token subject: ' || r::text)
  FROM pg_temp.parallel_rows($$SELECT g FROM public.regress_parallel
                               WHERE runai.current_subject() = 'user:alice@x.io'$$) r;
SELECT ok(runai.clear_subject(), 'then clear_subject');
SELECT throws_ok($$CREATE INDEX ON public.regress_parallel_owned (public.regress_worker_subject(g))$$,
                 'P0001', 'worker subject nobody, can create users f',
                 'the workers of a later parallel CREATE INDEX do not take the earlier statement''s subject');
RESET ROLE;
SET LOCAL ROLE regress_attack_bound;
SELECT ok(r[1] > 0 AND r[2] = 50000, 'parallel workers see the binding of the current role: ' || r::text)
  FROM pg_temp.parallel_rows($$SELECT g FROM public.regress_parallel
                               WHERE runai.current_subject() = 'user:bob@x.io'$$) r;
RESET ROLE;

-- ===========================================================================
-- Roles with BYPASSRLS bypass row-level security only, not the functions' checks
-- ===========================================================================

RESET ROLE;
CREATE ROLE regress_attack_bypass BYPASSRLS;
SELECT runai.create_scope('tenant', 'atk', 'Attack', 'system') IS NOT NULL AS tenant,
       runai.create_scope('cluster', 'atk', 'Attack', 'tenant/atk') IS NOT NULL AS cluster,
       runai.create_scope('department', 'atk', 'Attack', 'cluster/atk') IS NOT NULL AS department,
       runai.create_scope('project', 'atk', 'Attack', 'department/atk') IS NOT NULL AS project;
INSERT INTO runai.workloads (name, kind, project) VALUES ('regress-bypass', 'Training', 'project/atk');
SET LOCAL ROLE regress_attack_bypass;
SELECT is(runai.current_subject(), NULL, 'a BYPASSRLS role without a binding or token is nobody');
SELECT is((SELECT count(*) FROM runai.workloads WHERE name = 'regress-bypass'), 1::bigint,
          'it reads a protected table whole: PostgreSQL''s bypass of row-level security');
SELECT ok(NOT runai.can('workloads', 'view', 'project/atk'), 'but runai.can answers false for it');
SELECT throws_ok($$SELECT * FROM runai.create_local_user('bypass@x.io')$$, '42501', NULL,
                 'and the functions check it like any other role');
SELECT is((SELECT count(*) FROM runai.users_table), 0::bigint, 'and the views show it no row');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
