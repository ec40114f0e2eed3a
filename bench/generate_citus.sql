-- The data set of make bench's Citus section (tools/bench.sh, citus_section), on the
-- coordinator of a cluster: the scope tree of SPEC section 6 (1 tenant, 10
-- clusters, 1,000 departments, 10,000 projects), the L1 researcher u1@bench.io with
-- its 10 project rules (the same projects as bench/generate.sql's), and 1,000,000
-- workloads, 100 per project; then runai.distribute_catalog() distributes the
-- catalog and runai.workloads (by project, 32 shards), and bench.workloads_plain is
-- the same rows, distributed alike (colocated), without row-level security.  The
-- rest of the population of generate.sql (the other users and their rules) is left
-- out: the section measures where a query goes and what it costs, not the cache.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION runai_rbac;
SET synchronous_commit = off;
SET session_replication_role = replica;

INSERT INTO runai_internal.scopes (scope, parent, name, created_by)
  VALUES ('tenant/1', 'system', 'Tenant 1', 'bench');
INSERT INTO runai_internal.scopes (scope, parent, name, created_by)
  SELECT runai.scope('cluster', c::text), 'tenant/1', 'Cluster ' || c, 'bench'
    FROM generate_series(1, 10) c;
INSERT INTO runai_internal.scopes (scope, parent, name, created_by)
  SELECT runai.scope('department', d::text), runai.scope('cluster', ((d - 1) / 100 + 1)::text),
         'Department ' || d, 'bench'
    FROM generate_series(1, 1000) d;
INSERT INTO runai_internal.scopes (scope, parent, name, created_by)
  SELECT runai.scope('project', p::text), runai.scope('department', ((p - 1) / 10 + 1)::text),
         'Project ' || p, 'bench'
    FROM generate_series(1, 10000) p;
INSERT INTO runai_internal.users (email, type, created_by) VALUES ('u1@bench.io', 'local', 'bench');
INSERT INTO runai_internal.access_rules (subject_type, subject, role_id, scope, created_by)
  SELECT 'user', 'u1@bench.io', r.id, runai.scope('project', (1 + (k * 997 + 13) % 10000)::text), 'bench'
    FROM generate_series(0, 9) k, runai_internal.roles r WHERE r.name = 'L1 researcher';
INSERT INTO runai.workloads (id, name, kind, project, created_by, created_at, updated_at, status, gpu_request)
  SELECT i, 'w' || i, (ARRAY['Workspace', 'Training', 'Inference'])[1 + i % 3],
         runai.scope('project', (1 + (i - 1) % 10000)::text), 'bench',
         timestamptz '2025-01-01' + i * interval '1 second', timestamptz '2025-01-01' + i * interval '1 second',
         'Running', i % 4
    FROM generate_series(1, 1000000) i;
SELECT pg_catalog.setval('runai.workloads_id_seq', 1000000);
RESET session_replication_role;

CREATE ROLE bench_researcher LOGIN;
SELECT runai.bind_db_role('u1@bench.io', 'bench_researcher');
SELECT runai.distribute_catalog();

CREATE SCHEMA bench;
CREATE TABLE bench.workloads_plain (LIKE runai.workloads INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
SELECT create_distributed_table('bench.workloads_plain', 'project', colocate_with => 'runai.workloads');
INSERT INTO bench.workloads_plain SELECT * FROM runai.workloads;
GRANT USAGE ON SCHEMA bench TO PUBLIC;
GRANT SELECT ON bench.workloads_plain TO PUBLIC;
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
VACUUM (ANALYZE) runai.workloads, bench.workloads_plain;

SELECT (SELECT count(*) FROM runai_internal.scopes) AS scopes,
       (SELECT count(*) FROM runai.workloads) AS workloads,
       (SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'runai.workloads'::regclass) AS shards;
