-- Row-level security on workload tables (SPEC section 5): protect / unprotect,
-- visibility at every level of the tree, writes, leaks through user functions,
-- index plans for narrow subjects, and plans reused after the rules change.
\set VERBOSITY terse
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS runai_rbac CASCADE;
CREATE EXTENSION runai_rbac;
RESET client_min_messages;

-- ---------------------------------------------------------------------------
-- The tree: acme > c1 > d1 > 101, 102, 1000..1099
--                        d2 > 201, 1100..1199
--                   c2 > d3 > 301, and a uuid-named project under d3
-- ---------------------------------------------------------------------------
SELECT runai.create_scope('tenant', 'acme', 'Acme', 'system');
SELECT runai.create_scope('cluster', 'c1', 'C1', 'tenant/acme'),
       runai.create_scope('cluster', 'c2', 'C2', 'tenant/acme');
SELECT runai.create_scope('department', 'd1', 'D1', 'cluster/c1'),
       runai.create_scope('department', 'd2', 'D2', 'cluster/c1'),
       runai.create_scope('department', 'd3', 'D3', 'cluster/c2');
SELECT runai.create_scope('project', '101', 'P101', 'department/d1'),
       runai.create_scope('project', '102', 'P102', 'department/d1'),
       runai.create_scope('project', '201', 'P201', 'department/d2'),
       runai.create_scope('project', '301', 'P301', 'department/d3'),
       runai.create_scope('project', '0b5e8f4a-7c1d-4e2a-9f3b-6a1c2d3e4f50', 'PU', 'department/d3');
SELECT count(runai.create_scope('project', p::text, 'F' || p,
                                CASE WHEN p < 1100 THEN 'department/d1' ELSE 'department/d2' END::runai.scope))
  FROM generate_series(1000, 1199) p;

-- Users, their database roles and rules.
CREATE ROLE regress_rls_alice;      -- L1 researcher on projects 101 and 201
CREATE ROLE regress_rls_dept;       -- Department administrator of d1
CREATE ROLE regress_rls_admin;      -- System administrator
CREATE ROLE regress_rls_viewer;     -- Viewer on department d1: view only
CREATE ROLE regress_rls_uuid;       -- L1 researcher on the uuid-named project
CREATE ROLE regress_rls_nobody;     -- bound to no user
CREATE ROLE regress_rls_owner;      -- owns a table, is no Run:ai user
INSERT INTO runai_internal.users (email, type, created_by)
  SELECT e || '@x.io', 'local', 'regress' FROM unnest(ARRAY['alice', 'dept', 'admin', 'viewer', 'uuid']) e;
SELECT runai.bind_db_role(e || '@x.io', ('regress_rls_' || e)::regrole)
  FROM unnest(ARRAY['alice', 'dept', 'admin', 'viewer', 'uuid']) e;
SELECT runai.add_access_rule('user', 'alice@x.io', 'L1 researcher', 'project/101') AS alice_101 \gset
SELECT runai.add_access_rule('user', 'alice@x.io', 'L1 researcher', 'project/201') AS alice_201 \gset
SELECT runai.add_access_rule('user', 'dept@x.io', 'Department administrator', 'department/d1') IS NOT NULL AS dept_rule;
SELECT runai.add_access_rule('user', 'admin@x.io', 'System administrator', 'system') IS NOT NULL AS admin_rule;
SELECT runai.add_access_rule('user', 'viewer@x.io', 'Viewer', 'department/d1') IS NOT NULL AS viewer_rule;
SELECT runai.add_access_rule('user', 'uuid@x.io', 'L1 researcher',
                             'project/0b5e8f4a-7c1d-4e2a-9f3b-6a1c2d3e4f50') IS NOT NULL AS uuid_rule;

-- ---------------------------------------------------------------------------
-- runai.workloads: protected out of the box
-- ---------------------------------------------------------------------------
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'runai.workloads'::regclass;
SELECT polname, polcmd, pg_get_expr(polqual, polrelid) AS using, pg_get_expr(polwithcheck, polrelid) AS with_check
  FROM pg_policy WHERE polrelid = 'runai.workloads'::regclass ORDER BY polname;

