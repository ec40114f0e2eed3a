-- The data types runai.scope and runai.actionset: input and output, binary
-- send/receive, operators, operator classes (btree, hash), casts, the aggregate.
CREATE EXTENSION runai_rbac;
-- The operators live in pg_catalog: the default search path finds them.
\set VERBOSITY terse

-- Catches the error of a cast, so that many inputs fit in one table.
CREATE FUNCTION pg_temp.try_scope(t text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE hint text;
BEGIN
  RETURN t::runai.scope::text;
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
  RETURN SQLSTATE || ' ' || hint;
END $$;
CREATE FUNCTION pg_temp.try_actionset(t text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE hint text;
BEGIN
  RETURN t::runai.actionset::text;
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
  RETURN SQLSTATE || ' ' || hint;
END $$;

-- ===========================================================================
-- runai.scope
-- ===========================================================================

-- Valid values of every level, with the accessors.
SELECT s::runai.scope AS scope,
       runai.scope_type(s::runai.scope) AS type,
       runai.scope_id(s::runai.scope) AS id,
       runai.scope_id(s::runai.scope) IS NULL AS id_is_null
FROM (VALUES ('system'), ('tenant/acme'), ('cluster/3f6c0e1a-7b2d-4c1e-9a8b-0123456789ab'),
             ('department/dept_1'), ('project/42'), ('project/AZaz09._:-'),
             ('project/x'), ('tenant/:'), ('cluster/...')) v(s);

-- The longest id (63 characters) is accepted, and round-trips.
SELECT length(s::text), s::text = 'project/' || repeat('x', 63) AS same
FROM (SELECT ('project/' || repeat('x', 63))::runai.scope AS s) q;

-- Invalid text: the error code (22P02) and the hint that says what to fix.
SELECT to_json(t) AS input, pg_temp.try_scope(t) AS result
FROM (VALUES (''), ('system/1'), ('system/'), ('project/'), ('project'), ('tenant'),
             ('project/' || repeat('x', 64)), ('project/4 2'), ('project/a/b'),
             ('project/é'), ('project/a*'), (E'project/a\tb'), ('workspace/1'),
             ('/42'), ('/'), ('project//42'), (' project/42'), ('project/42 '),
             (E'system\n'), ('Project/42'), ('SYSTEM'), ('System'), ('PROJECT/42'),
             ('projects/42'), ('proj/42'), ('tenant42'), ('null')) v(t);

-- The full error: message, detail and hint.
\set VERBOSITY default
SELECT 'project/'::runai.scope;
SELECT 'Tenant/acme'::runai.scope;
-- A huge input is quoted only in part, and the detail says so.
SELECT repeat('x', 10000)::runai.scope;
\set VERBOSITY terse

-- Text round trip: the output is the input for every valid value.
SELECT count(*) AS values, count(*) FILTER (WHERE s::runai.scope::text = s) AS round_trips
FROM (VALUES ('system'), ('tenant/acme'), ('cluster/c-1'), ('department/d.2'),
             ('project/p:3'), ('project/' || repeat('Z', 63))) v(s);

-- The constructor runai.scope(type, id).
SELECT runai.scope('system', NULL), runai.scope('tenant', 'acme'),
       runai.scope('cluster', 'c1'), runai.scope('department', 'd1'),
       runai.scope('project', '42');
SELECT runai.scope('project', '42') = 'project/42' AS same;
SELECT runai.scope('system', 'x');
SELECT runai.scope('system', '');
SELECT runai.scope('project', NULL);
SELECT runai.scope(NULL, '42');
SELECT runai.scope(NULL, NULL);
SELECT runai.scope('Project', '42');
SELECT runai.scope('workspace', '42');
SELECT runai.scope('project', '');
SELECT runai.scope('project', '4/2');
SELECT runai.scope('project', repeat('x', 64));
SELECT runai.scope_type(NULL), runai.scope_id(NULL);

-- The binary form is the text form as bytes.
SELECT runai_internal.scope_send('system') AS system, runai_internal.scope_send('project/42') AS project;

-- Comparison: every operator on every pair of a few values.
CREATE TEMP TABLE sv (s runai.scope);
INSERT INTO sv VALUES ('system'), ('tenant/b'), ('cluster/a'), ('project/4'), ('project/42'),
                      ('project/5'), ('project/B'), ('project/a');
SELECT a.s AS a, b.s AS b, a.s = b.s AS eq, a.s <> b.s AS ne, a.s < b.s AS lt,
       a.s <= b.s AS le, a.s > b.s AS gt, a.s >= b.s AS ge, runai_internal.scope_cmp(a.s, b.s) AS cmp
FROM sv a CROSS JOIN sv b
WHERE a.s IN ('project/4', 'cluster/a') OR b.s = 'project/42'
ORDER BY a.s, b.s;
-- The operators agree with the comparison function on all 64 pairs.
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE (a.s = b.s) = (c = 0) AND (a.s <> b.s) = (c <> 0)
                          AND (a.s < b.s) = (c < 0) AND (a.s <= b.s) = (c <= 0)
                          AND (a.s > b.s) = (c > 0) AND (a.s >= b.s) = (c >= 0)
                          AND c = -runai_internal.scope_cmp(b.s, a.s)) AS consistent
FROM sv a CROSS JOIN sv b, LATERAL (SELECT runai_internal.scope_cmp(a.s, b.s) AS c) x;

-- ORDER BY: level first (system < tenant < cluster < department < project), then
-- id bytes, a shorter id first on a common prefix.
SELECT s FROM (VALUES ('project/a'::runai.scope), ('department/z'), ('project/42'),
                      ('system'), ('project/B'), ('tenant/z'), ('cluster/a'),
                      ('project/4'), ('project/5'), ('tenant/a'), ('project/-'))
  v(s) ORDER BY s;
SELECT s FROM sv ORDER BY s DESC;

-- Stored values (short varlena headers) against freshly built ones: the accessors,
-- equality and the hash functions give the same answers.
CREATE TABLE scopes (id int PRIMARY KEY, s runai.scope NOT NULL);
INSERT INTO scopes
SELECT i, CASE WHEN i % 100 = 0 THEN runai.scope('department', (i / 100)::text)
               ELSE runai.scope('project', (i % 100)::text) END
FROM generate_series(1, 1000) i;
INSERT INTO scopes VALUES (0, 'system'), (1001, 'tenant/acme');
SELECT count(*) AS rows,
       count(*) FILTER (WHERE s = s::text::runai.scope) AS eq,
       count(*) FILTER (WHERE runai_internal.scope_hash(s) = runai_internal.scope_hash(s::text::runai.scope)) AS hash,
       count(*) FILTER (WHERE runai_internal.scope_hash_extended(s, 42) = runai_internal.scope_hash_extended(s::text::runai.scope, 42)) AS hash_ext,
       count(*) FILTER (WHERE runai.scope(runai.scope_type(s), runai.scope_id(s)) = s) AS parts
FROM scopes;
SELECT runai_internal.scope_hash_extended('project/1', 0) = runai_internal.scope_hash_extended('project/1', 1) AS seed_ignored;
SELECT count(DISTINCT runai_internal.scope_hash(s)) AS distinct_hashes, count(DISTINCT s) AS distinct_scopes FROM scopes;

-- DISTINCT and GROUP BY, sorted and hashed.
SELECT DISTINCT s FROM scopes WHERE s < 'project/11' ORDER BY s;
SET enable_hashagg = off;
SELECT runai.scope_type(s) AS type, count(*) FROM scopes GROUP BY 1 ORDER BY 1;
SELECT s, count(*) FROM scopes WHERE s >= 'project/97' GROUP BY s ORDER BY s;
RESET enable_hashagg;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT s, count(*) FROM scopes GROUP BY s;
SELECT s, count(*) FROM scopes WHERE s >= 'project/97' GROUP BY s ORDER BY s;
RESET enable_sort;

-- Joins: hash join, merge join, with stored and fresh values on either side.
CREATE TEMP TABLE wanted AS
SELECT s::runai.scope AS s FROM (VALUES ('project/7'), ('project/77'), ('department/3'),
                                        ('system'), ('project/nope')) v(s);
ANALYZE scopes; ANALYZE wanted;
SET enable_mergejoin = off; SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT w.s, count(x.id) FROM wanted w LEFT JOIN scopes x ON x.s = w.s GROUP BY w.s;
SELECT w.s, count(x.id) FROM wanted w LEFT JOIN scopes x ON x.s = w.s GROUP BY w.s ORDER BY w.s;
RESET enable_mergejoin; SET enable_hashjoin = off;
EXPLAIN (COSTS OFF) SELECT w.s, count(x.id) FROM wanted w LEFT JOIN scopes x ON x.s = w.s GROUP BY w.s;
SELECT w.s, count(x.id) FROM wanted w LEFT JOIN scopes x ON x.s = w.s GROUP BY w.s ORDER BY w.s;
RESET enable_hashjoin; RESET enable_nestloop;

-- A btree index on a scope column: equality and ranges use it.
CREATE INDEX scopes_s_idx ON scopes (s);
VACUUM ANALYZE scopes;
SET enable_seqscan = off; SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM scopes WHERE s = 'project/42';
SELECT count(*), min(id), max(id) FROM scopes WHERE s = 'project/42';
EXPLAIN (COSTS OFF) SELECT s FROM scopes WHERE s > 'project/95' AND s <= 'project/97';
SELECT s, count(*) FROM scopes WHERE s > 'project/95' AND s <= 'project/97' GROUP BY s ORDER BY s;
SELECT count(*) FROM scopes WHERE s < 'project/0';
EXPLAIN (COSTS OFF) SELECT s FROM scopes ORDER BY s LIMIT 3;
SELECT s FROM scopes ORDER BY s LIMIT 3;
SELECT s FROM scopes ORDER BY s DESC LIMIT 2;
-- The index and a sequential scan find the same rows.
SELECT count(*) FROM scopes WHERE s >= 'department/2' AND s < 'project/2';
RESET enable_seqscan; RESET enable_bitmapscan;
SELECT count(*) FILTER (WHERE s >= 'department/2' AND s < 'project/2') FROM scopes;
-- amcheck: the index order is the operator class order, and every row is indexed.
CREATE EXTENSION amcheck;
SELECT bt_index_check('scopes_s_idx', true);
DROP EXTENSION amcheck;

-- Unique and hash indexes.
CREATE UNIQUE INDEX ON wanted (s);
INSERT INTO wanted VALUES ('project/7');
DROP INDEX scopes_s_idx;
CREATE INDEX scopes_s_hash ON scopes USING hash (s);
SET enable_seqscan = off; SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM scopes WHERE s = 'tenant/acme';
SELECT id FROM scopes WHERE s = 'tenant/acme';
RESET enable_seqscan; RESET enable_bitmapscan;

-- Binary COPY round trip: runai_internal.scope_send and runai_internal.scope_recv (and the same for
-- runai.actionset), through a file written and read by psql.
CREATE TABLE typed_bin (s runai.scope, a runai.actionset);
INSERT INTO typed_bin VALUES ('system', '{}'), ('tenant/acme', '{view}'),
  ('cluster/c-1', '{view,edit,create,delete}'), ('department/d.2', '{edit,delete}'),
  ('project/' || repeat('p', 63), '{create}'), (NULL, NULL);
\copy typed_bin TO 'results/types_binary.copy' (FORMAT binary)
CREATE TABLE typed_bin2 (LIKE typed_bin);
\copy typed_bin2 FROM 'results/types_binary.copy' (FORMAT binary)
SELECT s, a FROM typed_bin2 ORDER BY s;
SELECT (SELECT count(*) FROM typed_bin2) AS copied,
       (SELECT count(*) FROM typed_bin a JOIN typed_bin2 b ON a.s = b.s AND a.a = b.a) AS equal;
-- The binary form of a scope is its text form: a text column reads back as scopes...
CREATE TABLE text_bin (s text);
INSERT INTO text_bin VALUES ('tenant/from-text');
\copy text_bin TO 'results/types_text.copy' (FORMAT binary)
CREATE TABLE scope_in (s runai.scope);
\copy scope_in FROM 'results/types_text.copy' (FORMAT binary)
SELECT s, runai.scope_type(s) FROM scope_in;
-- ...and runai_internal.scope_recv rejects what the text input rejects (22P03).
TRUNCATE text_bin;
INSERT INTO text_bin VALUES ('project/');
\copy text_bin TO 'results/types_text.copy' (FORMAT binary)
\copy scope_in FROM 'results/types_text.copy' (FORMAT binary)
TRUNCATE text_bin;
INSERT INTO text_bin VALUES ('System');
\copy text_bin TO 'results/types_text.copy' (FORMAT binary)
\set VERBOSITY default
\copy scope_in FROM 'results/types_text.copy' (FORMAT binary)
\set VERBOSITY terse
SELECT count(*) FROM scope_in;
-- runai_internal.actionset_recv takes one byte with bits 1, 2, 4 and 8 only.
CREATE TABLE char_bin (c "char");
INSERT INTO char_bin VALUES (5::"char");
\copy char_bin TO 'results/types_char.copy' (FORMAT binary)
CREATE TABLE actionset_in (a runai.actionset);
\copy actionset_in FROM 'results/types_char.copy' (FORMAT binary)
SELECT a FROM actionset_in;
TRUNCATE char_bin;
INSERT INTO char_bin VALUES (16::"char");
\copy char_bin TO 'results/types_char.copy' (FORMAT binary)
\set VERBOSITY default
\copy actionset_in FROM 'results/types_char.copy' (FORMAT binary)
\set VERBOSITY terse
CREATE TABLE int2_bin (i int2);
INSERT INTO int2_bin VALUES (1);
\copy int2_bin TO 'results/types_int2.copy' (FORMAT binary)
\copy actionset_in FROM 'results/types_int2.copy' (FORMAT binary)
SELECT count(*) FROM actionset_in;

-- ===========================================================================
-- runai.actionset
-- ===========================================================================

-- Valid text: canonical output, aliases, any case, white space, duplicates.
SELECT to_json(t) AS input, pg_temp.try_actionset(t) AS result
FROM (VALUES ('{}'), ('{ }'), ('{view}'), ('{edit}'), ('{create}'), ('{delete}'),
             ('{delete,create,edit,view}'), ('{read}'), ('{update}'), ('{READ,Update}'),
             ('{View,EDIT}'), (E' \t{ view ,\n edit }\r\n'), ('{view,view,read}'),
             ('{create,delete}'), ('{ delete }')) v(t);
-- Invalid text.
SELECT to_json(t) AS input, pg_temp.try_actionset(t) AS result
FROM (VALUES (''), ('   '), ('view'), ('view,edit'), ('{'), ('}'), ('{view'), ('{view,'),
             ('{view,}'), ('{,view}'), ('{,}'), ('{view,,edit}'), ('{view edit}'),
             ('{view}}'), ('{{view}}'), ('{view} x'), ('{view};'), ('{"view"}'),
             ('{vieww}'), ('{all}'), ('{list}'), ('{views}'), ('{vi ew}'), ('{NULL}'),
             ('[view]'), ('(view)')) v(t);
\set VERBOSITY default
SELECT '{view,wrte}'::runai.actionset;
SELECT ('{' || repeat('view,', 2000) || '}')::runai.actionset;
\set VERBOSITY terse

-- The binary form is one byte: 1 view, 2 edit, 4 create, 8 delete.
SELECT runai_internal.actionset_send('{}') AS none, runai_internal.actionset_send('{view}') AS view,
       runai_internal.actionset_send('{edit}') AS edit, runai_internal.actionset_send('{create}') AS "create",
       runai_internal.actionset_send('{delete}') AS "delete", runai_internal.actionset_send('{view,edit,create,delete}') AS "all";

-- All 16 sets round-trip through text, text[] and the binary form.
CREATE TEMP TABLE av AS
SELECT runai.actionset(ARRAY(SELECT n FROM unnest(ARRAY['view','edit','create','delete']) WITH ORDINALITY u(n, k)
                            WHERE i & (1 << (k::int - 1)) <> 0)) AS a, i
FROM generate_series(0, 15) i;
SELECT i, a, runai.actions(a), runai_internal.actionset_send(a) AS bytes FROM av ORDER BY i;
SELECT count(*) FILTER (WHERE a::text::runai.actionset = a) AS text_trips,
       count(*) FILTER (WHERE runai.actionset(runai.actions(a)) = a) AS array_trips,
       count(*) FILTER (WHERE get_byte(runai_internal.actionset_send(a), 0) = i) AS bytes_are_bits,
       count(DISTINCT a) AS distinct_sets
FROM av;

-- Set operators.
SELECT a.a AS a, b.a AS b, a.a @> b.a AS contains, a.a <@ b.a AS contained,
       a.a && b.a AS overlaps, a.a | b.a AS "union", a.a & b.a AS intersection,
       a.a = b.a AS eq, a.a <> b.a AS ne
FROM (VALUES ('{}'::runai.actionset), ('{view}'), ('{view,edit}'), ('{create,delete}'), ('{view,edit,create,delete}')) a(a)
CROSS JOIN (VALUES ('{}'::runai.actionset), ('{view}'), ('{edit,create}'), ('{view,edit,create,delete}')) b(a)
ORDER BY a.a, b.a;
-- The operators are the set operations on all 256 pairs.
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE (x.a @> y.a) = (x.i & y.i = y.i) AND (x.a <@ y.a) = (x.i & y.i = x.i)
                          AND (x.a && y.a) = (x.i & y.i <> 0)
                          AND get_byte(runai_internal.actionset_send(x.a | y.a), 0) = x.i | y.i
                          AND get_byte(runai_internal.actionset_send(x.a & y.a), 0) = x.i & y.i
                          AND (x.a = y.a) = (x.i = y.i) AND (x.a <> y.a) = (x.i <> y.i)
                          AND (x.a < y.a) = (x.i < y.i) AND (x.a <= y.a) = (x.i <= y.i)
                          AND (x.a > y.a) = (x.i > y.i) AND (x.a >= y.a) = (x.i >= y.i)
                          AND sign(runai_internal.actionset_cmp(x.a, y.a)) = sign(x.i - y.i)) AS correct
