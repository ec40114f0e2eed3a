#!/usr/bin/env bash
# SPEC section 8, scaling out on Citus: runai_rbac on a throwaway Citus cluster (a
# coordinator and two workers on loopback, metadata synced, and a fourth node added
# later; see tools/citus_cluster.sh), compared with one server started beside it.
# The four nodes take the first four consecutive free ports of 57100-57199 that no
# other run claims (free_tcp_ports: two checkouts may run this suite at once); the
# single server listens only on its socket.  Citus is not in Debian's archive:
# tools/ensure-citus.sh builds it once from a source tarball; when it is neither
# installed nor buildable this suite prints one line "SKIP: <why>" and exits 77
# (make test counts it skipped).
#
# What it checks:
#   - runai.distribute_catalog refuses without Citus, without the coordinator in the
#     metadata, on a worker and for a non-superuser; on the coordinator it makes the
#     13 tables of the catalog reference tables and runai.workloads a table
#     distributed by project with primary key (project, id), keeps every row and
#     binding made before, leaves the coordinator's shells empty, puts every trigger
#     on every placement of every node ENABLE ALWAYS and the foreign keys there, is
#     idempotent and recorded;
#   - every node answers from its own copy: checks, views and explanations on the
#     workers; the triggers on placements (the predefined catalog, the event history,
#     the last administrator); API changes and sign-ins refused on the workers (25006);
#     a change made on the coordinator commits on every node or on none (one worker
#     made to refuse it);
#   - a revoke and the end of a token session committed on the coordinator are seen
#     at the next statement of an open transaction on a worker;
#   - forwarding: a value set by hand, a proof for another role, for another
#     distributed transaction, set for the session in an earlier transaction, an
#     old one or one of an ended session gives no
#     subject (a forged proof with the right key, role and transaction shows the test
#     can tell); a proof accepted on the coordinator answers checks but changes
#     nothing in the catalog; proofs are masked in the workers' logs and pg_stat_activity; a
#     subject the coordinator's backend no longer has (a failed authenticate caught
#     by a savepoint, clear_subject) is taken back from the remote blocks also for
#     the shard queries of a table that is not protected, and inside a function
#     that changes it they are an error;
#   - the randomized comparison (tools/tests/citus_compare.py): subjects of every kind
#     run the same random SELECT, INSERT, UPDATE and DELETE on one server and on the
#     cluster (router and multi-shard, through the coordinator and on the workers)
#     and every answer is compared;
#   - routing: EXPLAIN's task count for narrow subjects, from the coordinator and a
#     worker, and a prepared statement planned again after a grant;
#   - a node added later fails closed until the reference tables reach it, then
#     answers from its own copy;
#   - no server crashed.
#
# Runs this tree's build from a private installation (the one of tools/test.sh when
# run from there, else its own), into which Citus's files are linked.
set -uo pipefail
cd "$(dirname "$0")/../.." || { echo "FAIL: cannot change to the top of the tree"; exit 1; }
. tools/citus_cluster.sh

DB=runai_citus
PY=/usr/bin/python3          # Debian's, which python3-psycopg installs into
failures=0
ok()      { echo "ok: $*"; }
bad()     { echo "FAIL: $*"; failures=$((failures + 1)); }
expect()  { if [ "$3" = "$2" ]; then ok "$1: $3"; else bad "$1: expected '$2', got '$3'"; fi; }
# expect_state NAME SQLSTATE OUTPUT: the output of psql -v VERBOSITY=verbose shows the error's code
expect_state() {
  if grep -q "ERROR:  $2:" <<<"$3"; then ok "$1: $2"
  else bad "$1: expected SQLSTATE $2, got: $(head -3 <<<"$3" | tr '\n' ' ')"; fi
}

tmp=$(mktemp -d /tmp/runai_citus.XXXXXX) || { bad "cannot create a temporary directory"; exit 1; }
chmod 755 "$tmp"
at_exit 'rm -rf "$tmp"'
start=$(date +%s)

# Citus itself: installed, or built now (its progress goes to a log, so that a skip
# is one line).
if ! why=$(citus_available 2>"$tmp/ensure-citus.log"); then
  echo "SKIP: citus.sh: ${why:-tools/ensure-citus.sh failed: $(tail -1 "$tmp/ensure-citus.log")}"
  exit 77
fi
grep -q 'Citus installed' "$tmp/ensure-citus.log" && sed 's/^/note: /' "$tmp/ensure-citus.log"
"$PY" -c 'import psycopg' 2>/dev/null || { bad "python3-psycopg is missing (make deps installs it)"; exit 1; }

if [ -z "${RUNAI_PRIVATE_ROOT:-}" ]; then
  make -s all >/dev/null || { bad "the build failed"; exit 1; }
  private_install "$tmp/inst" || { bad "the private installation could not be made"; exit 1; }
fi
private_install_citus "$RUNAI_PRIVATE_ROOT" || { bad "Citus could not be added to the private installation"; exit 1; }

echo "== a coordinator and two workers, and one server beside them"
# TCP ports for the coordinator, the two workers and the node added later, claimed
# until this script and its servers exit: another checkout's make test may be
# starting its own cluster at this very moment.
free_tcp_ports 57100 57199 4 || exit 1
PORT=$TCP_PORT
started=0
citus_cluster_start "$tmp/c" $PORT 2 $DB "log_min_messages = warning" && started=1
[ $started -eq 1 ] || { bad "the Citus cluster did not start"; exit 1; }
# the node added later, started now so that its port is not taken meanwhile
extra=$tmp/c/node3
cluster_start "$extra" $((PORT + 3)) "listen_addresses = '127.0.0.1'" "shared_preload_libraries = 'citus,runai_rbac'" \
  "max_prepared_transactions = 20" "max_connections = 60" "wal_level = logical" "log_min_messages = warning" \
  >"$tmp/node3.out" 2>&1 || { bad "the fourth node did not start: $(tail -3 "$tmp/node3.out")"; exit 1; }
q()  { citus_psql "$@"; }
qv() { citus_psql "$@" -v VERBOSITY=verbose 2>&1; }
ok "$(q 0 -c "SELECT citus_version()" | cut -d' ' -f1-2), ${#CITUS_NODES[@]} nodes with synced metadata"
# the single server listens only on a socket in its own directory: its port number
# only names the socket, and cannot collide with anything
single_dir=$tmp/single
SPORT=$((PORT + 4))
cluster_start "$single_dir" $SPORT >/dev/null || { bad "the single server did not start"; exit 1; }
qs() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$single_dir" -p $SPORT -U postgres -d $DB "$@"; }
psql -X -q -h "$single_dir" -p $SPORT -U postgres -d postgres -c "CREATE DATABASE $DB" \
  || { bad "the single server's database"; exit 1; }
qs -c "CREATE EXTENSION runai_rbac" || { bad "CREATE EXTENSION on the single server"; exit 1; }

