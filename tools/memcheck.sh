#!/usr/bin/env bash
# Valgrind support for 'make test-memcheck' (tools/test.sh --memcheck), which sources
# this file; run directly, it runs tools/test.sh --memcheck.
#
# Why Valgrind and not AddressSanitizer: the extension is loaded into Debian's
# PostgreSQL server, which is not built with ASan.  An ASan-built runai_rbac.so would
# need libasan preloaded into every server process and would still see nothing of the
# memory the server hands it (palloc chunks come from large malloc'd blocks, so an
# overrun inside a block is invisible to ASan as it is to Valgrind), while Valgrind
# runs the unchanged server and library and also finds what ASan cannot: decisions on
# uninitialised memory and uninitialised bytes that reach disk, WAL or the client.
# The pure C parsers are already run under ASan/UBSan by unit.sh and the fuzzers.
#
# The server is started through a wrapper that runs it under Valgrind as PostgreSQL's
# own documentation and buildfarm do (--trace-children=yes, --track-origins=yes,
# --error-markers, a suppression file), one log per process.  An error report fails
# the run when any of its frames, including the frames of where an uninitialised value
# or a block came from, is in runai_rbac.so (by library name, by the project's source
# path, or by the extension's rbac_ symbol prefix) -- except a hook frame whose only
# part in the stack is calling PostgreSQL's standard_* implementation (the extension's
# ProcessUtility hook is under every utility statement).  Reports entirely inside
# PostgreSQL or libc are counted and listed but do not fail the run: they are not this
# project's to fix (tools/valgrind.supp silences the ones PostgreSQL documents as
# harmless).

MEMCHECK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# memcheck_setup: checks Valgrind, writes the wrapper, and exports what cluster.sh
# needs to start servers under it (PGCTL_POSTGRES, PGCTL_TIMEOUT) and
# MEMCHECK_CONF, the postgresql.conf lines for a server under Valgrind.
memcheck_setup() {
  if ! command -v valgrind >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
      echo "runai_rbac: installing valgrind"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind >/dev/null; } \
        || { echo "runai_rbac: could not install valgrind" >&2; return 1; }
    else
      echo "runai_rbac: valgrind is missing: sudo apt-get install valgrind" >&2
      return 1
    fi
  fi
  MEMCHECK_DIR=$(mktemp -d /tmp/runai_memcheck.XXXXXX)
  chmod 755 "$MEMCHECK_DIR"
  mkdir "$MEMCHECK_DIR/logs"
  chmod 1777 "$MEMCHECK_DIR/logs"
  cp "$MEMCHECK_ROOT/tools/valgrind.supp" "$MEMCHECK_DIR/valgrind.supp"
  local postgres
  # the private installation of tools/test.sh when there is one, else the system's
  postgres=${PGCTL_POSTGRES:-"$("${PGBIN:-/usr/lib/postgresql/15/bin}/pg_config" --bindir 2>/dev/null || echo "$PGBIN")/postgres"}
  # exec keeps the process id, which pg_ctl checks against postmaster.pid.
  cat >"$MEMCHECK_DIR/postgres" <<EOF
#!/bin/sh
exec valgrind --quiet --leak-check=no --gen-suppressions=all \\
  --suppressions="$MEMCHECK_DIR/valgrind.supp" --trace-children=yes --track-origins=yes \\
  --read-var-info=no --num-callers=40 --fullpath-after= \\
  --error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END \\
  --log-file="$MEMCHECK_DIR/logs/%p.log" \\
  "$postgres" "\$@"
EOF
  chmod 755 "$MEMCHECK_DIR/postgres" "$MEMCHECK_DIR/valgrind.supp"
  export PGCTL_POSTGRES=$MEMCHECK_DIR/postgres PGCTL_TIMEOUT=600 MEMCHECK_DIR
  # JIT would run LLVM under Valgrind for nothing; the timeouts allow for a server
  # twenty to fifty times slower.
  MEMCHECK_CONF=("jit = off" "max_connections = 40" "wal_sender_timeout = 0"
                 "deadlock_timeout = 5s" "autovacuum_naptime = 10min")
  echo "runai_rbac: servers run under Valgrind; logs in $MEMCHECK_DIR/logs"
}

