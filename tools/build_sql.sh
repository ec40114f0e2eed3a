#!/usr/bin/env bash
# Assembles the install script for one version from src/sql/*.sql.  A line
# "-- @DATA@" in a part is replaced by the catalog rows generated from data/*.csv.
set -euo pipefail
version=$1; shift
cat <<HDR
-- runai_rbac $version: generated from src/sql/*.sql and data/*.csv; edit those instead.
\\echo Use "CREATE EXTENSION runai_rbac" to load this file. \\quit
HDR
for part in "$@"; do
  printf '\n-- ==== %s ====\n' "$(basename "$part")"
  while IFS= read -r line || [ -n "$line" ]; do
    if [ "$line" = "-- @DATA@" ]; then
      awk -f tools/gen_data.awk data/resource_types.csv data/roles.csv \
        data/role_permissions.csv data/workload_kinds.csv
    else
      printf '%s\n' "$line"
    fi
  done < "$part"
done
