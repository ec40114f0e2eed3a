#!/usr/bin/env bash
# The example back end (examples/backend.py) behind pgbouncer, in transaction and in
# session pooling, under concurrent load while access rules are revoked and re-added:
# every answer must be the right one for its user at its moment.
#
# Starts its own cluster (Unix socket, port 57230) and pgbouncer (Unix socket, port
# 57231, started by its own pid) with three databases: app_tx (pool_mode =
# transaction, 3 server connections for the back end's 8), app_session (pool_mode =
# session, server_reset_query = DISCARD ALL), guard and guard_session (transaction
# and session pooling with 1 server connection).  tools/tests/pooler.py does the rest through the public API: 20 users,
# rules, workloads, the runai.require_local_authenticate guard (a failure if the
# setting does not exist), the back end on 127.0.0.1 (a port of
# 57240-57299), and the load, whose figures it prints.  Needs pgbouncer and
# python3-psycopg (tools/ensure-deps.sh installs them); installs nothing itself.
#
# Usage: tools/tests/pooler.sh [--seconds N] [--workers N]   (default 20 s per mode, 8 workers)
set -uo pipefail
cd "$(dirname "$0")/../.." || { echo "FAIL: cannot change to the top of the tree"; exit 1; }

seconds=20
workers=8
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    *) echo "usage: $0 [--seconds N] [--workers N]" >&2; exit 2 ;;
  esac
done

PY=/usr/bin/python3          # Debian's, which python3-psycopg installs into
PGPORT_=57230 BOUNCER_PORT=57231
for need in pgbouncer "$PY"; do
  command -v "$need" >/dev/null || { echo "FAIL: $need is missing (make deps installs it)"; exit 1; }
done
"$PY" -c 'import psycopg' 2>/dev/null || { echo "FAIL: python3-psycopg is missing (make deps installs it)"; exit 1; }

. tools/cluster.sh
tmp=$(mktemp -d /tmp/runai_pooler.XXXXXX) || { echo "FAIL: cannot create a temporary directory"; exit 1; }
chmod 755 "$tmp"
at_exit 'rm -rf "$tmp"'

# Run alone (not from make test), the server runs this tree's build, not the system's.
use_private_install "$tmp/inst" || exit 1
cluster_start "$tmp/pg" $PGPORT_ "max_connections = 60" || { echo "FAIL: the cluster did not start"; exit 1; }
# pgbouncer, started below, is stopped before the cluster (at_exit runs in reverse)
bouncer_pid=
stop_bouncer() {
  if [ -n "$bouncer_pid" ]; then kill "$bouncer_pid" 2>/dev/null; wait "$bouncer_pid" 2>/dev/null; fi
}
at_exit stop_bouncer
unset PGHOST PGPORT PGUSER PGDATABASE

mkdir -p "$tmp/bouncer"
server="host=$tmp/pg port=$PGPORT_"
{
  echo "[databases]"
  echo "app_tx = $server dbname=runai_pool pool_mode=transaction pool_size=3"
  echo "app_session = $server dbname=runai_pool pool_mode=session pool_size=3"
  echo "guard = $server dbname=runai_pool pool_mode=transaction pool_size=1"
  echo "guard_session = $server dbname=runai_pool pool_mode=session pool_size=1"
  echo "[pgbouncer]"
  echo "unix_socket_dir = $tmp/bouncer"
  echo "listen_port = $BOUNCER_PORT"
  echo "auth_type = trust"
  echo "auth_file = $tmp/bouncer/users.txt"
  echo "server_reset_query = DISCARD ALL"
  echo "max_client_conn = 200"
  echo "logfile = $tmp/bouncer/pgbouncer.log"
  # pgbouncer refuses to run as root; started as root it switches to this user
  [ "$(id -u)" -eq 0 ] && echo "user = postgres"
} >"$tmp/bouncer/pgbouncer.ini"
printf '"%s" ""\n' regress_pool_backend regress_pool_session >"$tmp/bouncer/users.txt"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$tmp/bouncer"
pgbouncer "$tmp/bouncer/pgbouncer.ini" >"$tmp/bouncer/stderr" 2>&1 &
bouncer_pid=$!
# listening, or gone (then waiting longer is pointless); bounded by wall time
bouncer_up() { [ -S "$tmp/bouncer/.s.PGSQL.$BOUNCER_PORT" ] || ! kill -0 "$bouncer_pid" 2>/dev/null; }
wait_for "pgbouncer to listen on $tmp/bouncer/.s.PGSQL.$BOUNCER_PORT" bouncer_up || exit 1
if [ ! -S "$tmp/bouncer/.s.PGSQL.$BOUNCER_PORT" ]; then
  cat "$tmp/bouncer/stderr"; echo "FAIL: pgbouncer exited at start (its output above)"; exit 1
fi
echo "pooler.sh: $(pgbouncer --version | head -1), psycopg $("$PY" -c 'import psycopg; print(psycopg.__version__)')"

"$PY" tools/tests/pooler.py --server "$server user=postgres" \
      --pooler "host=$tmp/bouncer port=$BOUNCER_PORT" --seconds "$seconds" --workers "$workers"
status=$?
if [ $status -ne 0 ]; then
  echo "FAIL: pooler.py exited with $status"
  grep -E 'ERROR|WARNING|FATAL' "$tmp/bouncer/pgbouncer.log" | tail -20
fi
exit $status