FROM av x CROSS JOIN av y;
-- ORDER BY, DISTINCT, GROUP BY and a hash join on action sets.
SELECT a FROM av WHERE a <@ '{view,edit}' ORDER BY a DESC;
SELECT DISTINCT a & '{view,delete}' AS a FROM av ORDER BY 1;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT a & '{edit}' AS a, count(*) FROM av GROUP BY 1;
SELECT * FROM (SELECT a & '{edit}' AS a, count(*) FROM av GROUP BY 1) q ORDER BY a;
RESET enable_sort;
SET enable_mergejoin = off; SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM av x JOIN av y ON x.a = (y.a | '{view}');
SELECT count(*) FROM av x JOIN av y ON x.a = (y.a | '{view}');
RESET enable_mergejoin; RESET enable_nestloop;
SELECT runai_internal.actionset_hash('{view}') = runai_internal.actionset_hash('{read}') AS alias_same_hash,
       runai_internal.actionset_hash('{view}') <> runai_internal.actionset_hash('{edit}') AS differs,
       runai_internal.actionset_hash_extended('{view}', 7) = runai_internal.actionset_hash_extended('{read}', 7) AS ext_same;

-- Membership by name.
SELECT runai.actionset_has('{view,delete}', 'view') AS view, runai.actionset_has('{view,delete}', 'READ') AS read,
       runai.actionset_has('{view,delete}', 'edit') AS edit, runai.actionset_has('{view,delete}', 'update') AS update,
       runai.actionset_has('{view,delete}', 'delete') AS delete, runai.actionset_has('{}', 'create') AS "create",
       runai.actionset_has(NULL, 'view') AS null_set, runai.actionset_has('{view}', NULL) AS null_name;
