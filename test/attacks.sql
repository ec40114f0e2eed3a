-- Escalation attempts by non-superusers (SPEC section 7, "No escalation" and
-- "Nothing secret"; issue 7 item 5).
--
-- Two attackers, each a database role bound to a Run:ai user:
--   regress_at_low   low@attack.test, L1 researcher on project/at-p
--   regress_at_dept  dept@attack.test, Department administrator of department/at-d;
--                    also a member of regress_at_low and of the unbound regress_at_unbound
-- The test runs as a superuser and becomes each attacker with SET SESSION
-- AUTHORIZATION, so that SET ROLE is checked against the attacker's memberships.
-- (Because the connection was authenticated as a superuser, the attacker could use
-- SET SESSION AUTHORIZATION itself; that is an artefact of the test, not an attack.)
-- To make the shadowing attacks possible at all, the attackers may create objects in
-- schema public (PostgreSQL 15 does not allow that by default).
--
-- The attacks, most of them generated from the catalog:
--   A. reads and writes of every table, sequence and view of schemas runai and
--      runai_internal (the predefined resource types and workload kinds may be
--      read), and row level security of runai.workloads (hidden rows, WITH CHECK,
--      leaks through errors and non-leakproof functions);
--   B. DDL on them: triggers, policies, rules, ALTER TABLE, indexes, GRANT to itself,
--      replacing functions, the guard event trigger, the extension, the schemas,
--      and operators planted in pg_catalog;
--   C. SET, SET LOCAL, set_config, RESET and ALTER ROLE SET of every runai.* setting
--      (and of invented ones), including a replayed runai.authenticated_session;
--   D. SET ROLE to roles it is and is not a member of;
--   E. every predefined role granted at five scopes (allowed exactly when the
--      attacker holds every permission of the role there), groups, bindings, users,
--      applications, lookups about others, and probing whether a user exists;
--   F. every internal function of runai_internal but those PostgreSQL runs as the
--      querying role (the types' and row-level security's);
--   G. wrong passwords, secrets and tokens, which must never be echoed;
--   H. every public function and view with the built-ins they might use shadowed by
--      the attacker's functions, aggregates and operators in public (before
--      pg_catalog in search_path), operators of the extension's types planted there
--      too, and views in pg_temp named like every table.
-- Every attempt runs in a subtransaction that is rolled back after its outcome is
-- recorded (pg_temp.attempt); the assertions come afterwards, as the superuser.
-- An attempt passes when its SQLSTATE is one of those expected ('ok': no error),
-- its check query (run by the attacker right after it) gives the expected answer,
-- the attacker's current subject did not change (unless that is the point), and no
-- forbidden string (a password, secret or token) appears in its error or result.
--
-- Membership in a bound role means acting as its user (SET ROLE to it): that is by
-- design, so only bind database roles that are not granted to others.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS runai_rbac;
SET LOCAL client_min_messages = warning;

-- ===========================================================================
-- Fixture
-- ===========================================================================

CREATE ROLE regress_at_low;
CREATE ROLE regress_at_dept;
CREATE ROLE regress_at_admin;        -- bound to a System administrator; granted to nobody
CREATE ROLE regress_at_unbound;      -- bound to nobody
GRANT CREATE ON SCHEMA public TO regress_at_low, regress_at_dept;

-- Secrets handed out by the fixture; none may ever be readable again.
CREATE TEMP TABLE secrets (what text, value text);
CREATE TEMP TABLE fx (admin_rule bigint, low_rule bigint, client_id text, app_secret text,
                      token text, forged_session text);

DO $$
DECLARE
  pw text;
  tok text;
  cid text;
  sec text;
  rid bigint;
  lrid bigint;
  forged text;
BEGIN
  PERFORM runai.create_scope('tenant', 'at-t', 'Attack tenant', 'system');
  PERFORM runai.create_scope('cluster', 'at-c', 'Attack cluster', 'tenant/at-t');
  PERFORM runai.create_scope('department', 'at-d', 'Attacked department', 'cluster/at-c');
  PERFORM runai.create_scope('project', 'at-p', 'Attacker project', 'department/at-d');
  PERFORM runai.create_scope('project', 'at-p2', 'Second project', 'department/at-d');
  PERFORM runai.create_scope('department', 'at-d2', 'Other department', 'cluster/at-c');
  PERFORM runai.create_scope('project', 'at-q', 'Hidden project', 'department/at-d2');

  -- the administrator: bootstrapped, or a local user given the role
  IF NOT EXISTS (SELECT 1 FROM runai_internal.access_rules r JOIN runai_internal.roles ro ON ro.id = r.role_id
                  WHERE ro.name = 'System administrator' AND r.subject_type = 'user') THEN
    pw := runai.bootstrap('root@attack.test');
    INSERT INTO secrets VALUES ('bootstrap temporary password', pw);
  ELSE
    SELECT u.temporary_password INTO pw FROM runai.create_local_user('root@attack.test') u;
    INSERT INTO secrets VALUES ('temporary password', pw);
    PERFORM runai.add_access_rule('user', 'root@attack.test', 'System administrator', 'system');
  END IF;
  SELECT r.id INTO rid FROM runai_internal.access_rules r JOIN runai_internal.roles ro ON ro.id = r.role_id
   WHERE ro.name = 'System administrator' AND r.subject = 'root@attack.test';
  PERFORM runai.bind_db_role('root@attack.test', 'regress_at_admin');

  -- the attackers; low changes its temporary password and signs in
  SELECT u.temporary_password INTO pw FROM runai.create_local_user('low@attack.test') u;
  INSERT INTO secrets VALUES ('temporary password of low', pw);
  PERFORM runai.change_password('low@attack.test', pw, 'Low-Password-Secret-1');
  INSERT INTO secrets VALUES ('password of low', 'Low-Password-Secret-1');
  SELECT s.token INTO tok FROM runai.sign_in('low@attack.test', 'Low-Password-Secret-1') s;
  INSERT INTO secrets VALUES ('token of low', tok);
  lrid := runai.add_access_rule('user', 'low@attack.test', 'L1 researcher', 'project/at-p');
  PERFORM runai.bind_db_role('low@attack.test', 'regress_at_low');

  SELECT u.temporary_password INTO pw FROM runai.create_local_user('dept@attack.test') u;
  INSERT INTO secrets VALUES ('temporary password of dept', pw);
  pw := runai.reset_password('dept@attack.test');
  INSERT INTO secrets VALUES ('reset password of dept', pw);
  PERFORM runai.add_access_rule('user', 'dept@attack.test', 'Department administrator', 'department/at-d');
  PERFORM runai.bind_db_role('dept@attack.test', 'regress_at_dept');

  -- a group that gives System administrator, and an application
  PERFORM runai.add_access_rule('group', 'at-admins', 'System administrator', 'system');
  SELECT a.client_id, a.client_secret INTO cid, sec FROM runai.create_application('at-app') a;
  INSERT INTO secrets VALUES ('first application secret', sec);
  sec := runai.regenerate_application_secret('at-app');
  INSERT INTO secrets VALUES ('application secret', sec);
  INSERT INTO secrets VALUES ('application token', runai.app_sign_in(cid, sec));
  INSERT INTO secrets VALUES ('SSO token', runai.sso_sign_in('sso@attack.test', '{at-team}'));

  -- what a session of an administrator looks like inside (to replay it); rolled back
  BEGIN
    tok := runai.sso_sign_in('sso-root@attack.test', '{at-admins}');
    PERFORM runai.authenticate(tok);
    forged := pg_catalog.current_setting('runai.authenticated_session');
    RAISE EXCEPTION USING ERRCODE = 'ZZ999';
  EXCEPTION WHEN SQLSTATE 'ZZ999' THEN
    NULL;
  END;
  INSERT INTO secrets VALUES ('SSO token of an administrator', tok);
  INSERT INTO fx VALUES (rid, lrid, cid, sec, (SELECT value FROM secrets WHERE what = 'token of low'), forged);
