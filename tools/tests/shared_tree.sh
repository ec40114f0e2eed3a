#!/usr/bin/env bash
# The scope tree in shared memory (src/scopetree.c): what the isolation specs cannot
# show because it needs several databases, a server restart, a prepared
# transaction or a server without shared_preload_libraries.
#
# With runai_rbac preloaded (one cluster, port 55466):
#   - two databases use the extension: each has its own tree (a scope created in
#     one is not in the other), both shared (runai.cache_stats().shared_tree);
#   - a session kept open (a coprocess) follows, at its next statement, scopes
#     created, deleted and created again under another parent elsewhere, with a
#     warm cache;
#   - a backend's private memory does not grow with the tree: tree_bytes of a new
#     connection after one check, at 30 scopes and at 20,030 scopes;
#   - DROP EXTENSION and CREATE EXTENSION while the kept session stays connected:
#     it answers from the new, empty tree;
#   - a scope created by a prepared transaction is not seen before COMMIT PREPARED
#     (made by another connection), and is seen by the kept session and by new
#     ones after it; one rolled back with ROLLBACK PREPARED never is;
#   - TRUNCATE of the scopes (and, through CASCADE, of the rules) is seen at once;
#   - after a server restart the tree is read again from the table.
# Without preloading (a second cluster, port 55467): the same extension works with
# per-backend trees (shared_tree false), a committed scope is seen by the other
# session at its next statement and an uncommitted one only by its own.
#
# Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || { echo "FAIL: cannot change to the top of the tree"; exit 1; }
. tools/cluster.sh

PORT=55466 PORT_NP=55467
failures=0
ok()   { echo "ok: $*"; }
bad()  { echo "FAIL: $*"; failures=$((failures + 1)); }
expect() { if [ "$3" = "$2" ]; then ok "$1: $3"; else bad "$1: expected '$2', got '$3'"; fi; }

tmp=$(mktemp -d /tmp/runai_tree.XXXXXX) || { bad "cannot create a temporary directory"; exit 1; }
chmod 755 "$tmp"
at_exit 'rm -rf "$tmp"'
use_private_install "$tmp/inst" || exit 1
cluster_start "$tmp/main" $PORT || exit 1
unset PGDATABASE
S=(-h "$tmp/main" -p $PORT -U postgres)
q() { local db=$1; shift; psql -X -q -At -v ON_ERROR_STOP=1 "${S[@]}" -d "$db" "$@"; }

# setup DB: the extension, a small tree (tenant t, cluster c, departments d1 d2,
# projects p1 p2 under d1), a user b bound to role regress_tree_b with L1 researcher
# at department/d1.
setup() {
  q postgres -c "CREATE DATABASE $1" || return 1
  q "$1" >/dev/null <<'SQL'
CREATE EXTENSION runai_rbac;
DO $$ BEGIN CREATE ROLE regress_tree_b LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
INSERT INTO runai_internal.users (email, type, created_by) VALUES ('b@tree.test', 'local', 'shared_tree.sh');
SELECT runai.bind_db_role('b@tree.test', 'regress_tree_b');
SELECT runai.create_scope('tenant', 't', 'T', 'system');
SELECT runai.create_scope('cluster', 'c', 'C', 'tenant/t');
SELECT runai.create_scope('department', 'd1', 'D1', 'cluster/c');
SELECT runai.create_scope('department', 'd2', 'D2', 'cluster/c');
SELECT runai.create_scope('project', 'p1', 'P1', 'department/d1');
SELECT runai.create_scope('project', 'p2', 'P2', 'department/d1');
SELECT runai.add_access_rule('user', 'b@tree.test', 'L1 researcher', 'department/d1');
SQL
}

# can DB SCOPE: runai.can('workloads', 'view', SCOPE) for b, in a new connection
can() { q "$1" -c "SET ROLE regress_tree_b" -c "SELECT runai.can('workloads', 'view', '$2')"; }