-- As superuser (bypasses row-level security): one workload per project, a secret one
-- in d3, and one whose project is not in the tree.
INSERT INTO runai.workloads (name, kind, project, created_by) VALUES
  ('w101', 'Training', 'project/101', 'regress'),
  ('w102', 'Workspace', 'project/102', 'regress'),
  ('w201', 'Inference', 'project/201', 'regress'),
  ('secret-w301', 'Training', 'project/301', 'regress'),
  ('w1000', 'Training', 'project/1000', 'regress'),
  ('w-orphan', 'Training', 'project/999', 'regress');
-- kind and project are checked
INSERT INTO runai.workloads (name, kind, project) VALUES ('bad', 'Bogus', 'project/101');
INSERT INTO runai.workloads (name, kind, project) VALUES ('bad', 'Training', 'department/d1');

-- Each subject sees the workloads of the projects where it has workloads view.
SET ROLE regress_rls_alice;
SELECT runai.current_subject(), string_agg(name, ', ' ORDER BY name) AS visible FROM runai.workloads;
SET ROLE regress_rls_dept;
SELECT runai.current_subject(), string_agg(name, ', ' ORDER BY name) AS visible FROM runai.workloads;
SET ROLE regress_rls_viewer;
SELECT runai.current_subject(), string_agg(name, ', ' ORDER BY name) AS visible FROM runai.workloads;
-- a grant at the root covers projects that are not in the tree too
SET ROLE regress_rls_admin;
SELECT runai.current_subject(), string_agg(name, ', ' ORDER BY name) AS visible FROM runai.workloads;
SET ROLE regress_rls_nobody;
SELECT runai.current_subject(), count(*) AS visible FROM runai.workloads;
RESET ROLE;

-- Writes: INSERT needs create, UPDATE edit on the old and the new row, DELETE delete.
SET ROLE regress_rls_alice;
INSERT INTO runai.workloads (name, kind, project, created_by)
  VALUES ('alice-job', 'Training', 'project/101', 'forged') RETURNING name, project, created_by;
INSERT INTO runai.workloads (name, kind, project) VALUES ('alice-elsewhere', 'Training', 'project/102');
UPDATE runai.workloads SET status = 'Running' WHERE name = 'alice-job' RETURNING name, status, created_by;
-- moving a row to a project without edit fails; rows without edit are not touched
UPDATE runai.workloads SET project = 'project/301' WHERE name = 'alice-job';
UPDATE runai.workloads SET status = 'Failed' WHERE name IN ('secret-w301', 'w102');
DELETE FROM runai.workloads WHERE name IN ('secret-w301', 'w102', 'w-orphan');
-- created_by is not for users to change
UPDATE runai.workloads SET created_by = 'someone' WHERE name = 'alice-job';
DELETE FROM runai.workloads WHERE name = 'alice-job' RETURNING name;
SET ROLE regress_rls_viewer;
INSERT INTO runai.workloads (name, kind, project) VALUES ('viewer-job', 'Training', 'project/101');
UPDATE runai.workloads SET status = 'Failed' WHERE name = 'w101';
DELETE FROM runai.workloads WHERE name = 'w101';
SET ROLE regress_rls_nobody;
INSERT INTO runai.workloads (name, kind, project) VALUES ('nobody-job', 'Training', 'project/101');
RESET ROLE;
SELECT name, status FROM runai.workloads ORDER BY name;

-- ---------------------------------------------------------------------------
-- Leaks: a user function that raises notices or errors on the values it sees
-- ---------------------------------------------------------------------------
CREATE FUNCTION regress_rls_leak(text) RETURNS boolean
LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
  RAISE NOTICE 'saw %', $1;
  RETURN true;
END
$$;
CREATE FUNCTION regress_rls_tripwire(text) RETURNS boolean
LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
  IF $1 LIKE 'secret%' THEN
    RAISE EXCEPTION 'leaked %', $1;
  END IF;
  RETURN true;
END
$$;
CREATE FUNCTION regress_rls_leak2(text, text) RETURNS boolean
LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
  RAISE NOTICE 'operator saw %', $1;
  RETURN $1 <> $2;
END
$$;
CREATE OPERATOR <<< (LEFTARG = text, RIGHTARG = text, FUNCTION = regress_rls_leak2,
                     RESTRICT = eqsel);
