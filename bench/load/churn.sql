-- pgbench: access-rule changes by the System administrator (its bound role) while
-- the other scripts check (tools/tests/concurrency.sh).  Variables (pgbench -D):
-- nusers, nprojects.  Each client changes only the rules of its own user
-- u<(client_id % nusers) + 1> (so run at most nusers clients): an L2 researcher rule
-- on a random project, added and deleted again in two transactions.
\set c (:client_id % :nusers) + 1
\set q random(1, :nprojects)
SELECT pg_catalog.set_config('role', 'regress_conc_admin', false);
SELECT runai.add_access_rule('user', 'u' || :c || '@conc.test', 'L2 researcher', ('project/p' || :q)::runai.scope) AS rid \gset
SELECT runai.delete_access_rule(:rid);
RESET ROLE;
