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
# Every failure is a "FAIL: " line: a wrong answer, a pgbench error, a checker session
# that exits or does not answer within RUNAI_WAIT seconds (default 180), pgbench still
# running RUNAI_WAIT seconds after its -T.  On its own cluster it runs this tree's
# build (a private installation, as make test does).
set -uo pipefail
cd "$(dirname "$0")/../.." || { echo "FAIL: cannot change to the top of the tree"; exit 1; }
. tools/cluster.sh      # at_exit; cluster_start when it runs on its own cluster

# Every failure prints one "FAIL: ..." line; nothing exits early without one.  Not
# 'set -e': a harmless non-zero status would end the run without saying why.
die() { echo "FAIL: $*"; exit 1; }

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
# How long the checker waits for one answer of its sessions, and pgbench for its
# clients after -T: generous, the machine may be loaded; they only bound a hang.
WAIT=${RUNAI_WAIT:-180}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runai_conc.XXXXXX") || die "cannot create a temporary directory"
chmod 755 "$tmp"
at_exit 'rm -rf "$tmp"'
shared=""
if [ -z "${PGHOST:-}" ]; then
  use_private_install "$tmp/inst" || exit 1
  cluster_start "$tmp/cluster" "${CONCURRENCY_PORT:-55480}" >/dev/null || die "the test cluster did not start"
else
  shared=1                  # the caller's cluster: leave it as it was found
fi
command -v pgbench >/dev/null || PATH=$(/usr/lib/postgresql/15/bin/pg_config --bindir):$PATH

drop_roles() {
  psql -qXAt -d postgres -c "SELECT format('DROP ROLE %I;', rolname) FROM pg_roles WHERE rolname LIKE 'regress\_conc\_%'" \
    | psql -qX -v ON_ERROR_STOP=1 -d postgres >/dev/null
}
# On any exit: end the jobs that still run (jobs -pr lists only live ones, so no
# process id that has exited, and may have been reused, is ever signalled); on a
# shared cluster, drop the database (WITH (FORCE): a session just killed may not have
# left yet) and the roles.  Leftovers are reported, never a reason to fail.
cleanup() {
  local p
  for p in $(jobs -pr); do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ -n "$shared" ]; then
    psql -qX -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 \
      && drop_roles 2>/dev/null \
      || echo "note: concurrency.sh could not drop database $DB or the regress_conc_* roles" >&2
  fi
}
at_exit cleanup

# --- setup -------------------------------------------------------------------
psql -qX -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null \
  || die "dropping an earlier database $DB failed"
drop_roles || die "dropping earlier regress_conc_* roles failed"
psql -qX -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB" >/dev/null || die "CREATE DATABASE $DB failed"
psql -qX -d "$DB" -v ndepts=$NDEPTS -v ppd=$PPD -v nusers=$NUSERS -v nsub=$NSUB -v wpp=$WPP \
     -f bench/load/setup.sql >/dev/null || die "bench/load/setup.sql failed"
have_workloads=$(psql -qXAt -d "$DB" -c "SELECT to_regclass('runai.workloads') IS NOT NULL AND to_regprocedure('runai.protect(regclass,name,text,text)') IS NOT NULL")
case $have_workloads in
  t|f) ;;
  *) die "cannot tell whether runai.workloads exists (got '$have_workloads')" ;;
esac

scripts=(-f bench/load/check.sql@10 -f bench/load/churn.sql@2)
if [ "$have_workloads" = t ]; then
  scripts+=(-f bench/load/protected.sql@5)
else
  echo "concurrency.sh: runai.workloads / runai.protect do not exist yet: the protected-table part is skipped"
fi

# --- the load ----------------------------------------------------------------
# pgbench ends by itself after -T; timeout only bounds a client stuck in a query.
echo "concurrency.sh: $clients pgbench clients and the checker for $seconds s"
timeout --foreground -k 10 $(( seconds + WAIT )) \
  pgbench -n -c "$clients" -j "$(( clients < 4 ? clients : 4 ))" -T "$seconds" \
          -D nusers=$NUSERS -D ndepts=$NDEPTS -D ppd=$PPD -D nprojects=$NPROJECTS -D wpp=$WPP \
          "${scripts[@]}" "$DB" >"$tmp/pgbench.out" 2>"$tmp/pgbench.err" &