SELECT runai.actionset_has('{view}', 'destroy');
SELECT runai.actionset_has('{view}', '');
SELECT runai.actionset_has('{view}', ' view');

-- Casts: text and text[] both ways, explicitly and on assignment.
SELECT '{edit,view}'::text::runai.actionset AS from_text,
       '{edit,view}'::runai.actionset::text AS to_text,
       ARRAY['Delete', 'read']::runai.actionset AS from_array,
       '{view,create}'::runai.actionset::text[] AS to_array,
       ARRAY[]::text[]::runai.actionset AS from_empty_array,
       '{}'::runai.actionset::text[] AS to_empty_array;
CREATE TEMP TABLE cast_target (a runai.actionset, t text, ta text[]);
INSERT INTO cast_target (a) SELECT '{create}'::text;
INSERT INTO cast_target (a) SELECT ARRAY['update', 'update'];
INSERT INTO cast_target (t, ta) SELECT '{delete,view}'::runai.actionset, '{delete,view}'::runai.actionset;
SELECT * FROM cast_target;
SELECT ARRAY['view', NULL]::runai.actionset;
SELECT ARRAY['view', 'destroy']::runai.actionset;
SELECT runai.actionset('[0:1]={edit,bogus}'::text[]);
SELECT ARRAY[['view'], ['edit']]::runai.actionset;
\set VERBOSITY default
SELECT ARRAY['view', 'edit', NULL]::runai.actionset;
SELECT ARRAY['view', 'vue']::runai.actionset;
\set VERBOSITY terse
SELECT 'bogus'::text::runai.actionset;
SELECT runai.actionset(NULL::text[]), runai.actions(NULL);

