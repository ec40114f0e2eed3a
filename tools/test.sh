#!/usr/bin/env bash
# make test: build, install, start a throwaway cluster, run pg_regress, the isolation
# specs and pgTAP, stop the cluster.  Exits non-zero on any failure.
#
# --memcheck (make test-memcheck): the same pg_regress, isolation and pgTAP suites on a
# server running under Valgrind (tools/memcheck.sh); fails if Valgrind reports an error
# in runai_rbac.  The scripts of tools/tests/ are skipped: they start their own
# clusters and have their own sanitizers (unit.sh, fuzz-short.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
. tools/cluster.sh

memcheck=0
for arg in "$@"; do
  case $arg in
    --memcheck) memcheck=1 ;;
    *) echo "usage: tools/test.sh [--memcheck]" >&2; exit 2 ;;
  esac
done

MAKE=${MAKE:-make}
status=0
npassed=0
nfailed=0
fail() { echo "runai_rbac: $*" >&2; status=1; nfailed=$((nfailed + 1)); }
pass() { npassed=$((npassed + 1)); }

$MAKE -s all >/dev/null || { echo "runai_rbac: build failed" >&2; exit 1; }

tmp=$(mktemp -d /tmp/runai_rbac_test.XXXXXX)
chmod 755 "$tmp"
# Every server of the run (this script's and those of tools/tests/) runs this tree's
# build from a private installation; the system's extension directory is not used.
private_install "$tmp/inst" || { echo "runai_rbac: installing into a private copy of the server failed" >&2; exit 1; }
if [ $memcheck -eq 1 ]; then
  . tools/memcheck.sh
  memcheck_setup || exit 1
  # its own port, so that it can run while a plain 'make test' does
  cluster_start "$tmp/primary" 55479 "${MEMCHECK_CONF[@]}" || exit 1
else
  cluster_start "$tmp/primary" 55432 || exit 1
fi

if [ $memcheck -eq 1 ]; then
  # Outputs outside the work tree: a plain 'make test' started meanwhile would remove
  # them (and this run would remove its).  Regress and isolation share the directory;
  # the isolation specs run only if the regress tests passed.
  out=$tmp/regress_out
  mkdir -p "$out"
  if $MAKE -s installcheck EXTRA_REGRESS_OPTS="--outputdir=$out"; then
    rm -rf "$out"
  else
    fail "pg_regress or isolation tests failed under Valgrind (outputs in $out)"
    [ -f "$out/regression.diffs" ] && cat "$out/regression.diffs"
  fi
else
  rm -rf results output_iso regression.diffs regression.out
  if ! $MAKE -s installcheck; then
    fail "pg_regress or isolation tests failed"
    for f in regression.diffs output_iso/regression.diffs; do [ -f "$f" ] && cat "$f"; done
  else
    pass
  fi
fi

if ls test/*.sql >/dev/null 2>&1; then
  psql -qX -d postgres -c 'CREATE DATABASE runai_tap' >/dev/null
  if pg_prove -d runai_tap --ext .sql test/; then pass; else fail "pgTAP tests failed"; fi
fi

for t in tools/tests/*.sh; do
  [ -x "$t" ] || continue
  [ $memcheck -eq 1 ] && { echo "== $t: skipped under --memcheck"; continue; }
  echo "== $t"
  if "$t"; then pass; else fail "$t failed"; fi
done

cluster_stop_all
if [ $memcheck -eq 1 ]; then
  memcheck_report || fail "Valgrind found errors in runai_rbac"
fi
rm -rf "$tmp/inst" "$tmp/inst.install.log"
rmdir "$tmp" 2>/dev/null

# One line for the whole run: each suite (pg_regress with the isolation specs, pgTAP,
# and every script of tools/tests) counts once.
echo "suites: $npassed passed, $nfailed failed"
exit $status
