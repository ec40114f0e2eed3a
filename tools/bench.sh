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
#   section_writes       add_access_rule and sso_sign_in per second from one client,
#                        with concurrent readers, against the same figures of an
#                        earlier commit (BENCH_PREVIOUS) on a second cluster, and
#                        where a call's time goes (perf, when it can profile)
# BENCH_SECTIONS runs some of them, in its order (names without "section_", e.g.
# BENCH_SECTIONS="writes" make bench); a data set is generated only when a section
# needs it.
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
SECTIONS=${BENCH_SECTIONS:-subjects small_org checks first_check large_tree views citus writes}
# section_writes: runs per case and seconds per run; the commit measured alongside
# (the last one before the write path was made faster; empty: none); profiles
# (auto: when perf can record a backend, on, off)
WRITE_RUNS=${BENCH_WRITE_RUNS:-5}
WRITE_SECONDS=${BENCH_WRITE_SECONDS:-6}
PREVIOUS=${BENCH_PREVIOUS-5a737a6}
PROFILE=${BENCH_PROFILE:-auto}

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
}

# need_db DB...: generates the data sets not generated yet (bench/generate*.sql).
need_db() {
  local db script start partial
  for db in "$@"; do
    [ -n "${gen[$db]:-}" ] && continue
    case $db in "$DB") script=generate ;; "$DB_SMALL") script=generate_small ;; *) script=generate_large ;; esac
    echo "== generating $db (bench/$script.sql)"
    createdb "$db"
    start=$(date +%s)
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "bench/$script.sql" >"$tmp/$script.log"
    gen[$db]=$(( $(date +%s) - start ))
    tail -n 4 "$tmp/$script.log"
    echo "   generated in ${gen[$db]} s"
    # Index-only scans of a table with pages not all-visible visit the heap: the
    # protected table and its copies must start alike.
    partial=$(psql -X -At -d "$db" -c "SELECT string_agg(format('%s %s/%s', oid::regclass, relallvisible, relpages), ', ')
                                         FROM pg_class WHERE relkind = 'r' AND relpages > 0 AND relallvisible < relpages
                                          AND relname IN ('workloads', 'workloads_plain', 'workloads_peer')")
    [ -z "$partial" ] || echo "   note: pages not all-visible after VACUUM (all-visible/pages): $partial"
  done
}

# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------