# ---------------------------------------------------------------------------
echo "== the extension, before distribution"
q 0 -c "CREATE EXTENSION runai_rbac" || { bad "CREATE EXTENSION runai_rbac on the coordinator failed"; exit 1; }
version=$(q 0 -c "SELECT extversion FROM pg_extension WHERE extname = 'runai_rbac'")
for n in 1 2; do
  expect "runai_rbac on worker $n" "$version" "$(q $n -c "SELECT extversion FROM pg_extension WHERE extname = 'runai_rbac'")"
done
expect_state "distribute_catalog without Citus (one server)" 55000 \
  "$(qs -v VERBOSITY=verbose -c "SELECT runai.distribute_catalog()" 2>&1)"
expect_state "distribute_catalog on a worker" 55000 "$(qv 1 -c "SELECT runai.distribute_catalog()")"
# a database of the coordinator whose Citus metadata lacks the coordinator
CITUS_DB=postgres citus_psql 0 -c "CREATE DATABASE runai_nometa" >/dev/null
out=$(CITUS_DB=runai_nometa citus_psql 0 -v VERBOSITY=verbose -c "CREATE EXTENSION citus" \
        -c "CREATE EXTENSION runai_rbac" -c "SELECT runai.distribute_catalog()" 2>&1)
expect_state "distribute_catalog without the coordinator in the metadata" 55000 "$out"
grep -q "citus_set_coordinator_host" <<<"$out" && ok "  ... and the hint says how to add it" \
  || bad "the hint does not name citus_set_coordinator_host: $out"

q 0 >/dev/null <<'SQL' || { bad "setting up the catalog on the coordinator failed"; exit 1; }
SET client_min_messages = warning;
CREATE ROLE regress_citus_ana LOGIN;
CREATE ROLE regress_citus_bea LOGIN;
CREATE ROLE regress_citus_app LOGIN;
CREATE ROLE regress_citus_nobody LOGIN;
SELECT runai.create_scope('tenant', 'acme', 'Acme', 'system');
SELECT runai.create_scope('cluster', 'c1', 'Cluster 1', 'tenant/acme');
SELECT runai.create_scope('department', 'd1', 'Department 1', 'cluster/c1');
SELECT runai.create_scope('project', 'p1', 'Project 1', 'department/d1');
SELECT runai.create_scope('project', 'p2', 'Project 2', 'department/d1');
SELECT runai.create_scope('project', 'p3', 'Project 3', 'department/d1');
SELECT runai.bootstrap('admin@acme.io');
SELECT * FROM runai.create_local_user('ana@acme.io');
SELECT runai.add_access_rule('user', 'ana@acme.io', 'L1 researcher', 'project/p1');
SELECT runai.bind_db_role('ana@acme.io', 'regress_citus_ana');
INSERT INTO runai.workloads (name, kind, project, created_by) VALUES ('before', 'Training', 'project/p1', 'user:ana@acme.io');
SQL
expect_state "distribute_catalog as a role that is not a superuser" 42501 \
  "$(qv 0 -c "SET ROLE regress_citus_ana" -c "SELECT runai.distribute_catalog()")"

# ---------------------------------------------------------------------------
echo "== runai.distribute_catalog()"
if q 0 -c "SELECT runai.distribute_catalog()" >/dev/null; then ok "distributed on the coordinator"
else bad "runai.distribute_catalog() failed: $(q 0 -c "SELECT runai.distribute_catalog()" 2>&1)"; exit 1; fi
expect "the 13 tables of the catalog are reference tables" 13 \
  "$(q 0 -c "SELECT count(*) FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
              WHERE c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace) AND p.repmodel = 't'")"
expect "runai.workloads is distributed by project" "h|project" \
  "$(q 0 -c "SELECT partmethod, column_to_column_name(logicalrelid, partkey) FROM pg_dist_partition WHERE logicalrelid = 'runai.workloads'::regclass")"
for n in 0 1 2; do
  expect "node $n: runai.workloads's primary key and its shards'" "PRIMARY KEY (project, id)" \
    "$(q $n -c "SET citus.override_table_visibility = off" -c "SELECT DISTINCT pg_get_constraintdef(oid) FROM pg_constraint
                  WHERE contype = 'p' AND conrelid::regclass::text ~ '^runai\.workloads(_[0-9]+)?$'")"
done
expect "the coordinator's shells hold no rows" 0 \
  "$(q 0 -c "SELECT sum(pg_relation_size(logicalrelid)) FROM pg_dist_partition WHERE repmodel = 't'")"
# the triggers and foreign keys of the catalog's tables (the coordinator's shells)
read -r want_trig want_fk < <(q 0 -c "
  SELECT (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_dist_partition p ON p.logicalrelid = c.oid
           WHERE NOT t.tgisinternal AND p.repmodel = 't'),
         (SELECT count(*) FROM pg_constraint k JOIN pg_dist_partition p ON p.logicalrelid = k.conrelid
           WHERE k.contype = 'f' AND p.repmodel = 't')" | tr '|' ' ')
for n in 0 1 2; do
  # every placement here has them, ENABLE ALWAYS
  read -r ntrig notalways nfk < <(q $n -c "SET citus.override_table_visibility = off" -c "
    SELECT count(*), count(*) FILTER (WHERE t.tgenabled <> 'A'),
           (SELECT count(*) FROM pg_constraint k JOIN pg_class kc ON kc.oid = k.conrelid
             WHERE k.contype = 'f' AND kc.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace)
               AND kc.relname ~ '_[0-9]+\$' AND kc.relname !~ '^workloads_')
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE NOT t.tgisinternal AND c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace)
       AND c.relname ~ '_[0-9]+\$' AND c.relname !~ '^workloads_'" | tail -1 | tr '|' ' ')
  expect "node $n: the placements' triggers, those not ENABLE ALWAYS, foreign keys" "$want_trig 0 $want_fk" "$ntrig $notalways $nfk"
done
out=$(q 0 -c "SELECT runai.distribute_catalog()" 2>&1)
grep -q "already distributed" <<<"$out" && ok "a second call says it is already distributed" || bad "second call: $out"
expect "the distribution is recorded once" 1 \
  "$(q 0 -c "SELECT count(*) FROM runai.event_history WHERE entity_type = 'settings' AND entity_name = 'catalog'")"
expect "a workload from before keeps who created it" "user:ana@acme.io" \
  "$(q 0 -c "SELECT created_by FROM runai.workloads WHERE name = 'before'")"

# ---------------------------------------------------------------------------
echo "== every node answers from its own copy"
for n in 0 1 2; do
  expect "node $n: checks, explain, views" "t|f|1|2|6" "$(q $n -c "
    SELECT runai.has_permission('ana@acme.io', 'workloads', 'view', 'project/p1'),
           runai.has_permission('ana@acme.io', 'workloads', 'view', 'project/p2'),
           (SELECT count(*) FROM runai.explain('ana@acme.io', 'workloads', 'view', 'project/p1') WHERE allowed),
           (SELECT count(*) FROM runai.users_table),
           (SELECT count(*) FROM runai.scopes_table WHERE scope <> 'system')")"
  expect "node $n: a role bound before the distribution acts as its user" "user:ana@acme.io" \
    "$(q $n -c "SET ROLE regress_citus_ana" -c "SELECT runai.current_subject()" | tail -1)"