# memcheck_scan DIR: prints every error report of the logs in DIR, marks those that
# involve the extension, and returns non-zero if there is one.
memcheck_scan() {
  local dir=$1
  awk -v root="$MEMCHECK_ROOT/src/" '
    FNR == 1 { inblock = 0 }
    /VALGRINDERROR-BEGIN/ { inblock = 1; block = ""; ours = 0; prev = ""; next }
    /VALGRINDERROR-END/ {
      if (inblock) {
        total++
        kind = block; sub(/\n.*/, "", kind); sub(/^==[0-9]+== /, "", kind)
        if (ours) { n_ours++; printf "---- in runai_rbac (%s):\n%s", FILENAME, block }
        else { n_other++; other[kind]++ }
      }
      inblock = 0; next
    }
    inblock {
      block = block $0 "\n"
      # A frame of ours counts unless all it did was call the standard_* function of
      # a hook it installed (a ProcessUtility or executor hook is in the stack of every
      # statement, its own code is not involved).
      if (index($0, "runai_rbac.so") || index($0, root) || $0 ~ /: rbac_[A-Za-z0-9_]+ \(/) {
        if (prev !~ /: standard_[A-Za-z]+ \(/) ours = 1
      }
      prev = $0
    }
    END {
      for (k in other) printf "not in runai_rbac: %d x %s\n", other[k], k
      printf "valgrind: %d error report(s), %d involving runai_rbac\n", total, n_ours
      exit n_ours > 0
    }' "$dir"/*.log
}

# memcheck_report: after the servers have stopped.  Checks that Valgrind did run the
# servers, that the scanner recognises a report in the extension (a self-test on a
# made-up report), and scans the logs.  Keeps the logs when something was found.
memcheck_report() {
  local dir=$MEMCHECK_DIR/logs n status=0
  n=$(ls "$dir"/*.log 2>/dev/null | wc -l)
  if [ "$n" -lt 3 ]; then
    echo "runai_rbac: memcheck: only $n Valgrind log(s): the servers did not run under Valgrind" >&2
    return 1
  fi
  echo "valgrind: $n server processes ran under Valgrind"

  # Self-test of the scanner: a report with a frame in the library must fail.
  mkdir -p "$MEMCHECK_DIR/selftest"
  cat >"$MEMCHECK_DIR/selftest/1.log" <<'EOF'
==1== VALGRINDERROR-BEGIN
==1== Invalid read of size 1
==1==    at 0x4848: ??? (in /usr/lib/postgresql/15/lib/runai_rbac.so)
==1==    by 0x5A5A: ExecInterpExpr (in /usr/lib/postgresql/15/bin/postgres)
==1== VALGRINDERROR-END
EOF
  if memcheck_scan "$MEMCHECK_DIR/selftest" >/dev/null; then
    echo "runai_rbac: memcheck: the scanner missed a made-up error in runai_rbac.so" >&2
    return 1
  fi
  cat >"$MEMCHECK_DIR/selftest/1.log" <<EOF
==1== VALGRINDERROR-BEGIN
==1== Conditional jump or move depends on uninitialised value(s)
==1==    at 0x6C2B49: hash_search_with_hash_value (in /usr/lib/postgresql/15/bin/postgres)
==1==  Uninitialised value was created by a heap allocation
==1==    at 0x5896AF: standard_ProcessUtility (in /usr/lib/postgresql/15/bin/postgres)
==1==    by 0x87F7528: session_process_utility ($MEMCHECK_ROOT/src/session.c:414)
==1== VALGRINDERROR-END
EOF
  if ! memcheck_scan "$MEMCHECK_DIR/selftest" >/dev/null; then
    echo "runai_rbac: memcheck: the scanner blames runai_rbac for a hook that only passed a statement on" >&2
    return 1
  fi

  if memcheck_scan "$dir"; then
    rm -rf "$MEMCHECK_DIR"
  else
    echo "runai_rbac: Valgrind reported errors in runai_rbac (logs kept in $dir)" >&2
    status=1
  fi
  return $status
}

# Run directly: the whole memcheck run.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  exec "$MEMCHECK_ROOT/tools/test.sh" --memcheck "$@"
fi