END
$$;
-- Granted after the bindings: runai.bind_db_role refuses roles that are granted to
-- other roles or granted other roles, and a membership granted later makes
-- regress_at_dept able to act as low@attack.test with SET ROLE, by design.
GRANT regress_at_low, regress_at_unbound TO regress_at_dept;

-- The stored verifiers and digests are secret too.
INSERT INTO secrets SELECT 'password verifier of ' || email, password_hash FROM runai_internal.users WHERE password_hash IS NOT NULL;
INSERT INTO secrets SELECT 'secret verifier of ' || name, secret_hash FROM runai_internal.applications;
INSERT INTO secrets SELECT 'token digest', pg_catalog.encode(token_hash, 'hex') FROM runai_internal.sessions;

-- Workloads in a visible and a hidden project (when runai.workloads exists).
DO $$
BEGIN
  IF pg_catalog.to_regclass('runai.workloads') IS NOT NULL THEN
    INSERT INTO runai.workloads (name, kind, project) VALUES
      ('wl-visible', 'Training', 'project/at-p'),
      ('wl-hidden', 'Training', 'project/at-q');
  END IF;
END
$$;

-- ===========================================================================
-- The attempts
-- ===========================================================================

CREATE TEMP TABLE attacks (
  n serial PRIMARY KEY,
  who text NOT NULL,                 -- low, dept
  phase text NOT NULL DEFAULT 'main',
  attack text NOT NULL,
  sql text NOT NULL,
  returns boolean NOT NULL DEFAULT false,   -- sql is a query whose answer is checked
  expected text[] NOT NULL,          -- SQLSTATEs, or ok
  check_sql text,                    -- run by the attacker right after a successful sql
  check_expected text,               -- the answer of sql (returns) or of check_sql
  subject_may_change boolean NOT NULL DEFAULT false,
  forbidden text[],                  -- strings that must not appear in the error or answer
  message_re text                    -- the error message must match this
);
CREATE TEMP TABLE attack_log (n int, sqlstate text, message text, detail text, hint text,
                              answer text, subject_before text, subject_after text);
GRANT SELECT ON attacks, fx TO PUBLIC;
GRANT INSERT, SELECT ON attack_log TO PUBLIC;

-- Runs attack n as the current (attacking) role in a subtransaction that is always
-- rolled back, and records the outcome.  Pinned search path: the attack itself
-- sets the attacker's search path (phase shadow) with set_config.
CREATE FUNCTION pg_temp.attempt(p_n int) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  a record;
  st text := 'ok';
  msg text;
  det text;
  hnt text;
  ans text;
  s0 text;
  s1 text;
BEGIN
  SELECT * INTO a FROM pg_temp.attacks WHERE n = p_n;
  s0 := runai.current_subject();
  BEGIN
    IF a.phase = 'shadow' THEN
      PERFORM set_config('search_path', 'public, pg_temp, pg_catalog', true);
    END IF;
    IF a.returns THEN
      EXECUTE a.sql INTO ans;
    ELSE
      EXECUTE a.sql;
    END IF;
    IF a.check_sql IS NOT NULL THEN
      EXECUTE a.check_sql INTO ans;
    END IF;
    PERFORM set_config('search_path', 'pg_catalog, pg_temp', true);
    s1 := runai.current_subject();
    RAISE EXCEPTION 'roll back' USING ERRCODE = 'ZZ999';
  EXCEPTION WHEN OTHERS THEN
    IF SQLSTATE <> 'ZZ999' THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                              det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
      s1 := runai.current_subject();
    END IF;
  END;
  INSERT INTO pg_temp.attack_log VALUES (p_n, st, msg, det, hnt, ans, s0, s1);
END
$$;

-- A. Direct reads and writes of every table of the extension, and of its sequences.
--    Everyone may read the predefined resource types and workload kinds.
INSERT INTO attacks (who, attack, sql, expected)
SELECT w.who, pg_catalog.format('%s %s', x.verb, c.oid::regclass), pg_catalog.format(x.stmt, c.oid::regclass, a.attname),
       CASE WHEN x.verb = 'SELECT' AND c.oid IN ('runai.resource_types'::regclass, 'runai.workload_kinds'::regclass)
            THEN '{ok}' ELSE '{42501}' END::text[]
  FROM pg_catalog.pg_class c
  JOIN LATERAL (SELECT a.attname FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                   AND a.attidentity = '' AND a.attgenerated = ''
                 ORDER BY a.attnum LIMIT 1) a ON true
 CROSS JOIN (VALUES ('low'), ('dept')) w(who)
 CROSS JOIN (VALUES ('SELECT', 'SELECT count(*) FROM %s'),
                    ('INSERT', 'INSERT INTO %s DEFAULT VALUES'),
                    ('UPDATE', 'UPDATE %s SET %2$I = DEFAULT'),
                    ('DELETE', 'DELETE FROM %s'),
                    ('TRUNCATE', 'TRUNCATE %s'),
                    ('LOCK', 'LOCK TABLE %s IN ACCESS EXCLUSIVE MODE')) x(verb, stmt)
 WHERE c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace) AND c.relkind IN ('r', 'p')
   AND c.oid IS DISTINCT FROM pg_catalog.to_regclass('runai.workloads');

INSERT INTO attacks (who, attack, sql, expected)
SELECT w.who, 'setval ' || c.oid::regclass, pg_catalog.format('SELECT pg_catalog.setval(%L, 1)', c.oid::regclass::text), '{42501}'
  FROM pg_catalog.pg_class c CROSS JOIN (VALUES ('low'), ('dept')) w(who)
 WHERE c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace) AND c.relkind = 'S';

-- Views: never writable; the internal ones not even readable.
INSERT INTO attacks (who, attack, sql, expected)
SELECT w.who, pg_catalog.format('%s %s', x.verb, c.oid::regclass), pg_catalog.format(x.stmt, c.oid::regclass, a.attname),
       '{42501,0A000,55000}'  -- not permitted, or not an updatable view
  FROM pg_catalog.pg_class c
  JOIN LATERAL (SELECT a.attname FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                   AND a.attidentity = '' AND a.attgenerated = '' AND a.attname <> 'id'
                 ORDER BY a.attnum LIMIT 1) a ON true
 CROSS JOIN (VALUES ('low'), ('dept')) w(who)
 CROSS JOIN (VALUES ('INSERT', 'INSERT INTO %s DEFAULT VALUES'),
                    ('UPDATE', 'UPDATE %s SET %2$I = DEFAULT'),
                    ('DELETE', 'DELETE FROM %s')) x(verb, stmt)
 WHERE c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace) AND c.relkind = 'v';
