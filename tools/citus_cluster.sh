# Throwaway Citus clusters: a coordinator and workers, each a cluster of
# tools/cluster.sh listening on loopback TCP (127.0.0.1) and on a Unix socket in its
# own directory, with shared_preload_libraries = 'citus,runai_rbac'.  Source this
# file (it sources tools/cluster.sh); the clusters are stopped at exit by the
# cleanup cluster_start registers with at_exit, through pg_ctl and each server's own
# postmaster.pid.
#
#   citus_available              is Citus installed, or can it be built?  Prints the
#                                reason on stdout when not (tools/ensure-citus.sh).
#   private_install_citus ROOT   adds Citus's files to a private installation made by
#                                private_install (which may predate Citus's build).
#   citus_cluster_start DIR PORT NWORKERS DB [postgresql.conf lines...]
#                                coordinator on PORT, workers on PORT+1..PORT+NWORKERS,
#                                database DB with CREATE EXTENSION citus on every node,
#                                the coordinator in the metadata (citus_set_coordinator_host),
#                                the workers added with their metadata synced.
#
# A caller's own cleanups go through at_exit too, never 'trap ... EXIT'.
#
# After citus_cluster_start: CITUS_NODES holds the nodes' directories (coordinator
# first), CITUS_PORTS their ports, CITUS_DB the database; citus_psql N [psql args]
# runs psql on node N (0 = coordinator) as postgres, unaligned and quiet, stopping at
# the first error.  Ports must be in 57100-57199 (the project's range for TCP);
# take them with free_tcp_ports (tools/cluster.sh), since another checkout's tests
# may be using some.

CITUS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$CITUS_LIB_DIR/cluster.sh"

CITUS_NODES=()
CITUS_PORTS=()
CITUS_DB=

citus_available() {
  "$CITUS_LIB_DIR/ensure-citus.sh"
}

# private_install_citus ROOT: links Citus's libraries and copies its extension files
# into the private installation ROOT (made by private_install), unless they are there.
private_install_citus() {
  local root=$1 libdir sharedir f
  libdir=$("$PGBIN/pg_config" --pkglibdir) sharedir=$("$PGBIN/pg_config" --sharedir)
  [ -d "$root$libdir" ] && [ -d "$root$sharedir/extension" ] || { echo "no private installation in $root" >&2; return 1; }
  for f in "$libdir"/citus*; do
    [ -e "$root$libdir/$(basename "$f")" ] || ln -s "$f" "$root$libdir/" || return 1
  done
  for f in "$sharedir"/extension/citus*; do
    [ -e "$root$sharedir/extension/$(basename "$f")" ] || cp "$f" "$root$sharedir/extension/" || return 1
  done
  chmod -R a+rX "$root$sharedir/extension"
}

# citus_psql N [psql arguments]: psql on node N of the Citus cluster.
citus_psql() {
  local n=$1; shift
  psql -X -q -At -v ON_ERROR_STOP=1 -h "${CITUS_NODES[$n]}" -p "${CITUS_PORTS[$n]}" -U postgres \
    -d "${CITUS_DB:-postgres}" "$@"
}

citus_cluster_start() {
  local dir=$1 port=$2 nworkers=$3 db=$4 i p
  shift 4
  if [ "$port" -lt 57100 ] || [ $((port + nworkers)) -gt 57199 ]; then
    echo "citus_cluster_start: ports $port-$((port + nworkers)) are outside 57100-57199" >&2
    return 1
  fi
  CITUS_NODES=() CITUS_PORTS=() CITUS_DB=$db
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  for ((i = 0; i <= nworkers; i++)); do
    p=$((port + i))
    cluster_start "$dir/node$i" "$p" \
      "listen_addresses = '127.0.0.1'" \
      "shared_preload_libraries = 'citus,runai_rbac'" \
      "max_prepared_transactions = 20" \
      "max_connections = 60" \
      "wal_level = logical" \
      "citus.shard_replication_factor = 1" \
      "$@" || return 1
    CITUS_NODES+=("$dir/node$i") CITUS_PORTS+=("$p")
  done
  unset PGHOST PGPORT PGDATABASE PGUSER
  for ((i = 0; i <= nworkers; i++)); do
    CITUS_DB=postgres citus_psql "$i" -c "CREATE DATABASE $db" || return 1
    citus_psql "$i" -c "CREATE EXTENSION citus" || return 1
  done
  citus_psql 0 -c "SELECT citus_set_coordinator_host('127.0.0.1', ${CITUS_PORTS[0]})" >/dev/null || return 1
  for ((i = 1; i <= nworkers; i++)); do
    citus_psql 0 -c "SELECT citus_add_node('127.0.0.1', ${CITUS_PORTS[$i]})" >/dev/null || return 1
  done
  local synced
  synced=$(citus_psql 0 -c "SELECT count(*) FROM pg_dist_node WHERE isactive AND hasmetadata AND metadatasynced")
  if [ "$synced" != $((nworkers + 1)) ]; then
    echo "citus_cluster_start: $synced of $((nworkers + 1)) nodes have synced metadata" >&2
    return 1
  fi
}