# The kept session: one psql fed line by line (as in standby.sh), started once its
# database exists.  Its descriptors are kept apart: bash forgets KEPT when psql exits.
# A session that has exited or does not answer within RUNAI_WAIT s gives an $out
# that says so, which the next expect reports; SIGPIPE is ignored while writing to it
# (a write to an exited psql would otherwise end this script without a word).
out="" kept_pid="" kept_w="" kept_r=""
kept_open() {   # kept_open DB
  coproc KEPT { exec psql -X -q -At "${S[@]}" -d "$1" 2>&1; }
  kept_pid=$KEPT_PID
  exec {kept_w}>&"${KEPT[1]}" {kept_r}<&"${KEPT[0]}"
}
kept_close() {  # end of input: psql exits by itself
  exec {kept_w}>&- {kept_r}<&-
  [ -n "${KEPT[1]:-}" ] && eval "exec ${KEPT[1]}>&- ${KEPT[0]}<&-"
  wait "$kept_pid" 2>/dev/null
}
kept() {
  local line rc wait=${RUNAI_WAIT:-180}
  out=""
  trap '' PIPE
  printf '%s;\n\\echo __END__\n' "$1" 1>&"$kept_w" 2>/dev/null; rc=$?
  trap - PIPE
  [ $rc -eq 0 ] || { out="(the kept session has exited)"; return 1; }
  while :; do
    IFS= read -r -t "$wait" line <&"$kept_r"; rc=$?
    [ $rc -eq 0 ] || break
    [ "$line" = __END__ ] && return 0
    out+="${out:+$'\n'}$line"
  done
  if [ $rc -gt 128 ]; then out="(no answer from the kept session within $wait s; it said: $out)"
  else out="(the kept session has exited; it said: $out$line)"; fi
  return 1
}

echo "== two databases"
setup one || { bad "setting up database one failed"; exit 1; }
setup two || { bad "setting up database two failed"; exit 1; }
q one -c "SELECT runai.create_scope('project', 'only-in-one', 'P', 'department/d1')" >/dev/null
expect "database one: the new scope is covered by b's department" t "$(can one project/only-in-one)"
expect "database two: the scope of database one is not in its tree" f "$(can two project/only-in-one)"
expect "database two: its own tree answers" t "$(can two project/p1)"
expect "database one: the tree is shared" t "$(q one -c "SELECT runai.can('workloads', 'view', 'system')" -c "SELECT shared_tree FROM runai.cache_stats()" | tail -1)"
expect "database two: the tree is shared" t "$(q two -c "SELECT runai.can('workloads', 'view', 'system')" -c "SELECT shared_tree FROM runai.cache_stats()" | tail -1)"

echo "== a session kept open follows the changes made elsewhere"
kept_open one
kept "SET ROLE regress_tree_b"
kept "SELECT runai.can('workloads', 'view', 'project/p1'), runai.can('workloads', 'view', 'project/p9')"
expect "kept session, warm: p1 granted, p9 not in the tree" "t|f" "$out"
q one -c "SELECT runai.create_scope('project', 'p9', 'P9', 'department/d1')" >/dev/null
kept "SELECT runai.can('workloads', 'view', 'project/p9')"
expect "kept session: p9 created elsewhere under d1 is granted at its next statement" t "$out"
q one -c "SELECT runai.delete_scope('project/p9')" >/dev/null
kept "SELECT runai.can('workloads', 'view', 'project/p9')"
expect "kept session: p9 deleted elsewhere is no longer granted" f "$out"
q one -c "SELECT runai.create_scope('project', 'p9', 'P9 again', 'department/d2')" >/dev/null
kept "SELECT runai.can('workloads', 'view', 'project/p9'), runai.can('workloads', 'view', 'department/d2')"
expect "kept session: p9 created again under d2 (not b's) is not granted" "f|f" "$out"
kept "SELECT count(*) FROM runai.permitted_scopes('workloads', 'view')"
expect "kept session: permitted_scopes still names d1 only" 1 "$out"

