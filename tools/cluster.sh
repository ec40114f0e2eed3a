# Throwaway PostgreSQL clusters on a Unix socket in a temporary directory, and the
# cleanup protocol of the test scripts.
# Source this file; cluster_start exports PGHOST/PGPORT/PGUSER/PGDATABASE and
# registers cluster_stop_all with at_exit, so that the cluster is always stopped,
# whatever happens to the caller.
#
# Optional environment: PGCTL_POSTGRES names the server binary pg_ctl starts instead of
# its own (a relocated private installation made by private_install, or the Valgrind
# wrapper of tools/memcheck.sh); PGCTL_TIMEOUT is how long to wait for a server to
# start or stop (default 180 s: a loaded 2-core machine can take tens of seconds);
# RUNAI_WAIT is how long wait_for waits (default 180 s).

PGBIN=${PGBIN:-$(/usr/lib/postgresql/15/bin/pg_config --bindir 2>/dev/null || pg_config --bindir)}
# Sourced again (tools/citus_cluster.sh sources it; a script may have already), it
# keeps the clusters and the cleanups registered so far.
if [ -z "${_RUNAI_CLUSTER_SH:-}" ]; then
  _RUNAI_CLUSTER_SH=1
  CLUSTERS=()
  AT_EXIT=()
fi

