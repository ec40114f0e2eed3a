-- bench/views.sql: the admin views at scale (SPEC section 4, issue 6).
--
-- Expects the SPEC section 6 data set in the current database (bench/generate.sql:
-- 100,000 users, 1,000,000 access rules) and runs as a superuser:
--   psql -X -q -d DB -f bench/views.sql
-- It acts as three database roles bound to Run:ai users, by default those of
-- bench/generate.sql; other names can be passed as psql variables
--   -v admin=ROLE -v dept=ROLE -v researcher=ROLE
--   admin       a System administrator at system (sees every row)
--   dept        a Department administrator of a few departments
--   researcher  an L1 researcher (sees no users and no rules)
-- The searched subject, scope and email fragment are taken from the data.  Each case
-- runs 1 warm-up and 11 timed executions of EXPLAIN (ANALYZE, TIMING OFF) and prints
-- the median execution time in milliseconds (planning excluded).  The target of
-- issue 6: a page of 50 users sorted by last login in at most 50 ms.
\set ON_ERROR_STOP on
\pset footer off
SET jit = off;
SET client_min_messages = warning;
\if :{?admin}
\else
  \set admin bench_sysadmin
\endif
\if :{?dept}
\else
  \set dept bench_deptadmin
\endif
\if :{?researcher}
\else
  \set researcher bench_researcher
\endif

-- A subject, its scope and a fragment of its email, from the middle of the data.
SELECT ar.subject_type || ':' || ar.subject AS one_subject, ar.scope::text AS one_scope,
       split_part(ar.subject, '@', 1) || '@' AS rare_fragment,
       left(split_part(ar.subject, '@', 1), 3) AS common_fragment
  FROM runai_internal.access_rules ar WHERE ar.subject_type = 'user' ORDER BY ar.id OFFSET 123456 LIMIT 1 \gset
SELECT EXISTS (SELECT 1 FROM runai_internal.users WHERE last_login IS NOT NULL) AS any_last_login \gset