done
for f in "runai.create_scope('project', 'p4', 'P4', 'department/d1')" \
         "runai.add_access_rule('user', 'ana@acme.io', 'Viewer', 'project/p2')" \
         "runai.sign_in('admin@acme.io', 'wrong password')" "runai.sign_out()"; do
  out=$(qv 1 -c "SELECT $f")
  expect_state "on a worker, ${f%%(*}" 25006 "$out"
done
grep -q "HINT:  Run changes and sign-ins on the coordinator" <<<"$out" && ok "  ... with a hint that names the coordinator" \
  || bad "the hint of the refusal on a worker: $out"
out=$(qv 0 -c "DELETE FROM runai_internal.roles WHERE name = 'Viewer'")
expect_state "the predefined catalog is refused on its placements" 42501 "$out"
grep -q "table runai_internal.roles cannot" <<<"$out" && ok "  ... naming the table, not the placement" || bad "the refusal names: $out"
expect_state "events cannot be deleted by hand" 42501 "$(qv 0 -c "DELETE FROM runai_internal.events")"
expect "runai.purge_events deletes on every placement (only its own event is left)" "t|1|1|1" \
  "$(q 0 -c "SELECT runai.purge_events('0 seconds') > 0")|$(for n in 0 1 2; do
       q $n -c "SELECT count(*) FROM runai_internal.events"; done | paste -sd'|')"
expect "failed sign-ins on the coordinator: five, then locked" "invalid_credentials invalid_credentials invalid_credentials invalid_credentials invalid_credentials locked" \
  "$(for i in 1 2 3 4 5 6; do q 0 -c "SELECT status FROM runai.sign_in('ana@acme.io', 'not the password')"; done | paste -sd' ')"
expect "  ... counted in one event, the same on every node" "6|6|6" \
  "$(for n in 0 1 2; do q $n -c "SELECT details->>'count' FROM runai_internal.events WHERE action = 'sign-in' AND result = 'Failed' AND subject = 'ana@acme.io'"; done | paste -sd'|')"
adminrule=$(q 0 -c "SELECT id FROM runai_internal.access_rules WHERE subject = 'admin@acme.io'")
expect_state "the last administrator's rule cannot be deleted" 23514 "$(qv 0 -c "SELECT runai.delete_access_rule($adminrule)")"

# one worker refuses the change: it commits nowhere
shard=$(q 0 -c "SELECT shardid FROM pg_dist_shard WHERE logicalrelid = 'runai_internal.access_rules'::regclass")
q 2 >/dev/null <<SQL
SET citus.enable_manual_changes_to_shards = on;
SET citus.enable_ddl_propagation = off;
CREATE FUNCTION public.regress_refuse() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN RAISE EXCEPTION 'worker 2 refuses'; END \$\$;
CREATE TRIGGER regress_refuse BEFORE INSERT ON runai_internal.access_rules_$shard
  FOR EACH ROW EXECUTE FUNCTION public.regress_refuse();
SQL
out=$(q 0 -c "SELECT runai.add_access_rule('user', 'ana@acme.io', 'Viewer', 'project/p3')" 2>&1)
grep -q "worker 2 refuses" <<<"$out" && ok "a change that one worker refuses fails on the coordinator" || bad "the refused change: $out"
expect "  ... and is on no node" "0|0|0" \
  "$(for n in 0 1 2; do q $n -c "SELECT count(*) FROM runai_internal.access_rules WHERE role_id = (SELECT id FROM runai_internal.roles WHERE name = 'Viewer')"; done | paste -sd'|')"
q 2 -c "SET citus.enable_manual_changes_to_shards = on" -c "SET citus.enable_ddl_propagation = off" -c "DROP TRIGGER regress_refuse ON runai_internal.access_rules_$shard" \
  -c "DROP FUNCTION public.regress_refuse()" >/dev/null
q 0 -c "SELECT runai.add_access_rule('user', 'ana@acme.io', 'Viewer', 'project/p3')" >/dev/null
expect "  ... and commits on every node once it no longer refuses" "1|1|1" \
  "$(for n in 0 1 2; do q $n -c "SELECT count(*) FROM runai_internal.access_rules WHERE role_id = (SELECT id FROM runai_internal.roles WHERE name = 'Viewer')"; done | paste -sd'|')"

# ---------------------------------------------------------------------------
echo "== protected distributed tables"
q 0 >/dev/null <<'SQL' || { bad "creating and protecting the distributed tables failed"; exit 1; }
SET client_min_messages = warning;
CREATE TABLE public.jobs (id bigint NOT NULL, project runai.scope NOT NULL, title text, PRIMARY KEY (project, id));
SELECT create_distributed_table('public.jobs', 'project', shard_count => 8);
INSERT INTO public.jobs SELECT i, ('project/p' || (1 + i % 3))::runai.scope, 'job ' || i FROM generate_series(1, 300) i;
SELECT runai.protect('public.jobs', 'project');
CREATE TABLE public.jobs_by_id (id bigint PRIMARY KEY, project_id text NOT NULL, title text);
SELECT create_distributed_table('public.jobs_by_id', 'id', shard_count => 4);
INSERT INTO public.jobs_by_id SELECT i, 'p' || (1 + i % 3), 'job ' || i FROM generate_series(1, 300) i;
SELECT runai.protect('public.jobs_by_id', 'project_id', 'workloads', 'project');
GRANT SELECT, INSERT, UPDATE, DELETE ON public.jobs, public.jobs_by_id, runai.workloads
  TO regress_citus_ana, regress_citus_bea, regress_citus_app, regress_citus_nobody;
SQL
for t in jobs jobs_by_id; do
  shards=$(q 0 -c "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'public.$t'::regclass")
  placed=0 protected=0
  for n in 1 2; do
    read -r s p < <(q $n -c "SET citus.override_table_visibility = off" -c "
      SELECT count(*), count(*) FILTER (WHERE c.relrowsecurity AND c.relforcerowsecurity
               AND (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid
                       AND p.polname IN ('runai_select', 'runai_insert', 'runai_update', 'runai_delete')
                       AND coalesce(pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)) LIKE '%rls_check(%') = 4)
        FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relname ~ '^${t}_[0-9]+\$'" | tail -1 | tr '|' ' ')
    placed=$((placed + s)) protected=$((protected + p))
  done
  if [ "$placed" = "$shards" ] && [ "$protected" = "$shards" ]; then
    ok "$t: all $shards shard placements have the four policies and forced row-level security"
  else
    bad "$t: $shards shards, $placed placements found on the workers, $protected of them protected"
  fi
done
# ana: L1 researcher at project/p1 and Viewer at project/p3; one workload, in project/p1
counts() { q "$1" ${2:+-c "SET ROLE $2"} -c "SELECT count(*) FROM jobs" -c "SELECT count(*) FROM jobs_by_id" \
             -c "SELECT count(*) FROM runai.workloads" | grep -E '^[0-9]+$' | paste -sd' '; }
