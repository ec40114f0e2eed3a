#!/usr/bin/env bash
# make test: build, install, start a throwaway cluster, run pg_regress, the isolation
# specs and pgTAP, stop the cluster.  Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
. tools/cluster.sh

MAKE=${MAKE:-make}
status=0
fail() { echo "runai_rbac: $*" >&2; status=1; }

$MAKE -s all >/dev/null || { echo "runai_rbac: build failed" >&2; exit 1; }
if [ "$(id -u)" -eq 0 ]; then
  $MAKE -s install >/dev/null || { echo "runai_rbac: install failed" >&2; exit 1; }
else
  $MAKE -s install >/dev/null 2>&1 || { echo "runai_rbac: 'make install' needs write access to PostgreSQL's directories (run it with sudo once)" >&2; exit 1; }
fi

tmp=$(mktemp -d /tmp/runai_rbac_test.XXXXXX)
chmod 755 "$tmp"
cluster_start "$tmp/primary" 55432 || exit 1

rm -rf results output_iso regression.diffs regression.out
if ! $MAKE -s installcheck; then
  fail "pg_regress or isolation tests failed"
  for f in regression.diffs output_iso/regression.diffs; do [ -f "$f" ] && cat "$f"; done
fi

if ls test/*.sql >/dev/null 2>&1; then
  psql -qX -d postgres -c 'CREATE DATABASE runai_tap' >/dev/null
  pg_prove -d runai_tap --ext .sql test/ || fail "pgTAP tests failed"
fi

for t in tools/tests/*.sh; do
  [ -x "$t" ] || continue
  echo "== $t"
  "$t" || fail "$t failed"
done

exit $status