INSERT INTO attacks (who, attack, sql, expected)
SELECT w.who, 'SELECT ' || c.oid::regclass, pg_catalog.format('SELECT count(*) FROM %s', c.oid::regclass), '{42501}'
  FROM pg_catalog.pg_class c CROSS JOIN (VALUES ('low'), ('dept')) w(who)
 WHERE c.relnamespace = 'runai_internal'::regnamespace AND c.relkind = 'v';

-- runai.workloads: granted to PUBLIC, guarded by row-level security.
INSERT INTO attacks (who, attack, sql, returns, expected, check_expected)
SELECT w.who, x.attack, x.sql, x.returns, x.expected, x.answer
  FROM (VALUES ('low'), ('dept')) w(who)
 CROSS JOIN (VALUES
   ('read a hidden workload', $s$SELECT count(*)::text FROM runai.workloads WHERE name = 'wl-hidden'$s$, true, '{ok}'::text[], '0'),
   ('insert into a hidden project', $s$INSERT INTO runai.workloads (name, kind, project) VALUES ('evil', 'Training', 'project/at-q')$s$, false, '{42501}', NULL),
   ('update a hidden workload', $s$WITH u AS (UPDATE runai.workloads SET name = 'pwned' WHERE name = 'wl-hidden' RETURNING 1) SELECT count(*)::text FROM u$s$, true, '{ok}', '0'),
   ('delete a hidden workload', $s$WITH d AS (DELETE FROM runai.workloads WHERE name = 'wl-hidden' RETURNING 1) SELECT count(*)::text FROM d$s$, true, '{ok}', '0'),
   ('move a visible workload into a hidden project', $s$UPDATE runai.workloads SET project = 'project/at-q' WHERE name = 'wl-visible'$s$, false, '{42501}', NULL),
   ('forge created_by', $s$UPDATE runai.workloads SET created_by = 'user:root@attack.test' WHERE name = 'wl-visible'$s$, false, '{42501}', NULL),
   ('truncate runai.workloads', 'TRUNCATE runai.workloads', false, '{42501}', NULL),
   ('disable row-level security of runai.workloads', 'ALTER TABLE runai.workloads DISABLE ROW LEVEL SECURITY', false, '{42501}', NULL),
   ('leak hidden rows through an error', $s$SELECT count(*)::text FROM runai.workloads WHERE 1 / (CASE WHEN name = 'wl-hidden' THEN 0 ELSE 1 END) = 1$s$, true, '{ok}', '1'),
   ('leak hidden rows through a function', $s$SELECT count(*)::text FROM runai.workloads WHERE public.regress_at_leak(name)$s$, true, '{ok}', '1')
 ) x(attack, sql, returns, expected, answer)
 WHERE pg_catalog.to_regclass('runai.workloads') IS NOT NULL;

-- B. DDL on the extension's tables, functions and schema.
INSERT INTO attacks (who, attack, sql, expected)
SELECT w.who, pg_catalog.format('%s on %s', x.verb, c.oid::regclass),
       pg_catalog.format(x.stmt, c.oid::regclass, a.attname), x.expected
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = 1
 CROSS JOIN (VALUES ('low'), ('dept')) w(who)
 CROSS JOIN (VALUES
   ('CREATE TRIGGER', 'CREATE TRIGGER regress_at_trg BEFORE INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION public.regress_at_trigger()', '{42501}'::text[]),
   ('CREATE POLICY', 'CREATE POLICY regress_at_pol ON %s USING (true)', '{42501}'),
   ('CREATE RULE', 'CREATE RULE regress_at_rule AS ON INSERT TO %s DO INSTEAD NOTHING', '{42501}'),
   ('DISABLE TRIGGER ALL', 'ALTER TABLE %s DISABLE TRIGGER ALL', '{42501}'),
   ('DISABLE ROW LEVEL SECURITY', 'ALTER TABLE %s DISABLE ROW LEVEL SECURITY', '{42501}'),
   ('ADD COLUMN', 'ALTER TABLE %s ADD COLUMN regress_at_col integer', '{42501}'),
   ('OWNER TO', 'ALTER TABLE %s OWNER TO CURRENT_USER', '{42501}'),
   ('CREATE INDEX', 'CREATE INDEX regress_at_idx ON %s (%I)', '{42501}'),
   ('COMMENT', $s$COMMENT ON TABLE %s IS 'pwned'$s$, '{42501}'),
   ('DROP TABLE', 'DROP TABLE %s', '{42501}')
 ) x(verb, stmt, expected)
 WHERE c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace) AND c.relkind IN ('r', 'p');

-- GRANT without the grant option is a no-op with a warning; the privilege must not
-- appear (for the predefined tables everyone reads: no privilege but SELECT).
INSERT INTO attacks (who, attack, sql, expected, check_sql, check_expected)
SELECT w.who, 'GRANT ALL ON ' || c.oid::regclass || ' to itself',
       pg_catalog.format('GRANT ALL ON %s TO CURRENT_USER', c.oid::regclass), '{ok,42501}',
       pg_catalog.format($s$SELECT pg_catalog.has_table_privilege(%L, %L)::text$s$, c.oid::regclass::text,
                         CASE WHEN c.oid IN ('runai.resource_types'::regclass, 'runai.workload_kinds'::regclass)
                              THEN 'INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER'
                              ELSE 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER' END), 'false'
  FROM pg_catalog.pg_class c CROSS JOIN (VALUES ('low'), ('dept')) w(who)
 WHERE c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace) AND c.relkind IN ('r', 'p')
   AND c.oid IS DISTINCT FROM pg_catalog.to_regclass('runai.workloads');