for n in 0 1 2; do
  expect "node $n: jobs, jobs_by_id, workloads for no subject | a bound role | the superuser" "0 0 0|200 200 1|300 300 1" \
    "$(counts $n regress_citus_nobody)|$(counts $n regress_citus_ana)|$(counts $n)"
done

q 0 -c "CREATE ROLE regress_citus_tmp LOGIN" -c "SELECT count(*) FROM runai.create_local_user('tmp@acme.io')" \
    -c "SELECT runai.bind_db_role('tmp@acme.io', 'regress_citus_tmp')" >/dev/null
expect "a bound role acts as its user on a worker" "user:tmp@acme.io" \
  "$(q 2 -c "SET ROLE regress_citus_tmp" -c "SELECT runai.current_subject()" | tail -1)"
q 0 -c "DROP ROLE regress_citus_tmp" >/dev/null
expect "  ... DROP ROLE on the coordinator removes its binding on every node, recorded once" "0|0|0|1" \
  "$(for n in 0 1 2; do q $n -c "SELECT count(*) FROM runai_internal.db_role_bindings WHERE db_role_name = 'regress_citus_tmp'"; done | paste -sd'|')|$(
     q 0 -c "SELECT count(*) FROM runai.event_history WHERE details->>'unbound_db_role' = 'regress_citus_tmp'")"
expect_state "delete_scope of a project whose rows are on the workers' shards" 2BP01 \
  "$(qv 0 -c "SELECT runai.delete_scope('project/p3')")"
expect "  ... and of an empty one, on every node" "0|0|0" \
  "$(q 0 -c "SELECT runai.create_scope('project', 'p9', 'P9', 'department/d1')" -c "SELECT runai.delete_scope('project/p9')" >/dev/null;
     for n in 0 1 2; do q $n -c "SELECT count(*) FROM runai_internal.scopes WHERE scope = 'project/p9'"; done | paste -sd'|')"

# ---------------------------------------------------------------------------
echo "== coherence: changes on the coordinator reach open transactions on the workers"
# An open psql session as a coprocess (its descriptors are not there in subshells,
# so "session" leaves the output in $said).
session_open() { coproc SESSION { citus_psql "$1" -v ON_ERROR_STOP=0 -v VERBOSITY=verbose 2>&1; }; }
session() { printf '%s;\n\\echo __END__\n' "$1" >&"${SESSION[1]}"; local line; said=""
            while IFS= read -r -t 30 line <&"${SESSION[0]}"; do [ "$line" = __END__ ] && break; said+="${said:+$'\n'}$line"; done; }
session_close() { printf '\\q\n' >&"${SESSION[1]}"; wait "$SESSION_PID" 2>/dev/null; }
session_open 1
session "SET ROLE regress_citus_ana"
session "BEGIN"
session "SELECT runai.can('workloads', 'view', 'project/p1'), (SELECT count(*) FROM jobs WHERE project = 'project/p1')"
expect "worker 1, open transaction: ana sees project/p1" "t|100" "$said"
rule=$(q 0 -c "SELECT id FROM runai_internal.access_rules WHERE subject = 'ana@acme.io' AND scope = 'project/p1'")
q 0 -c "SELECT runai.delete_access_rule($rule)" >/dev/null
session "SELECT runai.can('workloads', 'view', 'project/p1'), (SELECT count(*) FROM jobs WHERE project = 'project/p1')"
expect "  ... the revoke on the coordinator is denied at its next statement" "f|0" "$said"
q 0 -c "SELECT runai.add_access_rule('user', 'ana@acme.io', 'L1 researcher', 'project/p1')" >/dev/null
session "SELECT runai.can('workloads', 'view', 'project/p1'), (SELECT count(*) FROM jobs WHERE project = 'project/p1')"
expect "  ... and the grant again at the next" "t|100" "$said"
session "COMMIT"
# a token session authenticated on worker 1 directly, ended on the coordinator
q 0 -c "SELECT runai.add_access_rule('user', 'bea@acme.io', 'L1 researcher', 'project/p2')" >/dev/null 2>&1
q 0 -c "GRANT EXECUTE ON FUNCTION runai.sso_sign_in(text, text[]) TO regress_citus_app" >/dev/null
beatok=$(q 0 -c "SET ROLE regress_citus_app" -c "SELECT runai.sso_sign_in('bea@acme.io', '{}')" | tail -1)
session "RESET ROLE; SET ROLE regress_citus_app; SELECT runai.authenticate('$beatok')"
session "SELECT runai.current_subject(), (SELECT count(*) FROM jobs)"
expect "worker 1: a token authenticated there" "user:bea@acme.io|100" "$said"
q 0 -c "SELECT runai.delete_user('bea@acme.io')" >/dev/null
session "SELECT runai.current_subject(), (SELECT count(*) FROM jobs)"
expect "  ... ends when the coordinator deletes its user: the next statement gets 28000, once" \
  "ERROR:  28000: invalid or expired token" "$(head -1 <<<"$said")"
session "SELECT runai.current_subject(), (SELECT count(*) FROM jobs)"
expect "  ... then no subject" "|0" "$said"
session_close

# ---------------------------------------------------------------------------
echo "== token subjects through the coordinator and on the workers"
q 0 -c "SELECT runai.add_access_rule('user', 'sso@acme.io', 'L1 researcher', 'project/p2')" \
    -c "SELECT runai.add_access_rule('group', 'team3', 'L1 researcher', 'project/p3')" >/dev/null 2>&1
tok=$(q 0 -c "SET ROLE regress_citus_app" -c "SELECT runai.sso_sign_in('sso@acme.io', '{team3}')" | tail -1)
as_token() { local n=$1 t=$2; shift 2; q "$n" -c "SET ROLE regress_citus_app" -c "SELECT runai.authenticate('$t')" "$@" 2>&1 | tail -n +2; }
for n in 0 1 2; do
  expect "node $n: an SSO user with a group, session token (jobs, jobs_by_id, router to its group's project, to another)" "200|200|100|0" \
    "$(as_token $n "$tok" -c "SELECT count(*) FROM jobs" -c "SELECT count(*) FROM jobs_by_id" \
         -c "SELECT count(*) FROM jobs WHERE project = 'project/p3'" -c "SELECT count(*) FROM jobs WHERE project = 'project/p1'" | paste -sd'|')"
  expect "node $n: the same token until the end of a transaction only" "200|0" \
    "$(q $n -c "SET ROLE regress_citus_app" -c "BEGIN" -c "SELECT runai.authenticate('$tok', true)" -c "SELECT count(*) FROM jobs" \
            -c "COMMIT" -c "SELECT count(*) FROM jobs" | grep -E '^[0-9]+$' | paste -sd'|')"
done
# shard queries in parallel on the workers: their parallel workers judge with what
# the executing node verified (Citus sends shard queries with parameters, so the
# leader decides at Bind and starts its workers at Execute)
for n in 1 2; do q $n -c "ALTER SYSTEM SET force_parallel_mode = on" -c "ALTER SYSTEM SET parallel_setup_cost = 0" \
                    -c "ALTER SYSTEM SET min_parallel_table_scan_size = 0" -c "SELECT pg_reload_conf()" >/dev/null; done