-- The aggregate: union per group, ignores NULLs, NULL for no rows or only NULLs.
CREATE TABLE grants (role text, a runai.actionset);
INSERT INTO grants VALUES ('r1', '{view}'), ('r1', '{edit}'), ('r1', NULL), ('r2', '{delete}'),
                          ('r2', '{delete,view}'), ('r3', NULL), ('r4', '{}');
SELECT role, runai.actionset_agg(a) FROM grants GROUP BY role ORDER BY role;
SELECT runai.actionset_agg(a) IS NULL AS no_rows FROM grants WHERE false;
SELECT runai.actionset_agg(a) FROM grants;
-- In parallel, with the combine function.
INSERT INTO grants SELECT 'bulk', CASE WHEN i = 77777 THEN '{create}' ELSE '{view}' END::runai.actionset
FROM generate_series(1, 100000) i;
ANALYZE grants;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT runai.actionset_agg(a) FROM grants WHERE role = 'bulk';
SELECT runai.actionset_agg(a) FROM grants WHERE role = 'bulk';
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- A btree index on an action set column.
CREATE INDEX grants_a_idx ON grants (a);
SET enable_seqscan = off; SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM grants WHERE a = '{create}';
SELECT role FROM grants WHERE a = '{create}';
RESET enable_seqscan; RESET enable_bitmapscan;

