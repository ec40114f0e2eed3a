#!/usr/bin/env bash
# Installs what building and testing runai_rbac needs, from Debian's archive.
# As root it runs apt-get; otherwise it names the packages and stops.
set -euo pipefail

PGVER=${PGVER:-15}
need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

for p in "postgresql-$PGVER" "postgresql-server-dev-$PGVER" "postgresql-$PGVER-pgtap" \
         libtap-parser-sourcehandler-pgtap-perl make gcc clang libclang-rt-14-dev \
         pgbouncer python3-psycopg; do
  have_pkg "$p" || need+=("$p")
done

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "runai_rbac: missing packages: ${need[*]}" >&2
  echo "runai_rbac: install them with: sudo apt-get install ${need[*]}" >&2
  exit 1
fi

echo "runai_rbac: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# A package list older than the archive gives 404s; refresh it once, then install.
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