expect "the token subject, with the shard queries run by parallel workers on the workers (three times)" "200 200|200 200|200 200" \
  "$(for i in 1 2 3; do as_token 0 "$tok" -c "SELECT count(*) FROM jobs" -c "SELECT count(*) FROM jobs_by_id WHERE id > 0" | paste -sd' '; done | paste -sd'|')"
for n in 1 2; do q $n -c "ALTER SYSTEM RESET force_parallel_mode" -c "ALTER SYSTEM RESET parallel_setup_cost" \
                    -c "ALTER SYSTEM RESET min_parallel_table_scan_size" -c "SELECT pg_reload_conf()" >/dev/null; done
expect "COPY jobs TO STDOUT as the token subject (Citus copies each shard): through the coordinator, on a worker" "200|200" \
  "$(as_token 0 "$tok" -c "COPY jobs TO STDOUT" | wc -l)|$(as_token 2 "$tok" -c "COPY jobs TO STDOUT" | wc -l)"
expect "token subject through the coordinator: INSERT, UPDATE (router, multi-shard), DELETE" "1001|16|201|1001" \
  "$(as_token 0 "$tok" -c "INSERT INTO jobs VALUES (1001, 'project/p2', 'new') RETURNING id")|$(
     as_token 0 "$tok" -c "UPDATE jobs SET title = 'u' WHERE project = 'project/p3' AND id < 50 RETURNING id" | wc -l)|$(
     as_token 0 "$tok" -c "UPDATE jobs SET title = title || '.' RETURNING id" | wc -l)|$(
     as_token 0 "$tok" -c "DELETE FROM jobs WHERE id = 1001 RETURNING id")"
expect "  ... an INSERT outside its scopes is refused by the shard" 42501 \
  "$(as_token 0 "$tok" -v VERBOSITY=verbose -c "INSERT INTO jobs VALUES (1002, 'project/p1', 'x')" | sed -n 's/^ERROR:  \([0-9A-Z]*\):.*/\1/p')"
expect "  ... runai.workloads on a worker records the subject" "user:sso@acme.io" \
  "$(as_token 1 "$tok" -c "INSERT INTO runai.workloads (name, kind, project) VALUES ('sso', 'Training', 'project/p3') RETURNING created_by" | head -1)"

# ---------------------------------------------------------------------------
echo "== forwarding accepts only what the executing node verifies"
q 0 -c "CREATE EXTENSION IF NOT EXISTS pgcrypto" >/dev/null
# A proof computed here with the session's own key: the test of the test (it must be
# accepted), and its variations (each must not).
proof() {  # proof ROLE NODE NUMBER DTXSTAMP STAMP [SESSION]
  q 1 -c "SELECT format('v1:%s:%s:%s:%s:%s:%s', s.id, $2, $3, $4, $5,
            encode(hmac(convert_to(format('runai_rbac forwarded subject v1|%s|%s|%s|%s|%s|%s:%s',
                                          s.id, $2, $3, $4, $5, length('$1'), '$1'), 'UTF8'), s.token_hash, 'sha256'), 'hex'))
            FROM runai_internal.sessions s WHERE s.id = ${6:-(SELECT max(id) FROM runai_internal.sessions WHERE subject = 'sso@acme.io')}"
}
us() { q 1 -c "SELECT ((extract(epoch FROM $1)::bigint - 946684800) * 1000000)::text"; }   # timestamptz (whole seconds) -> microseconds
now_s=$(q 1 -c "SELECT date_trunc('second', now())")
dtx_us=$(us "'$now_s'::timestamptz")
try() {  # try ROLE NODE NUMBER DTXTEXT VALUE: the subject a client session gets from a hand-set value
  q 1 -c "SET ROLE $1" -c "BEGIN" -c "SELECT assign_distributed_transaction_id($2, $3, '$4')" \
      -c "SET LOCAL runai.forwarded_subject TO '$5'" -c "SELECT coalesce(runai.current_subject(), 'nobody')" -c "ROLLBACK" 2>&1 | grep -E '^(nobody|user:|app:|ERROR)' | head -1
}
good=$(proof regress_citus_app 7 424242 "$dtx_us" "$dtx_us")
expect "a proof with the session's key, the role, the transaction and the time (the control)" "user:sso@acme.io" \
  "$(try regress_citus_app 7 424242 "$now_s" "$good")"
# A proof accepted by the coordinator's copy (an administrator's, made the same
# way): it answers the checks of the shard queries there, but whoever replays a
# proof must not change the catalog with it.
adminsid=$(q 0 -c "SELECT runai_internal.new_session('user', 'admin@acme.io', id, NULL) IS NOT NULL FROM runai_internal.users WHERE email = 'admin@acme.io'" >/dev/null
           q 0 -c "SELECT max(id) FROM runai_internal.sessions WHERE subject = 'admin@acme.io'")
adminproof=$(proof regress_citus_app 7 424249 "$dtx_us" "$dtx_us" "$adminsid")
out=$(qv 0 -c "SET ROLE regress_citus_app" -c "BEGIN" -c "SELECT assign_distributed_transaction_id(7, 424249, '$now_s')" \
         -c "SET LOCAL runai.forwarded_subject TO '$adminproof'" -c "SELECT runai.current_subject(), runai.can('users', 'create', 'system')" \
         -c "SELECT runai.add_access_rule('user', 'ana@acme.io', 'System administrator', 'system')" -c "ROLLBACK")
expect "an administrator's proof on the coordinator: its checks answer for the administrator" "user:admin@acme.io|t" \
  "$(grep -E '^user:' <<<"$out")"
expect_state "  ... but it changes nothing in the catalog (add_access_rule)" 42501 "$out"
expect "the same proof used by another role" nobody "$(try regress_citus_nobody 7 424242 "$now_s" "$good")"
expect "the same proof in another distributed transaction" nobody "$(try regress_citus_app 7 424243 "$now_s" "$good")"
expect "the same proof without a distributed transaction" nobody \
  "$(q 1 -c "SET ROLE regress_citus_app" -c "BEGIN" -c "SET LOCAL runai.forwarded_subject TO '$good'" \
        -c "SELECT coalesce(runai.current_subject(), 'nobody')" -c "ROLLBACK" | grep -E '^(nobody|user:)')"
old_s=$(q 1 -c "SELECT date_trunc('second', now()) - interval '2 minutes'")
old=$(proof regress_citus_app 7 424244 "$(us "'$old_s'::timestamptz")" "$(us "'$old_s'::timestamptz")")
expect "a proof older than runai.forwarded_subject_max_age" nobody "$(try regress_citus_app 7 424244 "$old_s" "$old")"
forged=$(sed 's/:[0-9a-f]\{64\}$/:0000000000000000000000000000000000000000000000000000000000000000/' <<<"$good")
expect "a value with a made-up HMAC" nobody "$(try regress_citus_app 7 424242 "$now_s" "$forged")"
expect_state "a malformed value" 22023 "$(qv 1 -c "SET runai.forwarded_subject TO 'user:sso@acme.io'")"
expect_state "the value cannot be read by the client role" 42501 \
  "$(qv 1 -c "SET ROLE regress_citus_app" -c "SHOW runai.forwarded_subject")"