SET ROLE regress_rls_alice;
SELECT name FROM runai.workloads WHERE regress_rls_leak(name) ORDER BY name;
SELECT name FROM runai.workloads WHERE name <<< 'x' ORDER BY name;
SELECT count(*) FROM runai.workloads WHERE regress_rls_tripwire(name);
SELECT count(*) FROM runai.workloads WHERE 1 / (length(name) - 11) >= 0;  -- 'secret-w301' has 11 characters
UPDATE runai.workloads SET status = 'Running' WHERE regress_rls_leak(name);
DELETE FROM runai.workloads WHERE regress_rls_tripwire(name) AND false;
RESET ROLE;

-- ---------------------------------------------------------------------------
-- protect / unprotect on user tables, with every kind of scope column
-- ---------------------------------------------------------------------------
CREATE TABLE regress_rls_jobs_int (id serial PRIMARY KEY, project_id integer NOT NULL, note text);
CREATE TABLE regress_rls_jobs_big (id serial PRIMARY KEY, project_id bigint NOT NULL, note text);
CREATE TABLE regress_rls_jobs_text (id serial PRIMARY KEY, project_id varchar(63) NOT NULL, note text);
CREATE TABLE regress_rls_jobs_uuid (id serial PRIMARY KEY, project_id uuid NOT NULL, note text);
CREATE TABLE regress_rls_jobs_dept (id serial PRIMARY KEY, dept text NOT NULL, note text);
INSERT INTO regress_rls_jobs_int (project_id, note) VALUES (101, 'a'), (102, 'b'), (201, 'c'), (301, 'secret'), (7, 'unknown');
INSERT INTO regress_rls_jobs_big (project_id, note) SELECT project_id, note FROM regress_rls_jobs_int;
INSERT INTO regress_rls_jobs_text (project_id, note) SELECT project_id, note FROM regress_rls_jobs_int;
INSERT INTO regress_rls_jobs_text (project_id, note) VALUES ('0101', 'not canonical');
INSERT INTO regress_rls_jobs_uuid (project_id, note) VALUES
  ('0b5e8f4a-7c1d-4e2a-9f3b-6a1c2d3e4f50', 'u'), ('00000000-0000-0000-0000-000000000000', 'secret');
INSERT INTO regress_rls_jobs_dept (dept, note) VALUES ('d1', 'dept 1'), ('d3', 'secret');
GRANT SELECT, INSERT, UPDATE, DELETE ON regress_rls_jobs_int, regress_rls_jobs_big, regress_rls_jobs_text,
  regress_rls_jobs_uuid, regress_rls_jobs_dept TO PUBLIC;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO PUBLIC;

SELECT runai.protect('regress_rls_jobs_int', 'project_id', scope_type => 'project');
SELECT runai.protect('regress_rls_jobs_int', 'project_id', scope_type => 'project');  -- idempotent
SELECT runai.protect('regress_rls_jobs_big', 'project_id', 'workloads', 'project');
SELECT runai.protect('regress_rls_jobs_text', 'project_id', 'workloads', 'project');
SELECT runai.protect('regress_rls_jobs_uuid', 'project_id', 'workloads', 'project');
SELECT runai.protect('regress_rls_jobs_dept', 'dept', 'department', 'department');
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, count(p.*) AS policies
  FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid
 WHERE c.relname LIKE 'regress_rls_jobs_%' AND c.relkind = 'r' GROUP BY 1, 2, 3 ORDER BY 1;
SELECT polname, pg_get_expr(polqual, polrelid) AS using, pg_get_expr(polwithcheck, polrelid) AS with_check
  FROM pg_policy WHERE polrelid = 'regress_rls_jobs_text'::regclass ORDER BY polname;

-- Bad arguments
SELECT runai.protect(NULL, 'project_id');
SELECT runai.protect('regress_rls_jobs_int', NULL);
CREATE VIEW regress_rls_view AS SELECT * FROM regress_rls_jobs_int;
SELECT runai.protect('regress_rls_view', 'project_id', scope_type => 'project');
SELECT runai.protect('regress_rls_jobs_int', 'no_such_column', scope_type => 'project');
SELECT runai.protect('regress_rls_jobs_int', 'note', scope_type => 'project', resource => 'no-such-thing');
SELECT runai.protect('regress_rls_jobs_int', 'project_id');
SELECT runai.protect('regress_rls_jobs_int', 'project_id', scope_type => 'system');
SELECT runai.protect('regress_rls_jobs_int', 'project_id', scope_type => 'Project');
SELECT runai.protect('runai.workloads', 'project', scope_type => 'project');
CREATE TABLE regress_rls_dates (d date);
SELECT runai.protect('regress_rls_dates', 'd', scope_type => 'project');
SET ROLE regress_rls_owner;
SELECT runai.protect('regress_rls_dates', 'd', scope_type => 'project');
SELECT runai.unprotect('regress_rls_jobs_int');
RESET ROLE;
SELECT runai_internal.rls_check('project/101', 'no-such-thing', 'view');
SELECT runai_internal.rls_check('project/101', 'workloads', 'fly');
SELECT runai_internal.rls_check(NULL::runai.scope, 'workloads', 'view') IS NULL AS null_scope;
SELECT runai_internal.rls_id_keys_text('system', 'workloads', 'view');