INSERT INTO attacks (who, attack, sql, expected)
SELECT w.who, x.attack, x.sql, x.expected
  FROM (VALUES ('low'), ('dept')) w(who)
 CROSS JOIN (VALUES
   ('create a table in schema runai', 'CREATE TABLE runai.regress_at_t (x integer)', '{42501}'::text[]),
   ('create a function in schema runai', 'CREATE FUNCTION runai.regress_at_f() RETURNS integer LANGUAGE sql AS $$SELECT 1$$', '{42501}'),
   ('create a table in schema runai_internal', 'CREATE TABLE runai_internal.regress_at_t (x integer)', '{42501}'),
   ('create a function in schema runai_internal', 'CREATE FUNCTION runai_internal.regress_at_f() RETURNS integer LANGUAGE sql AS $$SELECT 1$$', '{42501}'),
   ('replace runai.can', $s$CREATE OR REPLACE FUNCTION runai.can(text, text, runai.scope) RETURNS boolean LANGUAGE sql AS 'SELECT true'$s$, '{42501}'),
   ('replace the check of the policies', $s$CREATE OR REPLACE FUNCTION runai_internal.rls_check(runai.scope, text, text) RETURNS boolean LANGUAGE sql AS 'SELECT true'$s$, '{42501}'),
   ('replace the body of scope =', $s$CREATE OR REPLACE FUNCTION runai_internal.scope_eq(runai.scope, runai.scope) RETURNS boolean LANGUAGE sql AS 'SELECT true'$s$, '{42501}'),
   ('plant scope = scope in pg_catalog', 'CREATE OPERATOR pg_catalog.=== (LEFTARG = runai.scope, RIGHTARG = runai.scope, FUNCTION = runai_internal.scope_eq)', '{42501}'),
   ('plant scope = varchar in pg_catalog', 'CREATE OPERATOR pg_catalog.= (LEFTARG = runai.scope, RIGHTARG = varchar, FUNCTION = runai_internal.scope_eq_text)', '{42501}'),
   ('move the operator scope = scope', 'ALTER OPERATOR pg_catalog.= (runai.scope, runai.scope) SET SCHEMA public', '{42501}'),
   ('drop the operator scope = scope', 'DROP OPERATOR pg_catalog.= (runai.scope, runai.scope)', '{42501}'),
   ('take the operator class of scopes', 'ALTER OPERATOR CLASS runai_internal.scope_ops USING btree OWNER TO CURRENT_USER', '{42501}'),
   ('make an internal function SECURITY DEFINER', 'ALTER FUNCTION runai_internal.require(text, text, runai.scope) SECURITY DEFINER', '{42501}'),
   ('take ownership of runai.can', 'ALTER FUNCTION runai.can(text, text, runai.scope) OWNER TO CURRENT_USER', '{42501}'),
   ('grant itself an internal function', 'GRANT EXECUTE ON FUNCTION runai_internal.require(text, text, runai.scope) TO CURRENT_USER', '{ok,42501}'),
   ('disable the guard event trigger', 'ALTER EVENT TRIGGER runai_rbac_guard_triggers DISABLE', '{42501}'),
   ('drop the guard event trigger', 'DROP EVENT TRIGGER runai_rbac_guard_triggers', '{42501}'),
   ('update the extension', 'ALTER EXTENSION runai_rbac UPDATE', '{42501}'),
   ('drop the extension', 'DROP EXTENSION runai_rbac CASCADE', '{42501}'),
   ('drop schema runai', 'DROP SCHEMA runai CASCADE', '{42501}'),
   ('rename schema runai', 'ALTER SCHEMA runai RENAME TO regress_at_runai', '{42501}'),
   ('drop schema runai_internal', 'DROP SCHEMA runai_internal CASCADE', '{42501}'),
   ('rename schema runai_internal', 'ALTER SCHEMA runai_internal RENAME TO regress_at_internal', '{42501}'),
   ('its own DDL still works (event trigger)', 'ALTER TABLE public.regress_at_mine ADD COLUMN extra integer', '{ok}')
 ) x(attack, sql, expected);
DELETE FROM attacks WHERE attack = 'its own DDL still works (event trigger)' AND who = 'low';   -- dept's table
UPDATE attacks SET check_sql = $s$SELECT pg_catalog.has_function_privilege('runai_internal.require(text, text, runai.scope)', 'EXECUTE')::text$s$,
                   check_expected = 'false'
 WHERE attack = 'grant itself an internal function';
-- the last one is not an attack: the guard event trigger must not get in the way of
-- anyone's DDL on their own tables
UPDATE attacks SET check_sql = $s$SELECT count(*)::text FROM public.regress_at_mine$s$, check_expected = '0'
 WHERE attack = 'its own DDL still works (event trigger)';

-- C. Every setting of the extension: SET, SET LOCAL, set_config, RESET, ALTER ROLE SET.
--    Refused, or harmless: the current subject never changes.
CREATE TEMP TABLE guc_names AS
SELECT name, CASE WHEN vartype = 'integer' THEN '1' ELSE 'x' END AS value
  FROM pg_catalog.pg_settings WHERE name LIKE 'runai.%'
UNION
SELECT 'runai.authenticated_session', (SELECT forged_session FROM fx)
UNION
SELECT n, 'user:root@attack.test' FROM unnest(ARRAY['runai.subject', 'runai.current_subject', 'runai.subject_name', 'runai.actor']) n;
INSERT INTO attacks (who, attack, sql, expected)
SELECT w.who, pg_catalog.format('%s %s', x.verb, g.name), pg_catalog.format(x.stmt, g.name, g.value), x.expected
  FROM guc_names g CROSS JOIN (VALUES ('low'), ('dept')) w(who)
 CROSS JOIN (VALUES
   ('SET', 'SET %s = %L', '{42501,55P02,42602,22023}'::text[]),
   ('SET LOCAL', 'SET LOCAL %s = %L', '{42501,55P02,42602,22023}'),
   ('set_config', 'SELECT pg_catalog.set_config(%L, %L, false)', '{42501,55P02,42602,22023}'),
   ('set_config local', 'SELECT pg_catalog.set_config(%L, %L, true)', '{42501,55P02,42602,22023}'),
   ('RESET', 'RESET %s', '{ok,42501,55P02,42602,42704}'),
   ('ALTER ROLE SET', 'ALTER ROLE CURRENT_USER SET %s = %L', '{42501,55P02,42602,22023}')
 ) x(verb, stmt, expected);
INSERT INTO attacks (who, attack, sql, expected)
SELECT w.who, 'RESET ALL', 'RESET ALL', '{ok}' FROM (VALUES ('low'), ('dept')) w(who);
-- the session's subject is not readable either
INSERT INTO attacks (who, attack, sql, expected)
SELECT w.who, 'read runai.authenticated_session', $s$SELECT pg_catalog.current_setting('runai.authenticated_session')$s$, '{42501}'
  FROM (VALUES ('low'), ('dept')) w(who);

-- D. SET ROLE.
INSERT INTO attacks (who, attack, sql, expected, check_sql, check_expected, subject_may_change) VALUES
  ('low', 'SET ROLE to a bound administrator it is not a member of', 'SET ROLE regress_at_admin', '{42501}', NULL, NULL, false),
  ('low', 'SET ROLE to a bound role it is not a member of', 'SET ROLE regress_at_dept', '{42501}', NULL, NULL, false),
  ('low', 'set_config(role) to a bound administrator', $s$SELECT pg_catalog.set_config('role', 'regress_at_admin', false)$s$, '{42501}', NULL, NULL, false),
  ('low', 'SET ROLE to a superuser', 'SET ROLE postgres', '{42501}', NULL, NULL, false),
  ('dept', 'SET ROLE to a bound administrator it is not a member of', 'SET ROLE regress_at_admin', '{42501}', NULL, NULL, false),
  -- by design: a member of a bound role acts as its user, and no more
  ('dept', 'SET ROLE to a bound role it is a member of acts as that user', 'SET ROLE regress_at_low', '{ok}',
   $s$SELECT runai.current_subject() || ' ' || runai.can('access_rules', 'create', 'department/at-d')::text
             || ' ' || runai.can('workloads', 'create', 'project/at-p')::text$s$,
   'user:low@attack.test false true', true),
  ('dept', 'SET ROLE to an unbound role gives no subject', 'SET ROLE regress_at_unbound', '{ok}',
   $s$SELECT coalesce(runai.current_subject(), '<none>') || ' ' || runai.can('workloads', 'view', 'project/at-p')::text$s$,
   '<none> false', true),
  ('dept', 'RESET ROLE after SET ROLE restores its own subject', 'SET ROLE regress_at_low',
   '{ok}', $s$SELECT pg_catalog.set_config('role', 'none', true) || runai.current_subject()$s$, 'noneuser:dept@attack.test', false);

-- E. Escalation through the functions: granting roles it does not fully hold
--    (every role, at a scope inside and outside its reach), groups, bindings.
CREATE TEMP TABLE grant_targets AS
SELECT w.who, w.email, s.scope, ro.name AS role, ro.tenant_wide,
       runai.has_permission('user:' || w.email, 'access_rules', 'create', s.scope::runai.scope)
       AND NOT EXISTS (
         SELECT 1 FROM runai_internal.role_permissions rp
           JOIN runai.resource_types t ON t.id = rp.resource_type_id
          CROSS JOIN unnest(runai.actions(rp.actions)) act
          WHERE rp.role_id = ro.id
            AND NOT runai.has_permission('user:' || w.email, t.name, act, s.scope::runai.scope)) AS holds
  FROM (VALUES ('low', 'low@attack.test'), ('dept', 'dept@attack.test')) w(who, email)
 CROSS JOIN (VALUES ('project/at-p'), ('department/at-d'), ('department/at-d2'), ('tenant/at-t'), ('system')) s(scope)
 CROSS JOIN runai_internal.roles ro;
