#!/usr/bin/env bash
# Assembles the SQL of one version from src/sql/*.sql.
#
#   tools/build_sql.sh VERSION PART...          the install script runai_rbac--VERSION.sql
#   tools/build_sql.sh --code VERSION PART...   only the code parts, for an upgrade script
#   tools/build_sql.sh --delta TEMPLATE VERSION PART...
#                                               the upgrade script to VERSION from its
#                                               hand-written part (src/upgrade/)
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
#
# Upgrade scripts (--delta).  The upgrade script from A to the current version B,
# upgrade/runai_rbac--A--B.sql, is generated from its hand-written part
# src/upgrade/runai_rbac--A--B.sql (the guard and the data changes), in which lines
# of exactly these forms are replaced:
#   -- @PART NN_name.sql@     that part, whole (a data part that only adds objects,
#                             or a code part needed before the data changes end)
#   -- @PREDEFINED@           the predefined rows of data/*.csv, written over the
#                             installed ones (gen_data.awk -v upsert=1): resource
#                             types, permissions and workload kinds inserted or
#                             updated, roles' names and flags updated
#   -- @DATA-COMMENTS@        every COMMENT statement of the data parts (comments
#                             are replaceable, the objects they describe are not)
#   -- @CODE@                 every code part, in name order (the replay)
# The Makefile makes it whenever a part, the data or the hand-written part changes,
# for as long as B is the control file's version, and it is committed with them.
# Once B is released and the control file says a later version, no rule makes it
# any more: the committed file is the released delta, complete by itself, and is
# never edited or generated again (STYLE.md; tools/tests/upgrade.sh compares it with
# the file at B's release commit).  The hand-written part stays as its record.
set -euo pipefail
mode=install template=""
case ${1:-} in
  --code) mode=code; shift ;;
  --delta) mode=delta; template=$2; shift 2 ;;
esac
version=$1; shift
declare -A parts=()
for part in "$@"; do parts[$(basename "$part")]=$part; done

kind_of() {   # kind_of PART: data or code, from its name
  case $(basename "$1") in
    [0-9][0-9]_data_*.sql) echo data ;;
    [0-9][0-9]_code_*.sql) echo code ;;
    *) echo "build_sql.sh: $1 is named neither NN_data_*.sql nor NN_code_*.sql" >&2; return 1 ;;
  esac
}

predefined() {   # the catalog rows of data/*.csv; upsert=1 writes them over installed ones
  awk -v upsert="${1:-0}" -f tools/gen_data.awk data/resource_types.csv data/roles.csv \
    data/role_permissions.csv data/workload_kinds.csv
}

emit_part() {   # emit_part PART: its heading and lines, -- @DATA@ expanded
  local part=$1 kind line
  kind=$(kind_of "$part")
  printf '\n-- ==== %s ====\n' "$(basename "$part")"
  while IFS= read -r line || [ -n "$line" ]; do
    if [ "$line" = "-- @DATA@" ]; then
      [ "$kind" = data ] || { echo "build_sql.sh: -- @DATA@ in the code part $part" >&2; return 1; }
      predefined
    else
      printf '%s\n' "$line"
    fi
  done < "$part"
}

data_comments() {   # every COMMENT statement of the data parts, in part order
  local part
  for part in "$@"; do
    [ "$(kind_of "$part")" = data ] || continue
    # a statement starts with COMMENT ON at the start of a line and ends at the first
    # line ending with ';' outside a quoted string
    awk -v name="$(basename "$part")" '
      !on && /^COMMENT ON / { on = 1; quotes = 0; if (!shown++) printf "\n-- comments of %s\n", name }
      on { print; line = $0; quotes += gsub(/\x27/, "", line)
           if (quotes % 2 == 0 && $0 ~ /;[ \t]*$/) on = 0 }
      END { if (on) { print "build_sql.sh: unterminated COMMENT in " name > "/dev/stderr"; exit 1 } }' "$part"
  done
}

case $mode in
install)
  cat <<HDR
-- runai_rbac $version: generated from src/sql/*.sql and data/*.csv; edit those instead.
\\echo Use "CREATE EXTENSION runai_rbac" to load this file. \\quit
HDR
  for part in "$@"; do emit_part "$part"; done ;;
code)
  cat <<HDR
-- runai_rbac $version: the code parts of src/sql, to be replayed by an upgrade script.
HDR
  for part in "$@"; do [ "$(kind_of "$part")" = code ] && emit_part "$part"; done; true ;;
delta)
  name=$(basename "$template")
  cat <<HDR
-- $name: generated by tools/build_sql.sh from src/upgrade/$name
-- and the parts of $version; frozen once $version is released (never edit it then).
HDR
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      "-- @PART "*"@")
        p=${line#-- @PART }; p=${p%@}
        [ -n "${parts[$p]+x}" ] || { echo "build_sql.sh: $template names the part $p, which is not given" >&2; exit 1; }
        emit_part "${parts[$p]}" ;;
      "-- @PREDEFINED@")
        printf '\n-- ==== the predefined rows of data/*.csv ====\n'; predefined 1 ;;
      "-- @DATA-COMMENTS@")
        printf '\n-- ==== the comments of the data parts ====\n'; data_comments "$@" ;;
      "-- @CODE@")
        printf '\n-- ==== the code parts of %s ====\n' "$version"
        for part in "$@"; do [ "$(kind_of "$part")" = code ] && emit_part "$part"; done; true ;;
      "-- @"*)
        echo "build_sql.sh: unknown directive in $template: $line" >&2; exit 1 ;;
      *) printf '%s\n' "$line" ;;
    esac
  done < "$template" ;;
esac