pgbench_pid=$!

# --- the checker ---------------------------------------------------------------
# Two persistent psql sessions on FIFOs: rev (changes rules, as a superuser) and chk
# (checks, as the subjects' bound roles).  sess_query SESSION SQL sets $got to the
# output lines of SQL (which must end with a semicolon), joined by newlines, without
# a subshell; psql's output is line-buffered (stdbuf), and \echo marks the end.  A
# session that has exited or does not answer within WAIT seconds is a FAIL line and
# a non-zero return, never a silent end: SIGPIPE is ignored while writing to it (a
# write to an exited psql would otherwise kill this script without a word).
declare -A sess_pid
sess_fds=()
sess_open() {
  mkfifo "$tmp/$1.in" "$tmp/$1.out" || die "mkfifo in $tmp failed"
  # The new psql must not hold the FIFO ends of the sessions opened before it: the
  # end of input it inherited would keep another session from ever seeing its EOF.
  ( for fd in "${sess_fds[@]}"; do eval "exec $fd>&-"; done
    exec stdbuf -oL psql -XAtq -v ON_ERROR_STOP=0 -d "$DB" ) <"$tmp/$1.in" >"$tmp/$1.out" 2>&1 &
  sess_pid[$1]=$!
  eval "exec {${1}_w}>\"$tmp/$1.in\""
  eval "exec {${1}_r}<\"$tmp/$1.out\""
  local w=${1}_w r=${1}_r
  sess_fds+=("${!w}" "${!r}")
}
sess_query() {
  local w=${1}_w r=${1}_r line rc why
  got=""
  trap '' PIPE
  printf '%s\n\\echo __end__\n' "$2" 1>&"${!w}" 2>/dev/null; rc=$?
  trap - PIPE
  if [ $rc -eq 0 ]; then
    while :; do
      IFS= read -r -t "$WAIT" line <&"${!r}"; rc=$?
      if [ $rc -ne 0 ]; then got+=${line:+${got:+$'\n'}$line}; break; fi
      [ "$line" = __end__ ] && return 0
      got+=${got:+$'\n'}$line
    done
    if [ $rc -gt 128 ]; then why="no answer within $WAIT s"; else why="its psql exited"; fi
  else
    why="its psql has exited"
  fi
  echo "FAIL: checker session $1: $why; the statement was: $2${got:+; its output: $got}"
  return 1
}
# sess_close_all: end of input for every session, so each psql exits by itself;
# then drain and reap them.  One that does not exit within WAIT s is stopped.
sess_close_all() {
  local s w r line rc
  for s in "${!sess_pid[@]}"; do eval "exec {${s}_w}>&-"; done
  for s in "${!sess_pid[@]}"; do
    r=${s}_r
    while :; do IFS= read -r -t "$WAIT" line <&"${!r}"; rc=$?; [ $rc -eq 0 ] || break; done
    if [ $rc -gt 128 ]; then
      echo "note: checker session $s did not end within $WAIT s of the end of its input; stopped" >&2
      kill "${sess_pid[$s]}" 2>/dev/null
    fi
    eval "exec {${s}_r}<&-"
    wait "${sess_pid[$s]}" 2>/dev/null
  done
}
sess_open rev
sess_open chk

declare -A rule
sess_query rev "SELECT split_part(subject, '@', 1), id FROM runai_internal.access_rules WHERE subject LIKE 'c%@conc.test';" \
  || die "the checker could not read its rules"
