#!/usr/bin/env bash
# make bench: SPEC section 6's measurements on a throwaway cluster.
#
# Builds and installs, starts a cluster with room for the data set in shared
# buffers, generates the data set once (bench/generate.sql), then measures with
# pgbench (simple protocol: each figure is a whole statement -- parse, plan,
# execute and the round trip on a Unix socket -- one client, one connection,
# per-transaction latencies from pgbench's log):
#   - SELECT count(*) as the L1 researcher, the Department administrator of 5
#     departments and the System administrator: on the protected runai.workloads,
#     on the SQL peer, on the unprotected copy, and the physical limit (the
#     unprotected copy with the subject's projects written out);
#   - runai.has_permission over generate_series(1, 1000000), warm;
#   - the first check after an access-rule change, subject with 1,000 rules
#     (EXPLAIN ANALYZE execution time of runai.can, the change committed by
#     another session just before).
# Medians over about BENCH_RUNS runs (default 55; at least 11) of each query: the
# four queries of a subject run interleaved at random within each of BENCH_ROUNDS
# (5) connections, the first BENCH_WARMUP (2) runs of each per connection left
# out.  has_permission: at least BENCH_CHECK_RUNS (11) runs each, likewise.
# Prints a table and writes it, with the machine and the plans, to
# bench/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/cluster.sh

RUNS=${BENCH_RUNS:-55}
MIN_RUNS=11
ROUNDS=${BENCH_ROUNDS:-5}
WARMUP=${BENCH_WARMUP:-2}
CHECK_RUNS=${BENCH_CHECK_RUNS:-11}
PORT=${BENCH_PORT:-55452}
DB=runai_bench
MAKE=${MAKE:-make}

[ $((RUNS / ROUNDS * ROUNDS)) -ge 11 ] || { echo "runai_rbac: BENCH_RUNS / BENCH_ROUNDS * BENCH_ROUNDS must be at least 11" >&2; exit 1; }
RUNS=$((RUNS / ROUNDS * ROUNDS))

$MAKE -s all >/dev/null || { echo "runai_rbac: build failed" >&2; exit 1; }

tmp=$(mktemp -d /tmp/runai_rbac_bench.XXXXXX)
chmod 755 "$tmp"
private_install "$tmp/inst" || { echo "runai_rbac: installing into a private copy of the server failed" >&2; exit 1; }
mkdir -p "$tmp/q" "$tmp/log"
chmod 777 "$tmp/log"
cluster_start "$tmp/cluster" "$PORT" \
  "shared_buffers = '2GB'" "work_mem = '64MB'" "maintenance_work_mem = '1GB'" \
  "max_wal_size = '8GB'" "checkpoint_timeout = '1h'" "autovacuum = off" \
  "jit = off"

psql_su() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

echo "== generating the data set (bench/generate.sql)"
createdb "$DB"
gen_start=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f bench/generate.sql >"$tmp/generate.log"
gen_secs=$(( $(date +%s) - gen_start ))
tail -n 4 "$tmp/generate.log"
echo "   generated in ${gen_secs} s"

# The projects a subject may view, written out (the physical limit's list).
visible_projects() {
  psql_su -At -c "
    SELECT '{' || string_agg(DISTINCT c.descendant::text, ',') || '}'
      FROM bench.closure c
      JOIN bench.rules r ON r.scope OPERATOR(pg_catalog.=) c.ancestor
      JOIN bench.role_grants g ON g.role_id = r.role_id
     WHERE r.subject_type = 'user' AND r.subject = '$1'
       AND g.resource = 'workloads' AND g.actions OPERATOR(pg_catalog.@>) '{view}'
       AND runai.scope_type(c.descendant) = 'project'"
}

