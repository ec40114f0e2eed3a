-- A large scope tree, for the cases of SPEC section 6 that depend on the tree's
-- size: 1 tenant, 10 clusters, 10,000 departments (1,000 per cluster) and 100,000
-- projects (10 per department) -- 110,011 scopes -- and 100,000 users with 10
-- L1 researcher rules each on projects (1,000,000 rules), generated set-based by
-- psql as a superuser into a fresh database.  No workload table: what is measured
-- here is the tree (a new connection's first check, the next check after a
-- create_scope elsewhere, each backend's memory).
--   l1@bench.io ... l100000@bench.io; la1@bench.io, bound to database role
--   bench_large, is an L1 researcher on 10 projects.
-- Triggers fire as in production (no session_replication_role): the scopes go
-- through the tree's commit path, the rules through the cache invalidation.
\set ON_ERROR_STOP on
\timing on
SET client_min_messages = warning;
CREATE EXTENSION runai_rbac;
SET maintenance_work_mem = '1GB';
SET synchronous_commit = off;

INSERT INTO runai_internal.scopes (scope, parent, name, created_by)
  VALUES ('tenant/1', 'system', 'Tenant 1', 'bench');
INSERT INTO runai_internal.scopes (scope, parent, name, created_by)
  SELECT runai.scope('cluster', c::text), 'tenant/1', 'Cluster ' || c, 'bench'
    FROM generate_series(1, 10) c;
INSERT INTO runai_internal.scopes (scope, parent, name, created_by)
  SELECT runai.scope('department', d::text), runai.scope('cluster', ((d - 1) / 1000 + 1)::text),
         'Department ' || d, 'bench'
    FROM generate_series(1, 10000) d;
INSERT INTO runai_internal.scopes (scope, parent, name, created_by)
  SELECT runai.scope('project', p::text), runai.scope('department', ((p - 1) / 10 + 1)::text),
         'Project ' || p, 'bench'
    FROM generate_series(1, 100000) p;

INSERT INTO runai_internal.users (email, type, created_by)
  SELECT 'l' || u || '@bench.io', 'local', 'bench' FROM generate_series(1, 100000) u;
INSERT INTO runai_internal.users (email, type, created_by) VALUES ('la1@bench.io', 'local', 'bench');
-- rule k of user u: project 1 + (u * 7919 + k * 10007) mod 100000, distinct per user
INSERT INTO runai_internal.access_rules (subject_type, subject, role_id, scope, created_by)
  SELECT 'user', 'l' || u || '@bench.io', r.id,
         runai.scope('project', (1 + (u::bigint * 7919 + k * 10007) % 100000)::text), 'bench'
    FROM generate_series(1, 100000) u, generate_series(0, 9) k, runai_internal.roles r
   WHERE r.name = 'L1 researcher'
   ORDER BY u, k;
INSERT INTO runai_internal.access_rules (subject_type, subject, role_id, scope, created_by)
  SELECT 'user', 'la1@bench.io', r.id, runai.scope('project', (1 + k * 9973)::text), 'bench'
    FROM generate_series(0, 9) k, runai_internal.roles r WHERE r.name = 'L1 researcher';

CREATE ROLE bench_large LOGIN;
SELECT runai.bind_db_role('la1@bench.io', 'bench_large');

-- The rows were committed with synchronous_commit off.  VACUUM marks a page
-- all-visible only when it can mark its tuples committed, which waits until the
-- WAL of the commits near theirs is flushed; with asynchronous commits all around
-- (VACUUM (ANALYZE) commits each table's ANALYZE so), it left pages of the
-- tables not all-visible -- 2,400 of runai.workloads' 12,987 in one run, all of
-- the copy's in another -- and index-only scans of such pages visit the heap,
-- so the protected table and its copies were measured on different footing.
-- Synchronous commits from here, and a flush of everything before.
RESET synchronous_commit;
CHECKPOINT;
VACUUM (ANALYZE) runai_internal.scopes, runai_internal.users, runai_internal.access_rules;
CHECKPOINT;

SELECT (SELECT count(*) FROM runai_internal.scopes) AS scopes,
       (SELECT count(*) FROM runai_internal.users) AS users,
       (SELECT count(*) FROM runai_internal.access_rules) AS rules;
