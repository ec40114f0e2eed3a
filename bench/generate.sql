-- SPEC section 6's benchmark data set, generated set-based by psql as a superuser
-- into a fresh database:
--   1 tenant, 10 clusters, 1,000 departments (100 per cluster), 10,000 projects
--   (10 per department); 100,000 local users with 10 access rules each (1,000,000
--   rules, mostly L1 researcher on projects); 1,000,000 rows in runai.workloads
--   (100 per project, spread round-robin), with its btree index on project.
-- The measured subjects are ordinary users of that population:
--   u1@bench.io   L1 researcher on 10 projects (about 1,000 visible rows)
--   u2@bench.io   Department administrator of 5 departments (5,000 rows), plus 5
--                 L1 researcher rules on projects inside them
--   u3@bench.io   System administrator at system, plus 9 L1 researcher rules
-- and two extra users: big@bench.io with 1,000 L1 researcher rules (the subject of
-- the "first check after a change" figure), and tv@bench.io, Viewer at tenant/1: a
-- subject that sees every row without a rule at system.
--
-- Then the comparison tables, identical copies of runai.workloads (same rows, same
-- physical order, same indexes):
--   bench.workloads_plain   no row-level security
--   bench.workloads_peer    the hand-written SQL peer: a closure table and the
--                           policy  project IN (SELECT descendant FROM closure JOIN
--                           rules ... WHERE subject = <current user>)
--
-- Triggers and foreign keys are skipped while loading (session_replication_role =
-- replica); the data is consistent by construction.
\set ON_ERROR_STOP on
\timing on
SET client_min_messages = warning;
CREATE EXTENSION runai_rbac;
SET maintenance_work_mem = '1GB';
SET synchronous_commit = off;
SET session_replication_role = replica;

-- ---------------------------------------------------------------------------
-- The scope tree
-- ---------------------------------------------------------------------------
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

-- ---------------------------------------------------------------------------
-- Users and their rules
-- ---------------------------------------------------------------------------
-- Four users in five have signed in at some time in 2026 (deterministic), so that
-- the users table sorted by last login is measured on realistic data.
INSERT INTO runai_internal.users (email, type, created_by, last_login)
  SELECT 'u' || u || '@bench.io', 'local', 'bench',
         CASE WHEN u % 5 <> 0
              THEN timestamptz '2026-01-01 00:00:00+00' + ((u::bigint * 7919) % 25000000) * interval '1 second' END
    FROM generate_series(1, 100000) u;
INSERT INTO runai_internal.users (email, type, created_by)
  VALUES ('big@bench.io', 'local', 'bench'), ('tv@bench.io', 'local', 'bench');

-- Rule k (0..9) of user u.  Projects p = 1 + (u * 7919 + k * 1009) mod 10000 are
-- distinct for the ten k of a user.  1% of users hold Department administrator on
-- one department, 1% Research manager on one department, 5% an L2 researcher
-- project among their ten.
CREATE TEMP TABLE rule_plan AS
SELECT u, k,
       CASE
         WHEN u = 1 THEN 'L1 researcher'
         WHEN u = 2 AND k < 5 THEN 'Department administrator'
         WHEN u = 2 THEN 'L1 researcher'
         WHEN u = 3 AND k = 0 THEN 'System administrator'
         WHEN u % 100 = 0 AND k = 0 THEN 'Department administrator'
         WHEN u % 100 = 50 AND k = 0 THEN 'Research manager'
         WHEN u % 20 = 7 AND k = 1 THEN 'L2 researcher'
         ELSE 'L1 researcher'
       END AS role,
       CASE
         WHEN u = 1 THEN runai.scope('project', (1 + (k * 997 + 13) % 10000)::text)
         -- departments 17, 217, 417, 617, 817 and one project in each
         WHEN u = 2 AND k < 5 THEN runai.scope('department', (k * 200 + 17)::text)
         WHEN u = 2 THEN runai.scope('project', (((k - 5) * 200 + 16) * 10 + 3)::text)
         WHEN u = 3 AND k = 0 THEN 'system'::runai.scope
         WHEN u % 100 IN (0, 50) AND k = 0 THEN runai.scope('department', (1 + (u / 100) % 1000)::text)
         ELSE runai.scope('project', (1 + (u * 7919 + k * 1009) % 10000)::text)
       END AS scope
  FROM generate_series(1, 100000) u, generate_series(0, 9) k;

INSERT INTO runai_internal.access_rules (subject_type, subject, role_id, scope, created_by)
  SELECT 'user', 'u' || p.u || '@bench.io', r.id, p.scope, 'bench'
    FROM rule_plan p JOIN runai_internal.roles r ON r.name = p.role
   ORDER BY p.u, p.k;
INSERT INTO runai_internal.access_rules (subject_type, subject, role_id, scope, created_by)
  SELECT 'user', 'big@bench.io', r.id, runai.scope('project', (10 * j + 1)::text), 'bench'
    FROM generate_series(0, 999) j, runai_internal.roles r WHERE r.name = 'L1 researcher';
INSERT INTO runai_internal.access_rules (subject_type, subject, role_id, scope, created_by)
  SELECT 'user', 'tv@bench.io', r.id, 'tenant/1', 'bench' FROM runai_internal.roles r WHERE r.name = 'Viewer';

