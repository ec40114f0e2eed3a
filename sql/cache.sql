-- The decision cache: memory bounds and eviction.
\set VERBOSITY terse
CREATE EXTENSION runai_rbac;
SELECT runai.create_scope('tenant', 't', 'T', 'system') IS NOT NULL AS tenant;
SELECT count(runai.create_scope('cluster', 'c' || c, 'C', 'tenant/t')) FROM generate_series(1, 2) c;
SELECT count(runai.create_scope('department', 'd' || c || '-' || d, 'D', ('cluster/c' || c)::runai.scope))
  FROM generate_series(1, 2) c, generate_series(1, 10) d;
SELECT count(runai.create_scope('project', 'p' || c || '-' || d || '-' || p, 'P', ('department/d' || c || '-' || d)::runai.scope))
  FROM generate_series(1, 2) c, generate_series(1, 10) d, generate_series(1, 50) p;

-- A subject with 1,000 rules of three roles on 1,000 projects (the user does not
-- exist: each rule's NOTICE says it applies from its first sign-in).
SET client_min_messages = warning;
SELECT count(runai.add_access_rule('user', 'many@x.io',
             (ARRAY['L1 researcher', 'Viewer', 'ML engineer'])[1 + (n % 3)],
             ('project/p' || c || '-' || d || '-' || p)::runai.scope))
  FROM (SELECT row_number() OVER () AS n, c, d, p
          FROM generate_series(1, 2) c, generate_series(1, 10) d, generate_series(1, 50) p) s;
RESET client_min_messages;
SELECT runai.has_permission('many@x.io', 'workloads', 'view', 'project/p2-10-50') AS granted,
       runai.has_permission('many@x.io', 'workloads', 'view', 'department/d2-10') AS not_above;
SELECT subjects, scopes, largest_subject_bytes < 1024 * 1024 AS under_1_mib FROM runai.cache_stats();

-- Many subjects in one backend: the cache keeps at most runai.cache_max_subjects.
SET runai.cache_max_subjects = 5;
SET client_min_messages = warning;
SELECT count(runai.add_access_rule('user', 'u' || i || '@x.io', 'L1 researcher', 'project/p1-1-1')) FROM generate_series(1, 20) i;
RESET client_min_messages;
SELECT bool_and(runai.has_permission('u' || i || '@x.io', 'workloads', 'create', 'project/p1-1-1')) AS all_granted,
       bool_or(runai.has_permission('u' || i || '@x.io', 'workloads', 'create', 'project/p1-1-2')) AS none_elsewhere
  FROM generate_series(1, 20) i;
SELECT subjects <= 5 AS bounded, max_subjects FROM runai.cache_stats();
-- Evicted subjects are rebuilt correctly.
SELECT runai.has_permission('u1@x.io', 'workloads', 'create', 'project/p1-1-1') AS u1_again,
       runai.has_permission('many@x.io', 'workloads', 'view', 'project/p2-10-50') AS many_again;
RESET runai.cache_max_subjects;
DROP EXTENSION runai_rbac;