# a proof set for the session (SET, not SET LOCAL) would outlive its transaction:
# joining the same distributed transaction id again later must not bring it back
good2=$(proof regress_citus_app 7 424246 "$dtx_us" "$dtx_us")
expect "a proof set for the session: in its transaction (the control), then in the next one of the same id" "user:sso@acme.io nobody" \
  "$(q 1 -c "SET ROLE regress_citus_app" \
        -c "BEGIN" -c "SELECT assign_distributed_transaction_id(7, 424246, '$now_s')" -c "SET runai.forwarded_subject TO '$good2'" \
        -c "SELECT coalesce(runai.current_subject(), 'nobody')" -c "COMMIT" \
        -c "BEGIN" -c "SELECT assign_distributed_transaction_id(7, 424246, '$now_s')" \
        -c "SELECT coalesce(runai.current_subject(), 'nobody')" -c "COMMIT" 2>&1 | grep -E '^(nobody|user:|app:|ERROR)' | paste -sd' ')"
sid=$(q 0 -c "SELECT max(id) FROM runai_internal.sessions WHERE subject = 'sso@acme.io'")
ended=$(proof regress_citus_app 7 424245 "$dtx_us" "$dtx_us" "$sid")
q 0 -c "DELETE FROM runai_internal.sessions WHERE id = $sid" >/dev/null
expect "a proof of a session that has ended" nobody "$(try regress_citus_app 7 424245 "$now_s" "$ended")"

# The workers' logs and pg_stat_activity: statements carrying a proof are logged and
# shown masked.
for n in 1 2; do q $n -c "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null; done
tok=$(q 0 -c "SET ROLE regress_citus_app" -c "SELECT runai.sso_sign_in('sso@acme.io', '{team3}')" | tail -1)
tokb=$(q 0 -c "SELECT runai.sso_sign_in('ana2@acme.io', '{team3}')")
session_open 0
session "SET ROLE regress_citus_app; BEGIN; SELECT runai.authenticate('$tok', true); SELECT count(*) FROM jobs_by_id;"
# a subject change sent to the connections open on both workers, then a query for
# one shard only: a connection it does not use keeps the SET as its last query
session "SELECT runai.authenticate('$tokb', true); SELECT count(*) FROM jobs_by_id WHERE id = 1;"
activity=$(for n in 1 2; do q $n -c "SELECT query FROM pg_stat_activity WHERE query LIKE '%forwarded_subject%' AND pid <> pg_backend_pid()"; done)
session "COMMIT"
session_close
for n in 1 2; do q $n -c "ALTER SYSTEM RESET log_statement" -c "SELECT pg_reload_conf()" >/dev/null; done
if grep -q "v1:<redacted>" <<<"$activity" && ! grep -qE "v1:[0-9]" <<<"$activity"; then ok "pg_stat_activity on the workers shows the proof masked"
else bad "pg_stat_activity on the workers: $activity"; fi
logged=$(cat "${CITUS_NODES[1]}/server.log" "${CITUS_NODES[2]}/server.log" | grep -c "runai.forwarded_subject TO 'v1:<redacted>'")
leaked=$(cat "${CITUS_NODES[1]}/server.log" "${CITUS_NODES[2]}/server.log" | grep -cE "v1:[0-9]+:[0-9-]+:[0-9]+:")
if [ "$logged" -gt 0 ] && [ "$leaked" = 0 ]; then ok "the workers' logs show $logged statements with the proof masked, none in clear"
else bad "the workers' logs: $logged masked, $leaked in clear"; fi

# A subject this backend no longer has is taken back from the remote blocks of the
# transaction, also for statements on tables that are not protected: their shard
# queries run in the same blocks, and what they call there is judged with the
# subject sent last.
q 0 >/dev/null <<'SQL' || bad "creating the table that is not protected"
SET client_min_messages = warning;
CREATE TABLE public.plain (id integer PRIMARY KEY);
SELECT create_distributed_table('public.plain', 'id', shard_count => 4);
INSERT INTO public.plain SELECT generate_series(1, 20);
GRANT SELECT ON public.plain TO regress_citus_app;
CREATE FUNCTION public.regress_subject_on_shards() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    PERFORM runai.authenticate('rbt_' || repeat('A', 43), true);
  EXCEPTION WHEN invalid_authorization_specification THEN NULL;
  END;
  RETURN (SELECT string_agg(DISTINCT coalesce(runai.current_subject(), 'nobody'), ',') FROM public.plain);
END $$;
SQL
onshards="SELECT 'shards ' || string_agg(DISTINCT coalesce(runai.current_subject(), 'nobody'), ',') || '/' || bool_or(runai.can('workloads', 'view', 'project/p2')) FROM plain"
take_back() { q 0 -v ON_ERROR_STOP=0 -v VERBOSITY=verbose 2>&1 | grep -vE '^(DETAIL|HINT|CONTEXT|LOCATION|PL/pgSQL|SQL statement|$)' | sed -n 's/^ERROR:  \([0-9A-Z]*\):.*/\1/;p' | paste -sd'|'; }
expect "a table not protected, after a protected one in the transaction: its shard queries see the token subject (the control)" \
  "t|shards user:sso@acme.io/true" \
  "$(take_back <<SQL
SET ROLE regress_citus_app; BEGIN; SELECT FROM runai.authenticate('$tok', true);
SELECT count(*) > 0 FROM jobs;
$onshards;
COMMIT;
SQL
)"
expect "  ... after a failed authenticate caught by a savepoint: the coordinator, then the shard queries of that table, then the protected one" \
  "t|28000|nobody|shards nobody/false|f" \
  "$(take_back <<SQL
SET ROLE regress_citus_app; BEGIN; SELECT FROM runai.authenticate('$tok', true);
SELECT count(*) > 0 FROM jobs;
SAVEPOINT s;
SELECT runai.authenticate('rbt_' || repeat('A', 43), true);
ROLLBACK TO SAVEPOINT s;
SELECT coalesce(runai.current_subject(), 'nobody');
$onshards;
SELECT count(*) > 0 FROM jobs;
COMMIT;
SQL
)"
expect "  ... after clear_subject" "t|t|shards nobody/false" \
  "$(take_back <<SQL
SET ROLE regress_citus_app; BEGIN; SELECT FROM runai.authenticate('$tok', true);
SELECT count(*) > 0 FROM jobs;
SELECT runai.clear_subject();
$onshards;
COMMIT;
SQL
)"
expect "  ... inside a function, after a failed authenticate it caught: an error, not the subject" "t|0A000" \
  "$(take_back <<SQL
