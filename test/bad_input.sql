-- The bad input matrix (SPEC section 7, "Bad input"; issue 7 item 1).
--
-- The cases are generated from the catalog, not written by hand: every function an
-- ordinary role may call -- every function of schema runai (the documented
-- interface), and the functions of schema runai_internal that PostgreSQL runs as
-- the querying role (row-level security's checks, key arrays, gate and
-- validation) -- except type I/O, operator and operator-class support functions
-- and aggregates, is called with each of its arguments in turn replaced by a bad
-- value, the others being good:
--   every type       NULL
--   text, name       '' ; 10,000 characters ; quotes, ';' and '--' ; '$$' ; backslashes ;
--                    Unicode (accents, CJK, an emoji, a right-to-left override) ; a
--                    well-formed but unknown name (NUL cannot be in a text)
--   runai.scope      ten malformed texts ; a well-formed scope that does not exist
--   runai.actionset  five malformed texts
--   text[]           {NULL} ; {""} ; a 10,000-character element ; metacharacters ; {}
--   regrole/regclass unknown names, metacharacters, a view for a table
--   bigint ids       0, -1 and the largest bigint (unknown rules)
--   interval, timestamptz   negative / past values
-- Each case runs twice: as the superuser running the test, and as regress_bi_low, a
-- database role bound to a Run:ai user holding only L1 researcher on one project.
--
-- What each case must give (SPEC section 4): the check functions (can,
-- has_permission) answer false or NULL for NULLs; STRICT type helpers and the
-- row-level security checks answer NULL for a NULL (PostgreSQL's STRICT rule: a NULL
-- in, a NULL out, nothing else happens); every other function raises a clear error:
-- 22023 for a bad argument or a NULL, 22P02 for malformed scope or action set text,
-- 42704 for unknown users, roles, scopes and rules, 42501 when the caller may not
-- (an unprivileged caller may get 42501 instead of the argument error).  Some values
-- that look bad are good data and must be stored verbatim (a scope name or a group
-- name with quotes, '$$' or Unicode): those cases must succeed, and a check reads
-- the value back.  Sign-ins answer with a status or 28P01/28000 whatever they are
-- given (the same answer for an unknown email and a wrong password).  The
-- expectations are the table pg_temp.rules below, first match wins; a case that
-- no rule covers fails, so a new function needs its rules.
--
-- Nothing may change: the caller's current subject is compared before and after
-- each case; after a call that succeeds, the state of every table of schemas runai
-- and runai_internal (an md5 of each table's rows; failed sign-ins, which the spec
-- requires to be recorded, are left out of runai_internal.events) is compared with
-- the state before, unless the call is one that must succeed and change something
-- (it is rolled back after its check); and after the whole matrix every table must
-- be as before.  Every other internal function must not be executable by an
-- ordinary role.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS runai_rbac;
SET LOCAL client_min_messages = warning;

-- ===========================================================================
-- Fixture
-- ===========================================================================

CREATE ROLE regress_bi_low;          -- bound to lo@bad-input.test (L1 researcher)
CREATE ROLE regress_bi_spare;        -- not bound: the good value of bind_db_role
CREATE TABLE public.regress_bi_wl (id integer, project runai.scope, pid text);
CREATE TEMP TABLE bi_fixture (rule_id bigint, client_id text, token text, bad_token text);

DO $$
DECLARE
  rid bigint;
  cid text;
  tok text;
BEGIN
  PERFORM runai.create_scope('tenant', 'bi-t', 'Bad input tenant', 'system');
  PERFORM runai.create_scope('cluster', 'bi-c', 'Bad input cluster', 'tenant/bi-t');
  PERFORM runai.create_scope('department', 'bi-d', 'Bad input department', 'cluster/bi-c');
  PERFORM runai.create_scope('project', 'bi-p', 'Bad input project', 'department/bi-d');
  PERFORM runai.create_scope('project', 'bi-p2', 'Second project', 'department/bi-d');
  IF NOT EXISTS (SELECT 1 FROM runai_internal.access_rules r JOIN runai_internal.roles ro ON ro.id = r.role_id
                  WHERE ro.name = 'System administrator' AND r.subject_type = 'user') THEN
    PERFORM runai.bootstrap('root@bad-input.test');
  END IF;
  PERFORM runai.create_local_user('lo@bad-input.test');
  PERFORM runai.create_local_user('alt@bad-input.test');
  rid := runai.add_access_rule('user', 'lo@bad-input.test', 'L1 researcher', 'project/bi-p');
  PERFORM runai.set_user_groups('lo@bad-input.test', '{bi-group}');
  PERFORM runai.bind_db_role('lo@bad-input.test', 'regress_bi_low');
  PERFORM runai.add_access_rule('group', 'bi-group', 'Viewer', 'project/bi-p2');
  SELECT a.client_id INTO cid FROM runai.create_application('bi-app') a;
  tok := runai.sso_sign_in('sso-token@bad-input.test', '{}');
  INSERT INTO bi_fixture VALUES (rid, cid, tok,
                                 left(tok, -1) || CASE right(tok, 1) WHEN 'A' THEN 'B' ELSE 'A' END);
END
$$;

-- ===========================================================================
-- The functions and their arguments, from the catalog
-- ===========================================================================