-- Visibility through every kind of column
SET ROLE regress_rls_alice;
SELECT (SELECT string_agg(note, ',' ORDER BY note) FROM regress_rls_jobs_int) AS int,
       (SELECT string_agg(note, ',' ORDER BY note) FROM regress_rls_jobs_big) AS big,
       (SELECT string_agg(note, ',' ORDER BY note) FROM regress_rls_jobs_text) AS text,
       (SELECT string_agg(note, ',' ORDER BY note) FROM regress_rls_jobs_uuid) AS uuid,
       (SELECT string_agg(note, ',' ORDER BY note) FROM regress_rls_jobs_dept) AS dept;
INSERT INTO regress_rls_jobs_int (project_id, note) VALUES (201, 'new');
INSERT INTO regress_rls_jobs_int (project_id, note) VALUES (301, 'no');
UPDATE regress_rls_jobs_text SET project_id = '102' WHERE note = 'a';
SET ROLE regress_rls_uuid;
SELECT (SELECT string_agg(note, ',' ORDER BY note) FROM regress_rls_jobs_uuid) AS uuid,
       (SELECT count(*) FROM regress_rls_jobs_int) AS int;
SET ROLE regress_rls_dept;
SELECT (SELECT string_agg(note, ',' ORDER BY note) FROM regress_rls_jobs_int) AS int,
       (SELECT string_agg(note, ',' ORDER BY note) FROM regress_rls_jobs_dept) AS dept;
SET ROLE regress_rls_admin;
SELECT (SELECT string_agg(note, ',' ORDER BY note) FROM regress_rls_jobs_int) AS int,
       (SELECT string_agg(note, ',' ORDER BY note) FROM regress_rls_jobs_uuid) AS uuid;
RESET ROLE;

-- unprotect undoes it, and is idempotent; a table with policies of its own keeps
-- row-level security on
SELECT runai.unprotect('regress_rls_jobs_big');
SELECT runai.unprotect('regress_rls_jobs_big');
CREATE POLICY own ON regress_rls_jobs_uuid USING (note <> 'secret');
SELECT runai.unprotect('regress_rls_jobs_uuid');
-- a table that was not protected keeps its own row-level security (here: deny all)
CREATE TABLE regress_rls_denied (id int);
ALTER TABLE regress_rls_denied ENABLE ROW LEVEL SECURITY;
SELECT runai.unprotect('regress_rls_denied');
SELECT relrowsecurity FROM pg_class WHERE relname = 'regress_rls_denied';
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, array_agg(p.polname ORDER BY p.polname) AS policies
  FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid
 WHERE c.relname IN ('regress_rls_jobs_big', 'regress_rls_jobs_uuid') GROUP BY 1, 2, 3 ORDER BY 1;
SET ROLE regress_rls_alice;
SELECT count(*) AS all_rows_again FROM regress_rls_jobs_big;
RESET ROLE;

-- ---------------------------------------------------------------------------
-- Plans: the index for a subject that sees little, a sequential scan for one that
-- sees much; plans reused after the rules change stay correct
-- ---------------------------------------------------------------------------
CREATE TABLE regress_rls_big (id bigint PRIMARY KEY, scope runai.scope NOT NULL, payload text NOT NULL);
CREATE INDEX regress_rls_big_scope ON regress_rls_big (scope);
INSERT INTO regress_rls_big
  SELECT i, ('project/' || p)::runai.scope, CASE WHEN p = 301 THEN 'secret' ELSE 'row' END
    FROM generate_series(1, 20400) i,
         LATERAL (SELECT (ARRAY[101, 102, 201, 301] || ARRAY(SELECT generate_series(1000, 1199)))[1 + i % 204] AS p) s;
