#!/usr/bin/env bash
# Makes Citus available to the PostgreSQL server the tests use: when citus.so is
# missing from the server's lib directory, builds Citus from a source tarball and
# installs it there (once; later runs find it and return at once).
#
# Citus is not in Debian's archive.  The source comes from CITUS_TARBALL (default:
# /work/shared/vendor/citus-13.2.2.tar.gz when it exists); it is configured with
# --without-libcurl (no anonymous statistics) and built without JIT bitcode.  The
# Debian packages the build needs (liblz4-dev, libzstd-dev, PostgreSQL's server
# development files and the headers they include) are installed from Debian's archive when run as root.
#
# Exit status: 0 Citus is installed; 2 it is not, and cannot be built here (the
# reason is printed as one line on stdout, so that a caller can skip); 1 anything
# else.  Concurrent runs (two checkouts testing at once) build once: a lock file
# serialises them and the second finds Citus installed.
set -uo pipefail

PGVER=${PGVER:-15}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$PGVER/bin/pg_config}
DEFAULT_TARBALL=/work/shared/vendor/citus-13.2.2.tar.gz
CITUS_TARBALL=${CITUS_TARBALL:-$([ -f "$DEFAULT_TARBALL" ] && echo "$DEFAULT_TARBALL")}
LOCK=${TMPDIR:-/tmp}/runai_rbac_citus_build.lock

unavailable() { echo "$*"; exit 2; }

[ -x "$PG_CONFIG" ] || unavailable "PostgreSQL $PGVER's pg_config ($PG_CONFIG) is not installed"
libdir=$("$PG_CONFIG" --pkglibdir)
sharedir=$("$PG_CONFIG" --sharedir)
installed() { [ -f "$libdir/citus.so" ] && [ -f "$sharedir/extension/citus.control" ]; }

installed && exit 0

[ -n "$CITUS_TARBALL" ] || unavailable "Citus is not installed and no source tarball was given (set CITUS_TARBALL to a Citus 13 release tarball)"
[ -f "$CITUS_TARBALL" ] || unavailable "Citus is not installed and its source tarball $CITUS_TARBALL does not exist"
if [ "$(id -u)" -ne 0 ] && { [ ! -w "$libdir" ] || [ ! -w "$sharedir/extension" ]; }; then
  unavailable "Citus is not installed and installing it into $libdir needs root (run tools/ensure-citus.sh as root once)"
fi

exec 9>"$LOCK" || unavailable "cannot open the build lock $LOCK"
flock 9
installed && exit 0   # built by a concurrent run while this one waited

# Build dependencies, from Debian's archive.
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
# Citus links lz4 and zstd; PostgreSQL's server headers include those of the
# libraries the server was configured with (gssapi.h from libpq-be.h, ICU, OpenSSL).
pkgs=("postgresql-server-dev-$PGVER" liblz4-dev libzstd-dev make gcc)
conf=$("$PG_CONFIG" --configure)
[[ $conf == *--with-gssapi* ]] && pkgs+=(libkrb5-dev)
[[ $conf == *--with-icu* ]] && pkgs+=(libicu-dev)
[[ $conf == *--with-openssl* ]] && pkgs+=(libssl-dev)
need=()
for p in "${pkgs[@]}"; do
  have_pkg "$p" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || unavailable "building Citus needs the Debian packages ${need[*]} (install them as root)"
  echo "runai_rbac: installing the build dependencies of Citus: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
    # a package list older than the archive gives 404s: refresh it once
    apt-get update -qq >/dev/null 2>&1
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
      || unavailable "building Citus needs the Debian packages ${need[*]}, which could not be installed"
  fi
fi

build=$(mktemp -d "${TMPDIR:-/tmp}/runai_rbac_citus_build.XXXXXX")
log=${TMPDIR:-/tmp}/runai_rbac_citus_build.$(id -u).log
echo "runai_rbac: building Citus from $CITUS_TARBALL (a few minutes, once; log in $log)" >&2
if ! tar -xzf "$CITUS_TARBALL" -C "$build" >"$log" 2>&1; then
  rm -rf "$build"
  unavailable "the Citus source tarball $CITUS_TARBALL could not be unpacked (log: $log)"
fi
src=$(find "$build" -mindepth 1 -maxdepth 2 -name configure -printf '%h\n' | head -1)
[ -n "$src" ] || { rm -rf "$build"; unavailable "$CITUS_TARBALL holds no Citus source tree (no configure script)"; }
# with_llvm=no: no JIT bitcode (it would need clang and is not used by the tests)
if ! ( cd "$src" \
       && PG_CONFIG=$PG_CONFIG ./configure --without-libcurl \
       && make -j"$(nproc)" with_llvm=no \
       && make install-extension with_llvm=no ) >>"$log" 2>&1; then
  rm -rf "$build"
  unavailable "building Citus from $CITUS_TARBALL failed (log: $log)"
fi
rm -rf "$build"
installed || unavailable "Citus was built but citus.so is not in $libdir (log: $log)"
echo "runai_rbac: Citus installed into $libdir" >&2
exit 0