CREATE TEMP TABLE fn_args AS
SELECT p.oid AS fn, p.proname::text AS fname, p.oid::regprocedure::text AS sig,
       pg_catalog.quote_ident(p.pronamespace::regnamespace::text) || '.' || pg_catalog.quote_ident(p.proname) AS qname,
       a.ord::int AS ord,
       coalesce(nullif(p.proargnames[a.ord], ''), 'arg' || a.ord) AS param,
       pg_catalog.format_type(a.typ, NULL) AS ptype,
       p.pronargs::int AS nargs
  FROM pg_catalog.pg_proc p
  LEFT JOIN LATERAL unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]),
                           coalesce(p.proargmodes::text[], array_fill('i'::text, ARRAY[p.pronargs::int])))
            WITH ORDINALITY a(typ, mode, ord) ON a.mode IN ('i', 'b', 'v')
 WHERE (p.pronamespace = 'runai'::regnamespace
        OR (p.pronamespace = 'runai_internal'::regnamespace
            AND pg_catalog.has_function_privilege('regress_bi_low', p.oid, 'EXECUTE')))
   AND p.prokind = 'f'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type t
                    WHERE p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend,
                                    t.typmodin, t.typmodout, t.typanalyze, t.typsubscript))
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_operator o WHERE o.oprcode = p.oid)
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_amproc ap WHERE ap.amproc = p.oid);

-- A good value for an argument (an SQL expression), given the function.
CREATE FUNCTION pg_temp.good(f text, param text, ptype text) RETURNS text
LANGUAGE sql AS $$
  SELECT CASE
    WHEN f = 'scope' AND param = 'type' THEN $v$'project'$v$
    WHEN f = 'scope' AND param = 'id' THEN $v$'bi-p'$v$
    WHEN f = 'create_scope' AND param = 'type' THEN $v$'project'$v$
    WHEN f = 'create_scope' AND param = 'id' THEN $v$'bi-new'$v$
    WHEN f = 'create_scope' AND param = 'parent' THEN $v$'department/bi-d'$v$
    WHEN f IN ('create_scope', 'rename_scope') AND param = 'name' THEN $v$'New name'$v$
    WHEN f = 'create_application' THEN $v$'bi-new-app'$v$
    WHEN f IN ('regenerate_application_secret', 'delete_application') THEN $v$'bi-app'$v$
    WHEN f = 'add_access_rule' AND param = 'subject' THEN $v$'bob@bad-input.test'$v$
    WHEN f = 'add_access_rule' AND param = 'expires_at' THEN $v$pg_catalog.now() + interval '1 day'$v$
    WHEN f = 'create_local_user' THEN $v$'new@bad-input.test'$v$
    WHEN f IN ('sign_in', 'change_password') AND param = 'email' THEN $v$'nobody@bad-input.test'$v$
    WHEN f = 'sso_sign_in' AND param = 'email' THEN $v$'sso@bad-input.test'$v$
    WHEN f = 'bind_db_role' AND param = 'role' THEN $v$'regress_bi_spare'$v$
    WHEN f = 'unbind_db_role' THEN $v$'regress_bi_low'$v$
    WHEN f = 'delete_access_rule' THEN (SELECT pg_catalog.format('%s', rule_id) FROM bi_fixture)
    WHEN f = 'app_sign_in' AND param = 'client_id' THEN (SELECT pg_catalog.quote_literal(client_id) FROM bi_fixture)
    WHEN f = 'authenticate' AND param = 'token' THEN (SELECT pg_catalog.quote_literal(token) FROM bi_fixture)
    WHEN f = 'protect' AND param = 'scope_column' THEN $v$'pid'$v$
    WHEN f = 'actionset_has' AND param = 'arg2' THEN $v$'view'$v$
    WHEN param = 'resource' THEN $v$'workloads'$v$
    WHEN param = 'action' THEN $v$'view'$v$
    WHEN param = 'subject' THEN $v$'user:lo@bad-input.test'$v$
    WHEN param = 'subject_type' THEN $v$'user'$v$
    WHEN param = 'role' THEN $v$'L1 researcher'$v$
    WHEN param IN ('email', 'admin_email') THEN $v$'lo@bad-input.test'$v$
    WHEN param = 'groups' THEN $v$'{bi-group,bi-other}'$v$
    WHEN param = 'older_than' THEN $v$'30 days'$v$
    WHEN param IN ('password', 'current_password') THEN $v$'wrong-password-1'$v$
    WHEN param = 'new_password' THEN $v$'new-password-1'$v$
    WHEN param = 'secret' THEN $v$'wrong-secret-1'$v$
    WHEN param = 'local' THEN 'false'
    WHEN param = 'tbl' THEN $v$'public.regress_bi_wl'$v$
    WHEN param = 'scope_type' THEN $v$'project'$v$
    WHEN param = 'id' AND ptype = 'text' THEN $v$'bi-p'$v$
    WHEN param = 'id' AND ptype IN ('integer', 'bigint') THEN '42'
    WHEN param = 'id' AND ptype = 'uuid' THEN $v$'00000000-0000-4000-8000-000000000042'$v$
    WHEN ptype = 'runai.scope' THEN $v$'project/bi-p'$v$
    WHEN ptype = 'runai.actionset' THEN $v$'{view}'$v$
    WHEN ptype = 'text[]' THEN $v$'{view}'$v$
    WHEN ptype = 'text' THEN $v$'x'$v$
    WHEN ptype = 'boolean' THEN 'false'
    WHEN ptype IN ('integer', 'bigint') THEN '1'
    ELSE NULL
  END
$$;

