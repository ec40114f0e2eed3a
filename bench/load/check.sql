-- pgbench: permission checks by a random bound user (tools/tests/concurrency.sh).
-- Variables (pgbench -D): nusers, ndepts, ppd, nprojects.  pgbench replaces :name even
-- inside string literals, and a client keeps its variables from script to script, so
-- no script of bench/load names a variable u ('user:u' below would meet it).
-- u<n> is an L1 researcher of department d<((n-1) % ndepts) + 1> for good, and never
-- gets a role that grants access_rules.  A wrong answer is an error ("invalid
-- input syntax for type integer: wrong answer ..."; the text is not a constant, so
-- the planner cannot raise it early), which pgbench counts.
\set uid random(1, :nusers)
\set d ((:uid - 1) % :ndepts) + 1
\set p (:d - 1) * :ppd + random(1, :ppd)
\set q random(1, :nprojects)
SELECT pg_catalog.set_config('role', 'regress_conc_u' || :uid, false);
SELECT CASE WHEN runai.can('workloads', 'view', ('project/p' || :p)::runai.scope)
             AND runai.can('workloads', 'create', ('department/d' || :d)::runai.scope)
             AND NOT runai.can('access_rules', 'create', ('project/p' || :p)::runai.scope)
             AND NOT runai.can('workloads', 'view', 'tenant/conc')
            THEN 1 ELSE ('wrong answer ' || pg_catalog.clock_timestamp())::integer END AS checked;
SELECT runai.can('workloads', 'edit', ('project/p' || :q)::runai.scope);
SELECT count(*) FROM runai.permitted_scopes('workloads', 'view');
RESET ROLE;
SELECT CASE WHEN runai.has_permission('user:u' || :uid || '@conc.test', 'workloads', 'delete', ('project/p' || :p)::runai.scope)
            THEN 1 ELSE ('wrong answer ' || pg_catalog.clock_timestamp())::integer END AS checked;
