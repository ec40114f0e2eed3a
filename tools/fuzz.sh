#!/usr/bin/env bash
# tools/fuzz.sh [SECONDS]: builds the libFuzzer harnesses of the parsers (fuzz/*.c
# with src/parse.c, under AddressSanitizer and UBSan) into fuzz/out/ and runs each
# for SECONDS (default 30), starting from the seed corpus in fuzz/corpus/<name>/.
# New corpus entries go to fuzz/out/corpus/<name>/ (the seeds are never written),
# crash reproducers to fuzz/out/.  Exits non-zero if a build fails or a harness
# finds a crash, leak, timeout or property violation.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
case $seconds in ''|*[!0-9]*) echo "usage: tools/fuzz.sh [SECONDS]" >&2; exit 2;; esac
CLANG=${CLANG:-clang}
command -v "$CLANG" >/dev/null || { echo "fuzz.sh: $CLANG not found (apt-get install clang)" >&2; exit 1; }

out=fuzz/out
mkdir -p "$out"
flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -Wall -Wextra -Werror -Isrc)

status=0
for src in fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)           # fuzz_scope
  corpus=${name#fuzz_}                 # scope
  echo "== $name: building"
  "$CLANG" "${flags[@]}" "$src" src/parse.c -o "$out/$name"
  mkdir -p "$out/corpus/$corpus"
  echo "== $name: running for ${seconds}s"
  if ! "$out/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=4096 -print_final_stats=1 -artifact_prefix="$out/$name-" \
        "$out/corpus/$corpus" "fuzz/corpus/$corpus" 2>"$out/$name.log"; then
    tail -n 40 "$out/$name.log" >&2
    echo "fuzz.sh: $name failed; reproducers are in $out/" >&2
    status=1
  else
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
      "$out/$name.log" | sed "s/^/   /"
  fi
done
exit $status