-- ===========================================================================
-- Scopes and text: the operators in pg_catalog read the text as a scope
-- ===========================================================================

CREATE TABLE st (id int, s runai.scope, t text);
INSERT INTO st SELECT i, ('project/' || i)::runai.scope, 'project/' || i FROM generate_series(1, 2000) i;
INSERT INTO st VALUES (0, 'system', 'system');
CREATE INDEX st_s_idx ON st (s);
ANALYZE st;
-- Every comparison, in both directions, answers as the comparison of two scopes.
SELECT a.t AS text_value, b.s AS scope,
       b.s = a.t AS eq, b.s <> a.t AS ne, b.s < a.t AS lt, b.s <= a.t AS le, b.s > a.t AS gt, b.s >= a.t AS ge,
       a.t = b.s AS eq_r, a.t <> b.s AS ne_r, a.t < b.s AS lt_r, a.t <= b.s AS le_r, a.t > b.s AS gt_r, a.t >= b.s AS ge_r
FROM st a, st b WHERE a.id IN (0, 5) AND b.id IN (0, 5, 40) ORDER BY a.id, b.id;
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE (b.s = a.t) = (b.s = a.t::runai.scope) AND (b.s < a.t) = (b.s < a.t::runai.scope)
                          AND (a.t >= b.s) = (a.t::runai.scope >= b.s)) AS same_as_cast