INSERT INTO attacks (who, attack, sql, expected)
SELECT g.who, pg_catalog.format('grant %s at %s', g.role, g.scope),
       pg_catalog.format($s$SELECT runai.add_access_rule('user', 'accomplice@attack.test', %L, %L)$s$, g.role, g.scope),
       CASE WHEN g.tenant_wide AND g.scope NOT IN ('system') AND g.scope !~ '^tenant/' THEN '{22023,42501}'::text[]
            WHEN g.holds THEN '{ok}'
            ELSE '{42501}' END
  FROM grant_targets g;

INSERT INTO attacks (who, attack, sql, expected, forbidden)
SELECT w.who, x.attack, x.sql, x.expected, NULL
  FROM (VALUES ('low'), ('dept')) w(who)
 CROSS JOIN (VALUES
   ('join a group that holds System administrator', $s$SELECT runai.set_user_groups(pg_catalog.split_part(runai.current_subject(), ':', 2), '{at-admins}')$s$, '{42501}'::text[]),
   ('bind its role to the administrator', $s$SELECT runai.bind_db_role('root@attack.test', CURRENT_USER::text::regrole)$s$, '{42501}'),
   ('unbind the administrator''s role', $s$SELECT runai.unbind_db_role('regress_at_admin')$s$, '{42501}'),
   ('delete the administrator''s rule', (SELECT pg_catalog.format('SELECT runai.delete_access_rule(%s)', admin_rule) FROM fx), '{42501}'),
   ('create a tenant', $s$SELECT runai.create_scope('tenant', 'at-evil', 'Evil', 'system')$s$, '{42501}'),
   ('rename the system scope', $s$SELECT runai.rename_scope('system', 'Pwned')$s$, '{42501}'),
   ('delete another department', $s$SELECT runai.delete_scope('project/at-q')$s$, '{42501}'),
   ('sign in through the SSO bridge as an administrator', $s$SELECT runai.sso_sign_in('root@attack.test', '{at-admins}')$s$, '{42501}'),
   ('create a local user', $s$SELECT * FROM runai.create_local_user('evil@attack.test')$s$, '{42501}'),
   ('reset the administrator''s password', $s$SELECT runai.reset_password('root@attack.test')$s$, '{42501}'),
   ('delete the administrator', $s$SELECT runai.delete_user('root@attack.test')$s$, '{42501}'),
   ('create an application', $s$SELECT * FROM runai.create_application('evil-app')$s$, '{42501}'),
   ('regenerate the application''s secret', $s$SELECT runai.regenerate_application_secret('at-app')$s$, '{42501}'),
   ('delete the application', $s$SELECT runai.delete_application('at-app')$s$, '{42501}'),
   ('purge the event history', $s$SELECT runai.purge_events('0')$s$, '{42501}'),
   ('bootstrap again', $s$SELECT runai.bootstrap('evil@attack.test')$s$, '{42501}'),
   ('ask about the administrator', $s$SELECT runai.has_permission('user:root@attack.test', 'workloads', 'view', 'project/at-q')$s$, '{42501}'),
   ('explain the administrator', $s$SELECT count(*) FROM runai.explain('user:root@attack.test', 'workloads', 'view', 'project/at-q')$s$, '{42501}'),
   ('who can act in another department', $s$SELECT count(*) FROM runai.who_can('workloads', 'view', 'project/at-q')$s$, '{42501}'),
   ('learn whether a user exists (bind)', $s$SELECT runai.bind_db_role('nobody@attack.test', CURRENT_USER::text::regrole)$s$, '{42501}'),
   ('learn whether a user exists (groups)', $s$SELECT runai.set_user_groups('nobody@attack.test', '{}')$s$, '{42501}'),
   ('learn whether a user exists (reset)', $s$SELECT runai.reset_password('nobody@attack.test')$s$, '{42501}'),
   ('learn whether a user exists (delete)', $s$SELECT runai.delete_user('nobody@attack.test')$s$, '{42501}'),
   ('protect an extension table', $s$SELECT runai.protect('runai_internal.access_rules', 'scope')$s$, '{42501}'),
   ('unprotect runai.workloads', $s$SELECT runai.unprotect('runai.workloads')$s$, '{42501,42P01}')
 ) x(attack, sql, expected);
-- ...and what a Department administrator may do within its department still works
INSERT INTO attacks (who, attack, sql, expected) VALUES
  ('dept', 'who can act in its own department (allowed)', $s$SELECT count(*) FROM runai.who_can('workloads', 'view', 'project/at-p')$s$, '{ok}'),
  ('dept', 'create a project in its department (allowed)', $s$SELECT runai.create_scope('project', 'at-new', 'New', 'department/at-d')$s$, '{ok}');

-- F. The internal functions of runai_internal: not executable, except the support
--    functions of the types and row-level security's functions, which PostgreSQL runs
--    as the querying role (sql/api.sql lists them), and rls_protected_sync, which
--    runai.protect calls as the table's owner and which can only make the registry
--    of protected tables tell the truth (test/takeover.sql tries to make it lie).
--    The arguments are not NULL: the planner folds a STRICT function of a NULL to
--    NULL without calling it.
INSERT INTO attacks (who, attack, sql, expected)
SELECT w.who, 'call ' || p.oid::regprocedure,
       pg_catalog.format('SELECT %s(%s)', p.oid::regproc::text,
                         (SELECT coalesce(pg_catalog.string_agg(
                                   CASE WHEN ty.typtype = 'p' AND ty.typname LIKE 'any%' THEN '1'
                                        WHEN ty.typtype = 'p' THEN 'NULL::' || pg_catalog.format_type(t, NULL)
                                        ELSE pg_catalog.format('%L::%s',
                                               CASE pg_catalog.format_type(t, NULL)
                                                 WHEN 'runai.scope' THEN 'system'
                                                 WHEN 'runai.actionset' THEN '{view}'
                                                 WHEN 'boolean' THEN 'false'
                                                 WHEN 'uuid' THEN '00000000-0000-4000-8000-000000000001'
                                                 WHEN 'interval' THEN '1 day'
                                                 WHEN 'timestamp with time zone' THEN '2100-01-01'
                                                 WHEN 'jsonb' THEN '{}'
                                                 WHEN 'regclass' THEN 'runai_internal.scopes'
                                                 WHEN 'regrole' THEN 'regress_at_low'
                                                 WHEN 'text[]' THEN '{x}'
                                                 WHEN 'bytea' THEN '\x00'
                                                 ELSE CASE WHEN ty.typcategory = 'N' THEN '1' ELSE 'x' END END,
                                               pg_catalog.format_type(t, NULL)) END,
                                   ', ' ORDER BY o), '')
                            FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, o)
                            JOIN pg_catalog.pg_type ty ON ty.oid = u.t)),
       CASE WHEN 'internal'::regtype = ANY (p.proargtypes::oid[]) THEN '{42501,42804,42846,42883}'::text[] ELSE '{42501}' END
  FROM pg_catalog.pg_proc p CROSS JOIN (VALUES ('low'), ('dept')) w(who)
 WHERE p.pronamespace = 'runai_internal'::regnamespace AND p.prokind = 'f'
   AND p.proname !~ '^(scope|actionset)_(in|out|recv|send|eq|ne|lt|le|gt|ge|cmp|hash|hash_extended|contains|contained|overlaps|union|intersect)$'
   AND p.proname !~ '^(scope_(eq|ne|lt|le|gt|ge)_text|text_(eq|ne|lt|le|gt|ge)_scope)$'
   AND p.proname !~ '^rls_(check|scope_keys|id_keys_(text|integer|bigint|uuid)|gate|validate|protected_sync)$';