-- A well-formed value that names nothing that exists (NULL: no such case).
CREATE FUNCTION pg_temp.unknown(f text, param text, ptype text) RETURNS text
LANGUAGE sql AS $$
  SELECT CASE
    WHEN f = 'scope' AND param = 'type' THEN $v$'region'$v$
    WHEN f = 'scope' AND param = 'id' THEN $v$'no-such-project'$v$
    WHEN f = 'create_scope' AND param = 'type' THEN $v$'region'$v$
    WHEN f = 'create_scope' AND param = 'id' THEN $v$'bi-new2'$v$
    WHEN f IN ('create_scope', 'rename_scope') AND param = 'name' THEN $v$'Another name'$v$
    WHEN f = 'create_application' THEN $v$'bi-new-app2'$v$
    WHEN f IN ('regenerate_application_secret', 'delete_application') THEN $v$'no-such-app'$v$
    WHEN f = 'authenticate' AND param = 'token' THEN (SELECT pg_catalog.quote_literal(bad_token) FROM bi_fixture)
    WHEN f = 'actionset_has' AND param = 'arg2' THEN $v$'approve'$v$
    WHEN f = 'protect' AND param = 'scope_column' THEN $v$'no_such_column'$v$
    WHEN param = 'resource' THEN $v$'no_such_resource'$v$
    WHEN param = 'action' THEN $v$'approve'$v$
    WHEN param = 'subject' THEN $v$'user:nobody@bad-input.test'$v$
    WHEN param = 'subject_type' THEN $v$'robot'$v$
    WHEN param = 'role' AND ptype = 'text' THEN $v$'No such role'$v$
    WHEN param IN ('email', 'admin_email') THEN $v$'nobody@bad-input.test'$v$
    WHEN param IN ('password', 'current_password', 'new_password') THEN $v$'unknown-password-1'$v$
    WHEN param = 'client_id' THEN $v$'no-such-client-id'$v$
    WHEN param = 'secret' THEN $v$'no-such-secret-1'$v$
    WHEN param = 'scope_type' THEN $v$'region'$v$
    WHEN param = 'id' AND ptype = 'text' THEN $v$'no-such-project'$v$
    WHEN ptype = 'runai.scope' THEN $v$'project/no-such-project'$v$
    WHEN ptype = 'regrole' THEN $v$'regress_bi_no_such_role'$v$
    WHEN ptype = 'regclass' THEN $v$'regress_bi_no_such_table'$v$
    ELSE NULL
  END
$$;