CREATE TEMP TABLE views_bench_cases (n serial, who text, label text, query text);
GRANT ALL ON views_bench_cases TO PUBLIC;
GRANT ALL ON SEQUENCE views_bench_cases_n_seq TO PUBLIC;
INSERT INTO views_bench_cases (who, label, query) VALUES
  (:'admin', 'users: page of 50 by last_login DESC NULLS LAST',
   $q$SELECT * FROM runai.users_table ORDER BY last_login DESC NULLS LAST, "user" LIMIT 50$q$),
  (:'admin', 'users: page of 50 by last_login DESC',
   $q$SELECT * FROM runai.users_table ORDER BY last_login DESC LIMIT 50$q$),
  (:'admin', 'users: page of 50 by last_login ASC',
   $q$SELECT * FROM runai.users_table ORDER BY last_login LIMIT 50$q$),
  (:'admin', 'users: page 200 (OFFSET 10000) by last_login DESC NULLS LAST',
   $q$SELECT * FROM runai.users_table ORDER BY last_login DESC NULLS LAST, "user" OFFSET 10000 LIMIT 50$q$),
  (:'admin', 'users: ILIKE search on user, first 50 by last_login',
   format($q$SELECT * FROM runai.users_table WHERE "user" ILIKE %L ORDER BY last_login DESC NULLS LAST LIMIT 50$q$, '%' || :'rare_fragment' || '%')),
  (:'admin', 'users: type = sso, two columns, by creation_time',
   $q$SELECT "user", last_login FROM runai.users_table WHERE type = 'sso' ORDER BY creation_time DESC LIMIT 50$q$),
  (:'admin', 'users: count(*)',
   $q$SELECT count(*) FROM runai.users_table$q$),
  (:'dept', 'users: page of 50 by last_login, Department administrator',
   $q$SELECT * FROM runai.users_table ORDER BY last_login DESC NULLS LAST LIMIT 50$q$),
  (:'researcher', 'users: page of 50, researcher (no rows)',
   $q$SELECT * FROM runai.users_table ORDER BY last_login DESC NULLS LAST LIMIT 50$q$),
  (:'admin', 'rules: page of 50 by id DESC',
   $q$SELECT * FROM runai.access_rules_table ORDER BY id DESC LIMIT 50$q$),
  (:'admin', 'rules: subject = one user',
   format($q$SELECT * FROM runai.access_rules_table WHERE subject = %L$q$, :'one_subject')),
  (:'admin', 'rules: at one scope, by creation_time',
   format($q$SELECT * FROM runai.access_rules_table WHERE scope OPERATOR(pg_catalog.=) %L ORDER BY creation_time DESC LIMIT 50$q$, :'one_scope')),
  (:'admin', 'rules: ILIKE search on subject, rare (10 matches), newest 50',
   format($q$SELECT * FROM runai.access_rules_table WHERE subject ILIKE %L ORDER BY id DESC LIMIT 50$q$, '%' || :'rare_fragment' || '%')),
  (:'admin', 'rules: ILIKE search on subject, common, newest 50',
   format($q$SELECT * FROM runai.access_rules_table WHERE subject ILIKE %L ORDER BY id DESC LIMIT 50$q$, '%' || :'common_fragment' || '%')),
  (:'admin', 'rules: page of 50 by creation_time DESC (sorts all rules)',
   $q$SELECT * FROM runai.access_rules_table ORDER BY creation_time DESC LIMIT 50$q$),
  (:'admin', 'rules: count(*)',
   $q$SELECT count(*) FROM runai.access_rules_table$q$),
  (:'dept', 'rules: page of 50 by id DESC, Department administrator',
   $q$SELECT * FROM runai.access_rules_table ORDER BY id DESC LIMIT 50$q$),
  (:'dept', 'rules: ILIKE search on subject, Department administrator',
   format($q$SELECT * FROM runai.access_rules_table WHERE subject ILIKE %L ORDER BY id DESC LIMIT 50$q$, '%' || :'common_fragment' || '%')),
  (:'dept', 'rules: count(*), Department administrator',
   $q$SELECT count(*) FROM runai.access_rules_table$q$),
  (:'researcher', 'rules: page of 50, researcher (no rows)',
   $q$SELECT * FROM runai.access_rules_table ORDER BY id DESC LIMIT 50$q$),
  (:'admin', 'events: page of 50 by at DESC',
   $q$SELECT * FROM runai.event_history ORDER BY at DESC LIMIT 50$q$),
  (:'admin', 'roles: the permission matrix',
   $q$SELECT * FROM runai.role_permissions_table$q$),
  (:'admin', 'export_users_csv() (20,000 of 100,000 users)',
   $q$SELECT length(runai.export_users_csv())$q$);

-- Median execution time of a query as the current role, from EXPLAIN ANALYZE.
CREATE FUNCTION pg_temp.views_bench_median(q text) RETURNS numeric LANGUAGE plpgsql AS $f$
DECLARE
  t numeric[] := '{}';
  plan json;
BEGIN
  SET LOCAL client_min_messages = error;     -- export_users_csv warns that it cut rows
  EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ' || q INTO plan;
  FOR i IN 1..11 LOOP
    EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ' || q INTO plan;
    t := t || (plan -> 0 ->> 'Execution Time')::numeric;
  END LOOP;
  RETURN (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 2) FROM unnest(t) x);
END
$f$;

CREATE TEMP TABLE views_bench_results (n int, who text, label text, median_ms numeric);
GRANT ALL ON views_bench_results TO PUBLIC;

SELECT format('SET ROLE %I;', who) AS set_role,
       format('INSERT INTO views_bench_results SELECT %s, %L, %L, pg_temp.views_bench_median(%L);', n, who, label, query) AS run
  FROM views_bench_cases ORDER BY n \gexec
RESET ROLE;

\echo
\echo 'runai_rbac admin views: median execution time (EXPLAIN ANALYZE, 11 runs)'
SELECT n AS "#", label AS "case", who AS "as", median_ms AS "median ms"
  FROM views_bench_results ORDER BY n;
SELECT CASE WHEN median_ms <= 50 THEN 'met' ELSE 'MISSED' END AS "users page <= 50 ms", median_ms
  FROM views_bench_results WHERE n = 1;
\if :any_last_login
\else
\echo 'note: no user of this data set has a last_login, so the pages sorted by last login order by email alone'
\endif