while IFS='|' read -r k id; do rule[$k]=$id; done <<<"$got"
[ ${#rule[@]} -eq $NSUB ] || die "the checker expected $NSUB rules of c1..c$NSUB@conc.test, found: $got"

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

iterations=0 violations=0 errors=0 lost=0
violation() {   # the first 20 are printed; all are counted
  violations=$((violations + 1))
  [ $violations -le 20 ] && echo "FAIL: $*"
  [ $violations -eq 20 ] && echo "(further violations are counted, not printed)"
}
error() {
  errors=$((errors + 1))
  echo "FAIL: $*"
}
deadline=$(( SECONDS + seconds ))
while [ "$SECONDS" -lt "$deadline" ]; do
  k=$(( iterations % NSUB + 1 ))
  in_tx=$(( iterations / NSUB % 2 ))    # every other round: inside one READ COMMITTED transaction
  if [ $in_tx -eq 1 ]; then
    sess_query chk "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL ROLE regress_conc_c$k; ${probe[$k]}" || { lost=1; break; }
  else
    sess_query chk "SET ROLE regress_conc_c$k; ${probe[$k]} RESET ROLE;" || { lost=1; break; }
  fi
  [ "$got" = "$granted" ] || violation "c$k: granted rule not seen (got '$got')"
  # revoke, committed
  sess_query rev "SELECT 'ok' FROM runai.delete_access_rule(${rule[c$k]});" || { lost=1; break; }
  [ "$got" = ok ] || error "revoking the rule of c$k failed: $got"
  if [ $in_tx -eq 1 ]; then
    sess_query chk "${probe[$k]}" || { lost=1; break; }
  else
    sess_query chk "SET ROLE regress_conc_c$k; ${probe[$k]} RESET ROLE;" || { lost=1; break; }
  fi
  [ "$got" = "$denied" ] \
    || violation "c$k: revoked rule still grants (got '$got', $([ $in_tx -eq 1 ] && echo 'next statement' || echo 'next transaction'))"
  # give it back, committed; the next round checks it is seen
  sess_query rev "SELECT runai.add_access_rule('user', 'c$k@conc.test', 'L1 researcher', 'project/p$k');" || { lost=1; break; }
  if [[ $got =~ ^[0-9]+$ ]]; then rule[c$k]=$got; else error "giving c$k its rule back failed: $got"; fi
  if [ $in_tx -eq 1 ]; then
    sess_query chk "${probe[$k]} COMMIT;" || { lost=1; break; }
    [ "$got" = "$granted" ] || violation "c$k: given-back rule not seen at the next statement (got '$got')"
  fi
  iterations=$((iterations + 1))
  if [ $errors -gt 10 ]; then echo "FAIL: the checker stops after $errors errors"; break; fi
done
# a session that failed is left to cleanup, which stops it
if [ $lost -eq 0 ]; then sess_close_all; fi

# --- verdict -------------------------------------------------------------------
status=0
wait "$pgbench_pid"; pgbench_rc=$?
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$tmp/pgbench.out")
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$tmp/pgbench.out")
tps=$(sed -n '0,/^tps = / s/^tps = \([0-9.]*\).*/\1/p' "$tmp/pgbench.out")
echo "concurrency.sh: pgbench: exit $pgbench_rc, ${processed:-0} transactions (${tps:-?} tps), ${failed:-?} failed"
if [ "$pgbench_rc" -eq 124 ] || [ "$pgbench_rc" -eq 137 ]; then
  echo "FAIL: pgbench did not finish within $(( seconds + WAIT )) s (-T $seconds) and was stopped; its output:"
  cat "$tmp/pgbench.out" "$tmp/pgbench.err"
  status=1
elif [ "$pgbench_rc" -ne 0 ] || [ -z "$processed" ] || [ "$processed" -eq 0 ] || [ "${failed:-0}" -ne 0 ]; then
  echo "FAIL: pgbench: exit $pgbench_rc, ${processed:-no} transactions processed, ${failed:-?} failed; its output:"
  cat "$tmp/pgbench.out" "$tmp/pgbench.err"
  status=1
fi
echo "concurrency.sh: checker: $iterations revoke/re-grant rounds, $violations violations, $errors errors"
if [ $lost -ne 0 ]; then
  echo "FAIL: the checker lost a session after $iterations rounds (above)"; status=1
elif [ "$iterations" -eq 0 ]; then
  echo "FAIL: the checker made no revoke/re-grant round in $seconds s"; status=1
elif [ "$violations" -ne 0 ] || [ "$errors" -ne 0 ]; then
  echo "FAIL: the checker found $violations violations and $errors errors"; status=1
fi
exit $status
