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

-- Writes keep the plans of other statements: a change of the extension's tables is
-- announced by an invalidation of its signal (runai_internal.signal_*), which no
-- plan reads but row-level security's, and a change of token subject invalidates
-- only the plans that depend on the subject.  regress_planned() counts plannings:
-- the planner evaluates an IMMUTABLE call once per plan it makes.
CREATE SEQUENCE regress_plannings;
CREATE FUNCTION regress_planned() RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN nextval('regress_plannings') > 0;
END
$$;
CREATE ROLE regress_cache_app;
GRANT USAGE ON SEQUENCE regress_plannings TO regress_cache_app;
SELECT runai.sso_sign_in('wide@x.io', '{}') AS wide_tok \gset
SELECT runai.sso_sign_in('narrow@x.io', '{}') AS narrow_tok \gset
SELECT runai.add_access_rule('user', 'wide@x.io', 'Viewer', 'system') IS NOT NULL AS wide_rule,
       runai.add_access_rule('user', 'narrow@x.io', 'Viewer', 'project/p1-1-1') IS NOT NULL AS narrow_rule;
INSERT INTO runai.workloads (name, kind, project)
  SELECT 'w' || i, 'Training', ('project/p1-1-' || (1 + i % 2))::runai.scope FROM generate_series(1, 10) i;
-- a statement on a table of the extension, planned once, kept across a rule change
PREPARE regress_rules AS SELECT count(*) > 0 AS has_rules FROM runai_internal.access_rules WHERE regress_planned();
EXECUTE regress_rules;
SELECT runai.add_access_rule('user', 'narrow@x.io', 'Viewer', 'project/p1-1-3') AS narrow_rule_2 \gset
SELECT runai.delete_access_rule(:narrow_rule_2);
EXECUTE regress_rules;
SELECT last_value AS plannings FROM regress_plannings;
-- a protected table's plan follows the token subject; the other plan stays
SET ROLE regress_cache_app;
SELECT runai.authenticate(:'wide_tok') IS NOT NULL AS wide;
PREPARE regress_seen AS SELECT count(*) AS seen FROM runai.workloads WHERE regress_planned();
EXECUTE regress_seen;
EXPLAIN (COSTS OFF) EXECUTE regress_seen;
SELECT runai.authenticate(:'narrow_tok') IS NOT NULL AS narrow;
EXECUTE regress_seen;
BEGIN;
SELECT runai.authenticate(:'wide_tok', local => true) IS NOT NULL AS wide_in_transaction;
EXECUTE regress_seen;
COMMIT;
EXECUTE regress_seen;
SELECT runai.sign_out();
EXECUTE regress_seen;
RESET ROLE;
EXECUTE regress_rules;
SELECT last_value AS plannings FROM regress_plannings;
DEALLOCATE regress_seen;
DEALLOCATE regress_rules;
DELETE FROM runai.workloads;
DROP FUNCTION regress_planned();
DROP SEQUENCE regress_plannings;
DROP ROLE regress_cache_app;
DROP EXTENSION runai_rbac;