SET ROLE regress_citus_app; BEGIN; SELECT FROM runai.authenticate('$tok', true);
SELECT count(*) > 0 FROM jobs;
SELECT public.regress_subject_on_shards();
ROLLBACK;
SQL
)"

# ---------------------------------------------------------------------------
echo "== routing: a narrow subject's query goes to the shards of its scopes"
tasks() { q "$1" -c "SET ROLE $2" ${3:+-c "SELECT runai.authenticate('$3')"} -c "EXPLAIN (COSTS OFF) $4" \
            | sed -n 's/.*Task Count: \([0-9]*\).*/\1/p' | head -1; }
shards_of() { q 0 -c "SELECT count(DISTINCT get_shard_id_for_distribution_column('public.jobs', p::runai.scope)) FROM unnest('$1'::text[]) p"; }
expect "ana (project/p1, project/p3 viewer): shards of her scopes, from the coordinator" "$(shards_of '{project/p1,project/p3}')" \
  "$(tasks 0 regress_citus_ana "" "SELECT count(*) FROM jobs")"
expect "  ... from worker 2" "$(shards_of '{project/p1,project/p3}')" "$(tasks 2 regress_citus_ana "" "SELECT count(*) FROM jobs")"
expect "  ... an UPDATE" "$(shards_of '{project/p1}')" "$(tasks 0 regress_citus_ana "" "UPDATE jobs SET title = title")"
expect "the SSO user (project/p2, project/p3 through its group), token subject" "$(shards_of '{project/p2,project/p3}')" \
  "$(tasks 0 regress_citus_app "$tok" "SELECT count(*) FROM jobs")"
expect "a role with no subject: one task, Citus's least (the condition is false)" 1 "$(tasks 0 regress_citus_nobody "" "SELECT * FROM jobs")"
expect "the superuser: every shard" 8 "$(tasks 0 postgres "" "SELECT count(*) FROM jobs")"
expect "a table distributed by another column: every shard" 4 "$(tasks 0 regress_citus_ana "" "SELECT count(*) FROM jobs_by_id")"
expect "runai.workloads, distributed by project" "$(q 0 -c "SELECT count(DISTINCT get_shard_id_for_distribution_column('runai.workloads', p::runai.scope)) FROM unnest('{project/p1,project/p3}'::text[]) p")" \
  "$(tasks 0 regress_citus_ana "" "SELECT count(*) FROM runai.workloads")"
# a user of project/p3 only, bound to a role; then project/p1, whose shard is another
q 0 -c "SELECT count(*) FROM runai.create_local_user('cat@acme.io')" -c "SELECT runai.bind_db_role('cat@acme.io', 'regress_citus_bea')" \
    -c "SELECT runai.add_access_rule('user', 'cat@acme.io', 'L1 researcher', 'project/p3')" >/dev/null
prep=$(q 0 -c "SET ROLE regress_citus_bea" -c "PREPARE p AS SELECT count(*) FROM jobs WHERE id > 0" \
          -c "EXPLAIN (COSTS OFF) EXECUTE p" -c "EXECUTE p" -c "RESET ROLE" \
          -c "SELECT runai.add_access_rule('user', 'cat@acme.io', 'L1 researcher', 'project/p1') > 0" -c "SET ROLE regress_citus_bea" \
          -c "EXPLAIN (COSTS OFF) EXECUTE p" -c "EXECUTE p" | grep -E 'Task Count|^[0-9]+$' | sed 's/.*Task Count: //' | paste -sd' ')
expect "a prepared statement is planned again after a grant (tasks, rows; tasks, rows)" \
  "$(shards_of '{project/p3}') 100 $(shards_of '{project/p1,project/p3}') 200" "$prep"

# ---------------------------------------------------------------------------
echo "== the same answers as one server (randomized)"
# a database of its own on every node, with the same cluster
cmp_ok=1
for n in 0 1 2; do
  CITUS_DB=postgres citus_psql $n -c "CREATE DATABASE runai_cmp" >/dev/null \
    && CITUS_DB=runai_cmp citus_psql $n -c "SET client_min_messages = warning" -c "CREATE EXTENSION citus" >/dev/null || cmp_ok=0
done
CITUS_DB=runai_cmp citus_psql 0 -c "SELECT citus_set_coordinator_host('127.0.0.1', ${CITUS_PORTS[0]})" \
  -c "SELECT citus_add_node('127.0.0.1', ${CITUS_PORTS[1]})" -c "SELECT citus_add_node('127.0.0.1', ${CITUS_PORTS[2]})" \
  -c "CREATE EXTENSION runai_rbac" -c "SELECT runai.distribute_catalog()" >/dev/null || cmp_ok=0
psql -X -q -h "$single_dir" -p $SPORT -U postgres -d postgres -c "CREATE DATABASE runai_cmp" \
  && psql -X -q -h "$single_dir" -p $SPORT -U postgres -d runai_cmp -c "CREATE EXTENSION runai_rbac" || cmp_ok=0
[ $cmp_ok = 1 ] || bad "setting up the databases of the comparison failed"
conninfo() { echo "host=$1 port=$2 dbname=runai_cmp user=postgres"; }
if cmp=$("$PY" tools/tests/citus_compare.py --seed "${CITUS_COMPARE_SEED:-13}" --subjects 24 --queries 24 \
           --single "$(conninfo "$single_dir" $SPORT)" \
           --node "$(conninfo "${CITUS_NODES[0]}" "${CITUS_PORTS[0]}")" \
           --node "$(conninfo "${CITUS_NODES[1]}" "${CITUS_PORTS[1]}")" \
           --node "$(conninfo "${CITUS_NODES[2]}" "${CITUS_PORTS[2]}")" 2>&1); then
  ok "$(tail -1 <<<"$cmp")"
else
  bad "the randomized comparison:"; sed 's/^/    /' <<<"$cmp" | head -60
fi

# ---------------------------------------------------------------------------
echo "== a node added later"
# (its server was started with the others, so that its port is taken from the start)
CITUS_NODES+=("$extra") CITUS_PORTS+=($((PORT + 3)))
CITUS_DB=postgres citus_psql 3 -c "CREATE DATABASE $DB" >/dev/null && citus_psql 3 -c "CREATE EXTENSION citus" >/dev/null
q 0 -c "SELECT citus_add_node('127.0.0.1', $((PORT + 3)))" >/dev/null || bad "citus_add_node"
placed=$(q 3 -c "SELECT count(*) FROM pg_dist_placement WHERE groupid = (SELECT groupid FROM pg_dist_local_group)")
if [ "$placed" = 0 ]; then
  expect_state "the new node, before the reference tables reach it, fails closed" 55000 \
    "$(qv 3 -c "SELECT runai.has_permission('ana@acme.io', 'workloads', 'view', 'project/p1')")"
else
  ok "the new node got the reference tables with citus_add_node ($placed placements)"
