#!/usr/bin/env bash
# Assembles the SQL of one version from src/sql/*.sql.
#
#   tools/build_sql.sh VERSION PART...          the install script runai_rbac--VERSION.sql
#   tools/build_sql.sh --code VERSION PART...   only the code parts, for an upgrade script
#
# A line "-- @DATA@" in a part is replaced by the catalog rows generated from
# data/*.csv (tools/gen_data.awk).
#
# The parts.  Each part is either data or code, as its name says (NN_data_*.sql,
# NN_code_*.sql), and the install script is every part in name order; the numbers
# put each part after what it needs:
#
#   00_data_schemas         schema runai_internal, the shell types
#   05_code_type_functions  the C functions of the types
#   10_data_types           the types, their operators (in pg_catalog), operator
#                           classes and casts
#   15_code_type_sql        SQL functions over the types (the scope tree's CHECK,
#                           the bodies of the scope/text operators), the aggregate
#   20_data_operators       the operators between runai.scope and text
#   30_data_catalog         tables, indexes, predefined rows, pg_dump configuration
#   40_code_catalog .. 80_code_views
#                           triggers and their functions, the engine, identity,
#                           row-level security, the views
#   95_code_guard           the event trigger that guards the triggers (after the
#                           last ALTER TABLE of the script, which it would check)
#   99_code_privileges      every grant and revoke, once every object exists
#
# Data parts define what holds state or cannot be replaced: schemas, types,
# operators, operator classes, casts, tables, indexes and rows.  They run once, at
# CREATE EXTENSION; an upgrade script changes them with its own statements
# (ALTER TABLE ..., new tables, moved objects).
#
# Code parts can be replayed on top of an installed version, and an upgrade script
# ends by replaying all of them (--code): CREATE OR REPLACE FUNCTION, CREATE OR
# REPLACE VIEW (columns may only be added at the end: a view whose columns change
# is dropped first by the upgrade's own statements), CREATE OR REPLACE AGGREGATE,
# CREATE OR REPLACE TRIGGER followed at once by ENABLE ALWAYS, constraint triggers
# and the event trigger created only where missing, idempotent GRANT, REVOKE and
# COMMENT, and runai.protect, which is idempotent.  Replayed on the same version
# they change nothing (tools/tests/upgrade.sh checks it); an upgrade script is then
#   \echo ... \quit guard, the data changes from the earlier version, the code parts.
set -euo pipefail
code_only=0
if [ "${1:-}" = --code ]; then code_only=1; shift; fi
version=$1; shift
if [ $code_only -eq 1 ]; then
  cat <<HDR
-- runai_rbac $version: the code parts of src/sql, to be replayed by an upgrade script.
HDR
else
  cat <<HDR
-- runai_rbac $version: generated from src/sql/*.sql and data/*.csv; edit those instead.
\\echo Use "CREATE EXTENSION runai_rbac" to load this file. \\quit
HDR
fi
for part in "$@"; do
  name=$(basename "$part")
  case $name in
    [0-9][0-9]_data_*.sql) kind=data ;;
    [0-9][0-9]_code_*.sql) kind=code ;;
    *) echo "build_sql.sh: $part is named neither NN_data_*.sql nor NN_code_*.sql" >&2; exit 1 ;;
  esac
  [ $code_only -eq 1 ] && [ $kind = data ] && continue
  printf '\n-- ==== %s ====\n' "$name"
  while IFS= read -r line || [ -n "$line" ]; do
    if [ "$line" = "-- @DATA@" ]; then
      [ $kind = data ] || { echo "build_sql.sh: -- @DATA@ in the code part $part" >&2; exit 1; }
      awk -f tools/gen_data.awk data/resource_types.csv data/roles.csv \
        data/role_permissions.csv data/workload_kinds.csv
    else
      printf '%s\n' "$line"
    fi
  done < "$part"
done