-- ---------------------------------------------------------------------------
-- The protected workload table: 1,000,000 rows, 100 per project, round-robin
-- ---------------------------------------------------------------------------
INSERT INTO runai.workloads (id, name, kind, project, created_by, created_at, updated_at, status, gpu_request)
  SELECT i, 'w' || i, (ARRAY['Workspace', 'Training', 'Inference'])[1 + i % 3],
         runai.scope('project', (1 + (i - 1) % 10000)::text), 'bench',
         timestamptz '2025-01-01' + i * interval '1 second', timestamptz '2025-01-01' + i * interval '1 second',
         'Running', i % 4
    FROM generate_series(1, 1000000) i;
SELECT pg_catalog.setval('runai.workloads_id_seq', 1000000);
-- indexes built in bulk, like the copies' below
REINDEX TABLE runai.workloads;

RESET session_replication_role;

-- ---------------------------------------------------------------------------
-- The copies: unprotected, and the SQL peer
-- ---------------------------------------------------------------------------
CREATE SCHEMA bench;
CREATE TABLE bench.workloads_plain (LIKE runai.workloads INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
INSERT INTO bench.workloads_plain SELECT * FROM runai.workloads ORDER BY id;
ALTER TABLE bench.workloads_plain ADD PRIMARY KEY (id), ADD UNIQUE (project, name);
CREATE TABLE bench.workloads_peer (LIKE runai.workloads INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
INSERT INTO bench.workloads_peer SELECT * FROM runai.workloads ORDER BY id;
ALTER TABLE bench.workloads_peer ADD PRIMARY KEY (id), ADD UNIQUE (project, name);

-- The closure table: every (ancestor, descendant) pair, a scope being its own
-- ancestor.
CREATE TABLE bench.closure (ancestor runai.scope NOT NULL, descendant runai.scope NOT NULL);
INSERT INTO bench.closure
  WITH RECURSIVE c(ancestor, descendant) AS (
    SELECT s.scope, s.scope FROM runai_internal.scopes s
    UNION ALL
    SELECT p.parent, c.descendant FROM c JOIN runai_internal.scopes p ON p.scope OPERATOR(pg_catalog.=) c.ancestor
     WHERE p.parent IS NOT NULL)
  SELECT ancestor, descendant FROM c;
ALTER TABLE bench.closure ADD PRIMARY KEY (ancestor, descendant);

-- The peer's own copies of the rules and of the permission matrix, readable by the
-- benchmark roles (the extension's tables are private).
CREATE TABLE bench.rules AS
  SELECT subject_type, subject, role_id, scope, expires_at FROM runai_internal.access_rules;
CREATE INDEX ON bench.rules (subject_type, subject);
CREATE TABLE bench.role_grants AS
  SELECT p.role_id, t.name AS resource, p.actions FROM runai_internal.role_permissions p
    JOIN runai.resource_types t ON t.id = p.resource_type_id;
CREATE TABLE bench.peer_users (db_role name PRIMARY KEY, email text NOT NULL);

ALTER TABLE bench.workloads_peer ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
-- IN resolves runai.scope's = with the default search path (it is in pg_catalog).
CREATE POLICY peer_select ON bench.workloads_peer FOR SELECT USING (
  project IN (SELECT c.descendant
                FROM bench.closure c
                JOIN bench.rules r ON r.scope OPERATOR(pg_catalog.=) c.ancestor
                JOIN bench.role_grants g ON g.role_id = r.role_id
               WHERE r.subject_type = 'user'
                 AND r.subject = (SELECT u.email FROM bench.peer_users u WHERE u.db_role = current_user)
                 AND (r.expires_at IS NULL OR r.expires_at > pg_catalog.now())
                 AND g.resource = 'workloads'
                 AND g.actions OPERATOR(pg_catalog.@>) '{view}'::runai.actionset));

-- ---------------------------------------------------------------------------
-- The measured subjects: a database role bound to each
-- ---------------------------------------------------------------------------
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM (VALUES ('bench_researcher', 'u1@bench.io'), ('bench_deptadmin', 'u2@bench.io'),
                                 ('bench_sysadmin', 'u3@bench.io'), ('bench_big', 'big@bench.io'),
                                 ('bench_tenant', 'tv@bench.io')) v(role, email) LOOP
    EXECUTE format('CREATE ROLE %I LOGIN', r.role);
    PERFORM runai.bind_db_role(r.email, r.role::regrole);
    INSERT INTO bench.peer_users VALUES (r.role, r.email);
  END LOOP;
END
$$;
GRANT USAGE ON SCHEMA bench TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA bench TO PUBLIC;

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
VACUUM (ANALYZE) runai_internal.scopes, runai_internal.users, runai_internal.access_rules, runai.workloads,
  bench.workloads_plain, bench.workloads_peer, bench.closure, bench.rules, bench.role_grants, bench.peer_users;
CHECKPOINT;

SELECT (SELECT count(*) FROM runai_internal.scopes) AS scopes,
       (SELECT count(*) FROM runai_internal.users) AS users,
       (SELECT count(*) FROM runai_internal.access_rules) AS rules,
       (SELECT count(*) FROM runai.workloads) AS workloads,
       (SELECT count(*) FROM bench.closure) AS closure_pairs;
