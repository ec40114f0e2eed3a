#!/usr/bin/env bash
# SPEC section 7, hot standby: checks and protected tables work on a streaming replica,
# and a change on the primary is seen there once replayed.
#
# A primary (wal_level = replica) and a replica made with pg_basebackup -R, both on
# Unix sockets only (listen_addresses = '').  On the primary: scopes, users, rules, a
# database role bound to a user, and a table protected with runai.protect (when it
# exists).  On the replica:
#   - it is in recovery, and a change attempted there fails cleanly as read-only;
#   - runai.can as the bound role (SET ROLE), has_permission, and the protected table
#     answer as on the primary, with negative controls (a user without rules, an
#     unbound role, a scope outside the rules);
#   - one psql session is kept open on the replica (a coprocess) and warms its cache;
#     then a rule is revoked on the primary (runai.delete_access_rule); once the
#     replica has replayed up to the primary's WAL position, both that EXISTING session
#     (proving the invalidations are replayed into running backends) and a NEW session
#     are denied, while the user's other rule still grants;
#   - the same for a rule added on the primary (the existing session is then allowed),
#     for a scope created and then deleted there (the replica's scope tree follows
#     the replay, in the existing and in a new session) and for the role's binding
#     removed there (the existing session then acts as nobody: no permission, no
#     rows);
#   - a token made by a sign-in on the primary authenticates on the replica (existing
#     and new sessions, as a non-superuser so that row-level security applies), and
#     deleting the user on the primary ends that session on the replica (its next
#     check there gets 28000 once, then it has no subject);
#   - no server log reports a crash.
#
# Starts its own two clusters (ports 55463 and 55464); exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || { echo "FAIL: cannot change to the top of the tree"; exit 1; }
. tools/cluster.sh

PRIMARY_PORT=55463 REPLICA_PORT=55464
DB=runai_standby
failures=0
ok()   { echo "ok: $*"; }
bad()  { echo "FAIL: $*"; failures=$((failures + 1)); }
note() { echo "note: $*"; }

tmp=$(mktemp -d /tmp/runai_standby.XXXXXX) || { bad "cannot create a temporary directory"; exit 1; }
chmod 755 "$tmp"
at_exit 'rm -rf "$tmp"'
use_private_install "$tmp/inst" || exit 1

cluster_start "$tmp/primary" $PRIMARY_PORT "wal_level = replica" "max_wal_senders = 4" || exit 1
P=(-h "$tmp/primary" -p $PRIMARY_PORT -U postgres)
R=(-h "$tmp/replica" -p $REPLICA_PORT -U postgres)
unset PGHOST PGPORT PGDATABASE PGUSER
qp() { psql -X -q -At -v ON_ERROR_STOP=1 "${P[@]}" "$@"; }
qr() { psql -X -q -At -v ON_ERROR_STOP=1 "${R[@]}" "$@"; }

# expect WHAT EXPECTED GOT
expect() { if [ "$3" = "$2" ]; then ok "$1: $3"; else bad "$1: expected '$2', got '$3'"; fi; }

# ---------------------------------------------------------------------------
echo "== primary"
qp -d postgres -c "CREATE DATABASE $DB" || { bad "CREATE DATABASE $DB failed on the primary"; exit 1; }
qp -d $DB -c "CREATE EXTENSION runai_rbac CASCADE" || { bad "CREATE EXTENSION runai_rbac failed on the primary"; exit 1; }
qp -d $DB >/dev/null <<'SQL' || { bad "setting up the primary failed"; exit 1; }
CREATE ROLE regress_standby_ana LOGIN;
CREATE ROLE regress_standby_bob LOGIN;
CREATE ROLE regress_standby_unbound LOGIN;
SELECT runai.create_scope('tenant', 'acme', 'Acme', 'system');
SELECT runai.create_scope('cluster', 'c1', 'Cluster 1', 'tenant/acme');
SELECT runai.create_scope('department', 'd1', 'Department 1', 'cluster/c1');
SELECT runai.create_scope('project', 'p1', 'Project 1', 'department/d1');
SELECT runai.create_scope('project', 'p2', 'Project 2', 'department/d1');
SELECT runai.create_scope('project', 'p3', 'Project 3', 'department/d1');
DO $$
DECLARE u text;
BEGIN
  FOREACH u IN ARRAY ARRAY['ana@acme.io', 'bob@acme.io'] LOOP
    IF to_regprocedure('runai.create_local_user(text)') IS NOT NULL THEN
      PERFORM * FROM runai.create_local_user(u);
    ELSE
      INSERT INTO runai_internal.users (email, type, created_by) VALUES (u, 'local', 'standby.sh');
    END IF;
  END LOOP;
