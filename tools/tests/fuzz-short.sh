#!/usr/bin/env bash
# A short fuzzing run of every parser harness as part of make test (make fuzz runs
# them longer).  The full fuzzer log is printed only when something is found.
set -uo pipefail
cd "$(dirname "$0")/../.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if tools/fuzz.sh "${FUZZ_SHORT_SECONDS:-10}" >"$log" 2>&1; then
  grep -E '^== |stat::number_of_executed_units' "$log"
  exit 0
fi
cat "$log"
exit 1
