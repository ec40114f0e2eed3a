#!/usr/bin/env bash
# Concurrency and load (SPEC section 7; issue 7 item 4).
#
# In its own database (runai_concurrency) on the cluster of $PGHOST/$PGPORT (make test
# runs it against its main test cluster), or on its own throwaway cluster when no
# PGHOST is set:
#   - pgbench, several clients mixing runai.can()/has_permission/permitted_scopes
#     (bench/load/check.sql), queries, inserts, updates and deletes on the protected
#     table runai.workloads (bench/load/protected.sql; skipped with a note while it
#     does not exist) and access-rule additions and deletions by the System
#     administrator (bench/load/churn.sql).  The scripts raise an error on a wrong
#     answer, so "no wrong answer" is "no error": pgbench must exit 0 (a client
#     that meets an error aborts the run) and report no failed transaction;
#   - at the same time, a checker: for a set of subjects (bound roles
#     regress_conc_c<k>, each with one L1 researcher rule), one session revokes the
#     rule (autocommit: committed when the call returns) and another, already warm
#     session must find the permission denied in its next transaction, and, inside
#     an open READ COMMITTED transaction, at its next statement; the rule is given
#     back and must be seen granted the same way.  Every wrong answer is a violation;
#     there must be none.
#
# Usage: tools/tests/concurrency.sh [--minutes N | --seconds N] [--clients N]
#   default: about 30 s of load (make test); --minutes N runs N minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=30
clients=8
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) seconds=$(( $2 * 60 )); shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    *) echo "usage: $0 [--minutes N | --seconds N] [--clients N]" >&2; exit 2 ;;
  esac
done

DB=runai_concurrency
NDEPTS=4 PPD=5 NUSERS=16 NSUB=5 WPP=20
NPROJECTS=$(( NDEPTS * PPD ))
[ "$clients" -le "$NUSERS" ] || { echo "concurrency.sh: at most $NUSERS clients" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runai_conc.XXXXXX")
chmod 755 "$tmp"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${PGHOST:-}" ]; then
    psql -qX -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
    drop_roles >/dev/null 2>&1 || true
  fi
  [ "$(type -t cluster_stop_all)" = function ] && cluster_stop_all
  rm -rf "$tmp"
}
trap cleanup EXIT

drop_roles() {
  psql -qXAt -d postgres -c "SELECT format('DROP ROLE %I;', rolname) FROM pg_roles WHERE rolname LIKE 'regress\_conc\_%'" \
    | psql -qX -d postgres >/dev/null
}

if [ -z "${PGHOST:-}" ]; then
  . tools/cluster.sh
  cluster_start "$tmp/cluster" "${CONCURRENCY_PORT:-55480}" >/dev/null
  trap cleanup EXIT          # cluster_start armed its own trap
fi
command -v pgbench >/dev/null || PATH=$(/usr/lib/postgresql/15/bin/pg_config --bindir):$PATH

# --- setup -------------------------------------------------------------------
psql -qX -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" >/dev/null
drop_roles
psql -qX -d postgres -c "CREATE DATABASE $DB" >/dev/null
psql -qX -d "$DB" -v ndepts=$NDEPTS -v ppd=$PPD -v nusers=$NUSERS -v nsub=$NSUB -v wpp=$WPP \
     -f bench/load/setup.sql >/dev/null
have_workloads=$(psql -qXAt -d "$DB" -c "SELECT to_regclass('runai.workloads') IS NOT NULL AND to_regprocedure('runai.protect(regclass,name,text,text)') IS NOT NULL")

scripts=(-f bench/load/check.sql@10 -f bench/load/churn.sql@2)
if [ "$have_workloads" = t ]; then
  scripts+=(-f bench/load/protected.sql@5)
else
  echo "concurrency.sh: runai.workloads / runai.protect do not exist yet: the protected-table part is skipped"
fi

# --- the load ----------------------------------------------------------------
echo "concurrency.sh: $clients pgbench clients and the checker for $seconds s"
pgbench -n -c "$clients" -j "$(( clients < 4 ? clients : 4 ))" -T "$seconds" \
        -D nusers=$NUSERS -D ndepts=$NDEPTS -D ppd=$PPD -D nprojects=$NPROJECTS -D wpp=$WPP \
        "${scripts[@]}" "$DB" >"$tmp/pgbench.out" 2>"$tmp/pgbench.err" &
pgbench_pid=$!
pids+=("$pgbench_pid")