FROM st a, st b WHERE a.id % 97 = 0 AND b.id % 89 = 0;
-- NULL in, NULL out; text that is not a scope is an error, as a cast would be.
SELECT 'project/1'::runai.scope = NULL::text AS null_text, NULL::runai.scope = 'project/1'::text AS null_scope;
SELECT 'project/1'::runai.scope = 'project 1'::text;
SELECT 'Project/1'::text <> 'project/1'::runai.scope;
-- The planner sees through them: a text parameter uses the index of a scope column,
-- a join of a scope column with a text column hashes scopes.
PREPARE by_text(text) AS SELECT id FROM st WHERE s = $1;
EXPLAIN (COSTS OFF) EXECUTE by_text('project/42');
EXECUTE by_text('project/42');
DEALLOCATE by_text;
SET enable_mergejoin = off; SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM st a JOIN st b ON a.s = b.t;
SELECT count(*) FROM st a JOIN st b ON a.s = b.t;
RESET enable_mergejoin; RESET enable_nestloop;
DROP TABLE st;

-- ===========================================================================
-- Catalog properties of the objects above
-- ===========================================================================

-- The C functions of this file (other parts of the extension have their own).
CREATE TEMP VIEW type_funcs AS
SELECT p.* FROM pg_proc p
WHERE p.probin = '$libdir/runai_rbac' AND p.prosrc IN (
  'rbac_scope_in', 'rbac_scope_out', 'rbac_scope_recv', 'rbac_scope_send',
  'rbac_scope_eq', 'rbac_scope_ne', 'rbac_scope_lt', 'rbac_scope_le', 'rbac_scope_gt',
  'rbac_scope_ge', 'rbac_scope_cmp', 'rbac_scope_hash', 'rbac_scope_hash_extended',
  'rbac_scope_type_sql', 'rbac_scope_id_sql', 'rbac_scope_construct',
  'rbac_actionset_in', 'rbac_actionset_out', 'rbac_actionset_recv', 'rbac_actionset_send',
  'rbac_actionset_eq', 'rbac_actionset_ne', 'rbac_actionset_lt', 'rbac_actionset_le',
  'rbac_actionset_gt', 'rbac_actionset_ge', 'rbac_actionset_cmp', 'rbac_actionset_hash',
  'rbac_actionset_hash_extended', 'rbac_actionset_contains', 'rbac_actionset_contained',
  'rbac_actionset_overlaps', 'rbac_actionset_union', 'rbac_actionset_intersect',
  'rbac_actionset_from_text_array', 'rbac_actionset_to_text_array', 'rbac_actionset_has');