-- The bad values of each type: (type pattern, kind, SQL expression).
CREATE TEMP TABLE bad_values (type_re text, kind text, expr text);
INSERT INTO bad_values VALUES
  ('.', 'null', 'NULL'),
  ('^(text|name)$', 'empty', $v$''$v$),
  ('^(text|name)$', 'long', $v$pg_catalog.repeat('a', 10000)$v$),
  ('^(text|name)$', 'quote', $v$$q$O'Brien'); DROP TABLE runai_internal.access_rules; --$q$$v$),
  ('^(text|name)$', 'dollar', $v$$q$$$ || pg_sleep(5) || $$; $body$ x $body$$q$$v$),
  ('^(text|name)$', 'backslash', $v$E'C:\\temp\\x00\\''; \\\\'$v$),
  ('^(text|name)$', 'unicode', $v$U&'Zo\00EB \2603 \65E5\672C \+01F680 \202Eevil'$v$),
  ('^runai\.scope$', 'malformed', $v$''$v$),
  ('^runai\.scope$', 'malformed', $v$'project'$v$),
  ('^runai\.scope$', 'malformed', $v$'project/'$v$),
  ('^runai\.scope$', 'malformed', $v$'galaxy/1'$v$),
  ('^runai\.scope$', 'malformed', $v$'system/x'$v$),
  ('^runai\.scope$', 'malformed', $v$'project/a b'$v$),
  ('^runai\.scope$', 'malformed', $v$'project/' || pg_catalog.repeat('x', 64)$v$),
  ('^runai\.scope$', 'malformed', $v$pg_catalog.repeat('a', 10000)$v$),
  ('^runai\.scope$', 'malformed', $v$$q$project/x'); DROP TABLE runai_internal.scopes; --$q$$v$),
  ('^runai\.scope$', 'malformed', $v$U&'project/\2603'$v$),
  ('^runai\.actionset$', 'malformed', $v$'{bogus}'$v$),
  ('^runai\.actionset$', 'malformed', $v$'{view'$v$),
  ('^runai\.actionset$', 'malformed', $v$'view'$v$),
  ('^runai\.actionset$', 'malformed', $v$'{view,,edit}'$v$),
  ('^runai\.actionset$', 'malformed', $v$$q${view'); --}$q$$v$),
  ('^text\[\]$', 'nullelem', 'ARRAY[NULL]::text[]'),
  ('^text\[\]$', 'emptyelem', $v$ARRAY['']$v$),
  ('^text\[\]$', 'longelem', $v$ARRAY[pg_catalog.repeat('g', 10000)]$v$),
  ('^text\[\]$', 'metaelem', $v$ARRAY[$q$O'Brien'); --$q$, '$$', E'back\\slash', U&'\65E5\672C \+01F680']$v$),
  ('^text\[\]$', 'emptyarr', $v$'{}'$v$),
  ('^(regrole|regclass)$', 'meta', $v$$q$x'); DROP TABLE runai_internal.users; --$q$$v$),
  ('^regclass$', 'view', $v$'pg_catalog.pg_roles'$v$),
  ('^regrole$', 'notbound', $v$'regress_bi_spare'$v$),
  ('^bigint$', 'unknown', '0'),
  ('^bigint$', 'unknown', '-1'),
  ('^bigint$', 'unknown', '9223372036854775807'),
  ('^interval$', 'negative', $v$'-1 day'$v$),
  ('^timestamp with time zone$', 'past', $v$'2000-01-01 00:00+00'$v$),
  ('^timestamp with time zone$', 'past', $v$'-infinity'$v$);

-- The cases.  bigint ids other than rule ids (rls_check) only get NULL.
CREATE TEMP TABLE cases (
  n serial PRIMARY KEY,
  fname text, sig text, param text, ptype text, kind text, expr text,
  call text, verify text, may_change boolean DEFAULT false,
  sup text[], low text[]
);

INSERT INTO cases (fname, sig, param, ptype, kind, expr, call)
SELECT f.fname, f.sig, f.param, f.ptype, v.kind, v.expr,
       pg_catalog.format('SELECT pg_catalog.string_agg(pg_catalog.format(%L, r), %L) FROM %s(%s) r',
                         '%s', '|', f.qname,
                         (SELECT pg_catalog.string_agg(
                                   pg_catalog.format('(%s)::%s',
                                                     CASE WHEN o.ord = f.ord THEN v.expr
                                                          ELSE pg_temp.good(f.fname, o.param, o.ptype) END,
                                                     o.ptype), ', ' ORDER BY o.ord)
                            FROM fn_args o WHERE o.fn = f.fn))
  FROM fn_args f
  CROSS JOIN LATERAL (
    SELECT b.kind, b.expr FROM bad_values b
     WHERE f.ptype ~ b.type_re
       AND NOT (b.kind = 'unknown' AND f.param <> 'id')
       AND NOT (f.ptype IN ('integer', 'bigint', 'uuid', 'boolean') AND b.kind <> 'null' AND f.fname <> 'delete_access_rule')
       AND NOT (b.kind = 'notbound' AND f.fname <> 'unbind_db_role')
    UNION ALL
    SELECT 'unknown', pg_temp.unknown(f.fname, f.param, f.ptype)
     WHERE pg_temp.unknown(f.fname, f.param, f.ptype) IS NOT NULL
    UNION ALL
    SELECT 'groupmeta', $v$$q$group:O'Brien'); --$q$$v$ WHERE f.param = 'subject'
  ) v
 WHERE f.ord IS NOT NULL;

-- Functions without arguments are called once.
INSERT INTO cases (fname, sig, param, ptype, kind, expr, call)
SELECT f.fname, f.sig, '-', '-', 'noargs', '',
       pg_catalog.format('SELECT pg_catalog.string_agg(pg_catalog.format(%L, r), %L) FROM %s() r',
                         '%s', '|', f.qname)
  FROM fn_args f WHERE f.ord IS NULL;

-- Good data that looks bad is stored verbatim: what to read back after the call.
UPDATE cases SET verify = pg_catalog.format(
    'SELECT name = (%s)::text FROM runai_internal.scopes WHERE scope OPERATOR(pg_catalog.=) %L::runai.scope',
    expr, CASE fname WHEN 'create_scope' THEN 'project/bi-new' ELSE 'project/bi-p' END)
 WHERE fname IN ('create_scope', 'rename_scope') AND param = 'name'
   AND kind IN ('quote', 'dollar', 'backslash', 'unicode', 'unknown');
UPDATE cases SET verify = pg_catalog.format(
    'SELECT (SELECT pg_catalog.array_agg(gm.group_name ORDER BY gm.group_name) FROM runai_internal.group_members gm
               JOIN runai_internal.users u ON u.id = gm.user_id WHERE u.email = %L)
            IS NOT DISTINCT FROM (SELECT pg_catalog.array_agg(DISTINCT g ORDER BY g) FROM unnest((%s)::text[]) g)',
    CASE fname WHEN 'sso_sign_in' THEN 'sso@bad-input.test' ELSE 'lo@bad-input.test' END, expr)
 WHERE fname IN ('set_user_groups', 'sso_sign_in') AND param = 'groups' AND kind IN ('metaelem', 'emptyarr');

-- Hand-written cases: subjects with metacharacters, and the other documented errors.
INSERT INTO cases (fname, sig, param, ptype, kind, expr, call, verify, sup, low) VALUES
  ('add_access_rule', 'extra', 'subject', 'text', 'group-quote', '',
   $c$SELECT runai.add_access_rule('group', $q$O'Brien'); DROP TABLE runai_internal.scopes; --$q$, 'L1 researcher', 'project/bi-p')::text$c$,
   $c$SELECT EXISTS (SELECT 1 FROM runai_internal.access_rules WHERE subject_type = 'group' AND subject = $q$O'Brien'); DROP TABLE runai_internal.scopes; --$q$)$c$,
   '{ok}', '{42501}'),
  ('add_access_rule', 'extra', 'subject', 'text', 'group-unicode', '',
   $c$SELECT runai.add_access_rule('group', U&'\65E5\672C \+01F680 $$', 'L1 researcher', 'project/bi-p')::text$c$,
   $c$SELECT EXISTS (SELECT 1 FROM runai_internal.access_rules WHERE subject_type = 'group' AND subject = U&'\65E5\672C \+01F680 $$')$c$,
   '{ok}', '{42501}'),
  ('add_access_rule', 'extra', 'subject', 'text', 'app-quote', '',
   $c$SELECT runai.add_access_rule('app', $q$x'); --$q$, 'L1 researcher', 'project/bi-p')::text$c$, NULL,
   '{42704,22023}', '{42704,22023,42501}'),
  ('add_access_rule', 'extra', 'role', 'text', 'tenant-wide-below-tenant', '',
   $c$SELECT runai.add_access_rule('user', 'bob@bad-input.test', 'System administrator', 'project/bi-p')::text$c$, NULL,
   '{22023}', '{22023,42501}'),
  ('add_access_rule', 'extra', 'subject', 'text', 'duplicate', '',
   $c$SELECT runai.add_access_rule('user', 'LO@Bad-Input.test', 'L1 researcher', 'project/bi-p')::text$c$, NULL,
   '{23505}', '{23505,42501}'),
  ('create_scope', 'extra', 'id', 'text', 'duplicate', '',
   $c$SELECT runai.create_scope('project', 'bi-p', 'Again', 'department/bi-d')::text$c$, NULL,
   '{23505}', '{23505,42501}'),
  ('create_scope', 'extra', 'parent', 'runai.scope', 'wrong-level', '',
   $c$SELECT runai.create_scope('project', 'bi-x', 'Wrong level', 'cluster/bi-c')::text$c$, NULL,
   '{22023}', '{22023,42501}'),
  ('create_scope', 'extra', 'type', 'text', 'tenant-by-non-owner', '',
   $c$SELECT runai.create_scope('tenant', 'bi-t2', 'Tenant', 'system')::text$c$, NULL,
   '{ok}', '{42501}'),
  ('delete_scope', 'extra', 'scope', 'runai.scope', 'system', '',
   $c$SELECT runai.delete_scope('system')::text$c$, NULL, '{22023}', '{22023,42501}'),
  ('delete_scope', 'extra', 'scope', 'runai.scope', 'has-children', '',
   $c$SELECT runai.delete_scope('department/bi-d')::text$c$, NULL, '{2BP01}', '{2BP01,42501}'),
  ('rename_scope', 'extra', 'scope', 'runai.scope', 'system', '',
   $c$SELECT runai.rename_scope('system', 'Root')::text$c$, NULL, '{ok}', '{42501}'),
  ('create_local_user', 'extra', 'email', 'text', 'duplicate', '',
   $c$SELECT r::text FROM runai.create_local_user('Lo@BAD-input.test') r$c$, NULL, '{23505}', '{23505,42501}'),
  ('create_application', 'extra', 'name', 'text', 'duplicate', '',
   $c$SELECT r::text FROM runai.create_application('bi-app') r$c$, NULL, '{23505}', '{23505,42501}'),
  ('bind_db_role', 'extra', 'role', 'regrole', 'bound-to-another', '',
   $c$SELECT runai.bind_db_role('alt@bad-input.test', 'regress_bi_low')::text$c$, NULL,
   '{23505}', '{23505,42501}'),
  ('actionset', 'extra', 'arg1', 'text', 'text-cast', '',
   $c$SELECT '{view,approve}'::runai.actionset::text$c$, NULL, '{22P02}', '{22P02}'),
  ('scope', 'extra', 'arg1', 'text', 'system-with-id', '',
   $c$SELECT runai.scope('system', 'x')::text$c$, NULL, '{22P02,22023}', '{22P02,22023}');
UPDATE cases SET may_change = true WHERE sig = 'extra' AND 'ok' = ANY (sup);

-- ===========================================================================
-- Expectations: the first matching rule gives the outcomes accepted for the
-- superuser (sup) and for regress_bi_low (low; NULL: sup plus 42501, or sup alone
-- when sup is a result rather than an error).  Outcomes: an SQLSTATE; ok (no error);
-- false (no error, false or NULL); null (no error, NULL); invalid_credentials (the
-- status invalid_credentials, or locked after repeated failures).
-- ===========================================================================

CREATE TEMP TABLE rules (prio int, fn_re text, param_re text, type_re text, kind_re text,
                         sup text[], low text[], why text);
INSERT INTO rules VALUES
  -- checks and STRICT helpers
  (10, '^(can|has_permission)$', '.', '.', '^null$', '{false}', '{false}', 'check functions answer false or NULL for NULLs'),
  (14, '^permitted_scopes$', '.', '.', '^null$', '{ok,false,"null"}', '{ok,false,"null"}', 'a lookup like the checks: no scopes for a NULL argument'),
  (11, '^(scope_type|scope_id|actionset|actions|actionset_has|rls_check|rls_gate|rls_scope_keys|rls_id_keys_.*)$', '.', '.', '^null$',
       '{"null"}', '{"null"}', 'STRICT helpers and RLS checks: NULL in, NULL out'),
  (12, '^add_access_rule$', '^expires_at$', '.', '^null$', '{ok}', '{42501}', 'expires_at NULL: a rule without expiry'),
  (13, '^rls_validate$', '^scope_type$', '.', '^null$', '{ok}', '{ok}', 'scope_type NULL: a runai.scope column'),
  -- runai.scope(type, id) and runai.actionset(text[])
  (20, '^scope$', '^id$', '.', '^unknown$', '{ok}', '{ok}', 'any well-formed id'),
  (24, '^(scope_type|scope_id)$', '.', '.', '^unknown$', '{ok}', '{ok}', 'accessors do not look the scope up'),
  (21, '^scope$', '.', '.', '^(empty|long|quote|dollar|backslash|unicode|unknown)$', '{22P02,22023}', NULL, 'malformed scope'),
  (22, '^actionset$', '.', '.', '^emptyarr$', '{ok}', '{ok}', 'the empty set'),
  (23, '^actionset$', '.', '.', '^(nullelem|emptyelem|longelem|metaelem)$', '{22P02,22023}', NULL, 'malformed action set'),
  -- checks: unknown scopes and subjects
  (30, '^(can|rls_check)$', '.', '^runai\.scope$', '^unknown$', '{false}', '{false}', 'a scope not in the tree: nothing granted below system'),
  (31, '^has_permission$', '^scope$', '.', '^unknown$', '{false}', '{false}', 'a scope not in the tree'),
  (32, '^has_permission$', '^subject$', '.', '^(unknown|groupmeta)$', '{false}', '{42501}', 'another subject needs access_rules view'),
  (33, '^explain$', '^subject$', '.', '^(unknown|groupmeta)$', '{ok}', '{42501}', 'explains a denial; another subject needs access_rules view'),
  (34, '^explain$', '^scope$', '.', '^unknown$', '{ok,42704}', '{ok,42704}', 'a scope not in the tree'),
  (35, '^who_can$', '^scope$', '.', '^unknown$', '{ok,42704}', '{42501,42704}', 'a scope not in the tree'),
  (36, '^rls_check$', '^id$', '^text$', '^(empty|long|quote|dollar|backslash|unicode|unknown)$', '{false}', '{false}',
       'a row whose id is no scope id is not visible'),
  -- resource types and actions are arguments, not objects: 22023
  (37, '.', '^(resource|action)$', '.', '^unknown$', '{22023}', NULL, 'unknown resource type or action'),
  (38, '^actionset_has$', '^arg2$', '.', '^unknown$', '{22023}', NULL, 'unknown action'),
  -- scopes
  (40, '^create_scope$', '^id$', '.', '^unknown$', '{ok}', '{42501}', 'a new project'),
  (41, '^create_scope$', '^id$', '.', '^(empty|long|quote|dollar|backslash|unicode)$', '{22P02}', NULL, 'malformed scope id'),
  (42, '^(create_scope|rename_scope)$', '^name$', '.', '^(quote|dollar|backslash|unicode|unknown)$', '{ok}', '{42501}',
       'a scope name is free text: stored verbatim'),
  (43, '^create_scope$', '^type$', '.', '^unknown$', '{22023}', NULL, 'unknown scope type'),
  -- access rules
  (50, '^add_access_rule$', '^subject$', '.', '^unknown$', '{ok}', '{42501}', 'rules may be given to users before their first sign-in'),
  (51, '^add_access_rule$', '^role$', '.', '^(empty|long)$', '{42704,22023}', NULL, 'no such role'),
  (52, '^add_access_rule$', '^role$', '.', '^(quote|dollar|backslash|unicode|unknown)$', '{42704}', NULL, 'no such role'),
  (53, '.', '^subject_type$', '.', '^unknown$', '{22023}', NULL, 'subject types are user, group, app'),
  -- users and groups
  (60, '^(set_user_groups|bind_db_role|delete_user|reset_password)$', '^email$', '.', '^(empty|long|quote|dollar|backslash|unicode)$',
       '{22023,42704}', NULL, 'not an email: bad argument or no such user'),
  (61, '^(set_user_groups|sso_sign_in)$', '^groups$', '.', '^(metaelem|emptyarr)$', '{ok}', '{42501}', 'group names are free text: stored verbatim'),
  (62, '^(set_user_groups|sso_sign_in)$', '^groups$', '.', '^(nullelem|emptyelem|longelem)$', '{22023}', NULL, 'invalid group name'),
  (63, '^bootstrap$', '.', '.', '^unknown$', '{55000}', '{42501}', 'bootstrapped already'),
  (64, '^create_local_user$', '.', '.', '^unknown$', '{ok}', '{42501}', 'a new user'),
  (65, '^sso_sign_in$', '^email$', '.', '^unknown$', '{ok}', '{42501}', 'a new SSO user'),
  (66, '^sign_in$', '.', '.', '^null$', '{22023}', NULL, 'NULL argument'),
  (66, '^(sign_in|change_password)$', '^email$', '.', '^(empty|long|quote|dollar|backslash|unicode)$', '{22023}', '{22023}',
       'no email at all: 22023, which says nothing about which emails have accounts'),
  (67, '^sign_in$', '.', '.', '.', '{invalid_credentials}', '{invalid_credentials}', 'the same answer for every bad input'),
  (68, '^change_password$', '^new_password$', '.', '^(empty|long)$', '{22023}', NULL, '8 to 255 characters'),
  (69, '^change_password$', '.', '.', '^null$', '{22023}', NULL, 'NULL argument'),
  (70, '^change_password$', '.', '.', '.', '{28P01,28000}', NULL, 'wrong email or password (or locked)'),
  -- applications and sessions
  (71, '^(regenerate_application_secret|delete_application)$', '^name$', '.', '^(empty|long|quote|dollar|backslash|unicode)$',
       '{42704,22023}', NULL, 'not an application name: bad argument or no such application'),
  (72, '^create_application$', '.', '.', '^unknown$', '{ok}', '{42501}', 'a new application'),
  (73, '^app_sign_in$', '.', '.', '^null$', '{22023}', NULL, 'NULL argument'),
  (74, '^app_sign_in$', '.', '.', '.', '{28P01}', NULL, 'the same answer for every bad input'),
  (75, '^authenticate$', '^token$', '.', '^(empty|long|quote|dollar|backslash|unicode|unknown)$', '{28000}', NULL, 'invalid token'),
  -- protect / unprotect
  (80, '^(protect|unprotect|rls_protected_sync)$', '^tbl$', '.', '^unknown$', '{42P01}', NULL, 'no such table'),
  (81, '^protect$', '^scope_column$', '.', '^(empty|long|quote|dollar|backslash|unicode|unknown)$', '{42703}', NULL, 'no such column'),
  (82, '.', '^scope_type$', '.', '^unknown$', '{22023}', NULL, 'unknown scope type'),
  (83, '^unprotect$', '^tbl$', '.', '^view$', '{42809,ok}', '{42809,ok,42501}', 'not a table: an error, or nothing to undo'),
  -- by type
  (90, '.', '.', '.', '^null$', '{22023}', NULL, 'NULL argument'),
  (91, '.', '.', '^runai\.(scope|actionset)$', '^malformed$', '{22P02}', NULL, 'malformed scope or action set text'),
  (92, '.', '.', '^runai\.scope$', '^unknown$', '{42704}', NULL, 'no such scope'),
  (93, '.', '.', '^regrole$', '^(unknown|notbound)$', '{42704}', NULL, 'no such role, or not bound'),
  (94, '.', '.', '^regrole$', '^meta$', '{42704,42602}', NULL, 'not a role name'),
  (95, '.', '.', '^regclass$', '^meta$', '{42P01,42602,3F000}', NULL, 'not a table name'),
  (96, '.', '.', '^regclass$', '^view$', '{42809}', NULL, 'not a table'),
  (97, '.', '.', '^bigint$', '^unknown$', '{42704}', NULL, 'no such rule'),
  (98, '.', '.', '^interval$', '^negative$', '{22023}', NULL, 'negative interval'),
  (99, '.', '.', '^timestamp with time zone$', '^past$', '{22023}', NULL, 'expiry in the past'),
  (100, '.', '.', '\[\]$', '^(nullelem|emptyelem|longelem|metaelem)$', '{22023}', NULL, 'bad array element'),
  (101, '.', '.', '^(text|name)$', '^(empty|long|quote|dollar|backslash|unicode|groupmeta)$', '{22023}', NULL, 'bad argument'),
  (102, '.', '.', '.', '^unknown$', '{42704}', NULL, 'no such object'),
  (103, '.', '.', '.', '^noargs$', '{ok}', '{ok}', 'no arguments');

UPDATE cases c SET sup = r.sup,
                   low = coalesce(r.low, CASE WHEN r.sup && '{ok,false,null,invalid_credentials}' THEN r.sup
                                              ELSE r.sup || '{42501}'::text[] END)
  FROM (SELECT DISTINCT ON (c2.n) c2.n, r2.sup, r2.low
          FROM cases c2 JOIN rules r2
            ON c2.fname ~ r2.fn_re AND c2.param ~ r2.param_re AND c2.ptype ~ r2.type_re AND c2.kind ~ r2.kind_re
         WHERE c2.sig <> 'extra'
         ORDER BY c2.n, r2.prio) r
 WHERE c.n = r.n;
-- sso_sign_in is for the identity-provider bridge only: not executable by PUBLIC
UPDATE cases SET low = '{42501}' WHERE fname = 'sso_sign_in';
-- writers whose good-looking calls succeed as the superuser (rolled back after the check)
UPDATE cases SET may_change = true
 WHERE 'ok' = ANY (sup) AND fname IN ('create_scope', 'rename_scope', 'add_access_rule', 'set_user_groups',
                                     'sso_sign_in', 'create_local_user', 'create_application');

-- ===========================================================================
-- The runner
-- ===========================================================================

-- The state of every table of the extension: an md5 of each table's rows (failed
-- sign-ins, which must be recorded, are left out of runai_internal.events).
CREATE FUNCTION pg_temp.state() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  t regclass;
  h text;
  s text := '';