END
$$;
SELECT runai.add_access_rule('user', 'ana@acme.io', 'Viewer', 'project/p2');
SELECT runai.bind_db_role('ana@acme.io', 'regress_standby_ana');
SELECT runai.bind_db_role('bob@acme.io', 'regress_standby_bob');
SQL
rule=$(qp -d $DB -c "SELECT runai.add_access_rule('user', 'ana@acme.io', 'L1 researcher', 'project/p1')") \
  || { bad "adding the rule failed"; exit 1; }
echo "rules of ana@acme.io: L1 researcher @ project/p1 (rule $rule, to be revoked), Viewer @ project/p2"

protected=""
if [ "$(qp -d $DB -c "SELECT to_regprocedure('runai.protect(regclass,name,text,text)') IS NOT NULL")" = t ]; then
  qp -d $DB >/dev/null <<'SQL' || bad "protecting public.jobs failed"
CREATE TABLE public.jobs (id integer PRIMARY KEY, project runai.scope NOT NULL, title text);
INSERT INTO public.jobs
SELECT i, (ARRAY['project/p1', 'project/p2', 'project/p3'])[1 + i % 3]::runai.scope, 'job ' || i
  FROM generate_series(1, 30) i;
SELECT runai.protect('public.jobs', 'project');
GRANT SELECT ON public.jobs TO regress_standby_ana, regress_standby_bob, regress_standby_unbound;
SQL
  protected=public.jobs
  echo "protected table public.jobs: 10 rows in each of project/p1, p2, p3"
else
  note "runai.protect does not exist: the protected-table checks are skipped"
fi

