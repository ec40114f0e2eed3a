#!/usr/bin/env bash
# make test: build, install into a private copy of the server, start a throwaway
# cluster, run pg_regress with the isolation specs, pgTAP, and every suite of
# tools/tests/, stop the cluster.  Exits non-zero on any failure, and never without
# saying which suite failed and why.
#
# --memcheck (make test-memcheck): the same pg_regress, isolation and pgTAP suites on a
# server running under Valgrind (tools/memcheck.sh); fails if Valgrind reports an error
# in runai_rbac.  The scripts of tools/tests/ are skipped: they start their own
# clusters and have their own sanitizers (unit.sh, fuzz-short.sh).
#
# How a suite of tools/tests/ is run, and what it must do (new suites too):
#   - Every executable tools/tests/*.sh is a suite, run in name order from the top of
#     the tree, stdin from /dev/null, stdout and stderr together (shown and kept).
#     PGHOST, PGPORT, PGUSER and PGDATABASE name the main test cluster (runai_rbac in
#     shared_preload_libraries, this tree's build); PGCTL_POSTGRES names the private
#     server binary, so that a suite's own clusters (tools/cluster.sh, cluster_start)
#     run this tree's build too.  A suite that uses the main cluster works in its own
#     database and roles and drops them; one that starts clusters uses its own ports
#     (taken: 55432 main, 55479 memcheck, 55460-55468 backup, upgrade, standby,
#     shared_tree and lockout, 55480 concurrency, 57230-57231 pooler) on Unix
#     sockets in private directories, so two checkouts can run make test at once.
#     A server on TCP takes its ports with free_tcp_ports (tools/cluster.sh; Citus:
#     four of 57100-57199; the pooler's back end tries 57240-57299 until one is
#     free).
#   - Pass: exit 0.  Fail: exit non-zero after printing at least one line that starts
#     with "FAIL: " and says what failed (a wrong answer, a step that did not work, a
#     wait that expired and what it waited for).  If a suite exits non-zero without a
#     FAIL line, this script reports its exit status (and the signal that killed it)
#     and its last RUNAI_TAIL (40) lines, and counts it failed all the same.
#   - Skip: a suite that cannot run here (Citus or a pooler not installed) prints one
#     line "SKIP: <why>" and exits 77; it is counted as skipped.  Exit 77 without a
#     SKIP line is a failure.  A skipped part of a suite that otherwise runs is a
#     "note: " line, not a skip.
#   - Cleanup through at_exit (tools/cluster.sh), never 'trap ... EXIT' (it would
#     replace the cleanups registered before it); a cleanup never changes the exit
#     status.  No 'set -e': a harmless non-zero status (a grep that finds nothing, a
#     kill of a process that has exited) would end the suite without a word; check
#     each step that matters and say what failed.  Ignore SIGPIPE around writes to a
#     coprocess or FIFO, whose reader may have exited, and keep a coprocess's
#     descriptors in variables of your own (bash unsets its array when it exits).
#   - Run on its own (tools/tests/NAME.sh), a suite tests this tree's build:
#     use_private_install (tools/cluster.sh) before its first cluster_start.
#   - Waits for a server, a replica or a background job are bounded by wall time
#     (wait_for in tools/cluster.sh; RUNAI_WAIT, default 180 s), never by a count of
#     polls, and allow for a loaded machine.  No timed assertions (bench/ measures).
#   - Each suite runs under a limit of RUNAI_SUITE_TIMEOUT seconds (default 1800);
#     past it, it is stopped (its at_exit cleanups run) and fails.
set -uo pipefail
cd "$(dirname "$0")/.." || { echo "FAIL: cannot change to the top of the tree"; exit 1; }
. tools/cluster.sh

memcheck=0
for arg in "$@"; do
  case $arg in
    --memcheck) memcheck=1 ;;
    *) echo "usage: tools/test.sh [--memcheck]" >&2; exit 2 ;;
  esac
done

MAKE=${MAKE:-make}
SUITE_TIMEOUT=${RUNAI_SUITE_TIMEOUT:-1800}
TAIL=${RUNAI_TAIL:-40}
status=0
npassed=0
nfailed=0
nskipped=0
failed_names=()
fail() { echo "runai_rbac: FAIL: $*" >&2; status=1; }
suite_failed() { failed_names+=("$1"); nfailed=$((nfailed + 1)); status=1; }
pass() { npassed=$((npassed + 1)); }

# exit_status RC: "exit status RC", naming the signal when one ended the process.
exit_status() {
  local rc=$1
  if [ "$rc" -gt 128 ] && [ "$rc" -lt 160 ] && kill -l $((rc - 128)) >/dev/null 2>&1; then
    echo "exit status $rc (killed by SIG$(kill -l $((rc - 128))))"
  elif [ "$rc" -eq 124 ]; then
    echo "exit status 124 (stopped after $SUITE_TIMEOUT s, RUNAI_SUITE_TIMEOUT)"
  else
    echo "exit status $rc"
  fi
}

$MAKE -s all >/dev/null || { fail "the build failed (make all)"; exit 1; }

tmp=$(mktemp -d /tmp/runai_rbac_test.XXXXXX) || { fail "cannot create a temporary directory"; exit 1; }
chmod 755 "$tmp"
at_exit 'rm -rf "$tmp"'
# Every server of the run (this script's and those of tools/tests/) runs this tree's
# build from a private installation; the system's extension directory is not used.
private_install "$tmp/inst" || { fail "installing into a private copy of the server failed"; exit 1; }
if [ $memcheck -eq 1 ]; then
  . tools/memcheck.sh
  memcheck_setup || { fail "setting up Valgrind failed"; exit 1; }
  # its own port, so that it can run while a plain 'make test' does
  cluster_start "$tmp/primary" 55479 "${MEMCHECK_CONF[@]}" || { fail "the test cluster did not start"; exit 1; }