INSERT INTO regress_rls_big VALUES (0, 'project/999', 'orphan');
VACUUM ANALYZE regress_rls_big;
GRANT SELECT ON regress_rls_big TO PUBLIC;
SELECT runai.protect('regress_rls_big', 'scope');

SET ROLE regress_rls_alice;
EXPLAIN (COSTS OFF) SELECT count(*) FROM regress_rls_big;
SELECT count(*) FROM regress_rls_big;
EXPLAIN (COSTS OFF) SELECT * FROM regress_rls_big WHERE payload = 'row' ORDER BY scope LIMIT 3;
SELECT scope, count(*) FROM regress_rls_big GROUP BY scope ORDER BY scope;
-- a leaky function on the index path sees only visible rows
SELECT count(*) FROM regress_rls_big WHERE regress_rls_tripwire(payload);
SET ROLE regress_rls_dept;
EXPLAIN (COSTS OFF) SELECT count(*) FROM regress_rls_big;
SELECT count(*) FROM regress_rls_big;
-- a subject granted everything: no per-row check at all, a one-time test instead
SET ROLE regress_rls_admin;
EXPLAIN (COSTS OFF) SELECT count(*) FROM regress_rls_big;
SELECT count(*) FROM regress_rls_big;
EXPLAIN (COSTS OFF) SELECT * FROM regress_rls_big WHERE payload = 'orphan';
SELECT * FROM regress_rls_big WHERE payload = 'orphan';
-- a user's own call of the check is not replaced where it could see a NULL
SELECT count(*) FROM (VALUES (1)) v LEFT JOIN regress_rls_big b ON false
 WHERE runai_internal.rls_check(b.scope, 'workloads', 'view') IS NULL;
SET ROLE regress_rls_nobody;
SELECT count(*) FROM regress_rls_big;
-- the one-time test and the key arrays refuse the subjects they cannot answer for
SET ROLE regress_rls_admin;
SELECT runai_internal.rls_gate('workloads', 'view') AS admin_gate;
SELECT runai_internal.rls_scope_keys('workloads', 'view');
SET ROLE regress_rls_nobody;
SELECT runai_internal.rls_gate('workloads', 'view') AS nobody_gate, runai_internal.rls_scope_keys('workloads', 'view') AS nobody_keys;
SET ROLE regress_rls_alice;
SELECT runai_internal.rls_scope_keys('workloads', 'view') AS alice_keys;
SELECT runai_internal.rls_gate('workloads', 'view');
-- The index is judged from the rows, not from the share of the tree.  In
-- regress_rls_skew alice's two projects (1% of the tree) hold 80% of the rows: a
-- sequential scan pays; the viewer's department d1 (half of the tree) holds 2% of
-- them: the index pays.  A Viewer of the whole tenant sees every row but the
-- orphan: a sequential scan with the per-row check.  (The queries read a column
-- that is not in the index; for count(*) alone an index-only scan of the narrow
-- index can pay even for most rows, and the planner may take it.)
RESET ROLE;
CREATE TABLE regress_rls_skew (id bigint PRIMARY KEY, scope runai.scope NOT NULL, payload text NOT NULL);
CREATE INDEX regress_rls_skew_scope ON regress_rls_skew (scope);
INSERT INTO regress_rls_skew
  SELECT i, CASE WHEN i <= 16000 THEN 'project/201'
                 WHEN i <= 19600 THEN 'project/301'
                 WHEN i <= 19700 THEN 'project/101'
                 ELSE ('project/' || (1000 + i % 100))::runai.scope END, 'row'
    FROM generate_series(1, 20000) i;