section_subjects() {
  need_db "$DB"
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
  need_db "$DB_SMALL"
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
  need_db "$DB"
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
  need_db "$DB"
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
  need_db "$DB_SMALL" "$DB" "$DB_LARGE"
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
  need_db "$DB"
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
# Writes: add_access_rule and sso_sign_in per second
# ---------------------------------------------------------------------------

# What section_writes adds to a database of the SPEC data set: the writer, a local
# user who is System administrator of the tenant (not at system, so that its checks
# walk the tree) and signs in with a password; the identity provider's bridge, a
# role with EXECUTE on runai.sso_sign_in; sequences that make each call's
# arguments new.  The rules it adds give existing users the role ML engineer,
# which no rule of the data set uses, at projects; the SSO users are new.
writes_setup_sql() {
  cat <<'SQL'
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE SCHEMA bench_writes;
CREATE SEQUENCE bench_writes.rule_seq;
CREATE SEQUENCE bench_writes.sso_seq;
CREATE SEQUENCE bench_writes.new_seq;
INSERT INTO runai_internal.users (email, type, created_by, password_hash)
  VALUES ('writer@bench.io', 'local', 'bench', runai_internal.password_hash('bench-writer-password'));
SELECT runai.add_access_rule('user', 'writer@bench.io', 'System administrator', 'tenant/1') IS NOT NULL AS writer_rule;
CREATE ROLE bench_writer LOGIN;
CREATE ROLE bench_bridge LOGIN;
GRANT USAGE ON SCHEMA bench_writes TO bench_writer, bench_bridge;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA bench_writes TO bench_writer, bench_bridge;
GRANT EXECUTE ON FUNCTION runai.sso_sign_in(text, text[]) TO bench_bridge;
SQL
}

# writes_scripts VERSION HOST PORT: the pgbench scripts of one cluster (its token).
writes_scripts() {
  local v=$1 host=$2 port=$3 tok d="$tmp/q/$1"
  mkdir -p "$d"
  tok=$(psql -X -At -h "$host" -p "$port" -d "$DB" \
    -c "SELECT token FROM runai.sign_in('writer@bench.io', 'bench-writer-password')")
  [ -n "$tok" ] || { echo "runai_rbac: the writer could not sign in ($v)" >&2; exit 1; }
  local add="SELECT runai.add_access_rule('user', 'u' || (k % 100000 + 1) || '@bench.io', 'ML engineer',
                                ('project/' || (k % 9973 + 1))::runai.scope) FROM nextval('bench_writes.rule_seq') k;"
  printf 'BEGIN;\nSELECT runai.authenticate(%s, true);\n%s\nCOMMIT;\n' "'$tok'" "$add" >"$d/add_tx.sql"
  printf '\\if :authed = 0\nSELECT runai.authenticate(%s);\n\\set authed 1\n\\endif\n%s\n' "'$tok'" "$add" >"$d/add_session.sql"
  echo "SELECT runai.sso_sign_in('sso' || u || '@bench.io', ARRAY['team-' || (u % 50), 'all']) IS NOT NULL
          FROM (SELECT nextval('bench_writes.sso_seq') % 5000 + 1 AS u) s;" >"$d/sso.sql"
  echo "SELECT runai.sso_sign_in('new' || k || '@bench.io', ARRAY['team-' || (k % 50), 'all']) IS NOT NULL
          FROM nextval('bench_writes.new_seq') k;" >"$d/sso_new.sql"
  echo "SELECT count(*) FROM runai.workloads;" >"$d/reader.sql"
}

# writes_pgbench VERSION ROLE SCRIPT SECONDS [LOG]: one client for SECONDS against
# the cluster of VERSION; prints its transactions per second; with LOG, the
# latencies in ms go there.
writes_pgbench() {
  local v=$1 role=$2 script=$3 secs=$4 log=${5:-} out
  local -a logargs=()
  if [ -n "$log" ]; then rm -f "$tmp/log/wl.$v.$role".*; logargs=(-l --log-prefix="$tmp/log/wl.$v.$role"); fi
  out=$(pgbench -n -M simple -c 1 -T "$secs" -D authed=0 -h "${whost[$v]}" -p "${wport[$v]}" -U "$role" \
        "${logargs[@]}" -f "$tmp/q/$v/$script.sql" "$DB" 2>&1) \
    || { echo "$out" >&2; echo "runai_rbac: pgbench $script failed ($v)" >&2; exit 1; }
  if [ -n "$log" ]; then cat "$tmp/log/wl.$v.$role".* | awk '{ print $3 / 1000.0 }' >"$log"; fi
  echo "$out" | awk '/^tps/ { printf "%.0f\n", $3 }'
}

# writes_profile VERSION ROLE SCRIPT NAME: perf record of the backend serving one
# client of SCRIPT; writes NAME.data and the calls made meanwhile to NAME.calls.
writes_profile() {
  local v=$1 role=$2 script=$3 name=$4 pid tps secs=8
  pgbench -n -M simple -c 1 -T $((secs + 2)) -D authed=0 -h "${whost[$v]}" -p "${wport[$v]}" -U "$role" \
    -f "$tmp/q/$v/$script.sql" "$DB" >"$tmp/log/$name.pgbench" 2>&1 &
  sleep 1
  pid=$(psql -X -At -h "${whost[$v]}" -p "${wport[$v]}" -d postgres \
    -c "SELECT pid FROM pg_stat_activity WHERE usename = '$role' AND backend_type = 'client backend' LIMIT 1")
  perf record -q -F 999 --call-graph dwarf,16384 -p "$pid" -o "$tmp/$name.data" -- sleep "$secs" >/dev/null 2>&1 || true
  wait
  tps=$(awk '/^tps/ { print $3 }' "$tmp/log/$name.pgbench")
  awk -v t="$tps" -v s="$secs" 'BEGIN { printf "%d", t * s }' >"$tmp/$name.calls"
}