BEGIN
  FOR t IN SELECT c.oid FROM pg_catalog.pg_class c
            WHERE c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace) AND c.relkind IN ('r', 'p')
            ORDER BY c.oid::regclass::text LOOP
    EXECUTE pg_catalog.format('SELECT pg_catalog.md5(coalesce(pg_catalog.string_agg(x::text, %L ORDER BY x::text), %L)) FROM %s x %s',
                              E'\n', '', t,
                              CASE WHEN t = 'runai_internal.events'::regclass
                                   THEN $w$WHERE NOT (x.action = 'sign-in' AND x.result = 'Failed')$w$ ELSE '' END)
      INTO h;
    s := s || t::text || '=' || h || ' ';
  END LOOP;
  RETURN s;
END
$$;

-- Runs one call as p_role (NULL: as the superuser), rolls back whatever it did, and
-- says how it ended and whether it changed anything.  p_state is the state before
-- (every case starts from it, as every case is rolled back).  A call that fails
-- is rolled back by PostgreSQL; whether anything outlives the rollbacks is
-- checked once, after the whole matrix.
CREATE FUNCTION pg_temp.run(p_sql text, p_role text, p_verify text, p_state text,
                            OUT outcome text, OUT result text, OUT message text,
                            OUT changed boolean, OUT subject_changed boolean, OUT verified boolean)
