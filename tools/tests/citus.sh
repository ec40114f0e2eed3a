#!/usr/bin/env bash
# SPEC section 8, scaling out on Citus: runai_rbac on a throwaway Citus cluster (a
# coordinator and two workers on loopback ports 57100-57102, metadata synced; see
# tools/citus_cluster.sh).  Citus is not in Debian's archive: tools/ensure-citus.sh
# builds it once from a source tarball; when it is neither installed nor buildable
# this suite prints one line saying why and passes.
#
# What it checks today (each also holds once the Citus integration is complete):
#   - CREATE EXTENSION runai_rbac on the coordinator reaches every worker;
#   - runai.protect on a table distributed by its runai.scope column and on one
#     distributed by another column (its scope ids in a text column): every shard
#     placement on every worker gets the four policies and forced row-level security;
#   - failing closed: a database role with no Run:ai subject sees no rows through the
#     coordinator (multi-shard and router queries) nor on a worker directly, and its
#     INSERT is refused by the shard's policy; a superuser sees every row;
#   - the policy runs on the workers, in the shard queries (EXPLAIN VERBOSE);
#   - on the coordinator the checks answer from its catalog as on one node;
#   - no server crashed.
# What the integration still has to deliver is printed as "pending:" lines with what
# was observed (a bound role's rows through the coordinator, the catalog on the
# workers, the catalog as reference tables); they do not fail the suite.
#
# Runs this tree's build from a private installation (the one of tools/test.sh when
# run from there, else its own), into which Citus's files are linked.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tools/citus_cluster.sh

PORT=57100 DB=runai_citus
failures=0
ok()      { echo "ok: $*"; }
bad()     { echo "FAIL: $*"; failures=$((failures + 1)); }
pending() { echo "pending: $*"; }
expect()  { if [ "$3" = "$2" ]; then ok "$1: $3"; else bad "$1: expected '$2', got '$3'"; fi; }

tmp=$(mktemp -d /tmp/runai_citus.XXXXXX)
chmod 755 "$tmp"
trap 'cluster_stop_all; rm -rf "$tmp"' EXIT

# Citus itself: installed, or built now (its progress goes to a log, so that a skip
# is one line).
if ! why=$(citus_available 2>"$tmp/ensure-citus.log"); then
  echo "citus.sh: skipped: ${why:-tools/ensure-citus.sh failed: $(tail -1 "$tmp/ensure-citus.log")}"
  exit 0
fi
grep -q 'Citus installed' "$tmp/ensure-citus.log" && sed 's/^/note: /' "$tmp/ensure-citus.log"

if [ -z "${RUNAI_PRIVATE_ROOT:-}" ]; then
  make -s all >/dev/null || { bad "the build failed"; exit 1; }
  private_install "$tmp/inst" || { bad "the private installation could not be made"; exit 1; }
fi
private_install_citus "$RUNAI_PRIVATE_ROOT" || { bad "Citus could not be added to the private installation"; exit 1; }

echo "== a coordinator and two workers"
started=0
citus_cluster_start "$tmp/c" $PORT 2 $DB && started=1
# cluster_start arms its own trap: this one also removes the temporary directory
trap 'cluster_stop_all; rm -rf "$tmp"' EXIT
[ $started -eq 1 ] || { bad "the Citus cluster did not start"; exit 1; }
q()  { citus_psql "$@"; }
ok "$(q 0 -c "SELECT citus_version()" | cut -d' ' -f1-2), ${#CITUS_NODES[@]} nodes with synced metadata"

# ---------------------------------------------------------------------------
echo "== the extension"
q 0 -c "CREATE EXTENSION runai_rbac" || { bad "CREATE EXTENSION runai_rbac on the coordinator failed"; exit 1; }
version=$(q 0 -c "SELECT extversion FROM pg_extension WHERE extname = 'runai_rbac'")
for n in 1 2; do
  expect "runai_rbac on worker $n" "$version" "$(q $n -c "SELECT extversion FROM pg_extension WHERE extname = 'runai_rbac'")"
done

q 0 >/dev/null <<'SQL' || { bad "setting up the catalog on the coordinator failed"; exit 1; }
CREATE ROLE regress_citus_ana LOGIN;
CREATE ROLE regress_citus_nobody LOGIN;
SELECT runai.create_scope('tenant', 'acme', 'Acme', 'system');
SELECT runai.create_scope('cluster', 'c1', 'Cluster 1', 'tenant/acme');
SELECT runai.create_scope('department', 'd1', 'Department 1', 'cluster/c1');
SELECT runai.create_scope('project', 'p1', 'Project 1', 'department/d1');
SELECT runai.create_scope('project', 'p2', 'Project 2', 'department/d1');
SELECT runai.create_scope('project', 'p3', 'Project 3', 'department/d1');
SELECT * FROM runai.create_local_user('ana@acme.io');
SELECT runai.add_access_rule('user', 'ana@acme.io', 'L1 researcher', 'project/p1');
SELECT runai.bind_db_role('ana@acme.io', 'regress_citus_ana');
SQL
for n in 1 2; do
  expect "the roles reach worker $n" 2 "$(q $n -c "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'regress_citus_%'")"
done
expect "on the coordinator, the bound role acts as its user" "user:ana@acme.io|t|f" \
  "$(q 0 -c "SET ROLE regress_citus_ana" -c "SELECT runai.current_subject(), runai.can('workloads', 'view', 'project/p1'), runai.can('workloads', 'view', 'project/p2')" | tail -1)"