-- refused by EXECUTE privilege (not merely by what the body reads)
UPDATE attacks SET message_re = '^permission denied for function '
 WHERE attack LIKE 'call runai\_internal.%' AND expected = '{42501}';

-- G. Reading secrets through errors: wrong passwords, secrets and tokens are never
--    echoed back.
INSERT INTO attacks (who, attack, sql, returns, expected, forbidden)
SELECT w.who, x.attack, x.sql, x.returns, x.expected, x.forbidden
  FROM (VALUES ('low'), ('dept')) w(who)
 CROSS JOIN (VALUES
   ('wrong current password, short new one',
    $s$SELECT runai.change_password('low@attack.test', 'Guess-Secret-ABC123', 'Short-9')$s$, false, '{22023}'::text[],
    '{Guess-Secret-ABC123,Short-9}'::text[]),
   ('wrong current password',
    $s$SELECT runai.change_password('low@attack.test', 'Guess-Secret-ABC123', 'New-Secret-XYZ789')$s$, false, '{28P01,28000}',
    '{Guess-Secret-ABC123,New-Secret-XYZ789}'),
   ('the real password as the new one is refused without echo',
    $s$SELECT runai.change_password('low@attack.test', 'Low-Password-Secret-1', 'Low-Password-Secret-1')$s$, false, '{22023}',
    '{Low-Password-Secret-1}'),
   ('sign in with a wrong password',
    $s$SELECT (s.status IN ('invalid_credentials', 'locked') AND s.token IS NULL)::text || ' ' || s::text FROM runai.sign_in('root@attack.test', 'Guess-Secret-ABC123') s$s$, true, '{ok}',
    '{Guess-Secret-ABC123}'),
   ('application sign-in with a near-miss secret',
    (SELECT pg_catalog.format('SELECT runai.app_sign_in(%L, %L)', client_id, app_secret || 'x') FROM fx), false, '{28P01}',
    (SELECT ARRAY[app_secret] FROM fx)),
   ('authenticate with a near-miss token',
    (SELECT pg_catalog.format('SELECT runai.authenticate(%L)', pg_catalog.left(token, -1) || CASE pg_catalog.right(token, 1) WHEN 'A' THEN 'B' ELSE 'A' END) FROM fx),
    false, '{28000}', (SELECT ARRAY[pg_catalog.left(token, -1)] FROM fx))
 ) x(attack, sql, returns, expected, forbidden);
UPDATE attacks SET check_expected = NULL WHERE attack = 'sign in with a wrong password';

-- H. Shadowing built-ins: the attacker's functions and operators in public, tables
--    and views in pg_temp, and a search path that puts them before pg_catalog; then
--    every public function and view.  A shadow that runs raises SQLSTATE SH001 and
--    bumps public.regress_at_shadow_hits (which a rollback does not undo).
INSERT INTO attacks (who, phase, attack, sql, expected)
SELECT 'dept', 'shadow', 'shadowed: ' || p.oid::regprocedure,
       pg_catalog.format('SELECT pg_catalog.count(*) FROM %s(%s) r', 'runai.' || quote_ident(p.proname),
                         (SELECT coalesce(pg_catalog.string_agg(
                                   pg_catalog.format('(%s)::%s',
                                     CASE
                                       WHEN p.proname = 'create_scope' AND a.name = 'type' THEN $v$'project'$v$
                                       WHEN p.proname = 'create_scope' AND a.name = 'id' THEN $v$'at-shadow'$v$
                                       WHEN p.proname = 'create_scope' AND a.name = 'parent' THEN $v$'department/at-d'$v$
                                       WHEN p.proname = 'delete_scope' THEN $v$'project/at-p2'$v$
                                       WHEN p.proname = 'delete_access_rule' THEN (SELECT low_rule::text FROM fx)
                                       WHEN p.proname IN ('protect', 'unprotect') AND a.name = 'tbl' THEN $v$'public.regress_at_mine'$v$
                                       WHEN p.proname = 'protect' AND a.name = 'scope_column' THEN $v$'project'$v$
                                       WHEN p.proname = 'protect' AND a.name = 'scope_type' THEN 'NULL'
                                       WHEN p.proname = 'add_access_rule' AND a.name = 'subject' THEN $v$'accomplice@attack.test'$v$
                                       WHEN p.proname = 'add_access_rule' AND a.name = 'expires_at' THEN 'NULL'
                                       WHEN p.proname = 'app_sign_in' AND a.name = 'client_id' THEN (SELECT pg_catalog.quote_literal(client_id) FROM fx)
                                       WHEN p.proname = 'authenticate' AND a.name = 'token' THEN (SELECT pg_catalog.quote_literal(token) FROM fx)
                                       WHEN a.name = 'resource' THEN $v$'workloads'$v$
                                       WHEN a.name = 'action' THEN $v$'view'$v$
                                       WHEN a.name = 'subject' THEN $v$'user:dept@attack.test'$v$
                                       WHEN a.name = 'subject_type' THEN $v$'user'$v$
                                       WHEN a.name = 'role' AND a.typ = 'text'::regtype THEN $v$'L1 researcher'$v$
                                       WHEN a.name = 'role' THEN $v$'regress_at_unbound'$v$
                                       WHEN a.name IN ('email', 'admin_email') THEN $v$'low@attack.test'$v$
                                       WHEN a.name IN ('password', 'current_password') THEN $v$'Guess-Secret-ABC123'$v$
                                       WHEN a.name = 'new_password' THEN $v$'New-Secret-XYZ789'$v$
                                       WHEN a.name = 'groups' THEN $v$'{at-team}'$v$
                                       WHEN a.name = 'name' THEN $v$'Shadow name'$v$
                                       WHEN a.name = 'older_than' THEN $v$'1000 years'$v$
                                       WHEN a.name = 'local' THEN 'true'
                                       WHEN a.name = 'scope_type' THEN $v$'project'$v$
                                       WHEN a.name = 'id' AND a.typ = 'text'::regtype THEN $v$'at-p'$v$
                                       WHEN a.typ = 'runai.scope'::regtype THEN $v$'project/at-p'$v$
                                       WHEN a.typ = 'runai.actionset'::regtype THEN $v$'{view}'$v$
                                       WHEN a.typ = 'text[]'::regtype THEN $v$'{view}'$v$
                                       WHEN a.typ IN ('integer'::regtype, 'bigint'::regtype) THEN '7'
                                       WHEN a.typ = 'uuid'::regtype THEN $v$'00000000-0000-4000-8000-000000000007'$v$
                                       WHEN a.typ = 'boolean'::regtype THEN 'false'
                                       ELSE $v$'view'$v$ END,
                                     pg_catalog.format_type(a.typ, NULL)), ', ' ORDER BY a.ord), '')
                            FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a0(typ, ord)
                            CROSS JOIN LATERAL (SELECT a0.typ, a0.ord, p.proargnames[a0.ord] AS name) a)),
       '{}'
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace = 'runai'::regnamespace AND p.proname !~ '^_' AND p.prokind = 'f'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type t
                    WHERE p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend))
   AND NOT ('internal'::regtype = ANY (p.proargtypes::oid[]));
