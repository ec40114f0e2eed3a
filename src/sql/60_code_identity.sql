-- Code: identity: local and SSO users, applications, token sessions (SPEC sections
-- 3 and 4 "Users and applications") and the last-administrator rule.
--
-- Secrets: passwords and application secrets are stored only as SCRAM-SHA-256
-- verifiers (runai_internal.password_hash, PostgreSQL's own code); tokens only as
-- their SHA-256 digest in runai_internal.sessions, which nobody but the owner can
-- read.
-- Temporary passwords, secrets and tokens come from pg_strong_random (144 to 256
-- bits).  No event, error message or view contains any of them.
--
-- Sessions: sign_in, sso_sign_in and app_sign_in create a row in
-- runai_internal.sessions and return its token once; runai.authenticate(token)
-- makes its subject the
-- current subject of the connection (src/session.c).  Deleting the row
-- (sign_out, change_password, reset_password, regenerate_application_secret,
-- delete_user, delete_application) ends the subject in every connection that used
-- the token: its next statement that needs the subject gets 28000 once, and then
-- it has no token subject (as when the token expires).  A failed authenticate, and
-- runai.clear_subject, leave the connection with no token subject whatever a
-- rollback restores (src/session.c, "Failing closed").
--
-- Failed sign-ins are counted in shared memory (src/lockout.c), so that rolling
-- back the transaction that called sign_in does not undo the count.

-- ---------------------------------------------------------------------------
-- Internal helpers in C (owner only)
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runai_internal.password_hash(password text) RETURNS text
AS 'MODULE_PATHNAME', 'rbac_password_hash_sql' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION runai_internal.password_hash(text) IS 'Internal: a SCRAM-SHA-256 verifier of the password.';

CREATE OR REPLACE FUNCTION runai_internal.password_verify(password text, verifier text) RETURNS boolean
AS 'MODULE_PATHNAME', 'rbac_password_verify_sql' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION runai_internal.password_verify(text, text) IS
  'Internal: does the password match the verifier? A NULL verifier costs the same time and answers false.';

CREATE OR REPLACE FUNCTION runai_internal.random_text(kind text) RETURNS text
AS 'MODULE_PATHNAME', 'rbac_random_text_sql' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION runai_internal.random_text(text) IS
  'Internal: a new token, secret or temporary password (kind token, secret, password) from the strong random source.';

CREATE OR REPLACE FUNCTION runai_internal.token_hash(token text) RETURNS bytea
AS 'MODULE_PATHNAME', 'rbac_token_hash_sql' LANGUAGE C IMMUTABLE STRICT;
COMMENT ON FUNCTION runai_internal.token_hash(text) IS 'Internal: the SHA-256 digest a token is stored as.';

CREATE OR REPLACE FUNCTION runai_internal.lockout_attempt(email text) RETURNS timestamptz
AS 'MODULE_PATHNAME', 'rbac_lockout_attempt_sql' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION runai_internal.lockout_attempt(text) IS
  'Internal: counts a password check for the email in shared memory; NULL if it may go ahead, else the end of the lock.';

CREATE OR REPLACE FUNCTION runai_internal.lockout_success(email text) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_lockout_success_sql' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION runai_internal.lockout_success(text) IS 'Internal: forgets the failed sign-ins of the email.';

CREATE OR REPLACE FUNCTION runai_internal.lockout_available() RETURNS boolean
AS 'MODULE_PATHNAME', 'rbac_lockout_available_sql' LANGUAGE C STABLE;
COMMENT ON FUNCTION runai_internal.lockout_available() IS
  'Internal: is the shared memory for counting failed sign-ins there (runai_rbac in shared_preload_libraries)?';

CREATE OR REPLACE FUNCTION runai_internal.session_end() RETURNS bigint
AS 'MODULE_PATHNAME', 'rbac_session_end_sql' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION runai_internal.session_end() IS
  'Internal: ends the token subject of this connection and returns the id of its session.';

CREATE OR REPLACE FUNCTION runai_internal.session_id() RETURNS bigint
AS 'MODULE_PATHNAME', 'rbac_session_id_sql' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION runai_internal.session_id() IS 'Internal: the id of the valid session of this connection''s token subject, or NULL.';

CREATE OR REPLACE FUNCTION runai_internal.session_expires_at() RETURNS timestamptz
AS 'MODULE_PATHNAME', 'rbac_session_expires_sql' LANGUAGE C STABLE;
COMMENT ON FUNCTION runai_internal.session_expires_at() IS 'Internal: when a session created now expires (runai.session_lifetime).';

-- ---------------------------------------------------------------------------
-- Internal helpers in SQL
-- ---------------------------------------------------------------------------

-- The normal form of a valid email; 22023 if NULL or not valid.  The one rule for
-- emails, in C (src/subject.h), shared with the parsing of subjects: the text as
-- given must be ASCII and match ^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$
-- (at most 320 characters), and only ASCII letters are folded to lower case --
-- never lower(), whose collation folds the Kelvin sign to k.
CREATE OR REPLACE FUNCTION runai_internal.email(p_email text, p_argument text DEFAULT 'email') RETURNS text
AS 'MODULE_PATHNAME', 'rbac_email_sql' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.email(text, text) IS
  'Internal: the normal form of a valid email (ASCII only, ASCII letters folded to lower case); 22023 naming the argument if NULL or not valid.';

-- 22023 unless the name is a valid application name.
CREATE OR REPLACE FUNCTION runai_internal.app_name(p_name text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM runai_internal.not_null(p_name, 'name');
  IF p_name !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' THEN
    RAISE EXCEPTION 'invalid application name "%"', left(p_name, 100)
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'An application name has 1 to 63 letters, digits, dots, underscores or hyphens, and starts with a letter or a digit.',
            HINT = 'For example: ci-pipeline.';
  END IF;
  RETURN p_name;
END
$$;
COMMENT ON FUNCTION runai_internal.app_name(text) IS 'Internal: 22023 unless the name is a valid application name.';

-- The application with this name; 42704 if none.
CREATE OR REPLACE FUNCTION runai_internal.application(p_name text) RETURNS runai_internal.applications
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE a runai_internal.applications;
BEGIN
  SELECT * INTO a FROM runai_internal.applications WHERE name = p_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'application "%" does not exist', left(p_name, 100)
      USING ERRCODE = 'undefined_object',
            DETAIL = 'No application has this name.',
            HINT = 'SELECT application FROM runai.applications_table lists the applications you may see.';
  END IF;
  RETURN a;
END
$$;
COMMENT ON FUNCTION runai_internal.application(text) IS 'Internal: the application with this name; 42704 if none.';

-- 22023 unless the new password follows the rules: 8 to 255 characters, not the
-- email, not the current password.
CREATE OR REPLACE FUNCTION runai_internal.check_new_password(p_email text, p_current text, p_new text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF length(p_new) NOT BETWEEN 8 AND 255 THEN
    RAISE EXCEPTION 'new password must have 8 to 255 characters'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'The password was not changed.',
            HINT = 'Choose a password of 8 to 255 characters.';
  END IF;
  IF lower(p_new) = lower(p_email) THEN
    RAISE EXCEPTION 'new password must not be the email'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'The password was not changed.',
            HINT = 'Choose a password that is not your email.';
  END IF;
  IF p_new = p_current THEN
    RAISE EXCEPTION 'new password must differ from the current one'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'The password was not changed.',
            HINT = 'Choose a password you have not used here just now.';
  END IF;
END
$$;
COMMENT ON FUNCTION runai_internal.check_new_password(text, text, text) IS 'Internal: 22023 unless a new password follows the rules.';

-- Appends an event whose subject is given (the user or application signing in),
-- or the caller when p_subject is NULL (src/dispatch.c, as log_event).
CREATE OR REPLACE FUNCTION runai_internal.log_subject_event(p_subject_type text, p_subject text, p_action text,
                                                            p_result text, p_entity_type text, p_entity_name text,
                                                            p_entity_id text, p_details jsonb DEFAULT '{}')
RETURNS void
AS 'MODULE_PATHNAME', 'rbac_log_subject_event_sql' LANGUAGE C;
COMMENT ON FUNCTION runai_internal.log_subject_event(text, text, text, text, text, text, text, jsonb) IS
  'Internal: appends an event on behalf of the given subject (sign-ins), else of the caller.';

-- Records a failed password sign-in without letting a flood of them grow the event
-- history: one event per account and window of runai.lockout_duration (windows
-- aligned on the epoch, in UTC), whose details count the failures by status, and
-- one such event for all unknown emails together (no subject, no email: what was
-- typed is not recorded).  The update is the only one the append-only trigger
-- allows, and only inside runai.sign_in.
--
-- It never waits for another transaction: the event is taken with FOR UPDATE SKIP
-- LOCKED, and when every event of the account and window is locked by a
-- transaction still in progress (or not yet visible: inserted by one), a new event
-- is started.  Waiting would let anyone who keeps a transaction open after a failed
-- sign-in make the failures of that account -- or of every unknown email, a
-- difference an attacker could time to tell real accounts from unknown ones --
-- hang.  So an account has one event per window, plus one for each transaction
-- that failed while all its events were busy: at most about as many as there are
-- concurrent connections.  Failures whose transaction rolls back are not recorded
-- (the lockout counts them all the same).
CREATE OR REPLACE FUNCTION runai_internal.log_failed_sign_in(p_email text, p_user_id uuid, p_status text)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  w double precision := greatest(1, extract(epoch FROM current_setting('runai.lockout_duration')::interval));
  win text := to_char(to_timestamp(floor(extract(epoch FROM now()) / w) * w) AT TIME ZONE 'UTC',
                      'YYYY-MM-DD"T"HH24:MI:SS"Z"');
  ev bigint;
  d jsonb;
BEGIN
  SELECT e.id, e.details INTO ev, d FROM runai_internal.events e
   WHERE e.entity_type = 'users' AND coalesce(e.entity_id, '') = coalesce(p_user_id::text, '')
     AND e.details ->> 'window' = win
     AND e.action = 'sign-in' AND e.result = 'Failed' AND e.details ? 'window'
   LIMIT 1 FOR UPDATE SKIP LOCKED;
  IF FOUND THEN
    -- computed from the locked row first: Citus refuses an UPDATE of a reference
    -- table that calls VOLATILE functions, or STABLE ones on its columns
    d := d || jsonb_build_object('count', (d ->> 'count')::bigint + 1,
                                 p_status, coalesce((d ->> p_status)::bigint, 0) + 1,
                                 'last_at', clock_timestamp());
    UPDATE runai_internal.events e SET details = d WHERE e.id = ev;
  ELSE
    INSERT INTO runai_internal.events (subject, subject_type, action, result, entity_type, entity_name,
                                       entity_id, details)
    VALUES (p_email, CASE WHEN p_email IS NOT NULL THEN 'user' END, 'sign-in', 'Failed', 'users', p_email,
            p_user_id::text,
            jsonb_build_object('window', win, 'count', 1, p_status, 1, 'last_at', clock_timestamp()));
  END IF;
END
$$;
COMMENT ON FUNCTION runai_internal.log_failed_sign_in(text, uuid, text) IS
  'Internal: counts a failed password sign-in in the event of its account (or of all unknown emails) and lockout window, without waiting for another transaction.';

-- Creates a session for a user or an application and returns its token.
CREATE OR REPLACE FUNCTION runai_internal.new_session(p_subject_type text, p_subject text, p_user_id uuid, p_app_id uuid)
RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE tok text := runai_internal.random_text('token');
BEGIN
  -- expired sessions of the same subject go; checking first avoids telling every
  -- backend about a DELETE that removes nothing (one statement for users, one for
  -- applications: each reads its own index whatever the plan was made for)
  IF p_user_id IS NOT NULL THEN
    IF EXISTS (SELECT 1 FROM runai_internal.sessions WHERE user_id = p_user_id AND expires_at <= now()) THEN
      DELETE FROM runai_internal.sessions WHERE user_id = p_user_id AND expires_at <= now();
    END IF;
  ELSIF EXISTS (SELECT 1 FROM runai_internal.sessions WHERE app_id = p_app_id AND expires_at <= now()) THEN
    DELETE FROM runai_internal.sessions WHERE app_id = p_app_id AND expires_at <= now();
  END IF;
  INSERT INTO runai_internal.sessions (token_hash, subject_type, subject, user_id, app_id, expires_at)
  VALUES (runai_internal.token_hash(tok), p_subject_type, p_subject, p_user_id, p_app_id,
          runai_internal.session_expires_at());
  RETURN tok;
END
$$;
COMMENT ON FUNCTION runai_internal.new_session(text, text, uuid, uuid) IS 'Internal: creates a session and returns its token (shown once).';

-- Ends sessions; returns how many.  Checking first avoids a needless invalidation.
CREATE OR REPLACE FUNCTION runai_internal.end_sessions(p_user_id uuid, p_app_id uuid, p_keep bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE n bigint := 0;
BEGIN
  IF EXISTS (SELECT 1 FROM runai_internal.sessions
              WHERE (user_id = p_user_id OR app_id = p_app_id) AND id IS DISTINCT FROM p_keep) THEN
    DELETE FROM runai_internal.sessions
     WHERE (user_id = p_user_id OR app_id = p_app_id) AND id IS DISTINCT FROM p_keep;
    GET DIAGNOSTICS n = ROW_COUNT;
  END IF;
  RETURN n;
END
$$;
COMMENT ON FUNCTION runai_internal.end_sessions(uuid, uuid, bigint) IS 'Internal: ends the sessions of a user or an application, except p_keep.';

-- Deletes the access rules of a subject, recording each; returns how many.
CREATE OR REPLACE FUNCTION runai_internal.delete_rules_of(p_subject_type text, p_subject text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r record;
  n bigint := 0;
BEGIN
  FOR r IN
    DELETE FROM runai_internal.access_rules ar USING runai_internal.roles ro
     WHERE ro.id = ar.role_id AND ar.subject_type = p_subject_type AND ar.subject = p_subject
    RETURNING ar.id, ar.scope, ro.name AS role_name
  LOOP
    PERFORM runai_internal.log_event('delete', 'Succeeded', 'access_rules', r.role_name || ' @ ' || r.scope::text,
                                     r.id::text,
                                     jsonb_build_object('subject', p_subject_type || ':' || p_subject,
                                                        'role', r.role_name, 'scope', r.scope::text));
    n := n + 1;
  END LOOP;
  RETURN n;
END
$$;
COMMENT ON FUNCTION runai_internal.delete_rules_of(text, text) IS 'Internal: deletes and records every access rule of a subject.';

-- ---------------------------------------------------------------------------
-- The last local System administrator
-- ---------------------------------------------------------------------------

-- Does a local user hold System administrator at system or a tenant?  With
-- p_lasting, only rules without an expiry count (those that keep the invariant).
CREATE OR REPLACE FUNCTION runai_internal.local_admin_exists(p_lasting boolean) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT EXISTS (
    SELECT 1
      FROM runai_internal.access_rules r
      JOIN runai_internal.roles ro ON ro.id = r.role_id AND ro.name = 'System administrator'
      JOIN runai_internal.users u ON u.email = r.subject AND u.type = 'local'
     WHERE r.subject_type = 'user'
       AND runai.scope_type(r.scope) IN ('system', 'tenant')
       AND (r.expires_at IS NULL OR (NOT p_lasting AND r.expires_at > now())))
$$;
COMMENT ON FUNCTION runai_internal.local_admin_exists(boolean) IS
  'Internal: does a local user hold System administrator at system or a tenant (with p_lasting, by a rule without expiry)?';

-- Constraint trigger on runai_internal.access_rules and runai_internal.users: refuses (23514) a change
-- that leaves no local user holding System administrator at system or a tenant by
-- a rule without expiry, once one existed.  Changes that could do so first update
-- the single row of runai_internal.admin_guard: a concurrent one waits for it, then (READ
-- COMMITTED) counts again with a new snapshot, or (REPEATABLE READ, SERIALIZABLE)
-- fails with a serialization error; either way no two sessions can each remove
-- one of the last two administrators.
--
-- SECURITY DEFINER: under SET CONSTRAINTS ALL DEFERRED the trigger runs at commit,
-- after the dispatched call that made the change has returned, as the session's
-- own role, which may read none of these tables.  It runs as the owner whoever
-- commits; it is a trigger function, which nothing can call directly, and its
-- search path is pinned.
--
-- The trigger's argument names its table.  On a Citus cluster it fires on every
-- node's placement of the table, where it may read the other tables but must not
-- write to one: there the functions that remove rules or users have updated the
-- guard first, on the node that runs them (runai_internal.serialise_admin_changes),
-- and the trigger only counts.
CREATE OR REPLACE FUNCTION runai_internal.keep_last_admin() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  who text;
  tbl text := coalesce(TG_ARGV[0], TG_TABLE_NAME);
BEGIN
  IF tbl = 'access_rules' THEN
    IF OLD.subject_type <> 'user' OR OLD.expires_at IS NOT NULL
       OR runai.scope_type(OLD.scope) NOT IN ('system', 'tenant')
       OR OLD.role_id IS DISTINCT FROM (SELECT id FROM runai_internal.roles WHERE name = 'System administrator') THEN
      RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.subject_type = OLD.subject_type AND NEW.subject = OLD.subject
       AND NEW.role_id = OLD.role_id AND NEW.scope OPERATOR(pg_catalog.=) OLD.scope AND NEW.expires_at IS NULL THEN
      RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM runai_internal.users WHERE email = OLD.subject AND type = 'local') THEN
      RETURN NULL;
    END IF;
    who := OLD.subject;
  ELSE
    IF OLD.type <> 'local' OR (TG_OP = 'UPDATE' AND NEW.type = 'local' AND NEW.email = OLD.email) THEN
      RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM runai_internal.access_rules r JOIN runai_internal.roles ro ON ro.id = r.role_id
                    WHERE r.subject_type = 'user' AND r.subject = OLD.email AND r.expires_at IS NULL
                      AND ro.name = 'System administrator'
                      AND runai.scope_type(r.scope) IN ('system', 'tenant')) THEN
      RETURN NULL;
    END IF;
    who := OLD.email;
  END IF;
  IF TG_RELID = pg_catalog.to_regclass('runai_internal.' || tbl) THEN
    UPDATE runai_internal.admin_guard SET changes = changes + 1 WHERE id = 1;
  END IF;
  IF NOT runai_internal.local_admin_exists(true) THEN
    RAISE EXCEPTION 'cannot remove the last local system administrator'
      USING ERRCODE = 'check_violation',
            DETAIL = format('%s is the last local user holding System administrator at the system or a tenant scope without an expiry, and at least one must always exist.', who),
            HINT = 'First give another local user the System administrator role at system or a tenant without an expiry (runai.add_access_rule), then retry.';
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION runai_internal.keep_last_admin() IS
  'Constraint trigger: at least one local user must hold System administrator at system or a tenant (without expiry) once one did.';

-- On a Citus cluster, the functions that remove rules or users call this on the
-- node that runs them before they do: the update of the guard's row, a reference
-- table, waits for any concurrent removal on every node (keep_last_admin, which
-- only counts there).  On one server the trigger updates the guard itself.
CREATE OR REPLACE FUNCTION runai_internal.serialise_admin_changes() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF runai_internal.catalog_distributed() THEN
    UPDATE runai_internal.admin_guard SET changes = changes + 1 WHERE id = 1;
  END IF;
END
$$;
COMMENT ON FUNCTION runai_internal.serialise_admin_changes() IS
  'Internal: on a Citus cluster, serialises changes that could remove the last local System administrator (runai_internal.keep_last_admin).';

-- Constraint triggers cannot be replaced (CREATE OR REPLACE TRIGGER refuses them).
-- Each is created where it is missing; where the installed one is not the one
-- defined here (an update from a version whose trigger differed: 0.1.0's named no
-- table), it is dropped and created again, with the guard of the triggers
-- (95_code_guard.sql) set aside meanwhile.  The two are compared as PostgreSQL
-- deparses them, the definition here through a twin made from it and dropped at
-- once, so replaying this part on the same version changes nothing.
DO $$
DECLARE
  tbl pg_catalog.regclass;
  spec text;
  installed text;
  wanted text;
  guarded boolean;
BEGIN
  FOR tbl, spec IN VALUES
    ('runai_internal.access_rules'::pg_catalog.regclass,
     'AFTER DELETE OR UPDATE ON runai_internal.access_rules DEFERRABLE INITIALLY IMMEDIATE
      FOR EACH ROW EXECUTE FUNCTION runai_internal.keep_last_admin(''access_rules'')'),
    ('runai_internal.users'::pg_catalog.regclass,
     'AFTER DELETE OR UPDATE OF type, email ON runai_internal.users DEFERRABLE INITIALLY IMMEDIATE
      FOR EACH ROW EXECUTE FUNCTION runai_internal.keep_last_admin(''users'')')
  LOOP
    SELECT pg_catalog.pg_get_triggerdef(t.oid) INTO installed
      FROM pg_catalog.pg_trigger t WHERE t.tgrelid = tbl AND t.tgname = 'keep_last_admin';
    IF installed IS NOT NULL THEN
      EXECUTE 'CREATE CONSTRAINT TRIGGER keep_last_admin_wanted ' || spec;
      SELECT pg_catalog.replace(pg_catalog.pg_get_triggerdef(t.oid), 'keep_last_admin_wanted', 'keep_last_admin')
        INTO wanted
        FROM pg_catalog.pg_trigger t WHERE t.tgrelid = tbl AND t.tgname = 'keep_last_admin_wanted';
      EXECUTE pg_catalog.format('DROP TRIGGER keep_last_admin_wanted ON %s', tbl);
      IF installed IS DISTINCT FROM wanted THEN
        guarded := EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'runai_rbac_guard_triggers');
        IF guarded THEN
          ALTER EVENT TRIGGER runai_rbac_guard_triggers DISABLE;
        END IF;
        EXECUTE pg_catalog.format('DROP TRIGGER keep_last_admin ON %s', tbl);
        EXECUTE 'CREATE CONSTRAINT TRIGGER keep_last_admin ' || spec;
        IF guarded THEN
          ALTER EVENT TRIGGER runai_rbac_guard_triggers ENABLE ALWAYS;
        END IF;
      END IF;
    ELSE
      EXECUTE 'CREATE CONSTRAINT TRIGGER keep_last_admin ' || spec;
    END IF;
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER keep_last_admin', tbl);
  END LOOP;
END
$$;

-- TRUNCATE bypasses row triggers: refuse it while an administrator exists (except
-- for runai.distribute_catalog emptying the coordinator's own copy, see
-- runai_internal.refuse_catalog_change).
CREATE OR REPLACE FUNCTION runai_internal.keep_last_admin_truncate() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE tbl text := coalesce(TG_ARGV[0], format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME));
BEGIN
  IF runai_internal.distributing() THEN
    RETURN NULL;
  END IF;
  IF runai_internal.local_admin_exists(true) THEN
    RAISE EXCEPTION 'cannot truncate % while a local system administrator exists', tbl
      USING ERRCODE = 'check_violation',
            DETAIL = 'Truncating it would remove the last local user holding System administrator at the system or a tenant scope.',
            HINT = 'Delete the rows you mean to delete with the extension''s functions, or drop the extension.';
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION runai_internal.keep_last_admin_truncate() IS 'Trigger: refuses TRUNCATE of users or access rules while an administrator exists.';
CREATE OR REPLACE TRIGGER keep_last_admin_truncate BEFORE TRUNCATE ON runai_internal.access_rules
  FOR EACH STATEMENT EXECUTE FUNCTION runai_internal.keep_last_admin_truncate('runai_internal.access_rules');
ALTER TABLE runai_internal.access_rules ENABLE ALWAYS TRIGGER keep_last_admin_truncate;
CREATE OR REPLACE TRIGGER keep_last_admin_truncate BEFORE TRUNCATE ON runai_internal.users
  FOR EACH STATEMENT EXECUTE FUNCTION runai_internal.keep_last_admin_truncate('runai_internal.users');
ALTER TABLE runai_internal.users ENABLE ALWAYS TRIGGER keep_last_admin_truncate;

-- ---------------------------------------------------------------------------
-- Users
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runai.bootstrap(admin_email text) RETURNS text
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.bootstrap(p_admin_email text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  e text;
  pw text;
  uid uuid;
  rid bigint;
  owner oid;
BEGIN
  e := runai_internal.email(p_admin_email, 'admin_email');
  SELECT extowner INTO owner FROM pg_extension WHERE extname = 'runai_rbac';
  IF NOT (runai_internal.actor_superuser() OR pg_has_role(runai_internal.actor_db_role(), owner, 'USAGE')) THEN
    RAISE EXCEPTION 'permission denied: only the owner of runai_rbac or a superuser may bootstrap it'
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('Database role %s is neither a superuser nor the extension''s owner %s.',
                            runai_internal.actor_db_role()::regrole, owner::regrole),
            HINT = 'Connect as the role that ran CREATE EXTENSION runai_rbac, or as a superuser.';
  END IF;
  -- one bootstrap at a time: a concurrent one waits here, then sees this one's admin
  UPDATE runai_internal.admin_guard SET changes = changes + 1 WHERE id = 1;
  IF runai_internal.local_admin_exists(false) THEN
    RAISE EXCEPTION 'runai_rbac is already bootstrapped'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'A local user already holds System administrator at the system or a tenant scope.',
            HINT = 'Sign in as that administrator and create users with runai.create_local_user.';
  END IF;
  IF EXISTS (SELECT 1 FROM runai_internal.users WHERE email = e) THEN
    RAISE EXCEPTION 'user "%" already exists', e
      USING ERRCODE = 'unique_violation',
            DETAIL = 'bootstrap creates a new local user.',
            HINT = 'Choose an email no user has, or give the existing local user System administrator with runai.add_access_rule.';
  END IF;
  pw := runai_internal.random_text('password');
  INSERT INTO runai_internal.users (email, type, password_hash, password_temporary, created_by)
  VALUES (e, 'local', runai_internal.password_hash(pw), true, runai_internal.actor_name())
  RETURNING id INTO uid;
  INSERT INTO runai_internal.access_rules (subject_type, subject, role_id, scope, created_by)
  VALUES ('user', e, (SELECT id FROM runai_internal.roles WHERE name = 'System administrator'), 'system',
          runai_internal.actor_name())
  RETURNING id INTO rid;
  PERFORM runai_internal.log_event('create', 'Succeeded', 'users', e, uid::text,
                                   jsonb_build_object('type', 'local', 'bootstrap', true));
  PERFORM runai_internal.log_event('create', 'Succeeded', 'access_rules', 'System administrator @ system', rid::text,
                                   jsonb_build_object('subject', 'user:' || e, 'role', 'System administrator',
                                                      'scope', 'system'));
  RETURN pw;
END
$$;
COMMENT ON FUNCTION runai.bootstrap(text) IS
  'Creates the first local user with System administrator at system and returns its temporary password (shown once). Only for the extension owner or a superuser, and only while no local System administrator exists.';

CREATE OR REPLACE FUNCTION runai.create_local_user(email text)
RETURNS TABLE (user_id uuid, email text, temporary_password text)
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.create_local_user(p_email text)
RETURNS TABLE (user_id uuid, email text, temporary_password text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  e text;
  pw text;
  uid uuid;
  existing text;
BEGIN
  e := runai_internal.email(p_email);
  PERFORM runai_internal.require_tenant_wide('users', 'create');
  -- Rules may name a user before it exists (an SSO user before its first sign-in):
  -- whoever creates the account gets them, so it needs dominance over them.
  PERFORM runai_internal.require_dominates('user:' || e);
  SELECT u.type INTO existing FROM runai_internal.users u WHERE u.email = e;
  IF existing IS NULL THEN
    pw := runai_internal.random_text('password');
    BEGIN
      INSERT INTO runai_internal.users (email, type, password_hash, password_temporary, created_by)
      VALUES (e, 'local', runai_internal.password_hash(pw), true, runai_internal.actor_name())
      RETURNING id INTO uid;
    EXCEPTION WHEN unique_violation THEN
      existing := 'local';
    END;
  END IF;
  IF existing IS NOT NULL THEN
    RAISE EXCEPTION 'user "%" already exists', e
      USING ERRCODE = 'unique_violation',
            DETAIL = format('A %s user has this email; emails are unique regardless of letter case.',
                            CASE existing WHEN 'sso' THEN 'SSO' ELSE 'local' END),
            HINT = 'Use the existing user, or delete it first with runai.delete_user.';
  END IF;
  PERFORM runai_internal.log_event('create', 'Succeeded', 'users', e, uid::text, jsonb_build_object('type', 'local'));
  RETURN QUERY SELECT uid, e, pw;
END
$$;
COMMENT ON FUNCTION runai.create_local_user(text) IS
  'Creates a local user and returns its temporary password once (it is never stored or shown again); the user must change it before getting a session. Needs users create at system or a tenant, and dominance over the rules that already name the email.';

CREATE OR REPLACE FUNCTION runai.sign_in(email text, password text)
RETURNS TABLE (status text, token text)
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.sign_in(p_email text, p_password text)
RETURNS TABLE (status text, token text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  e text;
  u record;
  ok boolean;
  tok text;
BEGIN
  PERFORM runai_internal.not_null(p_email, 'email');
  PERFORM runai_internal.not_null(p_password, 'password');
  -- 22023 for a text that is no valid email: it says nothing about which emails
  -- have accounts, and is not counted towards any lockout
  e := runai_internal.email(p_email);
  IF runai_internal.lockout_attempt(e) IS NOT NULL THEN
    SELECT us.id, us.email INTO u FROM runai_internal.users us WHERE us.email = e AND us.type = 'local';
    PERFORM runai_internal.log_failed_sign_in(u.email, u.id, 'locked');
    RETURN QUERY SELECT 'locked'::text, NULL::text;
    RETURN;
  END IF;
  SELECT us.id, us.email, us.password_hash, us.password_temporary INTO u
    FROM runai_internal.users us WHERE us.email = e AND us.type = 'local';
  -- unknown emails and SSO users are checked against a dummy verifier: same time
  ok := runai_internal.password_verify(left(p_password, 1024), u.password_hash) AND length(p_password) <= 1024;
  IF NOT ok THEN
    PERFORM runai_internal.log_failed_sign_in(u.email, u.id, 'invalid_credentials');
    RETURN QUERY SELECT 'invalid_credentials'::text, NULL::text;
    RETURN;
  END IF;
  PERFORM runai_internal.lockout_success(e);
  IF u.password_temporary THEN
    PERFORM runai_internal.log_subject_event('user', u.email, 'sign-in', 'Failed', 'users', u.email, u.id::text,
                                             jsonb_build_object('status', 'password_change_required'));
    RETURN QUERY SELECT 'password_change_required'::text, NULL::text;
    RETURN;
  END IF;
  tok := runai_internal.new_session('user', u.email, u.id, NULL);
  UPDATE runai_internal.users SET last_login = now() WHERE id = u.id;
  PERFORM runai_internal.log_subject_event('user', u.email, 'sign-in', 'Succeeded', 'users', u.email, u.id::text,
                                           jsonb_build_object('method', 'password'));
  RETURN QUERY SELECT 'ok'::text, tok;
END
$$;
COMMENT ON FUNCTION runai.sign_in(text, text) IS
  'Signs a local user in: status ok with a token, password_change_required (a temporary password: call change_password), invalid_credentials (the same for an unknown email and a wrong password) or locked (too many failed sign-ins, or the table of failed sign-ins is full). Failed sign-ins are recorded as one event per account and lockout window, with a count.';

CREATE OR REPLACE FUNCTION runai.change_password(email text, current_password text, new_password text) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.change_password(p_email text, p_current text, p_new text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  e text;
  u record;
  locked_until timestamptz;
  n bigint;
  verifier text;
BEGIN
  PERFORM runai_internal.not_null(p_email, 'email');
  PERFORM runai_internal.not_null(p_current, 'current_password');
  PERFORM runai_internal.not_null(p_new, 'new_password');
  e := runai_internal.email(p_email);
  PERFORM runai_internal.check_new_password(e, p_current, p_new);
  locked_until := runai_internal.lockout_attempt(e);
  IF locked_until IS NOT NULL THEN
    RAISE EXCEPTION 'account is locked'
      USING ERRCODE = 'invalid_authorization_specification',
            DETAIL = format('Too many failed sign-ins; the lock ends at %s.', locked_until),
            HINT = 'Wait until then, or ask an administrator to reset the password.';
  END IF;
  SELECT us.id, us.email, us.password_hash INTO u FROM runai_internal.users us WHERE us.email = e AND us.type = 'local';
  IF NOT (runai_internal.password_verify(left(p_current, 1024), u.password_hash) AND length(p_current) <= 1024) THEN
    RAISE EXCEPTION 'invalid email or current password'
      USING ERRCODE = 'invalid_password',
            DETAIL = 'No local user has this email, or the current password is wrong; the attempt counts towards the lockout.',
            HINT = 'Pass the current or temporary password. SSO users have no password here: they sign in through their identity provider.';
  END IF;
  PERFORM runai_internal.lockout_success(e);
  -- computed first: Citus refuses VOLATILE functions in an UPDATE of a reference table
  verifier := runai_internal.password_hash(p_new);
  UPDATE runai_internal.users SET password_hash = verifier, password_temporary = false,
                         updated_at = now()
   WHERE id = u.id;
  n := runai_internal.end_sessions(u.id, NULL, runai_internal.session_id());
  PERFORM runai_internal.log_subject_event('user', u.email, 'update', 'Succeeded', 'users', u.email, u.id::text,
                                           jsonb_build_object('changed', 'password', 'sessions_ended', n));
END
$$;
COMMENT ON FUNCTION runai.change_password(text, text, text) IS
  'Changes a local user''s password given the current (or temporary) one: 8 to 255 characters, not the email, not the current one. Clears the temporary state and ends the user''s other sessions.';

CREATE OR REPLACE FUNCTION runai.reset_password(email text) RETURNS text
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.reset_password(p_email text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  e text;
  uid uuid;
  u runai_internal.users;
  pw text;
  n bigint;
  verifier text;
BEGIN
  e := runai_internal.email(p_email);
  PERFORM runai_internal.require_tenant_wide('users', 'edit');
  uid := runai_internal.lock_user(e, true);
  SELECT * INTO u FROM runai_internal.users WHERE id = uid;
  -- whoever knows the new password acts as the user: dominance over it
  PERFORM runai_internal.require_dominates('user:' || e);
  IF u.type <> 'local' THEN
    RAISE EXCEPTION 'user "%" is an SSO user', e
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'SSO users have no password here; their identity provider authenticates them.',
            HINT = 'Reset the password in the identity provider.';
  END IF;
  pw := runai_internal.random_text('password');
  verifier := runai_internal.password_hash(pw);
  UPDATE runai_internal.users SET password_hash = verifier, password_temporary = true,
                         updated_at = now()
   WHERE id = u.id;
  n := runai_internal.end_sessions(u.id, NULL);
  PERFORM runai_internal.lockout_success(e);
  PERFORM runai_internal.log_event('reset-password', 'Succeeded', 'users', e, u.id::text,
                                   jsonb_build_object('sessions_ended', n));
  RETURN pw;
END
$$;
COMMENT ON FUNCTION runai.reset_password(text) IS
  'Gives a local user a new temporary password (returned once), ends its sessions and lifts a lockout. Needs users edit at system or a tenant, and dominance over the user.';

CREATE OR REPLACE FUNCTION runai.delete_user(email text) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.delete_user(p_email text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  e text;
  uid uuid;
  u runai_internal.users;
  nrules bigint;
  nsessions bigint;
BEGIN
  e := runai_internal.email(p_email);
  PERFORM runai_internal.require_tenant_wide('users', 'delete');
  uid := runai_internal.lock_user(e, true);
  SELECT * INTO u FROM runai_internal.users WHERE id = uid;
  PERFORM runai_internal.require_dominates('user:' || e);
  PERFORM runai_internal.serialise_admin_changes();
  nrules := runai_internal.delete_rules_of('user', e);
  nsessions := runai_internal.end_sessions(u.id, NULL);
  DELETE FROM runai_internal.users WHERE id = u.id;
  PERFORM runai_internal.log_event('delete', 'Succeeded', 'users', e, u.id::text,
                                   jsonb_build_object('type', u.type, 'access_rules_deleted', nrules,
                                                      'sessions_ended', nsessions));
END
$$;
COMMENT ON FUNCTION runai.delete_user(text) IS
  'Deletes a user with its access rules, group memberships, role bindings and sessions. Refused for the last local System administrator. Needs users delete at system or a tenant, and dominance over the user.';

CREATE OR REPLACE FUNCTION runai.sso_sign_in(email text, groups text[]) RETURNS text
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.sso_sign_in(p_email text, p_groups text[]) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  e text;
  u runai_internal.users;
  tok text;
  old_groups text[];
  new_groups text[];
BEGIN
  e := runai_internal.email(p_email);
  PERFORM runai_internal.group_names(p_groups);
  SELECT * INTO u FROM runai_internal.users WHERE email = e;
  IF FOUND AND u.type <> 'sso' THEN
    RAISE EXCEPTION 'a local user with email "%" already exists', e
      USING ERRCODE = 'unique_violation',
            DETAIL = 'Emails are unique across local and SSO users, and an SSO sign-in does not take over a local account.',
            HINT = 'Delete the local user first with runai.delete_user if this person should sign in through SSO.';
  END IF;
  IF NOT FOUND THEN
    INSERT INTO runai_internal.users (email, type, created_by) VALUES (e, 'sso', runai_internal.actor_name())
    ON CONFLICT (email) DO NOTHING;
    SELECT * INTO u FROM runai_internal.users WHERE email = e;
    IF u.type <> 'sso' THEN
      RAISE EXCEPTION 'a local user with email "%" already exists', e
        USING ERRCODE = 'unique_violation',
              DETAIL = 'A local user with this email was created at the same time.',
              HINT = 'Delete the local user first with runai.delete_user if this person should sign in through SSO.';
    END IF;
    PERFORM runai_internal.log_event('create', 'Succeeded', 'users', e, u.id::text, jsonb_build_object('type', 'sso'));
  END IF;
  SELECT coalesce(array_agg(group_name ORDER BY group_name), '{}') INTO old_groups
    FROM runai_internal.group_members WHERE user_id = u.id;
  SELECT coalesce(array_agg(DISTINCT g ORDER BY g), '{}') INTO new_groups FROM unnest(p_groups) g;
  IF old_groups IS DISTINCT FROM new_groups THEN
    DELETE FROM runai_internal.group_members WHERE user_id = u.id;
    INSERT INTO runai_internal.group_members (user_id, group_name) SELECT u.id, g FROM unnest(new_groups) g;
  END IF;
  tok := runai_internal.new_session('user', e, u.id, NULL);
  UPDATE runai_internal.users SET last_login = now() WHERE id = u.id;
  PERFORM runai_internal.log_subject_event('user', e, 'sign-in', 'Succeeded', 'users', e, u.id::text,
                                           jsonb_build_object('method', 'sso', 'groups', to_jsonb(new_groups)));
  RETURN tok;
END
$$;
COMMENT ON FUNCTION runai.sso_sign_in(text, text[]) IS
  'Signs an SSO user in for the identity-provider bridge and returns a token: creates the user at its first sign-in and replaces its groups with the list given. Not executable by PUBLIC: an administrator grants EXECUTE to the bridge''s database role.';

-- ---------------------------------------------------------------------------
-- Applications
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runai.create_application(name text)
RETURNS TABLE (client_id text, client_secret text)
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.create_application(p_name text)
RETURNS TABLE (client_id text, client_secret text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  secret text;
  cid text := gen_random_uuid()::text;
  aid uuid;
BEGIN
  PERFORM runai_internal.app_name(p_name);
  PERFORM runai_internal.require_tenant_wide('apps', 'create');
  secret := runai_internal.random_text('secret');
  INSERT INTO runai_internal.applications (name, client_id, secret_hash, created_by)
  VALUES (p_name, cid, runai_internal.password_hash(secret), runai_internal.actor_name())
  ON CONFLICT (name) DO NOTHING
  RETURNING id INTO aid;
  IF aid IS NULL THEN
    RAISE EXCEPTION 'application "%" already exists', p_name
      USING ERRCODE = 'unique_violation',
            DETAIL = 'Application names are unique.',
            HINT = 'Choose another name, or get a new secret for it with runai.regenerate_application_secret.';
  END IF;
  PERFORM runai_internal.log_event('create', 'Succeeded', 'apps', p_name, aid::text, jsonb_build_object('client_id', cid));
  RETURN QUERY SELECT cid, secret;
END
$$;
COMMENT ON FUNCTION runai.create_application(text) IS
  'Creates an application (service account) and returns its client id and secret; the secret is shown once and stored only as a verifier. Needs apps create at system or a tenant.';

CREATE OR REPLACE FUNCTION runai.regenerate_application_secret(name text) RETURNS text
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.regenerate_application_secret(p_name text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  a runai_internal.applications;
  secret text;
  n bigint;
  verifier text;
BEGIN
  PERFORM runai_internal.not_null(p_name, 'name');
  PERFORM runai_internal.require_tenant_wide('apps', 'edit');
  PERFORM 1 FROM runai_internal.applications WHERE name = p_name FOR UPDATE;
  a := runai_internal.application(p_name);
  -- whoever knows the new secret acts as the application: dominance over it
  PERFORM runai_internal.require_dominates('app:' || a.name);
  secret := runai_internal.random_text('secret');
  verifier := runai_internal.password_hash(secret);
  UPDATE runai_internal.applications SET secret_hash = verifier, updated_at = now()
   WHERE id = a.id;
  n := runai_internal.end_sessions(NULL, a.id);
  PERFORM runai_internal.log_event('update', 'Succeeded', 'apps', a.name, a.id::text,
                                   jsonb_build_object('changed', 'secret', 'sessions_ended', n));
  RETURN secret;
END
$$;
COMMENT ON FUNCTION runai.regenerate_application_secret(text) IS
  'Gives an application a new secret (returned once); the old secret and the sessions signed in with it stop working. Needs apps edit at system or a tenant, and dominance over the application.';

CREATE OR REPLACE FUNCTION runai.app_sign_in(client_id text, secret text) RETURNS text
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.app_sign_in(p_client_id text, p_secret text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  a runai_internal.applications;
  tok text;
BEGIN
  PERFORM runai_internal.not_null(p_client_id, 'client_id');
  PERFORM runai_internal.not_null(p_secret, 'secret');
  SELECT * INTO a FROM runai_internal.applications WHERE client_id = p_client_id;
  IF NOT (runai_internal.password_verify(left(p_secret, 1024), a.secret_hash) AND length(p_secret) <= 1024) THEN
    -- the error rolls the event back, so the server log keeps the trace
    RAISE LOG 'runai_rbac: failed application sign-in for client id "%"', left(p_client_id, 100);
    RAISE EXCEPTION 'invalid client id or secret'
      USING ERRCODE = 'invalid_password',
            DETAIL = 'No application has this client id, or the secret is wrong or was regenerated.',
            HINT = 'Use the client id and the latest secret from runai.create_application or runai.regenerate_application_secret.';
  END IF;
  tok := runai_internal.new_session('app', a.name, NULL, a.id);
  UPDATE runai_internal.applications SET last_login = now() WHERE id = a.id;
  PERFORM runai_internal.log_subject_event('app', a.name, 'sign-in', 'Succeeded', 'apps', a.name, a.id::text,
                                           jsonb_build_object('method', 'client_secret'));
  RETURN tok;
END
$$;
COMMENT ON FUNCTION runai.app_sign_in(text, text) IS
  'Signs an application in with its client id and secret and returns a token; 28P01 if they do not match.';

CREATE OR REPLACE FUNCTION runai.delete_application(name text) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.delete_application(p_name text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  a runai_internal.applications;
  nrules bigint;
  nsessions bigint;
BEGIN
  PERFORM runai_internal.not_null(p_name, 'name');
  PERFORM runai_internal.require_tenant_wide('apps', 'delete');
  -- locked first: a rule added meanwhile (which locks the row too) is deleted with the others
  PERFORM 1 FROM runai_internal.applications WHERE name = p_name FOR UPDATE;
  a := runai_internal.application(p_name);
  PERFORM runai_internal.require_dominates('app:' || a.name);
  nrules := runai_internal.delete_rules_of('app', a.name);
  nsessions := runai_internal.end_sessions(NULL, a.id);
  DELETE FROM runai_internal.applications WHERE id = a.id;
  PERFORM runai_internal.log_event('delete', 'Succeeded', 'apps', a.name, a.id::text,
                                   jsonb_build_object('access_rules_deleted', nrules, 'sessions_ended', nsessions));
END
$$;
COMMENT ON FUNCTION runai.delete_application(text) IS
  'Deletes an application with its access rules and sessions. Needs apps delete at system or a tenant, and dominance over the application.';

-- ---------------------------------------------------------------------------
-- Sessions
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runai.authenticate(token text, local boolean DEFAULT false) RETURNS text
AS 'MODULE_PATHNAME', 'rbac_authenticate' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION runai.authenticate(text, boolean) IS
  'Makes the user or application of a token the current subject and returns it (user:<email> or app:<name>): for the connection, or with local => true until the end of the transaction (for transaction-pooling poolers). Undone by ROLLBACK like SET; kept across SET ROLE and RESET ALL; ended by sign_out, clear_subject and DISCARD ALL. When it fails (28000, or 42501 from runai.require_local_authenticate) the connection has no token subject, even if the error is caught and rolled back.';

CREATE OR REPLACE FUNCTION runai.clear_subject() RETURNS boolean
AS 'MODULE_PATHNAME', 'rbac_clear_subject' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION runai.clear_subject() IS
  'Drops this connection''s token subject without ending its session (the token keeps working elsewhere; sign_out ends it everywhere). Not undone by ROLLBACK. Returns whether there was one.';

CREATE OR REPLACE FUNCTION runai.sign_out() RETURNS boolean
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.sign_out() RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  sid bigint;
  s record;
BEGIN
  sid := runai_internal.session_end();
  IF sid IS NULL THEN
    RETURN false;
  END IF;
  DELETE FROM runai_internal.sessions WHERE id = sid RETURNING subject_type, subject, user_id, app_id INTO s;
  IF FOUND THEN
    PERFORM runai_internal.log_subject_event(s.subject_type, s.subject, 'sign-out', 'Succeeded',
                                             CASE s.subject_type WHEN 'user' THEN 'users' ELSE 'apps' END,
                                             s.subject, coalesce(s.user_id, s.app_id)::text, '{}');
  END IF;
  RETURN true;
END
$$;
COMMENT ON FUNCTION runai.sign_out() IS
  'Ends the session of this connection''s token: the token stops working everywhere and the connection has no token subject any more. Returns false when there was none.';

CREATE OR REPLACE FUNCTION runai.current_subject() RETURNS text
AS 'MODULE_PATHNAME', 'rbac_current_subject_sql' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION runai.current_subject() IS
  'The current subject: user:<email> or app:<name> from runai.authenticate, else the user bound to the current database role, else NULL.';