LANGUAGE plpgsql AS $$
DECLARE
  subj0 text;
  subj1 text;
BEGIN
  changed := false;
  IF p_role IS NOT NULL THEN PERFORM pg_catalog.set_config('role', p_role, true); END IF;
  subj0 := runai.current_subject();
  PERFORM pg_catalog.set_config('role', 'none', true);
  BEGIN
    IF p_role IS NOT NULL THEN PERFORM pg_catalog.set_config('role', p_role, true); END IF;
    EXECUTE p_sql INTO result;
    subj1 := runai.current_subject();
    PERFORM pg_catalog.set_config('role', 'none', true);
    outcome := 'ok';
    changed := p_state IS DISTINCT FROM pg_temp.state();
    IF p_verify IS NOT NULL THEN
      EXECUTE p_verify INTO verified;
    END IF;
    RAISE EXCEPTION 'roll back' USING ERRCODE = 'ZZ999';
  EXCEPTION WHEN OTHERS THEN
    IF SQLSTATE <> 'ZZ999' THEN
      GET STACKED DIAGNOSTICS outcome = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
      IF p_role IS NOT NULL THEN PERFORM pg_catalog.set_config('role', p_role, true); END IF;
      subj1 := runai.current_subject();
      PERFORM pg_catalog.set_config('role', 'none', true);
    END IF;
  END;
  subject_changed := subj0 IS DISTINCT FROM subj1;
