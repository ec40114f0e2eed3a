#!/usr/bin/env bash
# make bench: SPEC section 6's measurements on a throwaway cluster.
#
# Builds and installs, starts a cluster with room for the data sets in shared
# buffers, generates three databases once, then measures, one section per
# function (each appends its part of the report; another section is one more
# function and one more line in main):
#   runai_bench        the SPEC data set (bench/generate.sql): 11,011 scopes,
#                      1,000,000 rules, 1,000,000 workloads
#   runai_bench_small  a small organisation (bench/generate_small.sql): 28 scopes,
#                      200,000 workloads
#   runai_bench_large  a large tree (bench/generate_large.sql): 110,012 scopes,
#                      1,000,000 rules
# Sections:
#   section_subjects     SELECT count(*) as the L1 researcher, the Department
#                        administrator of 5 departments, the System administrator
#                        and a Viewer of the tenant: on the protected
#                        runai.workloads, on the SQL peer, on the unprotected copy,
#                        and the physical limit (the unprotected copy with the
#                        subject's projects written out)
#   section_small_org    the same for the small organisation's researcher (one
#                        project): protected, physical limit, unprotected
#   section_checks       runai.has_permission over generate_series(1, 1000000), warm
#   section_first_check  the first check after an access-rule change, subject with
#                        1,000 rules (EXPLAIN ANALYZE execution time of runai.can,
#                        the change committed by another session just before)
#   section_large_tree   on 110,000 scopes: a new connection's first check against a
#                        new connection's SELECT 1 (pgbench -C), the next check of an
#                        open session after a create_scope elsewhere, and each
#                        backend's private and shared memory (runai.cache_stats) in
#                        the three databases
#   section_views        the admin views (bench/views.sql)
#   section_citus        with Citus (unless BENCH_CITUS=0): the researcher's count
#                        on 1,000,000 rows distributed by project against the
#                        physical limit there, and the tasks Citus sends
# Query times are pgbench latencies (simple protocol: parse, plan, execute and the
# round trip on a Unix socket): medians over about BENCH_RUNS runs (default 55; at
# least 11) of each query; the queries of a case run interleaved at random within
# each of BENCH_ROUNDS (5) connections, the first BENCH_WARMUP (2) runs of each per
# connection left out.  has_permission, first checks: at least BENCH_CHECK_RUNS
# (11) runs each.  Prints the tables and writes them, with the machine and the
# plans, to bench/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/cluster.sh

RUNS=${BENCH_RUNS:-55}
MIN_RUNS=11
ROUNDS=${BENCH_ROUNDS:-5}
WARMUP=${BENCH_WARMUP:-2}
CHECK_RUNS=${BENCH_CHECK_RUNS:-11}
CONNECT_RUNS=${BENCH_CONNECT_RUNS:-200}
PORT=${BENCH_PORT:-55452}
DB=runai_bench
DB_SMALL=runai_bench_small
DB_LARGE=runai_bench_large
MAKE=${MAKE:-make}

[ $((RUNS / ROUNDS * ROUNDS)) -ge 11 ] || { echo "runai_rbac: BENCH_RUNS / BENCH_ROUNDS * BENCH_ROUNDS must be at least 11" >&2; exit 1; }
RUNS=$((RUNS / ROUNDS * ROUNDS))

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

psql_su() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

# median FILE: the median of the numbers in FILE, one a line
median() { sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { r = a / b; printf (r < 0.1 ? "%.4f" : "%.2f"), r }'; }
diff_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }

# mix DB ROLE N [-C] NAME1 FILE1 NAME2 FILE2 ...: one pgbench client runs the files
# in a random interleaving, about WARMUP + N times each (pgbench picks a file per
# transaction, so that load from elsewhere on the machine falls on all of them
# alike); with -C every transaction opens a new connection (its time included).
# The first WARMUP runs per file are left out and the latencies in ms of the
# others are appended to NAMEi.ms.
mix() {
  local db=$1 role=$2 n=$3; shift 3
  local -a names=() args=() connect=()
  if [ "${1:-}" = -C ]; then connect=(-C); shift; fi
  while [ $# -gt 0 ]; do names+=("$1"); args+=(-f "$2"); shift 2; done
  local k=${#names[@]}
  rm -f "$tmp/log/mix".[0-9]*
  pgbench -n -M simple "${connect[@]}" -c 1 -t $(((n + WARMUP) * k)) -U "$role" "${args[@]}" \
    -l --log-prefix="$tmp/log/mix" "$db" >/dev/null
  for i in $(seq 0 $((k - 1))); do
    cat "$tmp/log/mix".[0-9]* |
      awk -v s="$i" -v w="$WARMUP" '$4 == s { if (++seen > w) print $3 / 1000.0 }' >>"$tmp/log/${names[$i]}.ms"
  done
}

# fewest NAME...: the smallest number of runs measured so far for these names.
fewest() {
  local q n min=999999
  for q in "$@"; do
    n=$(cat "$tmp/log/$q.ms" 2>/dev/null | wc -l)
    [ "$n" -lt "$min" ] && min=$n
  done
  echo "$min"
}

# measure DB ROLE NAME1 FILE1 ...: the files interleaved in ROUNDS connections until
# each has at least MIN_RUNS runs; medians in res[NAME] and counts in res[NAME,n].
measure() {
  local db=$1 role=$2; shift 2
  local -a pairs=("$@") names=()
  local i r=0
  for ((i = 0; i < ${#pairs[@]}; i += 2)); do names+=("${pairs[$i]}"); rm -f "$tmp/log/${pairs[$i]}.ms"; done
  while [ $r -lt "$ROUNDS" ] || [ "$(fewest "${names[@]}")" -lt "$MIN_RUNS" ]; do
    mix "$db" "$role" $((RUNS / ROUNDS)) "${pairs[@]}"
    r=$((r + 1))
  done
  for q in "${names[@]}"; do
    res[$q]=$(median "$tmp/log/$q.ms")
    res[$q,n]=$(wc -l <"$tmp/log/$q.ms")
  done
}

# plan DB ROLE LABEL SQL: EXPLAIN ANALYZE of the second run in a session, into the plans.
plan() {
  local db=$1 role=$2 label=$3 sql=$4
  {
    echo "-- $label (warm: the second run in the session)"
    psql -X -At -U "$role" -d "$db" -c "$sql" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $sql" 2>&1 | tail -n +2 |
      sed -E 's/ANY \(\x27\{[^}]{60}[^}]*\}\x27/ANY (\x27{...}\x27/'
    echo
  } >>"$plans"
}

# projects_list DB EMAIL: the projects whose workloads the user may view, written out
# (through the closure table of the SPEC data set, or the tree's own walk).
projects_list() {
  psql -X -At -d "$1" -c "
    SELECT '{' || string_agg(DISTINCT c.descendant::text, ',') || '}'
      FROM bench.closure c
      JOIN bench.rules r ON r.scope OPERATOR(pg_catalog.=) c.ancestor
      JOIN bench.role_grants g ON g.role_id = r.role_id
     WHERE r.subject_type = 'user' AND r.subject = '$2'
       AND g.resource = 'workloads' AND g.actions OPERATOR(pg_catalog.@>) '{view}'
       AND runai.scope_type(c.descendant) = 'project'"
}

# ---------------------------------------------------------------------------
# Setup: build, cluster, data sets
# ---------------------------------------------------------------------------

setup() {
  $MAKE -s all >/dev/null || { echo "runai_rbac: build failed" >&2; exit 1; }
  tmp=$(mktemp -d /tmp/runai_rbac_bench.XXXXXX)
  chmod 755 "$tmp"
  at_exit 'rm -rf "$tmp"'
  private_install "$tmp/inst" || { echo "runai_rbac: installing into a private copy of the server failed" >&2; exit 1; }
  mkdir -p "$tmp/q" "$tmp/log"
  chmod 777 "$tmp/log"
  cluster_start "$tmp/cluster" "$PORT" \
    "shared_buffers = '2GB'" "work_mem = '64MB'" "maintenance_work_mem = '1GB'" \
    "max_wal_size = '8GB'" "checkpoint_timeout = '1h'" "autovacuum = off" \
    "jit = off"
  plans="$tmp/plans.txt"
  : >"$plans"
  sections="$tmp/sections.md"
  : >"$sections"

  local f db start
  for f in generate:$DB generate_small:$DB_SMALL generate_large:$DB_LARGE; do
    db=${f#*:}
    echo "== generating $db (bench/${f%%:*}.sql)"
    createdb "$db"
    start=$(date +%s)
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "bench/${f%%:*}.sql" >"$tmp/${f%%:*}.log"
    gen[$db]=$(( $(date +%s) - start ))
    tail -n 4 "$tmp/${f%%:*}.log"
    echo "   generated in ${gen[$db]} s"
  done
}

# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------

section_subjects() {
  declare -A who=([researcher]=u1@bench.io [deptadmin]=u2@bench.io [sysadmin]=u3@bench.io [tenant]=tv@bench.io)
  declare -A label=([researcher]="L1 researcher, 10 projects" [deptadmin]="Department administrator, 5 departments"
                    [sysadmin]="System administrator" [tenant]="Viewer of the tenant (sees every row, no rule at system)")
  local s role list
  echo 'SELECT count(*) FROM runai.workloads;' >"$tmp/q/protected.sql"
  echo 'SELECT count(*) FROM bench.workloads_peer;' >"$tmp/q/peer.sql"
  echo 'SELECT count(*) FROM bench.workloads_plain;' >"$tmp/q/plain.sql"
  for s in researcher deptadmin sysadmin tenant; do
    role=bench_$s
    if [ "$s" = sysadmin ] || [ "$s" = tenant ]; then
      # everything is visible: the physical limit is the unprotected count
      cp "$tmp/q/plain.sql" "$tmp/q/physical_$s.sql"
    else
      list=$(projects_list "$DB" "${who[$s]}")
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
    measure "$DB" "$role" "${s}_protected" "$tmp/q/protected.sql" "${s}_peer" "$tmp/q/peer.sql" \
      "${s}_plain" "$tmp/q/plain.sql" "${s}_physical" "$tmp/q/physical_$s.sql"
    echo "   rows ${res[$s,rows]}: protected ${res[${s}_protected]} ms, peer ${res[${s}_peer]} ms, unprotected ${res[${s}_plain]} ms, physical limit ${res[${s}_physical]} ms"
    plan "$DB" "$role" "${label[$s]}: protected" 'SELECT count(*) FROM runai.workloads'
    [ "$s" = researcher ] && plan "$DB" "$role" "${label[$s]}: peer" 'SELECT count(*) FROM bench.workloads_peer'
    [ "$s" = sysadmin ] || [ "$s" = tenant ] || plan "$DB" "$role" "${label[$s]}: physical limit" "$(sed 's/;$//' "$tmp/q/physical_$s.sql")"
  done
  plan "$DB" bench_researcher "unprotected" 'SELECT count(*) FROM bench.workloads_plain'
  {
    echo "## SELECT count(*) FROM the protected table (SPEC data set)"
    echo
    echo "| subject | rows | protected (ms) | SQL peer (ms) | unprotected (ms) | physical limit (ms) | peer / protected | protected / physical | protected / unprotected |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for s in researcher deptadmin sysadmin tenant; do
      echo "| ${label[$s]} | ${res[$s,rows]} | ${res[${s}_protected]} | ${res[${s}_peer]} | ${res[${s}_plain]} | ${res[${s}_physical]} | $(ratio "${res[${s}_peer]}" "${res[${s}_protected]}")× | $(ratio "${res[${s}_protected]}" "${res[${s}_physical]}") | $(ratio "${res[${s}_protected]}" "${res[${s}_plain]}") |"
    done
    echo
    echo "Runs per median (protected, peer, unprotected, physical limit):"
    for s in researcher deptadmin sysadmin tenant; do
      echo "${label[$s]}: ${res[${s}_protected,n]}, ${res[${s}_peer,n]}, ${res[${s}_plain,n]}, ${res[${s}_physical,n]}."
    done
    echo
    echo "Targets (SPEC section 6): researcher ≤ 2 ms, ≥ 30× faster than the peer, ≤ 1.5× the"
    echo "physical limit; System administrator ≤ 1.10× unprotected; Department administrator"
    echo "≤ 1.25× unprotected.  For the System administrator and the tenant's Viewer the"
    echo "physical limit is the unprotected count itself (their difference is the noise of"
    echo "the measurement).  The tenant's Viewer has no target: it shows the plan for a"
    echo "subject that sees most rows (a sequential scan with the per-row check)."
    echo
  } >>"$sections"
}

section_small_org() {
  echo "== a small organisation: researcher with one project (database $DB_SMALL)"
  echo 'SELECT count(*) FROM runai.workloads;' >"$tmp/q/small_protected.sql"
  echo "SELECT count(*) FROM bench.workloads_plain WHERE project OPERATOR(pg_catalog.=) ANY ('{project/7}'::runai.scope[]);" >"$tmp/q/small_physical.sql"
  echo 'SELECT count(*) FROM bench.workloads_plain;' >"$tmp/q/small_plain.sql"
  res[small,rows]=$(psql -X -At -U bench_small -d "$DB_SMALL" -f "$tmp/q/small_protected.sql")
  res[small,phys_rows]=$(psql -X -At -U bench_small -d "$DB_SMALL" -f "$tmp/q/small_physical.sql")
  res[small,all_rows]=$(psql -X -At -U bench_small -d "$DB_SMALL" -f "$tmp/q/small_plain.sql")
  if [ "${res[small,rows]}" != "${res[small,phys_rows]}" ]; then
    echo "runai_rbac: row counts differ for the small organisation: protected ${res[small,rows]}, physical ${res[small,phys_rows]}" >&2
    exit 1
  fi
  measure "$DB_SMALL" bench_small small_protected "$tmp/q/small_protected.sql" \
    small_physical "$tmp/q/small_physical.sql" small_plain "$tmp/q/small_plain.sql"
  echo "   rows ${res[small,rows]} of ${res[small,all_rows]}: protected ${res[small_protected]} ms, physical limit ${res[small_physical]} ms, unprotected ${res[small_plain]} ms"
  plan "$DB_SMALL" bench_small "small organisation, researcher of project/7: protected" 'SELECT count(*) FROM runai.workloads'
  plan "$DB_SMALL" bench_small "small organisation, researcher of project/7: physical limit" "$(sed 's/;$//' "$tmp/q/small_physical.sql")"
  {
    echo "## A small organisation (28 scopes, 200,000 workloads)"
    echo
    echo "| subject | rows | protected (ms) | physical limit (ms) | unprotected (ms) | protected / physical | protected / unprotected |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    echo "| L1 researcher, one project | ${res[small,rows]} of ${res[small,all_rows]} | ${res[small_protected]} | ${res[small_physical]} | ${res[small_plain]} | $(ratio "${res[small_protected]}" "${res[small_physical]}") | $(ratio "${res[small_protected]}" "${res[small_plain]}") |"
    echo
    echo "Runs per median (protected, physical limit, unprotected): ${res[small_protected,n]}, ${res[small_physical,n]}, ${res[small_plain,n]}."
    echo "Target: ≤ 1.5× the physical limit (the index is used whenever it pays, judged from the rows)."
    echo
  } >>"$sections"
}

section_checks() {
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
  res[granted]=$(psql -X -At -U bench_researcher -d "$DB" -f "$tmp/q/checks.sql")
  rm -f "$tmp/log/checks.ms" "$tmp/log/loop.ms"
  while [ "$(fewest checks loop)" -lt "$CHECK_RUNS" ]; do
    mix "$DB" bench_researcher "$CHECK_RUNS" checks "$tmp/q/checks.sql" loop "$tmp/q/loop.sql"
  done
  res[checks]=$(median "$tmp/log/checks.ms")
  res[loop]=$(median "$tmp/log/loop.ms")
  res[checks_per_s]=$(awk -v t="${res[checks]}" 'BEGIN { printf "%.0f", 1000000 / (t / 1000) }')
  res[checks_net_per_s]=$(awk -v t="${res[checks]}" -v l="${res[loop]}" 'BEGIN { if (t > l) printf "%.0f", 1000000 / ((t - l) / 1000); else print "n/a (within the noise)" }')
  echo "   1,000,000 checks (${res[granted]} granted): ${res[checks]} ms, loop alone ${res[loop]} ms: ${res[checks_per_s]} checks/s (${res[checks_net_per_s]} net of the loop)"
  {
    echo "## Checks"
    echo
    echo "| figure | value |"
    echo "|---|---:|"
    echo "| has_permission, 1,000,000 checks in one statement (median of $(wc -l <"$tmp/log/checks.ms")) | ${res[checks]} ms |"
    echo "| the same loop without the check (median of $(wc -l <"$tmp/log/loop.ms")) | ${res[loop]} ms |"
    echo "| checks per second (one backend, one core) | ${res[checks_per_s]} |"
    echo "| checks per second, net of the loop | ${res[checks_net_per_s]} |"
  } >>"$sections"
}

# timed_after DB ROLE CHANGE_SQL CHECK_SQL OUT: in one session of ROLE, the check
# once warm, then CHECK_RUNS times: CHANGE_SQL committed by another session (as the
# superuser; %i is the run's number), then the check under EXPLAIN ANALYZE.  Writes
# the warm time and the times after each change (ms) to OUT.warm and OUT.ms, and
# the session's cache_stats() to OUT.stats.
timed_after() {
  local db=$1 role=$2 change=$3 check=$4 out=$5 i
  {
    echo "$check;"
    echo "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $check;"
    for i in $(seq 1 "$CHECK_RUNS"); do
      echo "\\! psql -X -q -U postgres -d $db -c \"${change//%i/$i}\" >/dev/null"
      echo "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $check;"
    done
    echo "SELECT 'stats', subjects, scopes, largest_subject_bytes, shared_tree, shared_tree_bytes, private_bytes FROM runai.cache_stats();"
  } >"$tmp/q/$out.sql"
  psql -X -At -U "$role" -d "$db" -f "$tmp/q/$out.sql" >"$tmp/log/$out.out"
  grep 'Execution Time' "$tmp/log/$out.out" | awk '{ print $3 }' >"$tmp/log/$out.all"
  head -n 1 "$tmp/log/$out.all" >"$tmp/log/$out.warm"
  tail -n +2 "$tmp/log/$out.all" >"$tmp/log/$out.ms"
  grep '^stats|' "$tmp/log/$out.out" >"$tmp/log/$out.stats"
}

section_first_check() {
  # another session adds a rule of big@bench.io and commits; the next statement of
  # big's session rebuilds its grants (projects 10 j + 2: not among its own 10 j + 1)
  echo "== first check after an access-rule change (1,000 rules)"
  local l1
  l1=$(psql_su -At -c "SELECT id FROM runai_internal.roles WHERE name = 'L1 researcher'")
  timed_after "$DB" bench_big \
    "INSERT INTO runai_internal.access_rules (subject_type, subject, role_id, scope, created_by) VALUES ('user', 'big@bench.io', $l1, 'project/%i2', 'bench')" \
    "SELECT runai.can('workloads', 'view', 'project/11')" first_check
  res[first]=$(median "$tmp/log/first_check.ms")
  res[first_max]=$(sort -g "$tmp/log/first_check.ms" | tail -n 1)
  res[first_warm]=$(cat "$tmp/log/first_check.warm")
  res[big_bytes]=$(cut -d'|' -f4 "$tmp/log/first_check.stats")
  res[big_rules]=$(psql_su -At -c "SELECT count(*) FROM runai_internal.access_rules WHERE subject = 'big@bench.io'")
  echo "   median ${res[first]} ms (max ${res[first_max]} ms) over $CHECK_RUNS changes; warm check ${res[first_warm]} ms; subject cache ${res[big_bytes]} bytes"
  {
    echo "| first check after an access-rule change, ${res[big_rules]} rules at the end (median of $CHECK_RUNS, EXPLAIN ANALYZE execution time) | ${res[first]} ms (max ${res[first_max]}) |"
    echo "| the same check, warm | ${res[first_warm]} ms |"
    echo "| cache memory of the 1,000-rule subject | ${res[big_bytes]} bytes |"
    echo
    echo "Targets: 5,000,000 checks per second per core; the first check after a change ≤ 1 ms;"
    echo "≤ 1 MiB for a subject with 1,000 rules."
    echo
  } >>"$sections"
}

section_large_tree() {
  echo "== 110,000 scopes, 1,000,000 rules (database $DB_LARGE)"
  local db n
  # a new connection's first check against a new connection's SELECT 1, interleaved
  echo "SELECT runai.can('workloads', 'view', 'project/1');" >"$tmp/q/connect_check.sql"
  echo "SELECT 1;" >"$tmp/q/connect_one.sql"
  psql -X -q -U bench_large -d "$DB_LARGE" -c "SELECT runai.can('workloads', 'view', 'project/1')" >/dev/null
  rm -f "$tmp/log/connect_check.ms" "$tmp/log/connect_one.ms"
  while [ "$(fewest connect_check connect_one)" -lt "$CONNECT_RUNS" ]; do
    mix "$DB_LARGE" bench_large $((CONNECT_RUNS / ROUNDS)) -C connect_check "$tmp/q/connect_check.sql" connect_one "$tmp/q/connect_one.sql"
  done
  res[connect_check]=$(median "$tmp/log/connect_check.ms")
  res[connect_one]=$(median "$tmp/log/connect_one.ms")
  res[connect_diff]=$(diff_ms "${res[connect_check]}" "${res[connect_one]}")
  echo "   new connection: first check ${res[connect_check]} ms, SELECT 1 ${res[connect_one]} ms: +${res[connect_diff]} ms"

  # the next check of an open session after a create_scope committed elsewhere
  timed_after "$DB_LARGE" bench_large \
    "SELECT runai.create_scope('project', 'bench-new-%i', 'New %i', 'department/1')" \
    "SELECT runai.can('workloads', 'view', 'project/1')" after_create
  res[after_create]=$(median "$tmp/log/after_create.ms")
  res[after_create_max]=$(sort -g "$tmp/log/after_create.ms" | tail -n 1)
  res[after_create_warm]=$(cat "$tmp/log/after_create.warm")
  echo "   next check after a create_scope elsewhere: median ${res[after_create]} ms (max ${res[after_create_max]} ms); warm ${res[after_create_warm]} ms"

  # memory of a backend that checked once, in each database
  for db in "$DB_SMALL" "$DB" "$DB_LARGE"; do
    case $db in "$DB_SMALL") n=bench_small ;; "$DB") n=bench_researcher ;; *) n=bench_large ;; esac
    res[mem,$db]=$(psql -X -At -U "$n" -d "$db" -c "SELECT runai.can('workloads', 'view', 'project/1')" \
      -c "SELECT scopes, shared_tree, shared_tree_bytes, tree_bytes, subject_bytes, private_bytes FROM runai.cache_stats()" | tail -n 1)
  done
  {
    echo "## A large tree: 110,012 scopes, 1,000,000 rules"
    echo
    echo "| figure | value |"
    echo "|---|---:|"
    echo "| a new connection's first check, runai.can (median of ${res[connect_check,n]:-$(wc -l <"$tmp/log/connect_check.ms")}, pgbench -C; the connection's own time is not in it, the same for both) | ${res[connect_check]} ms |"
    echo "| a new connection's SELECT 1 (median of $(wc -l <"$tmp/log/connect_one.ms"), likewise) | ${res[connect_one]} ms |"
    echo "| the first check's cost: the difference | ${res[connect_diff]} ms |"
    echo "| an open session's next check after a create_scope committed elsewhere (median of $CHECK_RUNS, EXPLAIN ANALYZE execution time) | ${res[after_create]} ms (max ${res[after_create_max]}) |"
    echo "| the same check, warm | ${res[after_create_warm]} ms |"
    echo
    echo "Targets: a new connection's first check ≤ 5 ms more than its SELECT 1; the next"
    echo "check after a create_scope elsewhere ≤ 5 ms; a backend's private memory does not"
    echo "grow with the tree."
    echo
    echo "Memory of a backend after one check (runai.cache_stats()), per database:"
    echo
    echo "| database | scopes | tree shared | shared tree (bytes) | private, tree (bytes) | private, subjects (bytes) | private, all (bytes) |"
    echo "|---|---:|---|---:|---:|---:|---:|"
    for db in "$DB_SMALL" "$DB" "$DB_LARGE"; do
      IFS='|' read -r sc sh shb tb sb pb <<<"${res[mem,$db]}"
      echo "| $db | $sc | $sh | $shb | $tb | $sb | $pb |"
    done
    echo
  } >>"$sections"
}

section_views() {
  echo "== the admin views at 100,000 users and 1,000,000 rules (bench/views.sql)"
  psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f bench/views.sql >"$tmp/log/views.out" 2>&1 \
    || { cat "$tmp/log/views.out" >&2; exit 1; }
  {
    echo "## Admin views (bench/views.sql)"
    echo
    echo '```'
    cat "$tmp/log/views.out"
    echo '```'
    echo
  } >>"$sections"
}

# section_citus (skipped with BENCH_CITUS=0, or when Citus cannot be had): on a
# throwaway Citus cluster (a coordinator and two workers on ports BENCH_CITUS_PORT..
# +2, by default three free ports of 57100-57199 claimed with free_tcp_ports, as the
# Citus suite does; from the same private installation), the researcher's SELECT count(*) on
# 1,000,000 rows of runai.workloads distributed by project
# (bench/generate_citus.sql) against the same count on the unprotected distributed
# copy with its 10 projects written out, medians of interleaved pgbench runs
# through the coordinator as in mix(), and the tasks Citus sends for each (EXPLAIN).
section_citus() {
  local cport=${BENCH_CITUS_PORT:-} why list i k
  if [ "${BENCH_CITUS:-1}" = 0 ]; then echo "== Citus: skipped (BENCH_CITUS=0)"; return 0; fi
  # cluster_start exports the new server's PGHOST and PGPORT: both are put back for
  # the rest of the script
  local saved_env=("$PGHOST" "$PGPORT")
  . tools/citus_cluster.sh
  if ! why=$(citus_available 2>"$tmp/ensure-citus.log"); then
    echo "== Citus: skipped: ${why:-tools/ensure-citus.sh failed}"; return 0
  fi
  echo "== Citus: a coordinator and two workers, 1,000,000 workloads distributed by project"
  private_install_citus "$RUNAI_PRIVATE_ROOT" || { echo "runai_rbac: adding Citus to the private installation failed" >&2; exit 1; }
  if [ -z "$cport" ]; then
    free_tcp_ports 57100 57199 3 >&2 || exit 1
    cport=$TCP_PORT
  fi
  citus_cluster_start "$tmp/citus" "$cport" 2 "$DB" "shared_buffers = '512MB'" "jit = off" \
    "autovacuum = off" "max_wal_size = '4GB'" >/dev/null || { echo "runai_rbac: the Citus cluster did not start" >&2; exit 1; }
  export PGHOST=${saved_env[0]} PGPORT=${saved_env[1]}
  local cq=(psql -X -q -At -v ON_ERROR_STOP=1 -h "${CITUS_NODES[0]}" -p "${CITUS_PORTS[0]}" -d "$DB")
  local gen_start=$(date +%s)
  "${cq[@]}" -U postgres -f bench/generate_citus.sql >"$tmp/generate_citus.log" || { cat "$tmp/generate_citus.log" >&2; exit 1; }
  echo "   generated in $(( $(date +%s) - gen_start )) s: $(tail -n 1 "$tmp/generate_citus.log") (scopes|workloads|shards)"
  list=$("${cq[@]}" -U postgres -c "SELECT '{' || string_agg(scope::text, ',') || '}' FROM runai_internal.access_rules WHERE subject = 'u1@bench.io'")
  echo 'SELECT count(*) FROM runai.workloads;' >"$tmp/q/citus_protected.sql"
  echo "SELECT count(*) FROM bench.workloads_plain WHERE project OPERATOR(pg_catalog.=) ANY ('$list'::runai.scope[]);" >"$tmp/q/citus_physical.sql"
  local rows phys_rows
  rows=$("${cq[@]}" -U bench_researcher -f "$tmp/q/citus_protected.sql")
  phys_rows=$("${cq[@]}" -U bench_researcher -f "$tmp/q/citus_physical.sql")
  [ "$rows" = "$phys_rows" ] || { echo "runai_rbac: Citus: row counts differ: protected $rows, physical $phys_rows" >&2; exit 1; }
  local tasks_protected tasks_physical tasks_all
  tasks_protected=$("${cq[@]}" -U bench_researcher -c "EXPLAIN $(sed 's/;$//' "$tmp/q/citus_protected.sql")" | sed -n 's/.*Task Count: //p' | head -1)
  tasks_physical=$("${cq[@]}" -U bench_researcher -c "EXPLAIN $(sed 's/;$//' "$tmp/q/citus_physical.sql")" | sed -n 's/.*Task Count: //p' | head -1)
  tasks_all=$("${cq[@]}" -U postgres -c "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'runai.workloads'::regclass")
  rm -f "$tmp/log/citus_protected.ms" "$tmp/log/citus_physical.ms"
  for i in $(seq 1 "$ROUNDS"); do
    rm -f "$tmp/log/mix".[0-9]*
    pgbench -n -M simple -c 1 -t $(((RUNS / ROUNDS + WARMUP) * 2)) -h "${CITUS_NODES[0]}" -p "${CITUS_PORTS[0]}" \
      -U bench_researcher -f "$tmp/q/citus_protected.sql" -f "$tmp/q/citus_physical.sql" \
      -l --log-prefix="$tmp/log/mix" "$DB" >/dev/null
    for k in 0 1; do
      cat "$tmp/log/mix".[0-9]* | awk -v s="$k" -v w="$WARMUP" '$4 == s { if (++seen > w) print $3 / 1000.0 }' \
        >>"$tmp/log/citus_$([ $k = 0 ] && echo protected || echo physical).ms"
    done
  done
  local mp mf np nf
  mp=$(median "$tmp/log/citus_protected.ms"); mf=$(median "$tmp/log/citus_physical.ms")
  np=$(wc -l <"$tmp/log/citus_protected.ms"); nf=$(wc -l <"$tmp/log/citus_physical.ms")
  echo "   rows $rows: protected $mp ms ($tasks_protected of $tasks_all tasks), physical limit $mf ms ($tasks_physical tasks)"
  {
    echo "## Citus: the researcher on 1,000,000 distributed rows"
    echo
    echo "A coordinator and two workers on this machine (Citus $("${cq[@]}" -U postgres -c "SELECT citus_version()" | cut -d' ' -f2),"
    echo "shared_buffers 512MB each), bench/generate_citus.sql: the scope tree of the data set,"
    echo "the L1 researcher u1@bench.io with its 10 projects, 1,000,000 rows of runai.workloads"
    echo "distributed by project in $tasks_all shards, and the unprotected copy distributed"
    echo "alike. Medians of $np and $nf runs through the coordinator, interleaved as above."
    echo
    echo "| query | rows | median (ms) | tasks | protected / physical limit |"
    echo "|---|---:|---:|---:|---:|"
    echo "| protected, as the researcher (bound role) | $rows | $mp | $tasks_protected of $tasks_all | $(ratio "$mp" "$mf") |"
    echo "| physical limit: the copy with the 10 projects written out | $phys_rows | $mf | $tasks_physical of $tasks_all | |"
    echo
  } >>"$sections"
}

# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------

report() {
  local load machine cores mem pgver out="$tmp/results.md"
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  machine=$(lscpu 2>/dev/null | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')
  cores=$(nproc)
  mem=$(free -g | awk '/Mem:/ { print $2 " GiB" }')
  pgver=$(psql_su -At -c 'SHOW server_version')
  {
    echo "# runai_rbac benchmark results"
    echo
    echo "Measured by \`make bench\` (tools/bench.sh) on $(date -u '+%Y-%m-%d %H:%M UTC')."
    echo
    echo "- Machine: ${machine:-unknown CPU}, $cores cores, $mem RAM; PostgreSQL $pgver;"
    echo "  shared_buffers 2GB, jit off, autovacuum off, default parallel settings,"
    echo "  runai_rbac in shared_preload_libraries (the scope tree is shared); load"
    echo "  average at the end of the run: $load (other work on the machine shows here)."
    echo "- Data sets, each in its own database: the SPEC data set (bench/generate.sql,"
    echo "  ${gen[$DB]} s): 1 tenant, 10 clusters, 1,000 departments, 10,000 projects, 100,000"
    echo "  users, 1,000,000 access rules (+1,000 of big@bench.io, +1 of tv@bench.io),"
    echo "  1,000,000 workloads (100 per project), btree on project; a small organisation"
    echo "  (bench/generate_small.sql, ${gen[$DB_SMALL]} s): 28 scopes, 200,000 workloads; a large"
    echo "  tree (bench/generate_large.sql, ${gen[$DB_LARGE]} s): 110,012 scopes, 1,000,000 rules."
    echo "- Times: medians of about $RUNS runs each (exact counts below), one pgbench client,"
    echo "  simple protocol: the whole statement (parse, plan, execute, round trip on a Unix"
    echo "  socket).  The queries of a case run interleaved at random in $ROUNDS connections,"
    echo "  so that load from elsewhere falls on all of them alike; the first $WARMUP runs of"
    echo "  each query per connection are left out.  New connections: pgbench -C, the"
    echo "  statement's time in a new connection (pgbench logs it without the connection"
    echo "  itself, which is the same for both queries), $CONNECT_RUNS runs or more of each."
    echo "  \"Physical limit\": the unprotected copy with the subject's projects written out,"
    echo "  \`WHERE project = ANY('{...}')\`."
    echo
    cat "$sections"
    echo "## Plans (EXPLAIN ANALYZE, BUFFERS)"
    echo
    echo '```'
    cat "$plans"
    echo '```'
  } >"$out"
  cp "$out" bench/results.md
  echo
  sed -n '/^## SELECT/,/^## Admin/p' "$out" | sed '$d'
  echo "runai_rbac: written to bench/results.md"
}

main() {
  declare -gA res gen
  setup
  section_subjects
  section_small_org
  section_checks
  section_first_check
  section_large_tree
  section_views
  section_citus
  report
  cluster_stop_all
  rm -rf "$tmp"
}

main "$@"