VACUUM ANALYZE regress_rls_skew;
GRANT SELECT ON regress_rls_skew TO PUBLIC;
SELECT runai.protect('regress_rls_skew', 'scope');
CREATE ROLE regress_rls_tenant;      -- Viewer of tenant/acme
INSERT INTO runai_internal.users (email, type, created_by) VALUES ('tenant@x.io', 'local', 'regress');
SELECT runai.bind_db_role('tenant@x.io', 'regress_rls_tenant');
SELECT runai.add_access_rule('user', 'tenant@x.io', 'Viewer', 'tenant/acme') IS NOT NULL AS tenant_rule;
SET ROLE regress_rls_alice;
EXPLAIN (COSTS OFF) SELECT count(payload) FROM regress_rls_skew;
SELECT count(payload) FROM regress_rls_skew;
SET ROLE regress_rls_viewer;
EXPLAIN (COSTS OFF) SELECT count(payload) FROM regress_rls_skew;
SELECT count(payload) FROM regress_rls_skew;
SET ROLE regress_rls_tenant;
EXPLAIN (COSTS OFF) SELECT count(payload) FROM regress_rls_big;
SELECT count(payload) FROM regress_rls_big;
RESET ROLE;
-- integer ids get the index too
RESET ROLE;
CREATE TABLE regress_rls_big_int AS SELECT id, runai.scope_id(scope)::integer AS project_id, payload
  FROM regress_rls_big WHERE scope OPERATOR(pg_catalog.<>) 'project/999';
CREATE INDEX ON regress_rls_big_int (project_id);
VACUUM ANALYZE regress_rls_big_int;
GRANT SELECT ON regress_rls_big_int TO PUBLIC;
SELECT runai.protect('regress_rls_big_int', 'project_id', scope_type => 'project');
SET ROLE regress_rls_alice;
EXPLAIN (COSTS OFF) SELECT count(*) FROM regress_rls_big_int;
SELECT count(*) FROM regress_rls_big_int;
RESET ROLE;

-- A prepared statement and a PL/pgSQL function, planned for alice, reused after her
-- rules change.
CREATE FUNCTION regress_rls_count() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT count(*) FROM regress_rls_big);
END
$$;
SET ROLE regress_rls_alice;
PREPARE q AS SELECT count(*) FROM regress_rls_big;
EXECUTE q;
SELECT regress_rls_count();
RESET ROLE;
-- a rule at system: every row, also the one whose project is not in the tree
SELECT runai.add_access_rule('user', 'alice@x.io', 'System administrator', 'system') AS alice_admin \gset
SET ROLE regress_rls_alice;
EXECUTE q;
SELECT regress_rls_count();
RESET ROLE;
SELECT runai.delete_access_rule(:alice_admin);
SET ROLE regress_rls_alice;
EXECUTE q;
SELECT regress_rls_count();
RESET ROLE;
-- a revoke
SELECT runai.delete_access_rule(:alice_201);
SET ROLE regress_rls_alice;
EXECUTE q;
SELECT regress_rls_count();
EXPLAIN (COSTS OFF) EXECUTE q;
-- the same statement for another subject
SET ROLE regress_rls_dept;
EXECUTE q;
SELECT regress_rls_count();
RESET ROLE;
-- a rule that has expired grants nothing
SELECT runai.add_access_rule('user', 'alice@x.io', 'L1 researcher', 'project/301',
                             now() + interval '1 second') IS NOT NULL AS expiring;
SELECT pg_sleep(1.2);
SET ROLE regress_rls_alice;
EXECUTE q;
RESET ROLE;
DEALLOCATE q;

-- Parallel workers answer like the leader
SET ROLE regress_rls_dept;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET force_parallel_mode = on;
SET parallel_leader_participation = off;  -- the workers scan
EXPLAIN (COSTS OFF) SELECT count(*) FROM regress_rls_big;
SELECT count(*) FROM regress_rls_big;
SELECT count(*) FROM runai.workloads;
RESET force_parallel_mode;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
RESET ROLE;

-- ---------------------------------------------------------------------------
-- Clean up
-- ---------------------------------------------------------------------------
DROP TABLE regress_rls_jobs_int, regress_rls_jobs_big, regress_rls_jobs_text, regress_rls_jobs_uuid,
  regress_rls_jobs_dept, regress_rls_dates, regress_rls_denied, regress_rls_big, regress_rls_big_int,
  regress_rls_skew CASCADE;
DROP FUNCTION regress_rls_count();
DROP OPERATOR <<< (text, text);
DROP FUNCTION regress_rls_leak(text), regress_rls_leak2(text, text), regress_rls_tripwire(text);
DROP EXTENSION runai_rbac CASCADE;
DROP ROLE regress_rls_alice, regress_rls_dept, regress_rls_admin, regress_rls_viewer, regress_rls_uuid,
  regress_rls_nobody, regress_rls_owner, regress_rls_tenant;