SELECT count(*) AS c_functions FROM type_funcs;
-- Every one is IMMUTABLE and PARALLEL SAFE, and STRICT except the constructor.
SELECT oid::regprocedure AS bad_function FROM type_funcs
WHERE provolatile <> 'i' OR proparallel <> 's'
   OR proisstrict <> (oid <> 'runai.scope(text,text)'::regprocedure);
-- LEAKPROOF: the comparison and set operators, which never fail on valid input;
-- not I/O, hashing, or lookups by name (which raise errors on bad names).
SELECT proname, proleakproof FROM type_funcs ORDER BY proleakproof DESC, proname;
SELECT a.aggfnoid::regprocedure, a.aggcombinefn, p.proparallel
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE a.aggfnoid = 'runai.actionset_agg(runai.actionset)'::regprocedure;
-- Casts and their contexts.
SELECT castsource::regtype, casttarget::regtype, castcontext, castmethod, castfunc::regprocedure
FROM pg_cast
WHERE castsource IN ('runai.scope'::regtype, 'runai.actionset'::regtype)
   OR casttarget IN ('runai.scope'::regtype, 'runai.actionset'::regtype)
ORDER BY castsource::regtype::text, casttarget::regtype::text;
-- Operators: every one in pg_catalog, so that the default search path finds them
-- first; those with text are SQL functions (see "Scopes and text" above).
CREATE TEMP VIEW type_operators AS
SELECT o.* FROM pg_operator o
WHERE o.oprleft IN ('runai.scope'::regtype, 'runai.actionset'::regtype)
   OR o.oprright IN ('runai.scope'::regtype, 'runai.actionset'::regtype);
