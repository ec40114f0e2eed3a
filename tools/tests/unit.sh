#!/usr/bin/env bash
# Compiles and runs the pure-C unit tests of the parsers (unit/test_parse.c against
# src/parse.c), with AddressSanitizer and UBSan when the compiler supports them, so
# that a read past the end of an input is a failure.  Exits non-zero on any failure;
# the last line of output is "N passed, M failed", after a "FAIL: " line for each
# program that did not build or run to its end.
set -uo pipefail
cd "$(dirname "$0")/../.." || { echo "FAIL: cannot change to the top of the tree"; exit 1; }
. tools/cluster.sh      # at_exit

CC=${CC:-cc}
out=$(mktemp -d "${TMPDIR:-/tmp}/runai_unit.XXXXXX") || { echo "FAIL: cannot create a temporary directory"; exit 1; }
at_exit 'rm -rf "$out"'

warn=(-std=c99 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers)
san=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

# Sanitizers are optional (a compiler without them still runs the tests).
if ! echo 'int main(void){return 0;}' | "$CC" "${san[@]}" -x c - -o "$out/probe" >/dev/null 2>&1 \
   || ! "$out/probe" >/dev/null 2>&1; then
  echo "unit.sh: $CC has no working AddressSanitizer; running without it" >&2
  san=()
fi

# Each program prints "N passed, M failed" last; the totals are printed at the end.
total_passed=0
total_failed=0
status=0
for t in parse:src/parse.c nodeset:src/nodeset.c; do
  name=${t%%:*}
  if ! "$CC" "${warn[@]}" -O1 -g "${san[@]}" -Isrc "unit/test_$name.c" "${t#*:}" -o "$out/test_$name"; then
    echo "FAIL: unit/test_$name.c does not compile (above)"
    status=1; total_failed=$((total_failed + 1)); continue
  fi
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    "$out/test_$name" > "$out/$name.log" 2>&1
  rc=$?
  grep -v ' passed, ' "$out/$name.log"
  line=$(tail -n 1 "$out/$name.log")
  echo "unit/test_$name.c: $line"
  case $line in
    *" passed, "*" failed")
      total_passed=$((total_passed + ${line%% passed*}))
      f=${line#*passed, }; f=${f%% failed*}; total_failed=$((total_failed + f))
      if [ "$f" -ne 0 ] || [ $rc -ne 0 ]; then
        echo "FAIL: unit/test_$name.c: $f failed, exit status $rc"; status=1
      fi ;;
    *) echo "FAIL: unit/test_$name.c did not run to its end (exit status $rc; its output above)"
       status=1; total_failed=$((total_failed + 1)) ;;
  esac
done
echo "$total_passed passed, $total_failed failed"
exit $status