else
  cluster_start "$tmp/primary" 55432 || { fail "the test cluster did not start"; exit 1; }
fi

echo "== pg_regress and the isolation specs"
start=$SECONDS
if [ $memcheck -eq 1 ]; then
  # Outputs outside the work tree: a plain 'make test' started meanwhile would remove
  # them (and this run would remove its).  Regress and isolation share the directory;
  # the isolation specs run only if the regress tests passed.
  out=$tmp/regress_out
  mkdir -p "$out"
  # Some tests write scratch files with psql's \copy to results/, relative to the
  # directory psql runs in -- this one, not the output directory.
  mkdir -p results
  if $MAKE -s installcheck EXTRA_REGRESS_OPTS="--outputdir=$out"; then
    rm -rf "$out"
    pass
  else
    rc=$?
    [ -f "$out/regression.diffs" ] && cat "$out/regression.diffs"
    # kept for reading: out of $tmp, which is removed at exit
    keep=$(mktemp -d /tmp/runai_rbac_regress.XXXXXX) && cp -r "$out/." "$keep/"
    echo "FAIL: pg_regress or the isolation specs under Valgrind: make installcheck, $(exit_status $rc) (outputs in ${keep:-$out})"
    suite_failed "pg_regress/isolation"
  fi
else
  rm -rf results output_iso regression.diffs regression.out
  if $MAKE -s installcheck; then
    pass
  else
    rc=$?
    for f in regression.diffs output_iso/regression.diffs; do [ -f "$f" ] && cat "$f"; done
    echo "FAIL: pg_regress or the isolation specs: make installcheck, $(exit_status $rc) (diffs above)"
    suite_failed "pg_regress/isolation"
  fi
fi
echo "== pg_regress and the isolation specs: $((SECONDS - start)) s"

if ls test/*.sql >/dev/null 2>&1; then
  echo "== pgTAP (test/*.sql)"
  start=$SECONDS
  if ! psql -qX -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE runai_tap' >/dev/null; then
    echo "FAIL: pgTAP: CREATE DATABASE runai_tap failed"
    suite_failed pgTAP
  elif pg_prove -d runai_tap --ext .sql test/; then
    pass
  else
    rc=$?
    echo "FAIL: pgTAP: pg_prove, $(exit_status $rc) (failures above)"
    suite_failed pgTAP
  fi
  echo "== pgTAP: $((SECONDS - start)) s"
fi

# run_suite SCRIPT: runs it as described at the top; counts and reports it.  Its output
# goes to a file, shown as it comes (tail --pid ends when the suite does), so that a
# process the suite left behind cannot hold up this script through a pipe.  timeout
# runs it in a process group of its own and, past the limit, signals that whole group.
# Both run in the background and this script waits in 'wait', which a signal
# interrupts (see on_signal).
suite_pid="" tail_pid=""
run_suite() {
  local t=$1 log rc start=$SECONDS took
  log=$tmp/$(basename "$t").log
  echo "== $t"
  : >"$log"
  timeout -k 30 "$SUITE_TIMEOUT" "$t" </dev/null >"$log" 2>&1 &
  suite_pid=$!
  tail -n +1 -s 0.5 -f --pid="$suite_pid" "$log" &
  tail_pid=$!
  wait "$suite_pid"; rc=$?
  wait "$tail_pid"
  suite_pid="" tail_pid=""
  took="$((SECONDS - start)) s"
  if [ "$rc" -eq 0 ]; then
    echo "== $t: passed ($took)"
    pass
  elif [ "$rc" -eq 77 ] && grep -q '^SKIP: ' "$log"; then
    echo "== $t: skipped ($took): $(grep -m1 '^SKIP: ' "$log" | cut -c7-)"
    nskipped=$((nskipped + 1))
  else
    if ! grep -q '^FAIL: ' "$log"; then
      if [ -s "$log" ]; then
        echo "-- $t printed no FAIL line; its last $TAIL lines:"
        tail -n "$TAIL" "$log" | sed 's/^/   | /'
      else
        echo "-- $t printed nothing"
      fi
    fi
    echo "FAIL: $t: $(exit_status "$rc")$([ "$rc" -eq 77 ] && echo ', the skip status without a SKIP line') ($took)"
    suite_failed "$t"
  fi
}
# Interrupted (^C reaches this script, not the suite's own process group): stop the
# running suite too; its cleanups run, then ours.
on_signal() {
  if [ -n "$suite_pid" ]; then
    kill -TERM "$suite_pid" 2>/dev/null
    wait "$suite_pid" 2>/dev/null
    wait "$tail_pid" 2>/dev/null
  fi
  echo "runai_rbac: FAIL: interrupted" >&2
  exit 130
}
trap on_signal INT TERM

for t in tools/tests/*.sh; do
  [ -x "$t" ] || continue
  if [ $memcheck -eq 1 ]; then
    echo "== $t: skipped under --memcheck"; nskipped=$((nskipped + 1)); continue
  fi
  run_suite "$t"
done

cluster_stop_all
if [ $memcheck -eq 1 ]; then
  memcheck_report || { echo "FAIL: Valgrind found errors in runai_rbac (above)"; suite_failed valgrind; }
fi

# One line for the whole run: each suite (pg_regress with the isolation specs, pgTAP,
# and every script of tools/tests) counts once; the failed ones are named.
echo "suites: $npassed passed, $nfailed failed${failed_names[0]:+ (${failed_names[*]})}, $nskipped skipped"
exit $status
