-- The data set of the concurrency and load test (tools/tests/concurrency.sh), run
-- by psql as a superuser in an empty database.  Variables (psql -v):
--   ndepts  departments (each with ppd projects p1..p<ndepts*ppd>, in order)
--   ppd     projects per department
--   nusers  users u1..u<nusers>@conc.test, each an L1 researcher of department
--           d<((n-1) % ndepts) + 1> for good, with the bound role regress_conc_u<n>
--   nsub    checker subjects c1..c<nsub>@conc.test, each with one rule (L1
--           researcher on project p<k>) that the checker revokes and gives back;
--           bound roles regress_conc_c<k>
--   wpp     rows of runai.workloads per project (when runai.workloads exists)
-- An administrator admin@conc.test (System administrator at system) is bound to
-- regress_conc_admin; the pgbench clients change rules as that user.
\set ON_ERROR_STOP on
\set QUIET on
CREATE EXTENSION IF NOT EXISTS runai_rbac;

SELECT runai.create_scope('tenant', 'conc', 'Concurrency', 'system') \g /dev/null
SELECT runai.create_scope('cluster', 'conc-1', 'Cluster', 'tenant/conc') \g /dev/null
SELECT count(runai.create_scope('department', 'd' || d, 'Department ' || d, 'cluster/conc-1'))
  FROM generate_series(1, :ndepts) d \g /dev/null
SELECT count(runai.create_scope('project', 'p' || p, 'Project ' || p, ('department/d' || ((p - 1) / :ppd + 1))::runai.scope))
  FROM generate_series(1, :ndepts * :ppd) p \g /dev/null

-- users: created as a superuser (their temporary passwords are not needed)
SELECT runai.bootstrap('admin@conc.test') \g /dev/null
SELECT count(*) FROM generate_series(1, :nusers) n,
       LATERAL runai.create_local_user('u' || n || '@conc.test') \g /dev/null
SELECT count(*) FROM generate_series(1, :nsub) k,
       LATERAL runai.create_local_user('c' || k || '@conc.test') \g /dev/null

SELECT count(runai.add_access_rule('user', 'u' || n || '@conc.test', 'L1 researcher',
                                   ('department/d' || ((n - 1) % :ndepts + 1))::runai.scope))
  FROM generate_series(1, :nusers) n \g /dev/null
SELECT count(runai.add_access_rule('user', 'c' || k || '@conc.test', 'L1 researcher',
                                   ('project/p' || k)::runai.scope))
  FROM generate_series(1, :nsub) k \g /dev/null

-- database roles acting as the users
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT u.email, 'regress_conc_' || split_part(u.email, '@', 1) AS role
             FROM runai_internal.users u WHERE u.email LIKE '%@conc.test' LOOP
    EXECUTE format('CREATE ROLE %I', r.role);
    PERFORM runai.bind_db_role(r.email, r.role::regrole);
  END LOOP;
END
$$;

-- rows of the protected table
SELECT pg_catalog.to_regclass('runai.workloads') IS NOT NULL AS have_workloads \gset
\if :have_workloads
INSERT INTO runai.workloads (name, kind, project)
SELECT 'w' || w, 'Training', ('project/p' || p)::runai.scope
  FROM generate_series(1, :ndepts * :ppd) p, generate_series(1, :wpp) w;
ANALYZE runai.workloads;
\endif
ANALYZE;
