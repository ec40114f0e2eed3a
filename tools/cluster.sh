# Throwaway PostgreSQL clusters on a Unix socket in a temporary directory.
# Source this file; cluster_start exports PGHOST/PGPORT/PGUSER/PGDATABASE and arms a
# trap so that the cluster is always stopped, whatever happens to the caller.
#
# Optional environment: PGCTL_POSTGRES names the server binary pg_ctl starts instead of
# its own (a relocated private installation, or the Valgrind wrapper of
# tools/memcheck.sh); PGCTL_TIMEOUT is how long to wait for it to start (default 60 s).

PGBIN=${PGBIN:-$(/usr/lib/postgresql/15/bin/pg_config --bindir 2>/dev/null || pg_config --bindir)}
CLUSTERS=()

# Runs a server-side command as the cluster's owner: postgres refuses to run as root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# cluster_start DIR PORT [postgresql.conf lines...]
cluster_start() {
  local dir=$1 port=$2; shift 2
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync \
    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  {
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$dir'"
    echo "port = $port"
    echo "fsync = off"
    echo "shared_preload_libraries = 'runai_rbac'"
    echo "max_prepared_transactions = 10"
    for line in "$@"; do echo "$line"; done
  } | as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
  CLUSTERS+=("$dir")
  trap cluster_stop_all EXIT
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t "${PGCTL_TIMEOUT:-60}" \
    ${PGCTL_POSTGRES:+-p "$PGCTL_POSTGRES"} start >/dev/null \
    || { cat "$dir/server.log" >&2; return 1; }
  export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=postgres
}

cluster_stop_all() {
  local dir
  for dir in "${CLUSTERS[@]}"; do
    [ -f "$dir/data/postmaster.pid" ] && as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$dir"
  done
  CLUSTERS=()
}