INSERT INTO attacks (who, phase, attack, sql, expected)
SELECT 'dept', 'shadow', 'shadowed: SELECT from ' || c.oid::regclass,
       pg_catalog.format('SELECT count(*) FROM %s', c.oid::regclass), '{}'
  FROM pg_catalog.pg_class c
 WHERE c.relnamespace = 'runai'::regnamespace AND c.relkind = 'v' AND c.relname !~ '^_';
INSERT INTO attacks (who, phase, attack, sql, expected) VALUES
  ('dept', 'shadow', 'shadowed: INSERT into runai.workloads', $s$INSERT INTO runai.workloads (name, kind, project) VALUES ('shadow', 'Training', 'project/at-p')$s$, '{}'),
  ('dept', 'shadow', 'shadowed: UPDATE runai.workloads', $s$UPDATE runai.workloads SET status = 'Running'$s$, '{}'),
  ('dept', 'shadow', 'shadowed: export_users_csv', $s$SELECT pg_catalog.length(runai.export_users_csv())$s$, '{}');
DELETE FROM attacks WHERE attack LIKE 'shadowed: %workloads' AND pg_catalog.to_regclass('runai.workloads') IS NULL;
-- a shadow attempt may end in any way but SH001; authenticate(token) may of course
-- change the subject
UPDATE attacks SET expected = '{any}' WHERE phase = 'shadow';
UPDATE attacks SET subject_may_change = true WHERE phase = 'shadow' AND attack LIKE '%authenticate%';

-- ===========================================================================
-- Run them
-- ===========================================================================

-- The attackers' own objects: a table, a trigger function, a leaky function, the
-- shadows.
SET SESSION AUTHORIZATION regress_at_dept;
CREATE TABLE public.regress_at_mine (id integer, project runai.scope);
CREATE SEQUENCE public.regress_at_shadow_hits;
CREATE SEQUENCE public.regress_at_leak_hits;
GRANT USAGE ON SEQUENCE public.regress_at_shadow_hits, public.regress_at_leak_hits TO PUBLIC;
CREATE FUNCTION public.regress_at_trigger() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
CREATE FUNCTION public.regress_at_leak(n text) RETURNS boolean LANGUAGE plpgsql COST 0.0001 AS $$
BEGIN
  IF n = 'wl-hidden' THEN PERFORM pg_catalog.nextval('public.regress_at_leak_hits'); END IF;
  RETURN true;
END
$$;
CREATE FUNCTION public.regress_at_shadow(what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_catalog.nextval('public.regress_at_shadow_hits');
  RAISE EXCEPTION 'shadow % ran', what USING ERRCODE = 'SH001';
END
$$;
DO $$
DECLARE
  f record;
  t record;
BEGIN
  -- functions named like the built-ins the extension's SQL uses
  FOR f IN SELECT * FROM (VALUES
      ('lower', 'text', 'text'), ('upper', 'text', 'text'), ('length', 'text', 'integer'),
      ('format', 'text', 'text'), ('format', 'text, text', 'text'), ('format', 'text, text, text', 'text'),
      ('now', '', 'timestamptz'), ('statement_timestamp', '', 'timestamptz'), ('clock_timestamp', '', 'timestamptz'),
      ('array_position', 'anyarray, anyelement', 'integer'), ('starts_with', 'text, text', 'boolean'),
      ('left', 'text, integer', 'text'), ('substr', 'text, integer', 'text'), ('strpos', 'text, text', 'integer'),
      ('split_part', 'text, text, integer', 'text'), ('md5', 'text', 'text'), ('gen_random_uuid', '', 'uuid'),
      ('current_setting', 'text', 'text'), ('pg_has_role', 'oid, oid, text', 'boolean'),
      ('quote_ident', 'text', 'text'), ('to_jsonb', 'anyelement', 'jsonb'),
      ('jsonb_build_object', 'text, text', 'jsonb'), ('array_to_string', 'anyarray, text', 'text'),
      ('unnest', 'anyarray', 'SETOF anyelement'),
      ('scope_type', 'runai.scope', 'text'), ('actionset_has', 'runai.actionset, text', 'boolean')
    ) v(name, args, ret) LOOP
    EXECUTE pg_catalog.format(
      'CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql AS $f$BEGIN PERFORM public.regress_at_shadow(%L); %s END$f$',
      f.name, f.args, f.ret, f.name || '(' || f.args || ')',
      CASE WHEN f.ret LIKE 'SETOF%' THEN 'RETURN;' ELSE 'RETURN NULL;' END);
  END LOOP;
  -- aggregates and operators
  CREATE FUNCTION public.regress_at_shadow_sfunc(text, text, text) RETURNS text LANGUAGE plpgsql
    AS $f$BEGIN PERFORM public.regress_at_shadow('string_agg'); RETURN NULL; END$f$;
  CREATE AGGREGATE public.string_agg(text, text) (SFUNC = public.regress_at_shadow_sfunc, STYPE = text);
  CREATE FUNCTION public.regress_at_shadow_eq(text, text) RETURNS boolean LANGUAGE plpgsql
    AS $f$BEGIN PERFORM public.regress_at_shadow('operator text = text'); RETURN NULL; END$f$;
  CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.regress_at_shadow_eq);
  CREATE FUNCTION public.regress_at_shadow_cat(text, text) RETURNS text LANGUAGE plpgsql
    AS $f$BEGIN PERFORM public.regress_at_shadow('operator text || text'); RETURN NULL; END$f$;
  CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = public.regress_at_shadow_cat);
  CREATE FUNCTION public.regress_at_shadow_scope_eq(runai.scope, runai.scope) RETURNS boolean LANGUAGE plpgsql
    AS $f$BEGIN PERFORM public.regress_at_shadow('operator scope = scope'); RETURN NULL; END$f$;
  CREATE OPERATOR public.= (LEFTARG = runai.scope, RIGHTARG = runai.scope, FUNCTION = public.regress_at_shadow_scope_eq);
  CREATE OPERATOR public.< (LEFTARG = runai.scope, RIGHTARG = runai.scope, FUNCTION = public.regress_at_shadow_scope_eq);
  CREATE FUNCTION public.regress_at_shadow_scope_text(runai.scope, text) RETURNS boolean LANGUAGE plpgsql
    AS $f$BEGIN PERFORM public.regress_at_shadow('operator scope = text'); RETURN NULL; END$f$;
  CREATE OPERATOR public.= (LEFTARG = runai.scope, RIGHTARG = text, FUNCTION = public.regress_at_shadow_scope_text);
  CREATE FUNCTION public.regress_at_shadow_actionset(runai.actionset, runai.actionset) RETURNS boolean LANGUAGE plpgsql
    AS $f$BEGIN PERFORM public.regress_at_shadow('operator actionset @> actionset'); RETURN NULL; END$f$;
  CREATE OPERATOR public.@> (LEFTARG = runai.actionset, RIGHTARG = runai.actionset, FUNCTION = public.regress_at_shadow_actionset);
  CREATE OPERATOR public.= (LEFTARG = runai.actionset, RIGHTARG = runai.actionset, FUNCTION = public.regress_at_shadow_actionset);
  -- temporary views named like every table of the extension, with the same columns
  FOR t IN SELECT c.relname,
                  pg_catalog.string_agg(pg_catalog.format('NULL::%s AS %I', pg_catalog.format_type(a.atttypid, a.atttypmod), a.attname),
                                        ', ' ORDER BY a.attnum) AS cols
             FROM pg_catalog.pg_class c
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace) AND c.relkind IN ('r', 'p', 'v')
            GROUP BY c.relname LOOP
    EXECUTE pg_catalog.format('CREATE TEMP VIEW %I AS SELECT %s FROM public.regress_at_shadow(%L) x',
                              t.relname, t.cols, 'pg_temp.' || t.relname);
  END LOOP;