# ---------------------------------------------------------------------------
echo "== replica (pg_basebackup -R)"
mkdir -p "$tmp/replica" && chown postgres: "$tmp/replica" 2>/dev/null
CLUSTERS+=("$tmp/replica")   # stopped and removed at exit with the primary
as_owner "$PGBIN/pg_basebackup" -h "$tmp/primary" -p $PRIMARY_PORT -U postgres -D "$tmp/replica/data" \
  -R -X stream -c fast >"$tmp/basebackup.log" 2>&1 || { cat "$tmp/basebackup.log"; bad "pg_basebackup failed"; exit 1; }
{
  echo "port = $REPLICA_PORT"
  echo "unix_socket_directories = '$tmp/replica'"
  echo "listen_addresses = ''"
  echo "hot_standby = on"
} | as_owner tee -a "$tmp/replica/data/postgresql.conf" >/dev/null
cluster_pg_ctl_start "$tmp/replica" $REPLICA_PORT || exit 1
expect "the replica is in recovery" t "$(qr -d $DB -c 'SELECT pg_is_in_recovery()')"
streaming() { [ "$(qp -d postgres -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ]; }
if wait_for "the primary to stream to the replica (pg_stat_replication.state = streaming)" streaming; then
  ok "the primary streams to it"
else
  failures=$((failures + 1))
fi

# Waits until the replica has replayed everything the primary has written (wall
# time, RUNAI_WAIT: the replica may be slow on a loaded machine).
replayed() { [ "$(qr -d postgres -c "SELECT pg_last_wal_replay_lsn() >= '$1'::pg_lsn")" = t ]; }
wait_replay() {
  local target
  target=$(qp -d postgres -c "SELECT pg_current_wal_lsn()")
  if [ -z "$target" ]; then bad "could not read the primary's WAL position"; return 1; fi
  if wait_for "the replica to replay up to the primary's WAL position $target" replayed "$target"; then
    ok "the replica has replayed up to the primary's $target"; return 0
  fi
  failures=$((failures + 1)); return 1
}
wait_replay

# A new session on the replica: ROLE; then one line per query.
fresh() {   # fresh ROLE SQL
  qr -d $DB -c "SET ROLE $1" -c "$2" 2>&1
}

# The existing session: one psql kept open on the replica, fed line by line.  The
# coprocess's pipes are not available in subshells, so answers come back in $out.  Its
# file descriptors are kept apart: bash forgets REPLICA_SESSION when psql exits.  A
# session that has exited or does not answer gives an $out that says so, which the
# next expect reports; SIGPIPE is ignored while writing to it (a write to an exited
# psql would otherwise end this script without a word).
coproc REPLICA_SESSION { exec psql -X -q -At "${R[@]}" -d $DB 2>&1; }
sess_pid=$REPLICA_SESSION_PID
exec {sess_w}>&"${REPLICA_SESSION[1]}" {sess_r}<&"${REPLICA_SESSION[0]}"
out=""
session() {   # session SQL: sets $out to the output lines of SQL
  local line rc wait=${RUNAI_WAIT:-180}
  out=""
  trap '' PIPE
  printf '%s;\n\\echo __END__\n' "$1" 1>&"$sess_w" 2>/dev/null; rc=$?
  trap - PIPE
  [ $rc -eq 0 ] || { out="(the session on the replica has exited)"; return 1; }
  while :; do
    IFS= read -r -t "$wait" line <&"$sess_r"; rc=$?
    [ $rc -eq 0 ] || break
    [ "$line" = __END__ ] && return 0
    out+="${out:+$'\n'}$line"
  done
  if [ $rc -gt 128 ]; then out="(no answer from the session within $wait s; it said: $out)"
  else out="(the session on the replica has exited; it said: $out$line)"; fi
  return 1
}
session "SELECT pg_backend_pid()"; pid=$out

echo "== checks on the replica before the revoke"
expect "new session, ana: can create workloads at project/p1" t "$(fresh regress_standby_ana "SELECT runai.can('workloads', 'create', 'project/p1')")"
expect "new session, ana: can view workloads at project/p2" t "$(fresh regress_standby_ana "SELECT runai.can('workloads', 'view', 'project/p2')")"
expect "new session, ana: cannot create workloads at project/p2 (Viewer)" f "$(fresh regress_standby_ana "SELECT runai.can('workloads', 'create', 'project/p2')")"
expect "new session, ana: cannot view workloads at project/p3" f "$(fresh regress_standby_ana "SELECT runai.can('workloads', 'view', 'project/p3')")"
expect "new session, bob (no rules): cannot view workloads at project/p1" f "$(fresh regress_standby_bob "SELECT runai.can('workloads', 'view', 'project/p1')")"
expect "new session, an unbound role: cannot view workloads at project/p1" f "$(fresh regress_standby_unbound "SELECT runai.can('workloads', 'view', 'project/p1')")"
expect "has_permission('user:ana@acme.io', workloads, create, project/p1) as superuser" t \
  "$(qr -d $DB -c "SELECT runai.has_permission('user:ana@acme.io', 'workloads', 'create', 'project/p1')")"
expect "has_permission('ana@acme.io', access_rules, create, project/p1) as superuser" f \
  "$(qr -d $DB -c "SELECT runai.has_permission('ana@acme.io', 'access_rules', 'create', 'project/p1')")"
expect "has_permission as ana herself" t \
  "$(fresh regress_standby_ana "SELECT runai.has_permission('user:ana@acme.io', 'workloads', 'create', 'project/p1')")"
if [ -n "$protected" ]; then
  expect "new session, ana: rows of public.jobs (p1 and p2)" 20 "$(fresh regress_standby_ana "SELECT count(*) FROM public.jobs")"
  expect "new session, ana: rows of public.jobs by project" "project/p1|10 project/p2|10" \
    "$(fresh regress_standby_ana "SELECT project::text, count(*) FROM public.jobs GROUP BY 1 ORDER BY 1" | tr '\n' ' ' | sed 's/ $//')"
  expect "new session, bob: rows of public.jobs" 0 "$(fresh regress_standby_bob "SELECT count(*) FROM public.jobs")"
  expect "new session, an unbound role: rows of public.jobs" 0 "$(fresh regress_standby_unbound "SELECT count(*) FROM public.jobs")"
fi
r=$(qr -d $DB -c "SELECT runai.add_access_rule('user', 'bob@acme.io', 'Viewer', 'project/p1')" 2>&1)
if [[ $r == *"read-only transaction"* ]]; then ok "a change on the replica is refused as read-only: $(head -1 <<<"$r")"
else bad "a change on the replica: expected a read-only error, got: $r"; fi

echo "== the existing session (backend $pid) warms its cache"
session "SET ROLE regress_standby_ana"
session "SELECT runai.can('workloads', 'create', 'project/p1')"; expect "existing session, ana: can create workloads at project/p1" t "$out"
session "SELECT runai.can('workloads', 'create', 'project/p3')"; expect "existing session, ana: cannot create workloads at project/p3" f "$out"
[ -n "$protected" ] && { session "SELECT count(*) FROM public.jobs"; expect "existing session, ana: rows of public.jobs" 20 "$out"; }
if [ "$(qr -d $DB -c "SELECT to_regprocedure('runai.cache_stats()') IS NOT NULL")" = t ]; then
  session "SELECT subjects >= 1 FROM runai.cache_stats()"; expect "existing session: its cache holds a subject" t "$out"
fi

echo "== revoke on the primary: runai.delete_access_rule($rule)"
qp -d $DB -c "SELECT runai.delete_access_rule($rule)" >/dev/null || bad "delete_access_rule($rule) failed on the primary"
expect "the primary denies at once" f "$(qp -d $DB -c "SELECT runai.has_permission('user:ana@acme.io', 'workloads', 'create', 'project/p1')")"
wait_replay
session "SELECT runai.can('workloads', 'create', 'project/p1')"; expect "EXISTING session, ana: can create workloads at project/p1 after the revoke" f "$out"
session "SELECT runai.can('workloads', 'view', 'project/p2')"; expect "EXISTING session, ana: still views workloads at project/p2" t "$out"
session "SELECT runai.has_permission('user:ana@acme.io', 'workloads', 'create', 'project/p1')"; expect "EXISTING session, ana: has_permission for herself" f "$out"
[ -n "$protected" ] && { session "SELECT count(*) FROM public.jobs"; expect "EXISTING session, ana: rows of public.jobs (p2 only)" 10 "$out"; }
session "SELECT pg_backend_pid()"; expect "EXISTING session: still the same backend" "$pid" "$out"
expect "NEW session, ana: can create workloads at project/p1 after the revoke" f "$(fresh regress_standby_ana "SELECT runai.can('workloads', 'create', 'project/p1')")"
expect "NEW session, ana: still views workloads at project/p2" t "$(fresh regress_standby_ana "SELECT runai.can('workloads', 'view', 'project/p2')")"
expect "NEW session: has_permission as superuser" f \
  "$(qr -d $DB -c "SELECT runai.has_permission('user:ana@acme.io', 'workloads', 'create', 'project/p1')")"
[ -n "$protected" ] && expect "NEW session, ana: rows of public.jobs (p2 only)" 10 "$(fresh regress_standby_ana "SELECT count(*) FROM public.jobs")"

echo "== grant on the primary: L1 researcher @ project/p3"
qp -d $DB -c "SELECT runai.add_access_rule('user', 'ana@acme.io', 'L1 researcher', 'project/p3')" >/dev/null \
  || bad "add_access_rule failed on the primary"
wait_replay
session "SELECT runai.can('workloads', 'create', 'project/p3')"; expect "EXISTING session, ana: can create workloads at project/p3 after the grant" t "$out"
[ -n "$protected" ] && { session "SELECT count(*) FROM public.jobs"; expect "EXISTING session, ana: rows of public.jobs (p2 and p3)" 20 "$out"; }
expect "NEW session, ana: can create workloads at project/p3 after the grant" t "$(fresh regress_standby_ana "SELECT runai.can('workloads', 'create', 'project/p3')")"

echo "== scopes created and deleted on the primary (the replica's tree follows the replay)"
qp -d $DB -c "SELECT runai.add_access_rule('user', 'ana@acme.io', 'Viewer', 'department/d1')" >/dev/null \
  || bad "add_access_rule at department/d1 failed on the primary"
wait_replay
session "SELECT runai.can('workloads', 'view', 'project/p4')"; expect "EXISTING session, ana: project/p4 is not a scope yet" f "$out"
qp -d $DB -c "SELECT runai.create_scope('project', 'p4', 'Project 4', 'department/d1')" >/dev/null \
  || bad "create_scope project/p4 failed on the primary"
wait_replay
session "SELECT runai.can('workloads', 'view', 'project/p4')"; expect "EXISTING session, ana: project/p4 created on the primary is covered by department/d1" t "$out"
expect "NEW session, ana: project/p4 is covered" t "$(fresh regress_standby_ana "SELECT runai.can('workloads', 'view', 'project/p4')")"
qp -d $DB -c "SELECT runai.delete_scope('project/p4')" >/dev/null || bad "delete_scope project/p4 failed on the primary"
wait_replay
session "SELECT runai.can('workloads', 'view', 'project/p4')"; expect "EXISTING session, ana: project/p4 deleted on the primary" f "$out"
expect "NEW session, ana: project/p4 deleted on the primary" f "$(fresh regress_standby_ana "SELECT runai.can('workloads', 'view', 'project/p4')")"

echo "== unbinding on the primary"
qp -d $DB -c "SELECT runai.unbind_db_role('regress_standby_ana')" >/dev/null || bad "unbind_db_role failed on the primary"
wait_replay
session "SELECT runai.can('workloads', 'view', 'project/p2')"; expect "EXISTING session, the unbound role: can view workloads at project/p2" f "$out"
[ -n "$protected" ] && { session "SELECT count(*) FROM public.jobs"; expect "EXISTING session, the unbound role: rows of public.jobs" 0 "$out"; }

# A token from a sign-in on the primary authenticates on the replica (the README says
# so), and its revocation on the primary (the user is deleted) reaches an existing
# session there.
if [ "$(qp -d $DB -c "SELECT to_regprocedure('runai.sso_sign_in(text,text[])') IS NOT NULL
                         AND to_regprocedure('runai.authenticate(text,boolean)') IS NOT NULL
                         AND to_regprocedure('runai.delete_user(text)') IS NOT NULL")" = t ]; then
  echo "== a token session on the replica"
  token=$(qp -d $DB -c "SELECT runai.add_access_rule('group', 'team-p3', 'Viewer', 'project/p3')" \
               -c "SELECT runai.sso_sign_in('cat@acme.io', ARRAY['team-p3'])" | tail -1)
  wait_replay
  session "SET ROLE regress_standby_unbound"   # not a superuser: row-level security applies
  session "SELECT runai.authenticate('$token') IS NOT NULL"
  expect "EXISTING session: authenticate() with a token made on the primary" t "$out"
  session "SELECT runai.current_subject()"; expect "EXISTING session: the current subject" "user:cat@acme.io" "$out"
  session "SELECT runai.can('workloads', 'view', 'project/p3')"; expect "EXISTING session, cat (group team-p3): can view workloads at project/p3" t "$out"
  [ -n "$protected" ] && { session "SELECT count(*) FROM public.jobs"; expect "EXISTING session, cat: rows of public.jobs (p3)" 10 "$out"; }
  r=$(qr -d $DB -c "SET ROLE regress_standby_unbound" -c "SELECT runai.authenticate('$token') IS NOT NULL" -c "SELECT runai.can('workloads', 'view', 'project/p3')" 2>&1 | tr '\n' ' ')
  expect "NEW session: authenticate() and can() with the token" "t t " "$r"
  qp -d $DB -c "SELECT runai.delete_user('cat@acme.io')" >/dev/null || bad "delete_user failed on the primary"
  wait_replay
  # the session's next statement that needs the subject says it ended, once
  session "SELECT runai.can('workloads', 'view', 'project/p3')"
  expect "EXISTING session, after the user was deleted on the primary: the next check" "ERROR:  invalid or expired token" "${out%%$'\n'*}"
  session "SELECT runai.can('workloads', 'view', 'project/p3')"; expect "EXISTING session, after the user was deleted on the primary: can view at project/p3" f "$out"
  session "SELECT coalesce(runai.current_subject(), '(none)')"; expect "EXISTING session, after the user was deleted: the current subject" "(none)" "$out"
  [ -n "$protected" ] && { session "SELECT count(*) FROM public.jobs"; expect "EXISTING session, after the user was deleted: rows of public.jobs" 0 "$out"; }
  r=$(qr -d $DB -c "SET ROLE regress_standby_unbound" -c "SELECT runai.authenticate('$token')" 2>&1 | head -1)
  if [[ $r == ERROR* ]]; then ok "NEW session: the revoked token is refused: $r"; else bad "NEW session: the revoked token was accepted: $r"; fi
else
  note "runai.sso_sign_in, authenticate or delete_user does not exist: the token checks are skipped"
fi

# End of input: the session's psql exits by itself.
exec {sess_w}>&- {sess_r}<&-
[ -n "${REPLICA_SESSION[1]:-}" ] && eval "exec ${REPLICA_SESSION[1]}>&- ${REPLICA_SESSION[0]}<&-"
wait "$sess_pid" 2>/dev/null
if grep -E 'PANIC|server process .* was terminated|TRAP:' "$tmp/primary/server.log" "$tmp/replica/server.log"; then
  bad "a server log reports a crash (above)"
fi

if [ $failures -eq 0 ]; then echo "standby.sh: all checks passed"; exit 0; fi
echo "standby.sh: $failures check(s) failed"
exit 1