SELECT o.oprnamespace::regnamespace AS schema, o.oprname, o.oprleft::regtype, o.oprright::regtype,
       o.oprresult::regtype, o.oprcom::regoperator AS commutator, o.oprnegate::regoperator AS negator,
       o.oprcanhash AS hashes, o.oprcanmerge AS merges, o.oprcode
FROM type_operators o
ORDER BY o.oprleft::regtype::text, o.oprright::regtype::text, o.oprname;
-- Operator classes and their members.
SELECT c.opcname, am.amname, c.opcintype::regtype, c.opcdefault,
       (SELECT string_agg(a.amopstrategy || ':' || a.amopopr::regoper, ' ' ORDER BY a.amopstrategy)
        FROM pg_amop a WHERE a.amopfamily = c.opcfamily) AS operators,
       (SELECT string_agg(p.amprocnum || ':' || p.amproc::regproc, ' ' ORDER BY p.amprocnum)
        FROM pg_amproc p WHERE p.amprocfamily = c.opcfamily) AS functions
FROM pg_opclass c JOIN pg_am am ON am.oid = c.opcmethod
WHERE c.opcintype IN ('runai.scope'::regtype, 'runai.actionset'::regtype)
ORDER BY 1, 2;
-- Every object of the two types has a comment: none is listed here.
CREATE TEMP VIEW type_objects AS
  SELECT 'pg_proc'::regclass AS classoid, oid FROM type_funcs
  UNION ALL SELECT 'pg_proc'::regclass, 'runai.actionset_agg(runai.actionset)'::regprocedure
  UNION ALL SELECT 'pg_type'::regclass, oid FROM pg_type WHERE oid IN ('runai.scope'::regtype, 'runai.actionset'::regtype)
  UNION ALL SELECT 'pg_operator'::regclass, o.oid FROM type_operators o
  UNION ALL SELECT 'pg_proc'::regclass, o.oprcode FROM type_operators o WHERE o.oprcode NOT IN (SELECT oid FROM type_funcs)
  UNION ALL SELECT 'pg_opclass'::regclass, oid FROM pg_opclass
            WHERE opcintype IN ('runai.scope'::regtype, 'runai.actionset'::regtype)
  UNION ALL SELECT 'pg_opfamily'::regclass, opcfamily FROM pg_opclass
            WHERE opcintype IN ('runai.scope'::regtype, 'runai.actionset'::regtype)
  UNION ALL SELECT 'pg_cast'::regclass, oid FROM pg_cast
            WHERE castsource IN ('runai.scope'::regtype, 'runai.actionset'::regtype)
               OR casttarget IN ('runai.scope'::regtype, 'runai.actionset'::regtype);
SELECT pg_describe_object(o.classoid, o.oid, 0) AS without_comment
FROM type_objects o
WHERE obj_description(o.oid, o.classoid::regclass::text) IS NULL;
SELECT count(*) AS objects FROM type_objects;
DROP VIEW type_objects, type_operators, type_funcs;

DROP TABLE sv, wanted, av, cast_target, scopes, typed_bin, typed_bin2, text_bin, scope_in, char_bin, actionset_in, int2_bin, grants;
DROP EXTENSION runai_rbac;