# at_exit COMMAND: runs COMMAND (eval'd) when the script exits, however it exits (exit,
# end of script, a signal); commands run in reverse order of registration.  Use it
# instead of 'trap ... EXIT', which would replace the cleanups registered before.  A
# cleanup can neither change the script's exit status nor stop the other cleanups.
at_exit() {
  AT_EXIT+=("$1")
  trap _at_exit_run EXIT
}
_at_exit_run() {
  local rc=$? i
  set +e
  for ((i = ${#AT_EXIT[@]} - 1; i >= 0; i--)); do eval "${AT_EXIT[i]}"; done
  exit "$rc"
}

# wait_for WHAT COMMAND...: runs COMMAND every 0.2 s until it succeeds; gives up after
# RUNAI_WAIT seconds of wall time (not a count of tries, which would shrink on a loaded
# machine), printing "FAIL: waited N s for WHAT" and returning 1.
wait_for() {
  local what=$1 limit=${RUNAI_WAIT:-180} start=$SECONDS; shift
  until "$@"; do
    if [ $((SECONDS - start)) -ge "$limit" ]; then
      echo "FAIL: waited $limit s for $what"
      return 1
    fi
    sleep 0.2
  done
}

# Runs a server-side command as the cluster's owner: postgres refuses to run as root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# cluster_start DIR PORT [postgresql.conf lines...]: prints a FAIL line and returns 1
# if the cluster cannot be made or does not start.
cluster_start() {
  local dir=$1 port=$2; shift 2
  mkdir -p "$dir" || { echo "FAIL: cannot create $dir"; return 1; }
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync \
    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log"; echo "FAIL: initdb of $dir/data failed (its output above)"; return 1; }
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
  [ -n "${_CLUSTER_AT_EXIT:-}" ] || { at_exit cluster_stop_all; _CLUSTER_AT_EXIT=1; }
  cluster_pg_ctl_start "$dir" "$port" || return 1
  export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=postgres
}

# free_tcp_ports FIRST LAST N: for suites whose servers listen on TCP (Citus); the
# others use Unix sockets in private directories and need no free port.  Sets
# TCP_PORT to the lowest P of FIRST..LAST such that ports P..P+N-1 of 127.0.0.1 have
# no listener and are not claimed by another test run on this machine (make test may
# run in several checkouts at once), and claims them: a lock on
# $TMPDIR/runai_rbac_ports/<port> held on a descriptor of this shell, which the
# servers it starts inherit, so that the claim ends when they and the script have
# exited, however they exit.  Not in a $( ): the claim would end with the subshell.
free_tcp_ports() {
  local first=$1 last=$2 n=$3 p i f fd fds dir=${TMPDIR:-/tmp}/runai_rbac_ports
  mkdir -p "$dir" 2>/dev/null && chmod 1777 "$dir" 2>/dev/null
  for ((p = first; p + n - 1 <= last; p++)); do
    fds=()
    for ((i = p; i < p + n; i++)); do
      f=$dir/$i
      [ -e "$f" ] || { : >"$f" && chmod 666 "$f"; } 2>/dev/null
      exec {fd}<"$f" || break
      if ! flock -n "$fd" || (exec 3<>"/dev/tcp/127.0.0.1/$i") 2>/dev/null; then
        exec {fd}<&-
        break
      fi
      fds+=("$fd")
    done
    if [ ${#fds[@]} -eq "$n" ]; then TCP_PORT=$p; return 0; fi
    for fd in "${fds[@]}"; do exec {fd}<&-; done
  done
  echo "FAIL: no $n consecutive free TCP ports in $first-$last on 127.0.0.1"
  return 1
}

# cluster_pg_ctl_start DIR PORT: starts the server of DIR/data (logging to
# DIR/server.log) and waits until it accepts connections; on failure prints the end of
# its log and a FAIL line.  The caller has put DIR in CLUSTERS.
cluster_pg_ctl_start() {
  local dir=$1 port=$2 t=${PGCTL_TIMEOUT:-180} out
  if ! out=$(as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t "$t" \
               ${PGCTL_POSTGRES:+-p "$PGCTL_POSTGRES"} start 2>&1); then
    echo "$out"
    echo "-- the end of $dir/server.log:"
    tail -n 30 "$dir/server.log" 2>/dev/null
    echo "FAIL: the server in $dir (port $port) did not start (pg_ctl waits up to $t s; the log above says why)"
    return 1
  fi
}

# private_install ROOT [SRCDIR]: a private, relocated copy of the PostgreSQL server
# with this tree's build (or that of the source tree SRCDIR, such as an earlier
# version's) installed into it, so that tests never read or write the system's
# extension directory (two checkouts can then be tested at once, and a test never
# runs against another checkout's build).  PostgreSQL finds its share and lib
# directories relative to the server binary, so a copy of the binary next to a copy
# of the share directory and links to the libraries is a complete server.  Exports
# PGCTL_POSTGRES (every cluster_start then runs it) and RUNAI_PRIVATE_ROOT.
private_install() {
  local root=$1 src=${2:-.} bindir sharedir libdir f
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
  ${MAKE:-make} -s -C "$src" install DESTDIR="$root" with_llvm=no >"$root.install.log" 2>&1 \
    || { cat "$root.install.log" >&2; return 1; }
  chmod -R a+rX "$root"
  export PGCTL_POSTGRES=$root$bindir/postgres RUNAI_PRIVATE_ROOT=$root
}

# private_reinstall ROOT [SRCDIR]: replaces the build installed in a private
# installation by this tree's (or SRCDIR's), as a package upgrade does: the files of
# the installed build (library, control file, scripts) are removed first.  A server
# running from ROOT uses the new library once restarted.
private_reinstall() {
  local root=$1 src=${2:-.}
  rm -f "$root$("$PGBIN/pg_config" --sharedir)"/extension/runai_rbac[-.]* \
        "$root$("$PGBIN/pg_config" --pkglibdir)"/runai_rbac.so
  ${MAKE:-make} -s -C "$src" install DESTDIR="$root" with_llvm=no >"$root.install.log" 2>&1 \
    || { cat "$root.install.log" >&2; return 1; }
  chmod -R a+rX "$root"
}

# use_private_install DIR: a suite run on its own (not by tools/test.sh, which has made
# one already) builds this tree and makes its private installation under DIR, so that
# its clusters never run whatever build the system's extension directory holds.
use_private_install() {
  [ -n "${RUNAI_PRIVATE_ROOT:-}" ] && return 0
  ${MAKE:-make} -s all >/dev/null || { echo "FAIL: the build failed (make all)"; return 1; }
  private_install "$1" || { echo "FAIL: installing into a private copy of the server failed"; return 1; }
}

# cluster_stop_all: stops every cluster of CLUSTERS (immediate shutdown, waiting
# until the postmaster is gone) and removes its directory.  Never fails and keeps $?:
# it runs from at_exit.  A server that will not stop is reported and its directory
# kept, rather than removed under a running server.
cluster_stop_all() {
  local rc=$? dir out
  for dir in "${CLUSTERS[@]}"; do
    if [ -f "$dir/data/postmaster.pid" ] \
       && ! out=$(as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w -t "${PGCTL_TIMEOUT:-180}" stop 2>&1) \
       && as_owner "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      echo "note: the server in $dir did not stop ($out); its directory is kept" >&2
      continue
    fi
    rm -rf "$dir"
  done
  CLUSTERS=()
  return $rc
}
