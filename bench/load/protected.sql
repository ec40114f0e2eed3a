-- pgbench: queries on the protected table runai.workloads by a random bound user
-- (tools/tests/concurrency.sh).  Variables (pgbench -D): nusers, ndepts, ppd, wpp.
-- u<n> sees every row of its department's ppd projects (wpp each) for good; rows
-- named tmp-* come and go (this script inserts and deletes its own).  A wrong count
-- is an error ("invalid input syntax for type integer: wrong answer ..."), which
-- pgbench counts.
\set uid random(1, :nusers)
\set d ((:uid - 1) % :ndepts) + 1
\set p (:d - 1) * :ppd + random(1, :ppd)
SELECT pg_catalog.set_config('role', 'regress_conc_u' || :uid, false);
SELECT CASE WHEN count(*) = :wpp THEN 1 ELSE ('wrong answer ' || pg_catalog.clock_timestamp())::integer END AS checked
  FROM runai.workloads
 WHERE project OPERATOR(pg_catalog.=) ('project/p' || :p)::runai.scope AND name NOT LIKE 'tmp-%';
SELECT CASE WHEN count(*) >= :wpp * :ppd THEN 1 ELSE ('wrong answer ' || pg_catalog.clock_timestamp())::integer END AS checked
  FROM runai.workloads WHERE name NOT LIKE 'tmp-%';
INSERT INTO runai.workloads (name, kind, project)
VALUES ('tmp-' || :client_id, 'Workspace', ('project/p' || :p)::runai.scope);
UPDATE runai.workloads SET status = 'Running' WHERE name = 'tmp-' || :client_id;
DELETE FROM runai.workloads WHERE name = 'tmp-' || :client_id;
RESET ROLE;