echo "== private memory does not grow with the tree"
small=$(q one -c "SET ROLE regress_tree_b" -c "SELECT runai.can('workloads', 'view', 'project/p1')" -c "SELECT tree_bytes FROM runai.cache_stats()" | tail -1)
q one >/dev/null <<'SQL'
SELECT count(runai.create_scope('department', 'bulk' || d, 'Bulk', 'cluster/c')) FROM generate_series(1, 2000) d;
SELECT count(runai.create_scope('project', 'bulk' || d || '-' || p, 'Bulk', ('department/bulk' || d)::runai.scope))
  FROM generate_series(1, 2000) d, generate_series(1, 9) p;
SQL
big=$(q one -c "SET ROLE regress_tree_b" -c "SELECT runai.can('workloads', 'view', 'project/p1')" -c "SELECT tree_bytes FROM runai.cache_stats()" | tail -1)
scopes=$(q one -c "SELECT count(*) FROM runai_internal.scopes")
shared=$(q one -c "SELECT runai.can('workloads', 'view', 'system')" -c "SELECT shared_tree_bytes FROM runai.cache_stats()" | tail -1)
echo "note: $scopes scopes, shared tree $shared bytes; a new backend's private tree memory: $small bytes at 30 scopes, $big bytes now"
if [ -n "$small" ] && [ -n "$big" ] && [ "$big" -le $((small + 4096)) ]; then
  ok "a new backend's private memory for the tree stays the same (within 4 KiB)"
else
  bad "a new backend's private memory for the tree grew from $small to $big bytes"
fi
expect "every scope is in the shared tree" "$scopes" "$(q one -c "SELECT runai.can('workloads', 'view', 'system')" -c "SELECT scopes FROM runai.cache_stats()" | tail -1)"

echo "== a prepared transaction"
q one -c "BEGIN" -c "SELECT runai.create_scope('project', 'prepared', 'P', 'department/d1')" \
  -c "PREPARE TRANSACTION 'tree_2pc'" >/dev/null || bad "PREPARE TRANSACTION failed"
kept "SELECT runai.can('workloads', 'view', 'project/prepared')"
expect "kept session: a scope of a prepared transaction is not seen" f "$out"
expect "new session: a scope of a prepared transaction is not seen" f "$(can one project/prepared)"
q one -c "COMMIT PREPARED 'tree_2pc'" >/dev/null || bad "COMMIT PREPARED failed"
kept "SELECT runai.can('workloads', 'view', 'project/prepared')"
expect "kept session: seen after COMMIT PREPARED by another connection" t "$out"
expect "new session: seen after COMMIT PREPARED" t "$(can one project/prepared)"
q one -c "BEGIN" -c "SELECT runai.create_scope('project', 'prepared2', 'P', 'department/d1')" \
  -c "PREPARE TRANSACTION 'tree_2pc_2'" >/dev/null || bad "PREPARE TRANSACTION failed"
q one -c "ROLLBACK PREPARED 'tree_2pc_2'" >/dev/null || bad "ROLLBACK PREPARED failed"
kept "SELECT runai.can('workloads', 'view', 'project/prepared2')"
expect "kept session: a scope rolled back with ROLLBACK PREPARED is never seen" f "$out"

echo "== TRUNCATE"
q two >/dev/null <<'SQL' || bad "TRUNCATE of the scopes failed"
TRUNCATE runai_internal.scopes CASCADE;
INSERT INTO runai_internal.scopes (scope, parent, name, created_by) VALUES ('system', NULL, 'System', 'shared_tree.sh');
INSERT INTO runai_internal.scopes (scope, parent, name, created_by)
VALUES ('tenant/t', 'system', 'T', 'shared_tree.sh'), ('cluster/c', 'tenant/t', 'C', 'shared_tree.sh'),
       ('department/d2', 'cluster/c', 'D2', 'shared_tree.sh');