END
$$;

CREATE TEMP TABLE state_before AS SELECT pg_temp.state() AS s;

CREATE TEMP TABLE results AS
SELECT c.*, w.who, r.*
  FROM cases c
 CROSS JOIN (VALUES ('super', NULL), ('low', 'regress_bi_low')) w(who, role)
 CROSS JOIN state_before b
 CROSS JOIN LATERAL pg_temp.run(c.call, w.role, CASE WHEN w.role IS NULL THEN c.verify END, b.s) r
 ORDER BY c.n, w.who DESC;

ALTER TABLE results ADD COLUMN expected text[], ADD COLUMN pass boolean, ADD COLUMN label text;
UPDATE results SET expected = CASE who WHEN 'super' THEN sup ELSE low END;
UPDATE results SET
  label = pg_catalog.format('%s: %s(%s=%s%s)', who, CASE WHEN sig = 'extra' THEN 'runai.' || fname ELSE sig END,
                            param, kind,
                            CASE WHEN kind IN ('malformed', 'unknown', 'meta', 'past') OR sig = 'extra'
                                 THEN ' ' || pg_catalog.left(CASE WHEN sig = 'extra' THEN '' ELSE expr END, 40) ELSE '' END),
  pass = expected IS NOT NULL
         AND CASE WHEN outcome = 'ok' THEN
                    'ok' = ANY (expected)
                    OR ('false' = ANY (expected) AND coalesce(result, 'f') = 'f')
                    OR ('null' = ANY (expected) AND (result IS NULL OR result = ''))
                    OR ('invalid_credentials' = ANY (expected) AND result ~ '^\((invalid_credentials|locked),\)$')
                  ELSE outcome = ANY (expected) END
         AND NOT subject_changed
         AND (NOT changed OR (outcome = 'ok' AND may_change AND who = 'super'))
         AND verified IS NOT FALSE
         AND (message IS NULL OR pg_catalog.length(message) BETWEEN 1 AND 1000);

