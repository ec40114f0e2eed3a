# Throwaway PostgreSQL clusters on a Unix socket in a temporary directory.
# Source this file; cluster_start exports PGHOST/PGPORT/PGUSER/PGDATABASE and arms a
# trap so that the cluster is always stopped, whatever happens to the caller.
#
# Optional environment: PGCTL_POSTGRES names the server binary pg_ctl starts instead of
# its own (a relocated private installation made by private_install, or the Valgrind
# wrapper of tools/memcheck.sh); PGCTL_TIMEOUT is how long to wait for it to start
# (default 60 s).

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

# private_install ROOT: a private, relocated copy of the PostgreSQL server with this
# tree's build installed into it, so that tests never read or write the system's
# extension directory (two checkouts can then be tested at once, and a test never
# runs against another checkout's build).  PostgreSQL finds its share and lib
# directories relative to the server binary, so a copy of the binary next to a copy
# of the share directory and links to the libraries is a complete server.  Exports
# PGCTL_POSTGRES (every cluster_start then runs it) and RUNAI_PRIVATE_ROOT.
private_install() {
  local root=$1 bindir sharedir libdir f
  bindir=$("$PGBIN/pg_config" --bindir) sharedir=$("$PGBIN/pg_config" --sharedir)
  libdir=$("$PGBIN/pg_config" --pkglibdir)
  mkdir -p "$root$bindir" "$root$libdir" "$(dirname "$root$sharedir")" || return 1
  cp "$bindir/postgres" "$root$bindir/" || return 1
  cp -a "$sharedir" "$root$sharedir" || return 1
  rm -f "$root$sharedir"/extension/runai_rbac[-.]*
  for f in "$libdir"/*; do
    case $(basename "$f") in runai_rbac.so|bitcode) ;; *) ln -s "$f" "$root$libdir/" ;; esac
  done
  # no JIT bitcode: it would need a writable copy of the system's bitcode directory
  ${MAKE:-make} -s install DESTDIR="$root" with_llvm=no >"$root.install.log" 2>&1 \
    || { cat "$root.install.log" >&2; return 1; }
  chmod -R a+rX "$root"
  export PGCTL_POSTGRES=$root$bindir/postgres RUNAI_PRIVATE_ROOT=$root
}

cluster_stop_all() {
  local dir
  for dir in "${CLUSTERS[@]}"; do
    [ -f "$dir/data/postmaster.pid" ] && as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$dir"
  done
  CLUSTERS=()
}