# median FILE: the median of the numbers in FILE, one a line
median() { sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# mix ROLE N NAME1 FILE1 NAME2 FILE2 ...: one new connection runs the files in a
# random interleaving, about WARMUP + N times each (pgbench picks a file per
# transaction, so that load from elsewhere on the machine falls on all of them
# alike); the first WARMUP runs per file are left out and the latencies in ms of
# the others are appended to NAMEi.ms.
mix() {
  local role=$1 n=$2; shift 2
  local -a names=() args=()
  while [ $# -gt 0 ]; do names+=("$1"); args+=(-f "$2"); shift 2; done
  local k=${#names[@]}
  rm -f "$tmp/log/mix".[0-9]*
  pgbench -n -M simple -c 1 -t $(((n + WARMUP) * k)) -U "$role" "${args[@]}" \
    -l --log-prefix="$tmp/log/mix" "$DB" >/dev/null
  for i in $(seq 0 $((k - 1))); do
    cat "$tmp/log/mix".[0-9]* |
      awk -v s="$i" -v w="$WARMUP" '$4 == s { if (++seen > w) print $3 / 1000.0 }' >>"$tmp/log/${names[$i]}.ms"
  done
}

# fewest SUBJECT: the smallest number of runs measured so far for its four queries.
fewest() {
  local q n min=999999
  for q in protected peer plain physical; do
    n=$(cat "$tmp/log/${1}_$q.ms" 2>/dev/null | wc -l)
    [ "$n" -lt "$min" ] && min=$n
  done
  echo "$min"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { r = a / b; printf (r < 0.1 ? "%.4f" : "%.2f"), r }'; }

declare -A who=([researcher]=u1@bench.io [deptadmin]=u2@bench.io [sysadmin]=u3@bench.io)
declare -A label=([researcher]="L1 researcher, 10 projects" [deptadmin]="Department administrator, 5 departments" [sysadmin]="System administrator")
declare -A res

echo 'SELECT count(*) FROM runai.workloads;' >"$tmp/q/protected.sql"
echo 'SELECT count(*) FROM bench.workloads_peer;' >"$tmp/q/peer.sql"
echo 'SELECT count(*) FROM bench.workloads_plain;' >"$tmp/q/plain.sql"

plans="$tmp/plans.txt"
: >"$plans"
for s in researcher deptadmin sysadmin; do
  role=bench_$s
  if [ "$s" = sysadmin ]; then
    # everything is visible: the physical limit is the unprotected count
    cp "$tmp/q/plain.sql" "$tmp/q/physical_$s.sql"
  else
    list=$(visible_projects "${who[$s]}")
    echo "SELECT count(*) FROM bench.workloads_plain WHERE project OPERATOR(pg_catalog.=) ANY ('$list'::runai.scope[]);" >"$tmp/q/physical_$s.sql"
  fi
  echo "== ${label[$s]} (${who[$s]}, database role $role)"
  res[$s,rows]=$(psql -X -At -U "$role" -d "$DB" -f "$tmp/q/protected.sql")
  res[$s,peer_rows]=$(psql -X -At -U "$role" -d "$DB" -f "$tmp/q/peer.sql")
  res[$s,phys_rows]=$(psql -X -At -U "$role" -d "$DB" -f "$tmp/q/physical_$s.sql")
  if [ "${res[$s,rows]}" != "${res[$s,peer_rows]}" ] || [ "${res[$s,rows]}" != "${res[$s,phys_rows]}" ]; then
    echo "runai_rbac: row counts differ for $s: protected ${res[$s,rows]}, peer ${res[$s,peer_rows]}, physical ${res[$s,phys_rows]}" >&2
    exit 1
  fi
  # the four queries interleaved, in ROUNDS connections
  for q in protected peer plain physical; do rm -f "$tmp/log/${s}_$q.ms"; done
  r=0
  while [ $r -lt "$ROUNDS" ] || [ "$(fewest "$s")" -lt "$MIN_RUNS" ]; do
    mix "$role" $((RUNS / ROUNDS)) "${s}_protected" "$tmp/q/protected.sql" "${s}_peer" "$tmp/q/peer.sql" \
      "${s}_plain" "$tmp/q/plain.sql" "${s}_physical" "$tmp/q/physical_$s.sql"
    r=$((r + 1))
  done
  for q in protected peer plain physical; do
    res[$s,$q]=$(median "$tmp/log/${s}_$q.ms")
    res[$s,$q,n]=$(wc -l <"$tmp/log/${s}_$q.ms")
  done
  echo "   rows ${res[$s,rows]}: protected ${res[$s,protected]} ms, peer ${res[$s,peer]} ms, unprotected ${res[$s,plain]} ms, physical limit ${res[$s,physical]} ms"
  {
    for q in protected peer plain "physical_$s"; do
      [ "$s" = sysadmin ] && [ "$q" = "physical_$s" ] && continue
      echo "-- ${label[$s]}: $q (warm: the second run in the session)"
      sql=$(sed 's/;$//' "$tmp/q/$q.sql")
      psql -X -At -U "$role" -d "$DB" -c "$sql" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $sql" 2>&1 | tail -n +2 |
        sed -E 's/ANY \(\x27\{[^}]{60}[^}]*\}\x27/ANY (\x27{...}\x27/'
      echo
    done
  } >>"$plans"
done

# Checks per second: has_permission on a varying scope (half of them granted), and
# the same loop without the check.
echo "== has_permission in a loop"
cat >"$tmp/q/checks.sql" <<'SQL'
SELECT count(*) FILTER (WHERE runai.has_permission('user:u1@bench.io', 'workloads', 'view',
         CASE WHEN g % 2 = 0 THEN 'project/14'::runai.scope ELSE 'project/2'::runai.scope END))
  FROM generate_series(1, 1000000) g;
SQL
cat >"$tmp/q/loop.sql" <<'SQL'
SELECT count(*) FILTER (WHERE
         (CASE WHEN g % 2 = 0 THEN 'project/14'::runai.scope ELSE 'project/2'::runai.scope END) IS NOT NULL)
  FROM generate_series(1, 1000000) g;
SQL
granted=$(psql -X -At -U bench_researcher -d "$DB" -f "$tmp/q/checks.sql")
rm -f "$tmp/log/checks.ms" "$tmp/log/loop.ms"
while [ "$(cat "$tmp/log/checks.ms" "$tmp/log/loop.ms" 2>/dev/null | wc -l)" -lt $((2 * CHECK_RUNS)) ] ||
      [ "$(wc -l <"$tmp/log/checks.ms")" -lt "$CHECK_RUNS" ] || [ "$(wc -l <"$tmp/log/loop.ms")" -lt "$CHECK_RUNS" ]; do
  mix bench_researcher "$CHECK_RUNS" checks "$tmp/q/checks.sql" loop "$tmp/q/loop.sql"
done
checks_ms=$(median "$tmp/log/checks.ms")
loop_ms=$(median "$tmp/log/loop.ms")
checks_per_s=$(awk -v t="$checks_ms" 'BEGIN { printf "%.0f", 1000000 / (t / 1000) }')
checks_net_per_s=$(awk -v t="$checks_ms" -v l="$loop_ms" 'BEGIN { if (t > l) printf "%.0f", 1000000 / ((t - l) / 1000); else print "n/a (within the noise)" }')
echo "   1,000,000 checks ($granted granted): ${checks_ms} ms, loop alone ${loop_ms} ms: ${checks_per_s} checks/s (${checks_net_per_s} net of the loop)"

# The first check after a rule change, subject with 1,000 rules: another session
# adds a rule of big@bench.io and commits; the next statement of big's session
# rebuilds its grants.
echo "== first check after an access-rule change (1,000 rules)"
l1=$(psql_su -At -c "SELECT id FROM runai_internal.roles WHERE name = 'L1 researcher'")
{
  echo "SELECT runai.can('workloads', 'view', 'project/11');"
  echo "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT runai.can('workloads', 'view', 'project/11');"
  for i in $(seq 1 "$CHECK_RUNS"); do
    # projects 10 j + 2: not among big's own (10 j + 1)
    echo "\\! psql -X -q -U postgres -d $DB -c \"INSERT INTO runai_internal.access_rules (subject_type, subject, role_id, scope, created_by) VALUES ('user', 'big@bench.io', $l1, 'project/$((10 * i + 2))', 'bench')\""
    echo "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT runai.can('workloads', 'view', 'project/11');"
  done
  echo "SELECT 'bytes', largest_subject_bytes FROM runai.cache_stats();"
  echo "SELECT 'rules', count(*) FROM bench.rules WHERE subject = 'big@bench.io';"
} >"$tmp/q/first_check.sql"
psql -X -At -U bench_big -d "$DB" -f "$tmp/q/first_check.sql" >"$tmp/log/first_check.out"
grep 'Execution Time' "$tmp/log/first_check.out" | awk '{ print $3 }' >"$tmp/log/first_check.all"
warm_check_ms=$(head -n 1 "$tmp/log/first_check.all")
tail -n +2 "$tmp/log/first_check.all" >"$tmp/log/first_check.ms"
first_check_ms=$(median "$tmp/log/first_check.ms")
first_check_max=$(sort -g "$tmp/log/first_check.ms" | tail -n 1)
big_bytes=$(awk -F'|' '$1 == "bytes" { print $2 }' "$tmp/log/first_check.out")
echo "   median ${first_check_ms} ms (max ${first_check_max} ms) over $CHECK_RUNS changes; warm check ${warm_check_ms} ms; subject cache ${big_bytes} bytes"

echo "== the admin views at 100,000 users and 1,000,000 rules (bench/views.sql)"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f bench/views.sql >"$tmp/log/views.out" 2>&1 \
  || { cat "$tmp/log/views.out" >&2; exit 1; }

# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------
load=$(cut -d' ' -f1-3 /proc/loadavg)
machine=$(lscpu 2>/dev/null | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')
cores=$(nproc)
mem=$(free -g | awk '/Mem:/ { print $2 " GiB" }')
pgver=$(psql_su -At -c 'SHOW server_version')

report="$tmp/results.md"
{
  echo "# runai_rbac benchmark results"
  echo
  echo "Measured by \`make bench\` (tools/bench.sh) on $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo
  echo "- Machine: ${machine:-unknown CPU}, $cores cores, $mem RAM; PostgreSQL $pgver;"
  echo "  shared_buffers 2GB, jit off, autovacuum off, default parallel settings; load"
  echo "  average at the end of the run: $load (other work on the machine shows here)."
  echo "- Data set (bench/generate.sql, generated in ${gen_secs} s): 1 tenant, 10 clusters,"
  echo "  1,000 departments, 10,000 projects, 100,000 users, 1,000,000 access rules (+1,000"
  echo "  of big@bench.io), 1,000,000 workloads (100 per project), btree on project."
  echo "- Times: medians of about $RUNS runs each (exact counts below), one pgbench client,"
  echo "  simple protocol: the whole statement (parse, plan, execute, round trip on a Unix"
  echo "  socket).  The four queries of a subject run interleaved at random in $ROUNDS"
  echo "  connections, so that load from elsewhere falls on all of them alike; the first"
  echo "  $WARMUP runs of each query per connection are left out.  For the System"
  echo "  administrator \"unprotected\" and \"physical limit\" are the same query: their"
  echo "  difference is the measurement's noise."
  echo "  \"Physical limit\": the unprotected copy with the subject's projects written out,"
  echo "  \`WHERE project = ANY('{...}')\`."
  echo
  echo "## SELECT count(*) FROM the protected table"
  echo
  echo "| subject | rows | protected (ms) | SQL peer (ms) | unprotected (ms) | physical limit (ms) | peer / protected | protected / physical | protected / unprotected |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for s in researcher deptadmin sysadmin; do
    echo "| ${label[$s]} | ${res[$s,rows]} | ${res[$s,protected]} | ${res[$s,peer]} | ${res[$s,plain]} | ${res[$s,physical]} | $(ratio "${res[$s,peer]}" "${res[$s,protected]}")× | $(ratio "${res[$s,protected]}" "${res[$s,physical]}") | $(ratio "${res[$s,protected]}" "${res[$s,plain]}") |"
  done
  echo
  echo "Runs per median (protected, peer, unprotected, physical limit):"
  for s in researcher deptadmin sysadmin; do
    echo "${label[$s]}: ${res[$s,protected,n]}, ${res[$s,peer,n]}, ${res[$s,plain,n]}, ${res[$s,physical,n]}."
  done
  echo
  echo "Targets (SPEC section 6): researcher ≤ 2 ms, ≥ 30× faster than the peer, ≤ 1.5× the"
  echo "physical limit; System administrator ≤ 1.10× unprotected; Department administrator"
  echo "≤ 1.25× unprotected (for the System administrator the physical limit is the"
  echo "unprotected count itself)."
  echo
  echo "## Checks"
  echo
  echo "| figure | value |"
  echo "|---|---:|"
  echo "| has_permission, 1,000,000 checks in one statement (median of $(wc -l <"$tmp/log/checks.ms")) | ${checks_ms} ms |"
  echo "| the same loop without the check (median of $(wc -l <"$tmp/log/loop.ms")) | ${loop_ms} ms |"
  echo "| checks per second (one backend, one core) | ${checks_per_s} |"
  echo "| checks per second, net of the loop | ${checks_net_per_s} |"
  echo "| first check after an access-rule change, 1,000 rules (median of $CHECK_RUNS, EXPLAIN ANALYZE execution time) | ${first_check_ms} ms (max ${first_check_max}) |"
  echo "| the same check, warm | ${warm_check_ms} ms |"
  echo "| cache memory of the 1,000-rule subject | ${big_bytes} bytes |"
  echo
  echo "## Admin views (bench/views.sql)"
  echo
  echo '```'
  cat "$tmp/log/views.out"
  echo '```'
  echo
  echo "## Plans (EXPLAIN ANALYZE, BUFFERS)"
  echo
  echo '```'
  cat "$plans"
  echo '```'
} >"$report"

cp "$report" bench/results.md
echo
sed -n '/^## SELECT/,/^## Plans/p' "$report" | sed '$d'
echo "runai_rbac: written to bench/results.md"
cluster_stop_all
rm -rf "$tmp"