-- ===========================================================================
-- The assertions
-- ===========================================================================

SELECT plan((SELECT count(*)::int FROM results) + 7);

SELECT ok(pass, label || ' -> ' || coalesce(pg_catalog.array_to_string(expected, '|'), 'NO RULE')
                || CASE WHEN pass THEN '' ELSE ' (got ' || outcome || ')' END)
  FROM results ORDER BY n, who DESC;

SELECT diag(pg_catalog.format('%s: got %s %s%s%s%s%s', label, outcome,
                              coalesce('"' || pg_catalog.left(message, 200) || '"', ''),
                              coalesce(' result ' || pg_catalog.left(result, 100), ''),
                              CASE WHEN changed THEN ' CHANGED THE TABLES' ELSE '' END,
                              CASE WHEN subject_changed THEN ' CHANGED THE CURRENT SUBJECT' ELSE '' END,
                              CASE WHEN verified IS FALSE THEN ' NOT STORED VERBATIM' ELSE '' END))
  FROM results WHERE NOT pass ORDER BY n, who DESC;

SELECT is((SELECT pg_temp.state()), (SELECT s FROM state_before),
          'after the whole matrix every table of schemas runai and runai_internal is as before');
SELECT cmp_ok((SELECT count(*) FROM pg_catalog.pg_class c
                WHERE c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace) AND c.relkind = 'r'),
              '>=', 14::bigint, 'the state covers the tables of both schemas');

SELECT is((SELECT count(*) FROM fn_args f WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.sig = f.sig)), 0::bigint,
          'every function an ordinary role may call has cases');

SELECT cmp_ok((SELECT count(DISTINCT sig) FROM cases WHERE sig <> 'extra' AND sig LIKE 'runai.%'), '>=', 39::bigint,
              'the catalog gave the functions of schema runai (at least 39)');
SELECT cmp_ok((SELECT count(DISTINCT sig) FROM cases WHERE sig <> 'extra' AND sig LIKE 'runai_internal.%'), '>=', 12::bigint,
              'the catalog gave the row-level security functions of schema runai_internal (at least 12)');

-- Every other internal function is out of an ordinary role's reach: the functions
-- of runai_internal it may execute are exactly the matrix's and the types' support
-- functions (input and output, the bodies of their operators, operator classes).
SELECT is((SELECT pg_catalog.string_agg(p.oid::regprocedure::text, ', ' ORDER BY p.oid::regprocedure::text)
             FROM pg_catalog.pg_proc p
            WHERE p.pronamespace = 'runai_internal'::regnamespace
              AND pg_catalog.has_function_privilege('regress_bi_low', p.oid, 'EXECUTE')
              AND p.oid NOT IN (SELECT fn FROM fn_args)
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type t
                               WHERE p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend))
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_operator o WHERE o.oprcode = p.oid)
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_amproc ap WHERE ap.amproc = p.oid)),
          NULL, 'no other function of runai_internal is executable by an ordinary role');

SELECT is((SELECT count(*) FROM results WHERE expected IS NULL), 0::bigint,
          'every case has an expected outcome (a rule)');

SELECT * FROM finish();
ROLLBACK;