# --- the checker ---------------------------------------------------------------
# Two persistent psql sessions on FIFOs: rev (changes rules, as a superuser) and chk
# (checks, as the subjects' bound roles).  sess_query SESSION SQL sets $got to the
# output lines of SQL (which must end with a semicolon), joined by newlines, without
# a subshell; psql's output is line-buffered (stdbuf), and \echo marks the end.
sess_open() {
  mkfifo "$tmp/$1.in" "$tmp/$1.out"
  stdbuf -oL psql -XAtq -v ON_ERROR_STOP=0 -d "$DB" <"$tmp/$1.in" >"$tmp/$1.out" 2>&1 &
  pids+=("$!")
  eval "exec {${1}_w}>\"$tmp/$1.in\""
  eval "exec {${1}_r}<\"$tmp/$1.out\""
}
sess_query() {
  local w=${1}_w r=${1}_r line
  got=""
  printf '%s\n\\echo __end__\n' "$2" >&"${!w}"
  while IFS= read -r line <&"${!r}"; do
    [ "$line" = __end__ ] && return 0
    got+=${got:+$'\n'}$line
  done
  echo "concurrency.sh: session $1 ended" >&2
  return 1
}
sess_open rev
sess_open chk

declare -A rule
sess_query rev "SELECT split_part(subject, '@', 1), id FROM runai_internal.access_rules WHERE subject LIKE 'c%@conc.test';"
while IFS='|' read -r k id; do rule[$k]=$id; done <<<"$got"

# probe[k]: what the subject c<k> sees: can(view) and, with workloads, its visible
# rows of project p<k>
declare -A probe
for k in $(seq 1 $NSUB); do
  rows=""
  [ "$have_workloads" = t ] && rows=", (SELECT count(*) FROM runai.workloads WHERE project OPERATOR(pg_catalog.=) 'project/p$k' AND name NOT LIKE 'tmp-%')"
  probe[$k]="SELECT runai.can('workloads', 'view', 'project/p$k')$rows;"
done
granted="t"; denied="f"
if [ "$have_workloads" = t ]; then granted="t|$WPP"; denied="f|0"; fi

iterations=0 violations=0 errors=0
deadline=$(( SECONDS + seconds ))
while [ "$SECONDS" -lt "$deadline" ]; do
  k=$(( iterations % NSUB + 1 ))
  in_tx=$(( iterations / NSUB % 2 ))    # every other round: inside one READ COMMITTED transaction
  if [ $in_tx -eq 1 ]; then
    sess_query chk "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL ROLE regress_conc_c$k; ${probe[$k]}"
  else
    sess_query chk "SET ROLE regress_conc_c$k; ${probe[$k]} RESET ROLE;"
  fi
  if [ "$got" != "$granted" ]; then
    violations=$((violations + 1)); echo "VIOLATION: c$k: granted rule not seen (got '$got')" >&2
  fi
  # revoke, committed
  sess_query rev "SELECT 'ok' FROM runai.delete_access_rule(${rule[c$k]});"
  [ "$got" = ok ] || { errors=$((errors + 1)); echo "revoke failed: $got" >&2; }
  if [ $in_tx -eq 1 ]; then
    sess_query chk "${probe[$k]}"
  else
    sess_query chk "SET ROLE regress_conc_c$k; ${probe[$k]} RESET ROLE;"
  fi
  if [ "$got" != "$denied" ]; then
    violations=$((violations + 1)); echo "VIOLATION: c$k: revoked rule still grants (got '$got', $([ $in_tx -eq 1 ] && echo 'next statement' || echo 'next transaction'))" >&2
  fi
  # give it back, committed; the next round checks it is seen
  sess_query rev "SELECT runai.add_access_rule('user', 'c$k@conc.test', 'L1 researcher', 'project/p$k');"
  if [[ $got =~ ^[0-9]+$ ]]; then rule[c$k]=$got; else errors=$((errors + 1)); echo "grant failed: $got" >&2; fi
  if [ $in_tx -eq 1 ]; then
    sess_query chk "${probe[$k]} COMMIT;"
    if [ "$got" != "$granted" ]; then
      violations=$((violations + 1)); echo "VIOLATION: c$k: given-back rule not seen at the next statement (got '$got')" >&2
    fi
  fi
  iterations=$((iterations + 1))
  [ $errors -gt 10 ] && break
done

# --- verdict -------------------------------------------------------------------
status=0
if wait "$pgbench_pid"; then pgbench_rc=0; else pgbench_rc=$?; fi
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$tmp/pgbench.out")
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$tmp/pgbench.out")
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$tmp/pgbench.out" | head -1)
echo "concurrency.sh: pgbench: exit $pgbench_rc, ${processed:-0} transactions (${tps:-?} tps), ${failed:-?} failed"
if [ "$pgbench_rc" -ne 0 ] || [ -z "$processed" ] || [ "$processed" -eq 0 ] || [ "${failed:-0}" -ne 0 ]; then
  echo "concurrency.sh: pgbench reported errors:" >&2
  cat "$tmp/pgbench.out" "$tmp/pgbench.err" >&2
  status=1
fi
echo "concurrency.sh: checker: $iterations revoke/re-grant rounds, $violations violations, $errors errors"
if [ "$iterations" -eq 0 ] || [ "$violations" -ne 0 ] || [ "$errors" -ne 0 ]; then
  status=1
fi
# End the sessions by closing their input (psql sees EOF), not with \q: bash's
# printf writes "\q" and the rest of its line in separate writes, psql can exit
# between them, and the second write then killed this script with SIGPIPE (141).
exec {rev_w}>&- {chk_w}>&-
exit $status