# median of a list of numbers given as arguments
median_of() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

section_writes() {
  need_db "$DB"
  echo "== writes: add_access_rule and sso_sign_in, one client (database $DB)"
  declare -gA whost wport
  local -a versions=(current)
  local v prevdir="$tmp/previous" c i r
  whost[current]=$PGHOST wport[current]=$PGPORT
  if [ -n "$PREVIOUS" ] && git rev-parse -q --verify "$PREVIOUS^{commit}" >/dev/null 2>&1; then
    # the earlier commit: its own build, installation, cluster and data set
    echo "   previous: commit $(git rev-parse --short "$PREVIOUS") on a second cluster"
    mkdir -p "$prevdir/src"
    git archive "$PREVIOUS" | tar -x -C "$prevdir/src"
    (cd "$prevdir/src" && $MAKE -s all >/dev/null && . tools/cluster.sh && private_install "$prevdir/inst") \
      || { echo "runai_rbac: building $PREVIOUS failed" >&2; exit 1; }
    local save_host=$PGHOST save_port=$PGPORT
    PGCTL_POSTGRES=$prevdir/inst$("$PGBIN/pg_config" --bindir)/postgres \
      cluster_start "$prevdir/cluster" $((PORT + 1)) \
      "shared_buffers = '2GB'" "work_mem = '64MB'" "maintenance_work_mem = '1GB'" \
      "max_wal_size = '8GB'" "checkpoint_timeout = '1h'" "autovacuum = off" "jit = off"
    whost[previous]=$PGHOST wport[previous]=$PGPORT
    export PGHOST=$save_host PGPORT=$save_port
    createdb -h "${whost[previous]}" -p "${wport[previous]}" "$DB"
    psql -X -q -v ON_ERROR_STOP=1 -h "${whost[previous]}" -p "${wport[previous]}" -d "$DB" \
      -f "$prevdir/src/bench/generate.sql" >"$tmp/generate_previous.log"
    versions=(previous current)
  elif [ -n "$PREVIOUS" ]; then
    echo "   previous: commit $PREVIOUS not found, measuring this tree only"
  fi
  res[writes_versions]="${versions[*]}"

  for v in "${versions[@]}"; do
    writes_setup_sql | psql -X -q -h "${whost[$v]}" -p "${wport[$v]}" -d "$DB" >/dev/null
    writes_scripts "$v" "${whost[$v]}" "${wport[$v]}"
    # every SSO user of the steady case signs in once; then the statistics, as
    # autovacuum would take them (it is off here)
    pgbench -n -M simple -c 1 -t 5000 -h "${whost[$v]}" -p "${wport[$v]}" -U bench_bridge \
      -f "$tmp/q/$v/sso.sql" "$DB" >/dev/null 2>&1 || { echo "runai_rbac: sso warm-up failed ($v)" >&2; exit 1; }
    psql -X -q -h "${whost[$v]}" -p "${wport[$v]}" -d "$DB" -c "VACUUM ANALYZE" >/dev/null
  done

  # the cases, each run alternating between the versions so that load from
  # elsewhere falls on both alike
  for c in add_tx add_session reader_alone add_tx_readers sso sso_new; do
    for i in $(seq 1 "$WRITE_RUNS"); do
      for v in "${versions[@]}"; do
        case $c in
          add_tx|add_session) r=$(writes_pgbench "$v" bench_writer "$c" "$WRITE_SECONDS") ;;
          sso|sso_new) r=$(writes_pgbench "$v" bench_bridge "$c" "$WRITE_SECONDS") ;;
          reader_alone)
            r=$(writes_pgbench "$v" bench_researcher reader "$WRITE_SECONDS" "$tmp/log/reader_alone.$v.$i.ms") ;;
          add_tx_readers)
            writes_pgbench "$v" bench_researcher reader "$WRITE_SECONDS" "$tmp/log/reader_busy.$v.$i.ms" \
              >"$tmp/log/reader_busy.$v.$i.tps" &
            r=$(writes_pgbench "$v" bench_writer add_tx "$WRITE_SECONDS")
            wait
            res[readers,$v]="${res[readers,$v]:-} $(cat "$tmp/log/reader_busy.$v.$i.tps")" ;;
        esac
        res[$c,$v]="${res[$c,$v]:-} $r"
      done
    done
    for v in "${versions[@]}"; do
      # shellcheck disable=SC2086
      res[$c,$v,median]=$(median_of ${res[$c,$v]})
    done
    echo "   $c: $(for v in "${versions[@]}"; do printf '%s %s/s (runs:%s)  ' "$v" "${res[$c,$v,median]}" "${res[$c,$v]}"; done)"
  done
  for v in "${versions[@]}"; do
    # shellcheck disable=SC2086
    res[readers,$v,median]=$(median_of ${res[readers,$v]})
    cat "$tmp/log/reader_alone.$v".*.ms >"$tmp/log/reader_alone.$v.ms"
    cat "$tmp/log/reader_busy.$v".*.ms >"$tmp/log/reader_busy.$v.ms"
    for w in alone busy; do
      res[reader_$w,$v,p50]=$(median "$tmp/log/reader_$w.$v.ms")
      res[reader_$w,$v,p99]=$(sort -g "$tmp/log/reader_$w.$v.ms" | awk '{ v[NR] = $1 } END { i = int(NR * 0.99); if (i < 1) i = 1; print v[i] }')
      res[reader_$w,$v,max]=$(sort -g "$tmp/log/reader_$w.$v.ms" | tail -n 1)
    done
  done

  # where the time goes
  local profiled=0 args=()
  if [ "$PROFILE" = on ] || { [ "$PROFILE" = auto ] && command -v perf >/dev/null &&
       perf record -q -o "$tmp/perf.test" -- true >/dev/null 2>&1; }; then
    for v in "${versions[@]}"; do
      writes_profile "$v" bench_writer add_tx "prof_add_$v"
      writes_profile "$v" bench_bridge sso "prof_sso_$v"
    done
    for c in add sso; do
      for v in "${versions[@]}"; do args+=("$c, $v=$tmp/prof_${c}_$v.data:$(cat "$tmp/prof_${c}_$v.calls")"); done
    done
    tools/profile_shares.py "${args[@]}" >"$tmp/profile.md" && profiled=1
  fi

  {
    echo "## Writes: add_access_rule and sso_sign_in per second (SPEC data set)"
    echo
    echo "One pgbench client, simple protocol, $WRITE_SECONDS s per run, medians of $WRITE_RUNS runs;"
    if [ "${#versions[@]}" -gt 1 ]; then
      echo "\"previous\" is commit $(git rev-parse --short "$PREVIOUS") (before the write path was made faster),"
      echo "built and run on a second cluster of the same settings with its own copy of the"
      echo "data set; each run alternates between the two."
    fi
    echo
    echo "| case | $(for v in "${versions[@]}"; do printf '%s (per s) | ' "$v"; done)$([ "${#versions[@]}" -gt 1 ] && echo 'current / previous |') target |"
    echo "|---|$(for v in "${versions[@]}"; do printf -- '---:|'; done)$([ "${#versions[@]}" -gt 1 ] && printf -- '---:|')---|"
    local -A label=(
      [add_tx]="add_access_rule, token per transaction: BEGIN; authenticate(token, true); add_access_rule; COMMIT"
      [add_session]="add_access_rule, token for the session (authenticate once), one call per transaction"
      [add_tx_readers]="add_access_rule as in the first line, with a reader running beside it"
      [sso]="sso_sign_in of a known SSO user, the same groups (5,000 users in turn)"
      [sso_new]="sso_sign_in of a new user (its first sign-in)"
      [reader_alone]="the reader alone: SELECT count(*) FROM runai.workloads as the L1 researcher"
      [readers]="the reader beside the writer")
    local -A target=([add_tx]="≥ 2,000" [add_session]="≥ 2,000" [add_tx_readers]="readers not blocked"
                     [sso]="≥ 1,000" [sso_new]="≥ 1,000" [reader_alone]="" [readers]="")
    for c in add_tx add_session add_tx_readers reader_alone readers sso sso_new; do
      printf '| %s | ' "${label[$c]}"
      for v in "${versions[@]}"; do printf '%s | ' "${res[$c,$v,median]}"; done
      [ "${#versions[@]}" -gt 1 ] && printf '%s | ' "$(ratio "${res[$c,current,median]}" "${res[$c,previous,median]}")"
      echo "${target[$c]} |"
    done
    echo
    echo "The reader's statement times (ms; every statement of the runs above):"
    echo
    echo "| | $(for v in "${versions[@]}"; do printf '%s alone | %s beside the writer | ' "$v" "$v"; done)"
    echo "|---|$(for v in "${versions[@]}"; do printf -- '---:|---:|'; done)"
    for q in p50 p99 max; do
      printf '| %s | ' "$q"
      for v in "${versions[@]}"; do printf '%s | %s | ' "${res[reader_alone,$v,$q]}" "${res[reader_busy,$v,$q]}"; done
      echo
    done
    echo
    echo "Runs (per second, in order):"
    for c in add_tx add_session add_tx_readers readers sso sso_new reader_alone; do
      echo "$c:$(for v in "${versions[@]}"; do printf ' %s%s;' "$v" "${res[$c,$v]}"; done)"
    done
    echo
    if [ $profiled -eq 1 ]; then
      echo "### Where a call's time goes"
      echo
      echo "perf record (999 Hz, DWARF call graphs) of the backend serving the client for 8 s,"
      echo "in a run of its own after the measured ones; each sample counted once, in the first"
      echo "row whose function is on its stack (tools/profile_shares.py).  \"add\" is the"
      echo "transaction of the first line above, \"sso\" the known user's sign-in."
      echo
      cat "$tmp/profile.md"
      echo
    fi
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
  pgver=$(psql -X -At -d postgres -c 'SHOW server_version')
  {
    echo "# runai_rbac benchmark results"
    echo
    echo "Measured by \`make bench\` (tools/bench.sh) on $(date -u '+%Y-%m-%d %H:%M UTC')."
    echo
    echo "- Machine: ${machine:-unknown CPU}, $cores cores, $mem RAM; PostgreSQL $pgver;"
    echo "  shared_buffers 2GB, jit off, autovacuum off, default parallel settings,"
    echo "  runai_rbac in shared_preload_libraries (the scope tree is shared); load"
    echo "  average at the end of the run: $load (other work on the machine shows here)."
    echo "- Sections measured: $SECTIONS."
    echo "- Data sets, each in its own database: the SPEC data set (bench/generate.sql,"
    echo "  ${gen[$DB]:-not needed} s): 1 tenant, 10 clusters, 1,000 departments, 10,000 projects, 100,000"
    echo "  users, 1,000,000 access rules (+1,000 of big@bench.io, +1 of tv@bench.io),"
    echo "  1,000,000 workloads (100 per project), btree on project; a small organisation"
    echo "  (bench/generate_small.sql, ${gen[$DB_SMALL]:-not needed} s): 28 scopes, 200,000 workloads; a large"
    echo "  tree (bench/generate_large.sql, ${gen[$DB_LARGE]:-not needed} s): 110,012 scopes, 1,000,000 rules."
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
  local s
  for s in $SECTIONS; do
    declare -F "section_$s" >/dev/null || { echo "runai_rbac: no bench section \"$s\"" >&2; exit 1; }
  done
  setup
  for s in $SECTIONS; do "section_$s"; done
  report
  cluster_stop_all
  rm -rf "$tmp"
}

main "$@"