INSERT INTO runai_internal.access_rules (subject_type, subject, role_id, scope, created_by)
SELECT 'user', 'b@tree.test', id, 'department/d2', 'shared_tree.sh' FROM runai_internal.roles WHERE name = 'L1 researcher';
SQL
expect "after TRUNCATE: p1 is gone" f "$(can two project/p1)"
expect "after TRUNCATE: the new rule at d2 grants d2" t "$(can two department/d2)"
expect "after TRUNCATE: database one is untouched" t "$(can one project/p1)"

echo "== DROP EXTENSION and CREATE EXTENSION while a session stays connected"
kept "RESET ROLE"
q one >/dev/null <<'SQL' || bad "dropping and creating the extension again failed"
DROP EXTENSION runai_rbac;
CREATE EXTENSION runai_rbac;
INSERT INTO runai_internal.users (email, type, created_by) VALUES ('b@tree.test', 'local', 'shared_tree.sh');
SELECT runai.bind_db_role('b@tree.test', 'regress_tree_b');
SELECT runai.create_scope('tenant', 'new', 'New', 'system');
SELECT runai.add_access_rule('user', 'b@tree.test', 'Viewer', 'tenant/new');
SQL
kept "SET ROLE regress_tree_b"
kept "SELECT runai.can('workloads', 'view', 'project/p1'), runai.can('workloads', 'view', 'tenant/new')"
expect "kept session: answers from the new tree" "f|t" "$out"
kept "RESET ROLE"
kept "SELECT scopes FROM runai.cache_stats()"
expect "kept session: the new tree has system and the new tenant" 2 "$out"
kept_close

echo "== a server restart"
as_owner "$PGBIN/pg_ctl" -D "$tmp/main/data" -l "$tmp/main/server.log" -w -t "${PGCTL_TIMEOUT:-180}" \
    ${PGCTL_POSTGRES:+-p "$PGCTL_POSTGRES"} restart -m fast >/dev/null \
  || { tail -n 30 "$tmp/main/server.log"; bad "the restart failed (the end of the server's log above)"; exit 1; }
expect "after the restart: the tree is read again (database one)" t "$(can one tenant/new)"
expect "after the restart: the tree is read again (database two)" t "$(can two department/d2)"

if grep -E 'PANIC|server process .* was terminated|TRAP:' "$tmp/main/server.log"; then
  bad "the server log reports a crash (above)"
fi

echo "== without shared_preload_libraries"
cluster_start "$tmp/nopreload" $PORT_NP "shared_preload_libraries = ''" || { bad "the cluster without preload did not start"; exit 1; }
S=(-h "$tmp/nopreload" -p $PORT_NP -U postgres)
setup np || { bad "setting up the database without preload failed"; exit 1; }
expect "without preload: the tree is private" f "$(q np -c "SELECT runai.can('workloads', 'view', 'system')" -c "SELECT shared_tree FROM runai.cache_stats()" | tail -1)"
kept_open np
kept "SET ROLE regress_tree_b"
kept "SELECT runai.can('workloads', 'view', 'project/p3')"
expect "without preload, kept session: p3 not in the tree" f "$out"
q np -c "BEGIN" -c "SELECT runai.create_scope('project', 'p3', 'P3', 'department/d1')" \
  -c "SET ROLE regress_tree_b" -c "SELECT runai.can('workloads', 'view', 'project/p3')" -c "ROLLBACK" >"$tmp/own.out" 2>&1
expect "without preload: a session sees its own uncommitted scope" t "$(sed -n 2p "$tmp/own.out")"
kept "SELECT runai.can('workloads', 'view', 'project/p3')"
expect "without preload, kept session: the rolled back scope is not seen" f "$out"
q np -c "SELECT runai.create_scope('project', 'p3', 'P3', 'department/d1')" >/dev/null
kept "SELECT runai.can('workloads', 'view', 'project/p3')"
expect "without preload, kept session: the committed scope is seen at its next statement" t "$out"
kept_close

if [ $failures -eq 0 ]; then echo "shared_tree.sh: all checks passed"; exit 0; fi
echo "shared_tree.sh: $failures check(s) failed"
exit 1