END
$$;
SET client_min_messages = error;
DO $$ BEGIN PERFORM pg_temp.attempt(n) FROM pg_temp.attacks WHERE who = 'dept' ORDER BY n; END $$;
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION regress_at_low;
SET client_min_messages = error;
DO $$ BEGIN PERFORM pg_temp.attempt(n) FROM pg_temp.attacks WHERE who = 'low' ORDER BY n; END $$;
RESET SESSION AUTHORIZATION;
SET LOCAL client_min_messages = warning;

-- ===========================================================================
-- The assertions
-- ===========================================================================

CREATE TEMP TABLE verdicts AS
SELECT a.n, a.who, a.attack, a.expected, l.sqlstate, l.message, l.detail, l.hint, l.answer,
       l.subject_before, l.subject_after,
       (l.n IS NOT NULL)
       AND CASE WHEN a.expected = '{any}' THEN l.sqlstate <> 'SH001' AND coalesce(l.message, '') NOT LIKE 'shadow %'
                ELSE l.sqlstate = ANY (a.expected) END
       AND (l.sqlstate <> 'ok' OR a.check_expected IS NULL OR l.answer IS NOT DISTINCT FROM a.check_expected)
       AND (a.subject_may_change OR l.subject_before IS NOT DISTINCT FROM l.subject_after)
       AND (a.message_re IS NULL OR coalesce(l.message, '') ~ a.message_re)
       AND NOT EXISTS (SELECT 1 FROM unnest(a.forbidden) f
                        WHERE pg_catalog.strpos(concat_ws(' ', l.message, l.detail, l.hint, l.answer), f) > 0) AS pass
  FROM attacks a LEFT JOIN attack_log l ON l.n = a.n;

SELECT plan((SELECT count(*)::int FROM verdicts) + 10);

SELECT ok(pass, pg_catalog.format('%s: %s -> %s%s', who, attack, pg_catalog.array_to_string(expected, '|'),
                                  CASE WHEN pass THEN '' ELSE ' (got ' || coalesce(sqlstate, 'nothing') || ')' END))
  FROM verdicts ORDER BY n;
SELECT diag(pg_catalog.format('%s: %s: got %s %s answer %s subject %s -> %s', who, attack, sqlstate,
                              coalesce('"' || pg_catalog.left(message, 200) || '"', ''), coalesce(answer, '-'),
                              coalesce(subject_before, '-'), coalesce(subject_after, '-')))
  FROM verdicts WHERE NOT pass ORDER BY n;

-- no shadow ran, no hidden row reached the attacker's function
SELECT is((SELECT NOT is_called FROM public.regress_at_shadow_hits), true,
          'no shadowing function, aggregate, operator or temporary view ever ran');
SELECT is((SELECT NOT is_called FROM public.regress_at_leak_hits), true,
          'the attacker''s non-leakproof function never saw a hidden row');

-- SECURITY DEFINER functions (and every SQL and PL/pgSQL function of the extension)
-- pin search_path with pg_temp last.  SQL functions with a standard body (BEGIN
-- ATOMIC or RETURN) need not: their body is bound to objects when it is created,
-- never looked up by name again; the bodies of the scope/text operators are such
-- functions without a SET clause, so that the planner can inline them.
SELECT is((SELECT pg_catalog.string_agg(p.oid::regprocedure::text, ', ')
             FROM pg_catalog.pg_proc p
            WHERE p.pronamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace)
              AND (p.prosecdef OR p.prolang IN (SELECT oid FROM pg_catalog.pg_language WHERE lanname IN ('sql', 'plpgsql')))
              AND NOT (p.prosqlbody IS NOT NULL AND NOT p.prosecdef)
              AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c ~ '^search_path=pg_catalog, *pg_temp$')),
          NULL, 'every SECURITY DEFINER, SQL and PL/pgSQL function of runai and runai_internal pins search_path = pg_catalog, pg_temp, or has a standard body');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc p
            WHERE p.pronamespace = 'runai_internal'::regnamespace AND p.prosqlbody IS NOT NULL AND p.proconfig IS NULL),
          12, 'the twelve bodies of the scope/text operators are standard SQL bodies the planner inlines');

-- no secret is readable afterwards: not in any view, the event history, or a column
-- of a view named like a secret
SELECT is((SELECT pg_catalog.string_agg(DISTINCT a.attrelid::regclass || '.' || a.attname, ', ')
             FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
            WHERE c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace) AND c.relkind = 'v' AND a.attnum > 0
              AND a.attname ~* '(password|secret|token|hash|verifier)'),
          NULL, 'no view of the extension has a column for a password, secret, token or hash');
CREATE TEMP TABLE exposed (relation text, what text);
DO $$
DECLARE
  v regclass;
BEGIN
  FOR v IN SELECT c.oid FROM pg_catalog.pg_class c
            WHERE c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace) AND c.relkind = 'v'
               OR c.oid = 'runai_internal.events'::regclass LOOP
    EXECUTE pg_catalog.format(
      'INSERT INTO pg_temp.exposed SELECT %L, s.what FROM pg_temp.secrets s WHERE EXISTS (SELECT 1 FROM %s x WHERE pg_catalog.strpos(x::text, s.value) > 0)',
      v::text, v);
  END LOOP;
END
$$;
SELECT is((SELECT count(*) FROM secrets), (SELECT count(*) FROM secrets WHERE value IS NOT NULL AND length(value) >= 16),
          'the fixture produced its secrets (passwords, secrets, tokens, verifiers)');
SELECT is((SELECT pg_catalog.string_agg(relation || ': ' || what, '; ') FROM exposed), NULL,
          'no password, secret, token, verifier or digest appears in a view or in runai_internal.events (read as a superuser)');
SELECT ok((SELECT bool_and(password_hash LIKE 'SCRAM-SHA-256$%') FROM runai_internal.users WHERE password_hash IS NOT NULL)
          AND (SELECT bool_and(secret_hash LIKE 'SCRAM-SHA-256$%') FROM runai_internal.applications),
          'passwords and application secrets are stored as SCRAM-SHA-256 verifiers');

-- the attacks left everything as it was
SELECT is((SELECT count(*) FROM runai_internal.access_rules WHERE subject = 'accomplice@attack.test'), 0::bigint,
          'no rule for the accomplice survived');
SELECT is((SELECT count(*) FROM attack_log), (SELECT count(*) FROM attacks), 'every attack was attempted');

SELECT * FROM finish();
ROLLBACK;