# ---------------------------------------------------------------------------
echo "== protected distributed tables"
q 0 >/dev/null <<'SQL' || { bad "creating and protecting the distributed tables failed"; exit 1; }
SET client_min_messages = warning;
CREATE TABLE public.jobs (id bigint NOT NULL, project runai.scope NOT NULL, title text, PRIMARY KEY (project, id));
SELECT create_distributed_table('public.jobs', 'project', shard_count => 4);
INSERT INTO public.jobs SELECT i, ('project/p' || (1 + i % 3))::runai.scope, 'job ' || i FROM generate_series(1, 300) i;
SELECT runai.protect('public.jobs', 'project');
CREATE TABLE public.jobs_by_id (id bigint PRIMARY KEY, project_id text NOT NULL, title text);
SELECT create_distributed_table('public.jobs_by_id', 'id', shard_count => 4);
INSERT INTO public.jobs_by_id SELECT i, 'p' || (1 + i % 3), 'job ' || i FROM generate_series(1, 300) i;
SELECT runai.protect('public.jobs_by_id', 'project_id', 'workloads', 'project');
GRANT SELECT, INSERT ON public.jobs, public.jobs_by_id TO regress_citus_ana, regress_citus_nobody;
SQL
for t in jobs jobs_by_id; do
  shards=$(q 0 -c "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'public.$t'::regclass")
  placed=0 protected=0
  for n in 1 2; do
    # shards are hidden from the catalog views unless asked for
    read -r s p < <(q $n -c "SET citus.override_table_visibility = off" -c "
      SELECT count(*), count(*) FILTER (WHERE c.relrowsecurity AND c.relforcerowsecurity
               AND (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid
                       AND p.polname IN ('runai_select', 'runai_insert', 'runai_update', 'runai_delete')
                       AND coalesce(pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)) LIKE '%rls_check(%') = 4)
        FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relname ~ '^${t}_[0-9]+\$'" | tail -1 | tr '|' ' ')
    placed=$((placed + s)) protected=$((protected + p))
  done
  if [ "$placed" = "$shards" ] && [ "$protected" = "$shards" ]; then
    ok "$t: all $shards shard placements on the workers have the four policies and forced row-level security"
  else
    bad "$t: $shards shards, $placed placements found on the workers, $protected of them protected"
  fi
done

echo "== failing closed"
for t in jobs jobs_by_id; do
  expect "superuser, $t through the coordinator" 300 "$(q 0 -c "SELECT count(*) FROM $t")"
  expect "role without a subject, $t through the coordinator" 0 "$(q 0 -c "SET ROLE regress_citus_nobody" -c "SELECT count(*) FROM $t" | tail -1)"
  for n in 1 2; do
    expect "role without a subject, $t on worker $n directly" 0 "$(q $n -c "SET ROLE regress_citus_nobody" -c "SELECT count(*) FROM $t" | tail -1)"
  done
done
expect "role without a subject, router query" 0 \
  "$(q 0 -c "SET ROLE regress_citus_nobody" -c "SELECT count(*) FROM jobs WHERE project = 'project/p1'" | tail -1)"
err=$(q 0 -c "SET ROLE regress_citus_nobody" -c "INSERT INTO jobs VALUES (1001, 'project/p1', 'x')" 2>&1)
if [[ $err == *"violates row-level security policy"* ]]; then ok "role without a subject: INSERT refused by the shard's policy"
else bad "role without a subject: INSERT was not refused: $err"; fi

plan=$(q 0 -c "SET ROLE regress_citus_nobody" -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM jobs")
if grep -q 'Custom Scan (Citus' <<<"$plan" && grep -q 'Filter: .*rls_check(' <<<"$plan"; then
  ok "the policy runs in the shard queries on the workers (EXPLAIN VERBOSE shows rls_check under the Citus task)"
else
  bad "EXPLAIN VERBOSE does not show the policy in the shard query:"; sed 's/^/    /' <<<"$plan"
fi

# ---------------------------------------------------------------------------
echo "== still to come (issue 13)"
got=$(q 0 -c "SET ROLE regress_citus_ana" -c "SELECT count(*) FROM jobs" | tail -1)
if [ "$got" = 100 ]; then ok "a bound role sees its 100 rows through the coordinator"
else pending "a bound role sees its 100 rows through the coordinator (now: $got)"; fi
got=$(q 1 -c "SELECT runai.has_permission('ana@acme.io', 'workloads', 'view', 'project/p1')")
if [ "$got" = t ]; then ok "worker 1 answers from the coordinator's catalog"
else pending "worker 1 answers from the coordinator's catalog (now has_permission: $got, $(q 1 -c "SELECT count(*) FROM runai_internal.access_rules") rules there)"; fi
got=$(q 0 -c "SELECT logicalrelid::text FROM pg_dist_partition WHERE logicalrelid = 'runai_internal.access_rules'::regclass")
if [ -n "$got" ]; then ok "the catalog is a set of reference tables"
else pending "the catalog is a set of reference tables (now: $(q 0 -c "SELECT create_reference_table('runai_internal.scopes')" 2>&1 | head -1))"; fi

# ---------------------------------------------------------------------------
crashed=0
for d in "${CITUS_NODES[@]}"; do
  if grep -qE 'terminated by signal|PANIC' "$d/server.log"; then
    bad "$(basename "$d") crashed:"; grep -E 'terminated by signal|PANIC' "$d/server.log" | head -5 | sed 's/^/    /'
    crashed=1
  fi
done
[ $crashed -eq 0 ] && ok "no server crashed"

if [ $failures -eq 0 ]; then echo "citus.sh: all checks passed"; exit 0; fi
echo "citus.sh: $failures check(s) failed"
exit 1
