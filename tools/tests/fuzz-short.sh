#!/usr/bin/env bash
# A short fuzzing run of every parser harness as part of make test (make fuzz runs
# them longer).  The full fuzzer log is printed only when something is found, followed
# by one FAIL line.
set -uo pipefail
cd "$(dirname "$0")/../.." || { echo "FAIL: cannot change to the top of the tree"; exit 1; }
. tools/cluster.sh      # at_exit
log=$(mktemp) || { echo "FAIL: cannot create a temporary file"; exit 1; }
at_exit 'rm -f "$log"'
tools/fuzz.sh "${FUZZ_SHORT_SECONDS:-10}" >"$log" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
  grep -E '^== |stat::number_of_executed_units' "$log"
  exit 0
fi
cat "$log"
# fuzz.sh names the harness that failed ("fuzz.sh: fuzz_scope failed; ..."); a build
# failure shows as the compiler's errors above
what=$(grep -E '^fuzz.sh: ' "$log" | tr '\n' ' ' | sed 's/ $//')
echo "FAIL: tools/fuzz.sh ${FUZZ_SHORT_SECONDS:-10}: exit status $rc${what:+ ($what)}"
exit 1