fi
q 0 -c "SELECT replicate_reference_tables()" >/dev/null 2>&1
expect "after replicate_reference_tables: checks, a bound role and a token subject there" "t|user:ana@acme.io|user:sso@acme.io" \
  "$(q 3 -c "SELECT runai.has_permission('ana@acme.io', 'workloads', 'view', 'project/p1')")|$(
     q 3 -c "SET ROLE regress_citus_ana" -c "SELECT runai.current_subject()" | tail -1)|$(
     q 3 -c "SET ROLE regress_citus_app" -c "SELECT runai.authenticate('$tok')" | tail -1)"

# ---------------------------------------------------------------------------
echo "== ALTER EXTENSION UPDATE and DROP EXTENSION on a cluster (README's procedures)"
# A database of its own on the first three nodes, installed at a made-up earlier
# version whose update script is the code parts of this one: what every update
# script ends with.
sharedir=$("$PGBIN/pg_config" --sharedir)
extdir=$RUNAI_PRIVATE_ROOT$sharedir/extension
current=$(q 0 -c "SELECT default_version FROM pg_available_extensions WHERE name = 'runai_rbac'")
cp "$extdir/runai_rbac--$current.sql" "$extdir/runai_rbac--0.0.0-citus.sql"
{ printf '\\echo Use "ALTER EXTENSION runai_rbac UPDATE" to load this file. \\quit\n'
  tools/build_sql.sh --code "$current" $(ls src/sql/*.sql | LC_ALL=C sort); } >"$extdir/runai_rbac--0.0.0-citus--$current.sql"
chmod a+r "$extdir"/runai_rbac--0.0.0-citus*
up() { CITUS_DB=runai_upd citus_psql "$@"; }
for n in 0 1 2; do
  CITUS_DB=postgres citus_psql $n -c "CREATE DATABASE runai_upd" >/dev/null && up $n -c "SET client_min_messages = warning" -c "CREATE EXTENSION citus" >/dev/null
done
up 0 >/dev/null <<SQL || bad "setting up the database at the earlier version"
SET client_min_messages = warning;
SELECT citus_set_coordinator_host('127.0.0.1', ${CITUS_PORTS[0]});
SELECT citus_add_node('127.0.0.1', ${CITUS_PORTS[1]});
SELECT citus_add_node('127.0.0.1', ${CITUS_PORTS[2]});
CREATE EXTENSION runai_rbac VERSION '0.0.0-citus';
SELECT runai.create_scope('tenant', 't', 'T', 'system');
SELECT runai.create_scope('cluster', 'c', 'C', 'tenant/t');
SELECT runai.create_scope('department', 'd', 'D', 'cluster/c');
SELECT runai.create_scope('project', 'a', 'A', 'department/d');
SELECT runai.create_scope('project', 'b', 'B', 'department/d');
SELECT * FROM runai.create_local_user('ana@acme.io');
SELECT runai.add_access_rule('user', 'ana@acme.io', 'L1 researcher', 'project/a');
SELECT runai.bind_db_role('ana@acme.io', 'regress_citus_bea');
SELECT runai.distribute_catalog();
CREATE TABLE public.t (id bigint NOT NULL, project runai.scope NOT NULL, PRIMARY KEY (project, id));
SELECT create_distributed_table('public.t', 'project', shard_count => 4);
INSERT INTO public.t SELECT i, CASE WHEN i % 2 = 0 THEN 'project/a' ELSE 'project/b' END::runai.scope FROM generate_series(1, 100) i;
SELECT runai.protect('public.t', 'project');
GRANT SELECT ON public.t TO regress_citus_bea, regress_citus_app;
SQL
for n in 0 1 2; do
  up $n -c "SET citus.enable_ddl_propagation = off" -c "SET citus.enable_unsafe_triggers = on" \
       -c "ALTER EXTENSION runai_rbac UPDATE" >/dev/null 2>"$tmp/update.err" || bad "node $n: the update failed: $(cat "$tmp/update.err")"
done
expect "every node is at $current" "$current|$current|$current" \
  "$(for n in 0 1 2; do up $n -c "SELECT extversion FROM pg_extension WHERE extname = 'runai_rbac'"; done | paste -sd'|')"
up 0 -c "SELECT runai.add_access_rule('user', 'ana@acme.io', 'L1 researcher', 'project/b')" >/dev/null
tokupd=$(up 0 -c "SELECT runai.sso_sign_in('sso@acme.io', '{}')" >/dev/null; up 0 -c "SELECT runai.add_access_rule('user', 'sso@acme.io', 'L1 researcher', 'project/a')" >/dev/null; up 0 -c "SELECT runai.sso_sign_in('sso@acme.io', '{}')")
expect "after the update: a bound role on every node (a grant made after it included), a token subject on a worker" "100|100|100|50" \
  "$(for n in 0 1 2; do up $n -c "SET ROLE regress_citus_bea" -c "SELECT count(*) FROM public.t" | tail -1; done | paste -sd'|')|$(
     up 2 -c "SET ROLE regress_citus_app" -c "SELECT runai.authenticate('$tokupd')" -c "SELECT count(*) FROM public.t" | tail -1)"
expect "  ... every trigger of the catalog's placements still there, ENABLE ALWAYS" "0|0|0" \
  "$(for n in 0 1 2; do up $n -c "SET citus.override_table_visibility = off" -c "
      SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
       WHERE NOT t.tgisinternal AND c.relnamespace = 'runai_internal'::regnamespace AND t.tgenabled <> 'A'" | tail -1; done | paste -sd'|')"
up 0 >/dev/null <<'SQL' || bad "the DROP EXTENSION procedure failed"
SET client_min_messages = warning;
DROP TABLE public.t;
BEGIN;
SELECT master_remove_distributed_table_metadata_from_workers(p.logicalrelid, n.nspname, c.relname),
       citus_drop_all_shards(p.logicalrelid, n.nspname, c.relname),
       master_remove_partition_metadata(p.logicalrelid, n.nspname, c.relname)
  FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('runai', 'runai_internal');
DROP EXTENSION runai_rbac;
COMMIT;
SQL
expect "DROP EXTENSION: gone from every node, no relation of it left" "0 0|0 0|0 0" \
  "$(for n in 0 1 2; do up $n -c "SET citus.override_table_visibility = off" -c "
      SELECT (SELECT count(*) FROM pg_extension WHERE extname = 'runai_rbac'),
             (SELECT count(*) FROM pg_class WHERE relnamespace::regnamespace::text IN ('runai', 'runai_internal'))" | tail -1 | tr '|' ' '; done | paste -sd'|')"
rm -f "$extdir"/runai_rbac--0.0.0-citus*

# ---------------------------------------------------------------------------
crashed=0
for d in "${CITUS_NODES[@]}" "$single_dir"; do
  if grep -qE 'terminated by signal|PANIC' "$d/server.log"; then
    bad "$(basename "$d") crashed:"; grep -E 'terminated by signal|PANIC' "$d/server.log" | head -5 | sed 's/^/    /'
    crashed=1
  fi
done
[ $crashed -eq 0 ] && ok "no server crashed"

echo "citus.sh: $(( $(date +%s) - start )) s"
if [ $failures -eq 0 ]; then echo "citus.sh: all checks passed"; exit 0; fi
echo "citus.sh: $failures check(s) failed"
exit 1
