#!/usr/bin/env bash
# SPEC section 7, ALTER EXTENSION runai_rbac UPDATE from every earlier released version
# keeps all data.
#
# Versions are discovered from the upgrade scripts upgrade/runai_rbac--A--B.sql; the
# current version is the control file's default_version.  Static checks:
#   - the Makefile's DATA installs upgrade scripts (checked in a scratch copy that has
#     one), and every upgrade script of the tree is installed;
#   - pg_available_extension_versions lists exactly the control file's version (old
#     full scripts are never installed: deltas only);
#   - every upgrade script's chain reaches the current version, in the files and as
#     the server computes it (pg_extension_update_paths); no script starts from the
#     current version;
#   - the upgrade script to the current version is what tools/build_sql.sh --delta
#     makes of its hand-written part (src/upgrade/) and the parts, and a released
#     upgrade script is byte for byte the one its target version was released with.
#
# Each earlier version V is tested as an administrator meets it (upgrade_real): the
# library and install script of V are built from git history (tag vV, V or
# runai_rbac-V, else the newest commit whose control file says V) and installed into
# a private relocated copy of the PostgreSQL installation (the system's extension
# directory is never written), a cluster runs V's library, and a database is created
# with CREATE EXTENSION runai_rbac VERSION 'V' and filled through V's API (fill:
# scopes, local and SSO users with groups, an application, rules with and without
# expiry, database roles bound to users and one bound role dropped, sign-ins whose
# tokens are kept, failed sign-ins, runai.workloads rows, users' own tables protected
# with runai.protect by each kind of scope column, an index on a scope column, views
# over runai.can(), over a runai view and comparing scopes, a function calling the
# API).  Recorded then: every row of every table of schemas runai and runai_internal
# and the check grid (grid: has_permission for every subject x resource type x action
# x scope, who_can, can(), my_permissions() and every protected table, user view and
# user function as two bound database roles and as the subjects of three tokens).
# The server is stopped, the installation gets the current build (the old files
# removed, as a package upgrade does) and started again; then
#   - V's database, not yet updated, answers the grid as it did with V's library;
#   - a session connected before ALTER EXTENSION runai_rbac UPDATE keeps answering
#     after it, and sees a scope another session creates afterwards;
#   - after ALTER EXTENSION runai_rbac UPDATE: every row is kept, unchanged in the
#     columns it had (tables matched by name across runai and runai_internal), except
#     what the update must change -- a binding whose role had been dropped is removed
#     and recorded by one event; the predefined tables are compared with a fresh
#     install instead --; the grid answers exactly as before the update (so users'
#     policies, views and functions work, and the tokens issued before it still
#     authenticate) and as a fresh install of the current version filled the same
#     way; the protected tables are registered and protect their scopes from
#     delete_scope; the extension's objects (fingerprint) and predefined rows are those
#     of a fresh install;
#   - pg_dump -Fc and pg_restore into a new database bring back every dumped row and
#     the same answers (sessions are not dumped: the tokens are refused there), and
#     pg_dump --schema-only of the updated database is that of the fresh install.
# The harness tests itself on every run: the upgrade script with one of its
# statements left out (the index of a subject's rules, the names of the bound roles,
# the registry of protected tables) must fail; without any earlier version, synthetic
# ones made from the current script must pass (identical) and fail (a comment and a
# function body differ).
#
# Always: two fresh installs describe and answer identically (else the comparisons
# prove nothing), and ALTER EXTENSION UPDATE on the current version changes nothing.
# The code parts of the current version (tools/build_sql.sh --code, the end of every
# upgrade script) can be replayed on an installation: an update whose delta is just
# that replay comes out identical to a fresh install.  And every version ever released
# (every default_version in the history of the control file) still works with this
# library before it is updated: its install script from git history, CREATE
# EXTENSION at that version, filled through its API, answers the check grid exactly
# as a fresh install of the current version does.
#
# Starts its own clusters (ports 55462, and 55463 for earlier versions' libraries);
# exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || { echo "FAIL: cannot change to the top of the tree"; exit 1; }
. tools/cluster.sh

export PGTZ=UTC PGDATESTYLE=ISO
EXT=runai_rbac
PORT=55462 OLD_PORT=55463
failures=0
ok()   { echo "ok: $*"; }
bad()  { echo "FAIL: $*"; failures=$((failures + 1)); }
note() { echo "note: $*"; }

current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" $EXT.control)
[ -n "$current" ] || { bad "no default_version in $EXT.control"; exit 1; }
echo "current version (from $EXT.control): $current"

tmp=$(mktemp -d /tmp/runai_upgrade.XXXXXX) || { bad "cannot create a temporary directory"; exit 1; }
chmod 755 "$tmp"
at_exit 'rm -rf "$tmp"'

# The commit that released version V: tag vV, V or runai_rbac-V, else the newest
# commit whose control file says V.
release_commit() {   # release_commit VERSION
  local v=$1 c="" tag h prev=""
  for tag in "v$v" "$v" "$EXT-$v"; do
    c=$(git rev-parse -q --verify "refs/tags/$tag^{commit}" 2>/dev/null) && { echo "$c"; return 0; }
  done
  # Walking the commits that changed the control file, newest first, the first one
  # that says V was followed by the one that changed it away (prev); the release is
  # that one's parent, or HEAD.
  for h in $(git log --first-parent --format=%H -- $EXT.control); do
    if git show "$h:$EXT.control" | grep -q "^default_version = '$v'"; then
      if [ -z "$prev" ]; then git rev-parse HEAD; else git rev-parse "$prev^"; fi
      return 0
    fi
    prev=$h
  done
  return 1
}

# ---------------------------------------------------------------------------
echo "== upgrade scripts in the tree"
declare -A next=()          # A -> B for every upgrade/runai_rbac--A--B.sql
scripts=()
for f in upgrade/$EXT--*--*.sql; do
  [ -e "$f" ] || continue
  b=$(basename "$f" .sql); b=${b#$EXT--}
  from=${b%%--*} to=${b#*--}
  if [ -n "${next[$from]+x}" ]; then
    bad "two upgrade scripts start from $from (to ${next[$from]} and to $to): the update path would be ambiguous"
  fi
  next[$from]=$to
  scripts+=("$f")
  head -5 "$f" | grep -q '\\echo .*\\quit' || bad "$f lacks the \\echo ... \\quit guard"
done
echo "upgrade scripts: ${#scripts[@]}"
earlier=()
for from in "${!next[@]}"; do
  [ "$from" = "$current" ] && bad "upgrade script $EXT--$from--${next[$from]}.sql starts from the current version $current"
  v=$from hops=0
  while [ "$v" != "$current" ] && [ -n "${next[$v]+x}" ] && [ $hops -lt 100 ]; do v=${next[$v]}; hops=$((hops + 1)); done
  if [ "$v" = "$current" ]; then ok "$from reaches $current in $hops step(s)"; earlier+=("$from")
  else bad "the chain of upgrade scripts from $from stops at $v, not at $current"; fi
done
mapfile -t earlier < <(printf '%s\n' "${earlier[@]}" | sed '/^$/d' | sort -V)

# The upgrade script to the current version is generated (tools/build_sql.sh): it
# must be what its hand-written part and the parts make now.  One to an earlier
# version was released: it must be exactly the file of its release.
for f in "${scripts[@]}"; do
  b=$(basename "$f"); to=${b%.sql}; to=${to##*--}
  if [ "$to" = "$current" ]; then
    if [ ! -f "src/upgrade/$b" ]; then
      bad "$f has no hand-written part src/upgrade/$b"
    elif tools/build_sql.sh --delta "src/upgrade/$b" "$current" $(ls src/sql/*.sql | LC_ALL=C sort) 2>&1 | cmp -s - "$f"; then
      ok "$f is what tools/build_sql.sh --delta makes of src/upgrade/$b and src/sql"
    else
      bad "$f differs from what tools/build_sql.sh --delta makes of src/upgrade/$b and src/sql (run make)"
    fi
  elif c=$(release_commit "$to"); then
    if ! git cat-file -e "$c:$f" 2>/dev/null; then
      note "$f was added after $to was released (commit $(git log -1 --format=%h "$c"))"
    elif git show "$c:$f" | cmp -s - "$f"; then
      ok "$f is the one released with $to (commit $(git log -1 --format=%h "$c")): never edited since"
    else
      bad "$f was edited after $to was released (commit $(git log -1 --format=%h "$c")): a released upgrade script never changes"
    fi
  else
    note "$f: no release of $to in git history"
  fi
done
for f in src/upgrade/$EXT--*--"$current".sql; do
  [ -e "$f" ] || continue
  [ -f "upgrade/$(basename "$f")" ] || bad "src/upgrade/$(basename "$f") has no generated upgrade/$(basename "$f") (run make)"
done

# The Makefile must install upgrade scripts: ask make for $(DATA) in a scratch copy
# that has one (the tree itself is never given a stray file).
mkdir -p "$tmp/mk/upgrade"
cp Makefile $EXT.control "$tmp/mk/"
printf '\\echo Use "ALTER EXTENSION %s UPDATE" to load this file. \\quit\n' $EXT >"$tmp/mk/upgrade/$EXT--0.0.0--$current.sql"
printf 'print-data:\n\t@echo $(DATA)\n' >"$tmp/mk/print.mk"
data=$(make -s -C "$tmp/mk" -f Makefile -f print.mk print-data 2>&1)
if [[ " $data " == *" upgrade/$EXT--0.0.0--$current.sql "* ]]; then
  ok "the Makefile's DATA picks up upgrade scripts ($data)"
else
  bad "the Makefile's DATA does not pick up upgrade/$EXT--A--B.sql (DATA = '$data')"
fi
sharedir=$("$PGBIN/pg_config" --sharedir)

# ---------------------------------------------------------------------------
# A private relocated installation with this tree's build (tools/cluster.sh,
# private_install), whose extension directory this test may write: the synthetic
# earlier versions' scripts go there.  The system's is never touched.
priv=$tmp/inst
make -s all >"$tmp/build.log" 2>&1 || { tail -n 30 "$tmp/build.log"; bad "the build failed (make all)"; exit 1; }
private_install "$priv" || { bad "the private installation could not be made"; exit 1; }
privext=$priv$sharedir/extension
installed=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$privext/$EXT.control" 2>/dev/null)
[ "$installed" = "$current" ] || { bad "the private installation's $EXT.control says version '$installed', the tree $current"; exit 1; }
for f in "${scripts[@]}"; do
  if cmp -s "$f" "$privext/$(basename "$f")"; then ok "$f is installed"
  else bad "$f is not installed (or differs) in $privext"; fi
done

cluster_start "$tmp/c" $PORT || exit 1
unset PGDATABASE
MAIN_HOST=$PGHOST MAIN_PORT=$PGPORT
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

got=$(q -c "SELECT setting FROM pg_config() WHERE name = 'SHAREDIR'")
[ "$got" = "$priv$sharedir" ] || { bad "the private installation is not used (SHAREDIR $got)"; exit 1; }

echo "== versions the server offers"
versions=$(q -c "SELECT string_agg(version, ' ' ORDER BY version) FROM pg_available_extension_versions WHERE name = '$EXT'")
if [ "$versions" = "$current" ]; then ok "pg_available_extension_versions lists exactly $current"
else bad "pg_available_extension_versions lists [$versions], expected exactly [$current]"; fi
for from in "${earlier[@]}"; do
  path=$(q -c "SELECT path FROM pg_extension_update_paths('$EXT') WHERE source = '$from' AND target = '$current'")
  if [ -n "$path" ]; then ok "the server's update path from $from: $path"
  else bad "the server finds no update path from $from to $current"; fi
done

# The roles the fill and the grid use (global objects: made once per cluster).
ROLES="regress_upgrade_dora regress_upgrade_eli regress_upgrade_owner regress_upgrade_tok regress_upgrade_bridge"
make_roles() { local r; for r in $ROLES; do q -c "CREATE ROLE $r LOGIN" || { bad "CREATE ROLE $r failed"; return 1; }; done; }
make_roles || exit 1

# ---------------------------------------------------------------------------
# Fill a database through the API of the installed version, as its users would: the
# same calls for every version (each exists since 0.1.0).  The tokens of three
# sign-ins are kept in public.regress_tokens for the grid.
fill() {   # fill DB
  q -d "$1" >/dev/null <<'SQL'
SELECT runai.create_scope('tenant', 'acme', 'Acme Corp', 'system');
SELECT runai.create_scope('cluster', 'eu-1', 'Europe 1', 'tenant/acme');
SELECT runai.create_scope('department', 'vision', 'Computer vision', 'cluster/eu-1');
SELECT runai.create_scope('department', 'nlp', 'Language', 'cluster/eu-1');
SELECT runai.create_scope('project', 'det', 'Detection', 'department/vision');
SELECT runai.create_scope('project', '42', 'Numbered', 'department/vision');
SELECT runai.create_scope('project', 'chat', 'Chat', 'department/nlp');
SELECT runai.create_scope('project', 'tmp', 'Short-lived', 'department/nlp');
SELECT runai.rename_scope('project/chat', 'Chat v2');
SELECT runai.delete_scope('project/tmp');
CREATE TEMP TABLE pw AS SELECT * FROM runai.create_local_user('dora@acme.io');
SELECT * FROM runai.create_local_user('admin@acme.io');
SELECT * FROM runai.create_local_user('eli@acme.io');
SELECT * FROM runai.create_local_user('fay@acme.io');
CREATE TEMP TABLE app AS SELECT * FROM runai.create_application('ci-bot');
SELECT runai.set_user_groups('fay@acme.io', ARRAY['vision-team']);
SELECT runai.add_access_rule('user', 'admin@acme.io', 'System administrator', 'system');
SELECT runai.add_access_rule('user', 'dora@acme.io', 'Department administrator', 'department/vision');
SELECT runai.add_access_rule('user', 'dora@acme.io', 'Viewer', 'department/nlp', '2999-01-01 00:00:00+00');
SELECT runai.add_access_rule('user', 'eli@acme.io', 'L1 researcher', 'project/chat');
SELECT runai.delete_access_rule(runai.add_access_rule('user', 'eli@acme.io', 'Viewer', 'project/det'));
SELECT runai.add_access_rule('group', 'vision-team', 'L2 researcher', 'department/vision');
SELECT runai.add_access_rule('group', 'nlp-team', 'Viewer', 'project/chat', '2998-06-30 12:00:00+00');
SELECT runai.add_access_rule('app', 'ci-bot', 'L1 researcher', 'project/42');
SELECT runai.bind_db_role('dora@acme.io', 'regress_upgrade_dora');
SELECT runai.bind_db_role('eli@acme.io', 'regress_upgrade_eli');
-- a bound role dropped afterwards (0.1.0 kept its binding, later versions do not)
CREATE ROLE regress_upgrade_gone;
SELECT runai.bind_db_role('fay@acme.io', 'regress_upgrade_gone');
DROP ROLE regress_upgrade_gone;
-- sign-ins: a local user (after changing the temporary password), a failure, an SSO
-- user with groups, an application
SELECT runai.change_password('dora@acme.io', (SELECT temporary_password FROM pw), 'dora-password-1');
SELECT status FROM runai.sign_in('dora@acme.io', 'wrong-password');
CREATE TABLE public.regress_tokens (who text PRIMARY KEY, token text NOT NULL);
INSERT INTO public.regress_tokens SELECT 'dora', token FROM runai.sign_in('dora@acme.io', 'dora-password-1');
INSERT INTO public.regress_tokens SELECT 'gil', runai.sso_sign_in('gil@acme.io', ARRAY['nlp-team', 'vision-team']);
INSERT INTO public.regress_tokens SELECT 'ci-bot', runai.app_sign_in(client_id, client_secret) FROM app;
GRANT SELECT ON public.regress_tokens TO regress_upgrade_tok;
-- the identity-provider bridge
GRANT EXECUTE ON FUNCTION runai.sso_sign_in(text, text[]) TO regress_upgrade_bridge;
-- workloads
INSERT INTO runai.workloads (name, kind, project)
SELECT 'wl-' || i, 'Training', (ARRAY['project/det', 'project/chat'])[1 + i % 2]::runai.scope
  FROM generate_series(1, 40) i;
GRANT SELECT ON runai.workloads TO regress_upgrade_dora, regress_upgrade_eli, regress_upgrade_tok;
-- users' own objects over the API: tables protected by a runai.scope column, a text
-- and an integer column of project ids, an index on a scope column, views over
-- runai.can(), over a runai view and comparing scopes, a function calling the API
GRANT CREATE ON SCHEMA public TO regress_upgrade_owner;
SET ROLE regress_upgrade_owner;
CREATE TABLE public.regress_jobs (id int PRIMARY KEY, project runai.scope NOT NULL, note text);
CREATE INDEX regress_jobs_project_idx ON public.regress_jobs (project);
CREATE TABLE public.regress_jobs_by_name (id int PRIMARY KEY, project_id text NOT NULL, note text);
CREATE TABLE public.regress_jobs_by_number (id int PRIMARY KEY, project_id integer NOT NULL, note text);
SELECT runai.protect('public.regress_jobs', 'project');
SELECT runai.protect('public.regress_jobs_by_name', 'project_id', 'workloads', 'project');
SELECT runai.protect('public.regress_jobs_by_number', 'project_id', 'workloads', 'project');
CREATE VIEW public.regress_can AS
  SELECT s AS scope, a AS action, runai.can('workloads', a, s::runai.scope) AS allowed
    FROM unnest(ARRAY['project/det', 'project/42', 'project/chat', 'department/nlp']) s, unnest(ARRAY['view', 'delete']) a;
CREATE VIEW public.regress_rules AS SELECT subject, role, scope FROM runai.access_rules_table;
-- the operators of the types were in schema runai in 0.1.0, in pg_catalog later
DO $$
BEGIN
  EXECUTE format('CREATE VIEW public.regress_det_jobs AS SELECT id, note FROM public.regress_jobs WHERE project OPERATOR(%s.=) %L::runai.scope',
                 (SELECT o.oprnamespace::regnamespace FROM pg_operator o
                   WHERE o.oprname = '=' AND o.oprleft = 'runai.scope'::regtype AND o.oprright = 'runai.scope'::regtype),
                 'project/det');
END
$$;
CREATE FUNCTION public.regress_can_chat() RETURNS boolean LANGUAGE sql STABLE
  RETURN runai.can('workloads', 'view', 'project/chat');
GRANT SELECT ON public.regress_jobs, public.regress_jobs_by_name, public.regress_jobs_by_number,
                public.regress_can, public.regress_rules, public.regress_det_jobs
  TO regress_upgrade_dora, regress_upgrade_eli, regress_upgrade_tok;
RESET ROLE;
INSERT INTO public.regress_jobs
SELECT i, (ARRAY['project/det', 'project/42', 'project/chat'])[1 + i % 3]::runai.scope, 'job ' || i FROM generate_series(1, 30) i;
INSERT INTO public.regress_jobs_by_name
SELECT i, (ARRAY['det', '42', 'chat', 'gone'])[1 + i % 4], 'job ' || i FROM generate_series(1, 20) i;
INSERT INTO public.regress_jobs_by_number SELECT i, (ARRAY[42, 7])[1 + i % 2], 'job ' || i FROM generate_series(1, 10) i;
SQL
}

# Every table of schemas runai and runai_internal, rows as sorted text, by table
# name (an update may move a table from one schema to the other, and 0.2.0 dropped the
# leading underscore of internal names: _admin_guard is admin_guard); the column list
# of the first snapshot is reused so that a dropped or changed column shows.
snapshot() {   # snapshot DB DIR [COLUMNS-FROM-DIR]
  local db=$1 dir=$2 from=${3:-} t qt cols
  mkdir -p "$dir"
  while IFS='|' read -r t qt; do
    [ -n "$t" ] || continue
    t=${t#_}
    if [ -f "$dir/$t.rows" ]; then
      echo "(table name $t is in both schemas)" >>"$dir/$t.rows"; continue
    fi
    if [ -n "$from" ]; then
      [ -f "$from/$t.cols" ] || continue
      cols=$(cat "$from/$t.cols")
    else
      cols=$(q -d "$db" -c "SELECT string_agg(quote_ident(attname) || '::text', ',' ORDER BY attnum) FROM pg_attribute
                              WHERE attrelid = '$qt'::regclass AND attnum > 0 AND NOT attisdropped")
    fi
    echo "$cols" >"$dir/$t.cols"
    q -d "$db" -c "COPY (SELECT $cols FROM $qt) TO STDOUT" 2>&1 | LC_ALL=C sort >"$dir/$t.rows"
  done < <(q -d "$db" -c "SELECT c.relname, c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname IN ('runai', 'runai_internal') AND c.relkind::text IN ('r', 'p') ORDER BY 1, 2")
  if [ -n "$from" ]; then
    for t in "$from"/*.cols; do
      t=$(basename "$t" .cols)
      [ -f "$dir/$t.rows" ] || echo "(table $t is missing)" >"$dir/$t.rows"
    done
  fi
  q -d "$db" -c "SELECT c.relname FROM pg_extension e, unnest(e.extconfig) x(oid) JOIN pg_class c ON c.oid = x.oid
                  WHERE e.extname = '$EXT' AND c.relkind::text IN ('r', 'p') ORDER BY 1" >"$dir/config-tables"
}

# The tables whose rows come from the install and update scripts, not from users:
# an update may change them (new display names, say); they are compared with a fresh
# install instead (predefined, below).
PREDEFINED_TABLES=" resource_types roles role_permissions workload_kinds "

# kept BEFORE AFTER WHAT: every row of BEFORE is in AFTER, unchanged in the columns
# it had, and nothing was added, except what every update from an earlier version
# must do: a binding whose database role was dropped (0.1.0 kept those; its role
# shows as a bare OID) is removed, and one event records each removal.  Returns
# non-zero on any other difference.
kept() {
  local before=$1 after=$2 what=$3 t n kept=0 tables=0 removed added gone=0 logged=0 rc=0
  for t in "$before"/*.rows; do
    t=$(basename "$t" .rows)
    [[ "$PREDEFINED_TABLES" == *" $t "* ]] && continue
    n=$(wc -l <"$before/$t.rows")
    tables=$((tables + 1))
    removed=$(LC_ALL=C comm -23 "$before/$t.rows" "$after/$t.rows")
    added=$(LC_ALL=C comm -13 "$before/$t.rows" "$after/$t.rows")
    if [ "$t" = db_role_bindings ]; then
      gone=$(grep -cE '^[0-9]+'$'\t' <<<"$removed")
      removed=$(grep -vE '^[0-9]+'$'\t' <<<"$removed")
    fi
    if [ "$t" = events ]; then
      logged=$(grep -c '"unbound_db_role"' <<<"$added")
      added=$(grep -v '"unbound_db_role"' <<<"$added")
    fi
    if [ -n "$removed$added" ]; then
      bad "$what: $t does not keep its $n rows (< removed, > added or changed):"
      { sed 's/^/    < /' <<<"$removed"; sed 's/^/    > /' <<<"$added"; } | grep -v '^    [<>] $' | head -${DIFF_LINES:-20}
      rc=1
    else
      kept=$((kept + n))
    fi
  done
  if [ "$gone" -ne "$logged" ]; then
    bad "$what: $gone binding(s) of dropped roles removed, $logged event(s) recording it"; rc=1
  fi
  [ "$gone" -gt 0 ] && note "$what: $gone binding(s) of dropped database roles removed, each recorded by an event"
  [ $rc -eq 0 ] && ok "$what: every row is kept: $kept rows of $tables tables (the predefined tables,${PREDEFINED_TABLES% }, are compared with a fresh install)"
  return $rc
}

# The extension's objects, described without OIDs: everything in schemas runai and
# runai_internal, and the members of the extension elsewhere (the operators of the
# types, in pg_catalog).  Privileges are listed sorted: the order of the entries of
# an ACL means nothing, and GRANT after REVOKE appends.  An ACL that is NULL means
# the default privileges of the kind of object and is listed as those (an update
# cannot set an ACL back to NULL once a GRANT made it explicit: what matters is what
# it grants), and so are the initial privileges pg_dump compares an extension's
# objects with (pg_init_privs), listed where they differ from the default.
fingerprint() {   # fingerprint DB
  q -d "$1" <<SQL
CREATE FUNCTION pg_temp.acl(a aclitem[], kind "char", owner oid) RETURNS text LANGUAGE sql STABLE
  RETURN (SELECT coalesce(string_agg(x::text, ',' ORDER BY x::text), '-') FROM unnest(coalesce(a, acldefault(kind, owner))) x);
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = '$EXT'),
mem AS (SELECT d.classid, d.objid FROM pg_depend d, ext
         WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'),
nsp AS (SELECT oid FROM pg_namespace WHERE nspname IN ('runai', 'runai_internal')),
opr AS (SELECT o.* FROM pg_operator o
         WHERE o.oprnamespace IN (SELECT oid FROM nsp)
            OR o.oid IN (SELECT objid FROM mem WHERE classid = 'pg_operator'::regclass)),
fam AS (SELECT f.* FROM pg_opfamily f
         WHERE f.opfnamespace IN (SELECT oid FROM nsp)
            OR f.oid IN (SELECT objid FROM mem WHERE classid = 'pg_opfamily'::regclass))
SELECT 'member', pg_describe_object(classid, objid, 0) FROM mem
UNION ALL
SELECT 'function', p.oid::regprocedure::text || ' ' || md5(pg_get_functiondef(p.oid)) || ' acl=' || pg_temp.acl(p.proacl, 'f', p.proowner)
       || ' config=' || coalesce(p.proconfig::text, '-') || ' ' || p.provolatile::text || p.proparallel::text || p.prosecdef::text
       || p.proisstrict::text || p.proleakproof::text || ' cost=' || p.procost || ' rows=' || p.prorows
       || ' support=' || p.prosupport::text
  FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM nsp) AND p.prokind <> 'a'
UNION ALL
SELECT 'aggregate', p.oid::regprocedure::text || ' acl=' || pg_temp.acl(p.proacl, 'f', p.proowner)
       || ' sfunc=' || a.aggtransfn::regprocedure::text || ' combine=' || a.aggcombinefn::text || ' ' || p.proparallel::text
  FROM pg_proc p JOIN pg_aggregate a ON a.aggfnoid = p.oid WHERE p.pronamespace IN (SELECT oid FROM nsp)
UNION ALL
SELECT 'relation', c.oid::regclass::text || ' kind=' || c.relkind::text
       || ' acl=' || pg_temp.acl(c.relacl, CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner)
       || ' rls=' || c.relrowsecurity || '/' || c.relforcerowsecurity || ' opts=' || coalesce(c.reloptions::text, '-')
       || ' persistence=' || c.relpersistence::text
  FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM nsp)
UNION ALL
SELECT 'column', a.attrelid::regclass::text || '.' || a.attname || ' #' || row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum)
       || ' ' || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || ' default=' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '-')
       || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text || ' collation=' || a.attcollation::regcollation::text
       || ' acl=' || pg_temp.acl(a.attacl, 'c', c.relowner)
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
 WHERE c.relnamespace IN (SELECT oid FROM nsp) AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint', co.conrelid::regclass::text || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
       || ' deferrable=' || co.condeferrable
  FROM pg_constraint co WHERE co.connamespace IN (SELECT oid FROM nsp) AND co.conrelid <> 0
UNION ALL
SELECT 'domain constraint', co.contypid::regtype::text || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
  FROM pg_constraint co WHERE co.connamespace IN (SELECT oid FROM nsp) AND co.contypid <> 0
UNION ALL
SELECT 'index', pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
 WHERE c.relnamespace IN (SELECT oid FROM nsp)
UNION ALL
SELECT 'trigger', pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace IN (SELECT oid FROM nsp) AND NOT t.tgisinternal
UNION ALL
SELECT 'policy', pol.polrelid::regclass::text || ' ' || pol.polname || ' ' || pol.polcmd::text || ' ' || pol.polpermissive
       || ' roles=' || pol.polroles::regrole[]::text || ' using=' || coalesce(pg_get_expr(pol.polqual, pol.polrelid), '-')
       || ' check=' || coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '-')
  FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid WHERE c.relnamespace IN (SELECT oid FROM nsp)
UNION ALL
SELECT 'view', c.oid::regclass::text || ' ' || md5(pg_get_viewdef(c.oid)) FROM pg_class c
 WHERE c.relnamespace IN (SELECT oid FROM nsp) AND c.relkind::text IN ('v', 'm')
UNION ALL
SELECT 'sequence', s.seqrelid::regclass::text || ' ' || format_type(s.seqtypid, NULL) || ' ' || s.seqstart || ' ' || s.seqincrement
       || ' ' || s.seqmax || ' ' || s.seqmin || ' ' || s.seqcache || ' ' || s.seqcycle
  FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace IN (SELECT oid FROM nsp)
UNION ALL
SELECT 'type', t.oid::regtype::text || ' ' || t.typtype::text || ' len=' || t.typlen || ' align=' || t.typalign::text || ' storage=' || t.typstorage::text
       || ' in=' || t.typinput::text || ' out=' || t.typoutput::text || ' recv=' || t.typreceive::text || ' send=' || t.typsend::text
       || ' acl=' || pg_temp.acl(t.typacl, 'T', t.typowner)
  FROM pg_type t WHERE t.typnamespace IN (SELECT oid FROM nsp) AND t.typtype::text <> 'c' AND t.typelem = 0
UNION ALL
SELECT 'operator', o.oprnamespace::regnamespace::text || '.' || o.oid::regoperator::text || ' ' || o.oprcode::regprocedure::text
       || ' com=' || o.oprcom::regoperator::text || ' neg=' || o.oprnegate::regoperator::text
       || ' rest=' || o.oprrest::text || ' join=' || o.oprjoin::text
       || ' hashes=' || o.oprcanhash || ' merges=' || o.oprcanmerge
  FROM opr o
UNION ALL
SELECT 'opclass', am.amname || ' ' || oc.opcnamespace::regnamespace::text || '.' || oc.opcname || ' for ' || oc.opcintype::regtype::text
       || ' default=' || oc.opcdefault
       || ' ops=' || (SELECT string_agg(ao.amopstrategy || ':' || ao.amopopr::regoperator::text, ',' ORDER BY ao.amopstrategy)
                        FROM pg_amop ao WHERE ao.amopfamily = oc.opcfamily AND ao.amoplefttype = oc.opcintype AND ao.amoprighttype = oc.opcintype)
       || ' procs=' || (SELECT string_agg(ap.amprocnum || ':' || ap.amproc::regprocedure::text, ',' ORDER BY ap.amprocnum)
                          FROM pg_amproc ap WHERE ap.amprocfamily = oc.opcfamily AND ap.amproclefttype = oc.opcintype AND ap.amprocrighttype = oc.opcintype)
  FROM pg_opclass oc JOIN pg_am am ON am.oid = oc.opcmethod
 WHERE oc.opcfamily IN (SELECT oid FROM fam)
UNION ALL
SELECT 'cast', c.castsource::regtype::text || ' -> ' || c.casttarget::regtype::text || ' ' || coalesce(c.castfunc::regprocedure::text, '-')
       || ' ' || c.castcontext::text || c.castmethod::text
  FROM pg_cast c, mem WHERE mem.classid = 'pg_cast'::regclass AND mem.objid = c.oid
UNION ALL
SELECT 'event trigger', e.evtname || ' ' || e.evtevent || ' ' || e.evtfoid::regprocedure::text || ' enabled=' || e.evtenabled::text
       || ' tags=' || coalesce(e.evttags::text, '-')
  FROM pg_event_trigger e, mem WHERE mem.classid = 'pg_event_trigger'::regclass AND mem.objid = e.oid
UNION ALL
SELECT 'comment', pg_describe_object(d.classoid, d.objoid, d.objsubid) || ' = ' || md5(d.description)
  FROM pg_description d
 WHERE (d.classoid = 'pg_class'::regclass AND d.objoid IN (SELECT oid FROM pg_class WHERE relnamespace IN (SELECT oid FROM nsp)))
    OR (d.classoid = 'pg_proc'::regclass AND d.objoid IN (SELECT oid FROM pg_proc WHERE pronamespace IN (SELECT oid FROM nsp)))
    OR (d.classoid = 'pg_type'::regclass AND d.objoid IN (SELECT oid FROM pg_type WHERE typnamespace IN (SELECT oid FROM nsp)))
    OR (d.classoid = 'pg_constraint'::regclass AND d.objoid IN (SELECT oid FROM pg_constraint WHERE connamespace IN (SELECT oid FROM nsp)))
    OR (d.classoid = 'pg_operator'::regclass AND d.objoid IN (SELECT oid FROM opr))
    OR (d.classoid IN ('pg_opclass'::regclass, 'pg_opfamily'::regclass, 'pg_cast'::regclass, 'pg_event_trigger'::regclass)
        AND d.objoid IN (SELECT objid FROM mem WHERE classid = d.classoid))
    OR (d.classoid = 'pg_namespace'::regclass AND d.objoid IN (SELECT oid FROM nsp))
UNION ALL
SELECT 'schema', n.nspname || ' owner=' || n.nspowner::regrole::text || ' acl=' || pg_temp.acl(n.nspacl, 'n', n.nspowner)
  FROM pg_namespace n WHERE n.oid IN (SELECT oid FROM nsp)
UNION ALL
SELECT 'initial privileges', pg_describe_object(i.classoid, i.objoid, i.objsubid) || ' ' || i.privtype::text || ' ' || k.initial
  FROM pg_init_privs i
  CROSS JOIN LATERAL (SELECT pg_temp.acl(i.initprivs, o.kind, o.owner) AS initial, pg_temp.acl(NULL, o.kind, o.owner) AS dflt
                        FROM (SELECT CASE WHEN i.objsubid <> 0 THEN 'c'
                                          WHEN i.classoid = 'pg_proc'::regclass THEN 'f'
                                          WHEN i.classoid = 'pg_type'::regclass THEN 'T'
                                          WHEN i.classoid = 'pg_namespace'::regclass THEN 'n'
                                          WHEN i.classoid = 'pg_class'::regclass
                                               AND (SELECT relkind FROM pg_class WHERE oid = i.objoid) = 'S' THEN 's'
                                          ELSE 'r' END::"char" AS kind,
                                     coalesce((SELECT proowner FROM pg_proc WHERE i.classoid = 'pg_proc'::regclass AND oid = i.objoid),
                                              (SELECT typowner FROM pg_type WHERE i.classoid = 'pg_type'::regclass AND oid = i.objoid),
                                              (SELECT nspowner FROM pg_namespace WHERE i.classoid = 'pg_namespace'::regclass AND oid = i.objoid),
                                              (SELECT relowner FROM pg_class WHERE i.classoid = 'pg_class'::regclass AND oid = i.objoid)) AS owner) o) k
 WHERE ((i.classoid, i.objoid) IN (SELECT classid, objid FROM mem)
        OR (i.classoid = 'pg_class'::regclass AND i.objoid IN (SELECT oid FROM pg_class WHERE relnamespace IN (SELECT oid FROM nsp))))
   AND k.initial <> k.dflt
UNION ALL
SELECT 'dump config', x.c::regclass::text || ' ' || coalesce(e.extcondition[x.n], '-')
  FROM pg_extension e, unnest(e.extconfig) WITH ORDINALITY x(c, n) WHERE e.extname = '$EXT'
ORDER BY 1, 2;
SQL
}

# The schema of the internal tables: runai_internal, or runai before 0.2.0 (psql
# variable ischema, for the queries below).
ISCHEMA="SELECT CASE WHEN to_regnamespace('runai_internal') IS NULL THEN 'runai' ELSE 'runai_internal' END AS ischema \\gset"

# The predefined rows: they come from the install or update scripts, not from users.
predefined() {   # predefined DB
  q -d "$1" <<SQL
$ISCHEMA
SELECT 'resource_types', t::text FROM runai.resource_types t
UNION ALL SELECT 'roles', row(r.id, r.name, r.description, r.tenant_wide, r.in_seed_documents, r.created_by)::text FROM :"ischema".roles r
UNION ALL SELECT 'role_permissions', p::text FROM :"ischema".role_permissions p
UNION ALL SELECT 'workload_kinds', k::text FROM runai.workload_kinds k
UNION ALL SELECT 'system scope', row(s.scope, s.parent, s.name, s.created_by)::text FROM :"ischema".scopes s WHERE s.parent IS NULL
ORDER BY 1, 2;
SQL
}

# What a database role sees (as a bound role, or as the subject of a token): checks,
# its permissions, runai.workloads and the users' protected tables, views and
# function of fill.
sees() {   # sees LABEL
  cat <<SQL
SELECT '$1: can', a, sc, runai.can('workloads', a, sc::runai.scope)
  FROM unnest(ARRAY['view', 'edit', 'create', 'delete']) a,
       unnest(ARRAY['system', 'tenant/acme', 'cluster/eu-1', 'department/vision', 'department/nlp', 'project/det',
                    'project/42', 'project/chat']) sc
 ORDER BY 2, 3;
SELECT '$1: my_permissions', resource_type, actions::text, scope::text FROM runai.my_permissions() ORDER BY 2, 3, 4;
SELECT '$1: runai.workloads', project::text, count(*) FROM runai.workloads GROUP BY 2 ORDER BY 2;
SELECT '$1: protected tables', (SELECT count(*) FROM public.regress_jobs), (SELECT count(*) FROM public.regress_jobs_by_name),
       (SELECT count(*) FROM public.regress_jobs_by_number), (SELECT count(*) FROM public.regress_jobs WHERE project::text = 'project/42');
SELECT '$1: regress_jobs', id, project::text FROM public.regress_jobs ORDER BY 2;
SELECT '$1: regress_det_jobs', id, note FROM public.regress_det_jobs ORDER BY 2;
SELECT '$1: regress_can', scope, action, allowed FROM public.regress_can ORDER BY 2, 3;
SELECT '$1: regress_rules', subject, role, scope::text FROM public.regress_rules ORDER BY 2, 3, 4;
SELECT '$1: regress_can_chat', public.regress_can_chat();
SQL
}

# The check grid, with the default search path.  With "tokens", also as the subject
# of each token fill kept (runai.authenticate(token, local => true) in a transaction
# of an unbound role).
grid() {   # grid DB [tokens]
  local who
  {
    echo "$ISCHEMA"
    cat <<'SQL'
WITH subj(s) AS (VALUES ('user:admin@acme.io'), ('user:dora@acme.io'), ('user:eli@acme.io'), ('user:fay@acme.io'),
                        ('user:gil@acme.io'), ('group:vision-team'), ('group:nlp-team'), ('app:ci-bot'), ('user:nobody@acme.io')),
     sc AS (SELECT scope FROM :"ischema".scopes UNION ALL SELECT 'project/ghost'::runai.scope),
     act(a) AS (VALUES ('view'), ('edit'), ('create'), ('delete'))
SELECT 'has_permission', s, rt.name, a, sc.scope::text, runai.has_permission(s, rt.name, a, sc.scope)
  FROM subj, runai.resource_types rt, act, sc ORDER BY 2, 3, 4, 5;
SELECT 'who_can', rt, a, sc.scope::text, w.subject, w.via_group, w.role, w.rule_id, w.rule_scope::text
  FROM :"ischema".scopes sc, unnest(ARRAY['workloads', 'access_rules']) rt, unnest(ARRAY['view', 'delete']) a,
       LATERAL runai.who_can(rt, a, sc.scope) w ORDER BY 2, 3, 4, 5, 6, 7, 8;
SELECT 'sso_sign_in executable by', r, has_function_privilege(r, 'runai.sso_sign_in(text, text[])', 'EXECUTE')
  FROM unnest(ARRAY['regress_upgrade_bridge', 'regress_upgrade_tok']) r ORDER BY 2;
SQL
    for who in dora eli; do
      echo "SET ROLE regress_upgrade_$who;"
      echo "SELECT 'as regress_upgrade_$who: subject', runai.current_subject();"
      sees "as regress_upgrade_$who"
      echo "RESET ROLE;"
    done
    if [ "${2:-}" = tokens ]; then
      for who in dora gil ci-bot; do
        echo "BEGIN;"
        echo "SET LOCAL ROLE regress_upgrade_tok;"
        echo "SELECT 'token of $who: authenticates as', runai.authenticate((SELECT token FROM public.regress_tokens WHERE who = '$who'), local => true);"
        sees "token of $who"
        echo "COMMIT;"
      done
    fi
  } | q -d "$1"
}

# What only the current version has: the registry of protected tables, which keeps
# delete_scope from deleting a scope while a protected table has rows there.
registry() {   # registry DB
  q -d "$1" <<'SQL'
SELECT 'protected table', tbl::text FROM runai_internal.protected_tables ORDER BY 2;
CREATE FUNCTION pg_temp.try_delete_scope(s runai.scope) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM runai.delete_scope(s);
  RETURN 'deleted';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END
$$;
BEGIN;
SELECT 'delete_scope', s, pg_temp.try_delete_scope(s::runai.scope)
  FROM unnest(ARRAY['project/det', 'project/42', 'project/chat']) s ORDER BY 2;
ROLLBACK;
SQL
}

# pg_dump --schema-only, without the random key of its \restrict lines.
schema_dump() {   # schema_dump DB
  pg_dump --schema-only -d "$1" 2>"$tmp/schema_dump.err" | grep -v '^\\\(un\)\?restrict '
}

same() {   # same WHAT FILE1 FILE2: diff, FAIL with the first lines on a difference
  if cmp -s "$2" "$3"; then ok "$1"; return 0; fi
  bad "$1: differs (< expected, > got):"
  diff "$2" "$3" | head -${DIFF_LINES:-20} | sed 's/^/    /'
  return 1
}

# The fresh install of the current version: the reference.
q -c "CREATE DATABASE ref_fresh" && q -d ref_fresh -c "CREATE EXTENSION $EXT" && fill ref_fresh \
  || { bad "a fresh install of $current could not be filled"; exit 1; }
fingerprint ref_fresh >"$tmp/fresh.fp" && predefined ref_fresh >"$tmp/fresh.pre" && grid ref_fresh >"$tmp/fresh.grid" \
  && grid ref_fresh tokens >"$tmp/fresh.tgrid" && registry ref_fresh >"$tmp/fresh.reg" \
  && schema_dump ref_fresh >"$tmp/fresh.schema" \
  || { bad "the reference could not be described"; exit 1; }
# The description must be deterministic, else comparing with it proves nothing.
q -c "CREATE DATABASE ref_fresh2" && q -d ref_fresh2 -c "CREATE EXTENSION $EXT" && fill ref_fresh2 \
  || { bad "a second fresh install of $current could not be filled"; exit 1; }
fingerprint ref_fresh2 >"$tmp/fresh2.fp"; grid ref_fresh2 tokens >"$tmp/fresh2.tgrid"; registry ref_fresh2 >"$tmp/fresh2.reg"
schema_dump ref_fresh2 >"$tmp/fresh2.schema"
same "two fresh installs of $current describe the same $(wc -l <"$tmp/fresh.fp") objects" "$tmp/fresh.fp" "$tmp/fresh2.fp"
same "two fresh installs of $current answer the same $(wc -l <"$tmp/fresh.tgrid") checks" "$tmp/fresh.tgrid" "$tmp/fresh2.tgrid"
same "two fresh installs of $current have the same registry of protected tables" "$tmp/fresh.reg" "$tmp/fresh2.reg"
same "two fresh installs of $current dump the same schema ($(wc -l <"$tmp/fresh.schema") lines)" "$tmp/fresh.schema" "$tmp/fresh2.schema"
grep -q '^has_permission|.*|t$' "$tmp/fresh.grid" && grep -q '^has_permission|.*|f$' "$tmp/fresh.grid" \
  || bad "the check grid is degenerate (all true or all false)"
for who in dora gil ci-bot; do
  grep -q "^token of $who: protected tables|[1-9]" "$tmp/fresh.tgrid" \
    || bad "the subject of the token of $who sees no row of the protected tables: the grid proves nothing about it"
done
grep -q '^delete_scope|project/det|2BP01$' "$tmp/fresh.reg" \
  || bad "delete_scope of a scope with rows in a protected table is not refused in a fresh install"
q -c "DROP DATABASE ref_fresh2"

# ALTER EXTENSION UPDATE to the installed version is a no-op that keeps everything.
snapshot ref_fresh "$tmp/noop.before"
q -d ref_fresh -c "ALTER EXTENSION $EXT UPDATE" 2>"$tmp/noop.err" || bad "ALTER EXTENSION $EXT UPDATE on $current failed: $(cat "$tmp/noop.err")"
snapshot ref_fresh "$tmp/noop.after" "$tmp/noop.before"
if diff -r "$tmp/noop.before" "$tmp/noop.after" >/dev/null; then ok "ALTER EXTENSION UPDATE on $current keeps everything ($(sed 's/^NOTICE:  //' "$tmp/noop.err"))"
else bad "ALTER EXTENSION UPDATE on $current changed data"; fi

# compare_updated DB WHAT BEFORE-DIR BEFORE-GRID: the comparisons of a database just
# updated to the current version with the rows and answers it had before and with a
# fresh install.  Returns non-zero if any of them failed.
compare_updated() {
  local db=$1 what=$2 before=$3 before_grid=$4 start=$failures got
  got=$(q -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = '$EXT'")
  [ "$got" = "$current" ] && ok "$what: ALTER EXTENSION $EXT UPDATE took it to $current" \
    || bad "$what: after ALTER EXTENSION UPDATE the version is $got, not $current"
  snapshot "$db" "$tmp/$db.after" "$before"
  kept "$before" "$tmp/$db.after" "$what"
  fingerprint "$db" >"$tmp/$db.fp"; predefined "$db" >"$tmp/$db.pre"; grid "$db" tokens >"$tmp/$db.grid"
  registry "$db" >"$tmp/$db.reg"
  if [ -n "$before_grid" ]; then
    same "$what: the $(wc -l <"$tmp/$db.grid") checks of the grid answer as before the update (bound roles, tokens issued before it, users' policies, views and functions)" \
         "$before_grid" "$tmp/$db.grid"
  fi
  same "$what: the check grid answers as a fresh install of $current" "$tmp/fresh.tgrid" "$tmp/$db.grid"
  same "$what: the users' protected tables are registered and keep delete_scope from their scopes, as in a fresh install" \
       "$tmp/fresh.reg" "$tmp/$db.reg"
  same "$what: the extension's $(wc -l <"$tmp/$db.fp") objects are those of a fresh install of $current" "$tmp/fresh.fp" "$tmp/$db.fp"
  same "$what: the predefined rows are those of a fresh install of $current" "$tmp/fresh.pre" "$tmp/$db.pre"
  [ $failures -eq $start ]
}

# upgrade_from VERSION FULL-SCRIPT [DELTA]: a synthetic earlier version, installed
# with the current library.  Returns non-zero if any comparison failed.
upgrade_from() {
  local v=$1 full=$2 delta=${3:-} db="up_${1//[^a-zA-Z0-9]/_}" before_fail=$failures
  install -m 644 "$full" "$privext/$EXT--$v.sql"
  [ -n "$delta" ] && install -m 644 "$delta" "$privext/$EXT--$v--$current.sql"
  q -c "CREATE DATABASE $db" || { bad "$v: CREATE DATABASE $db failed"; return 1; }
  if ! q -d "$db" -c "CREATE EXTENSION $EXT VERSION '$v'" 2>"$tmp/$db.err"; then
    bad "$v: CREATE EXTENSION $EXT VERSION '$v' failed (with the current library): $(cat "$tmp/$db.err")"; return 1
  fi
  fill "$db" 2>"$tmp/$db.err" || { bad "$v: filling the database failed: $(cat "$tmp/$db.err")"; return 1; }
  snapshot "$db" "$tmp/$db.before"
  if ! q -d "$db" -c "ALTER EXTENSION $EXT UPDATE" 2>"$tmp/$db.err"; then
    bad "$v: ALTER EXTENSION $EXT UPDATE failed: $(cat "$tmp/$db.err")"; return 1
  fi
  compare_updated "$db" "$v" "$tmp/$db.before" ""
  rm -f "$privext/$EXT--$v.sql" "$privext/$EXT--$v--$current.sql"
  [ $failures -eq $before_fail ]
}

# The source tree of an earlier version from git history, in $tmp/src-VERSION, with
# its full install script built.
old_source() {   # old_source VERSION
  local v=$1 c
  c=$(release_commit "$v") || { echo "no tag and no commit of version $v in git history" >&2; return 1; }
  echo "version $v: from commit $(git log -1 --format='%h %s' "$c")"
  rm -rf "$tmp/src-$v"; mkdir -p "$tmp/src-$v"
  git archive "$c" | tar -x -C "$tmp/src-$v" || return 1
  if [ ! -f "$tmp/src-$v/$EXT--$v.sql" ]; then
    make -s -C "$tmp/src-$v" "$EXT--$v.sql" >/dev/null || return 1
  fi
}

# ---------------------------------------------------------------------------
echo "== replaying the code parts of $current"
# What every upgrade script ends with (tools/build_sql.sh): on an installation of the
# same version it must change nothing, inside ALTER EXTENSION UPDATE.
built=$privext/$EXT--$current.sql
{ printf '\\echo Use "ALTER EXTENSION %s UPDATE" to load this file. \\quit\n' $EXT
  tools/build_sql.sh --code "$current" $(ls src/sql/*.sql | LC_ALL=C sort); } >"$tmp/replay-delta.sql" \
  || bad "tools/build_sql.sh --code failed"
nparts=$(grep -c '^-- ==== ' "$tmp/replay-delta.sql")
ncode=$(ls src/sql/[0-9][0-9]_code_*.sql | wc -l)
ndata=$(ls src/sql/[0-9][0-9]_data_*.sql | wc -l)
if [ "$nparts" -eq "$ncode" ] && [ $((ncode + ndata)) -eq "$(ls src/sql/*.sql | wc -l)" ] && [ "$ndata" -gt 0 ]; then
  ok "src/sql has $ndata data parts and $ncode code parts; the replay holds the $ncode code parts"
else
  bad "the replay holds $nparts parts; src/sql has $ncode code parts, $ndata data parts and $(ls src/sql/*.sql | wc -l) parts in all"
fi
if upgrade_from 0.0.0-replay "$built" "$tmp/replay-delta.sql"; then
  ok "replaying every code part of $current on an installation of $current changes nothing"
else
  bad "the code parts of $current cannot be replayed on an installation of $current without a difference"
fi
# A constraint trigger cannot be replaced: the replay creates it again where the
# installed one differs, past the guard of the triggers, which an earlier version of
# the same layout has in place (0.1.0's named no table in its argument).
sed -e "s/runai_internal\.keep_last_admin(''\(access_rules\|users\)'')/runai_internal.keep_last_admin()/" \
    "$built" >"$tmp/oldtrigger.sql"
if [ "$(grep -c "keep_last_admin()'" "$tmp/oldtrigger.sql")" -ne 2 ]; then
  bad "could not make an install script with other constraint triggers (the install script changed; update the sed above)"
elif upgrade_from 0.0.0-oldtrigger "$tmp/oldtrigger.sql" "$tmp/replay-delta.sql"; then
  ok "replaying the code parts creates again the constraint triggers an earlier version defined otherwise, its guard of the triggers in place"
else
  bad "the replay of the code parts does not bring constraint triggers defined otherwise to those of $current"
fi

# ---------------------------------------------------------------------------
echo "== released versions with this library, before they are updated"
# A new library must not make an older database's checks fail open or crash: it
# finds the older layout (src/catalog.h) and answers as the current version does.
released=$(for h in $(git log --format=%H -- $EXT.control); do
             git show "$h:$EXT.control" | sed -n "s/^default_version = '\(.*\)'/\1/p"
           done | sort -uV | grep -vx "$current")
[ -n "$released" ] || note "no released version other than $current in git history"
for v in $released; do
  if ! old_source "$v" >/dev/null 2>&1; then
    bad "$v: its install script cannot be rebuilt from git history"; continue
  fi
  db="compat_${v//[^a-zA-Z0-9]/_}"
  install -m 644 "$tmp/src-$v/$EXT--$v.sql" "$privext/$EXT--$v.sql"
  if q -c "CREATE DATABASE $db" && q -d "$db" -c "CREATE EXTENSION $EXT VERSION '$v'" 2>"$tmp/$db.err" \
     && fill "$db" 2>>"$tmp/$db.err"; then
    got=$(q -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = '$EXT'")
    [ "$got" = "$v" ] || bad "$v: the database says version $got"
    grid "$db" tokens >"$tmp/$db.grid" 2>>"$tmp/$db.err"
    same "$v, not yet updated, answers the $(wc -l <"$tmp/fresh.tgrid") checks of the grid as a fresh install of $current with this library" \
         "$tmp/fresh.tgrid" "$tmp/$db.grid"
  else
    bad "$v: CREATE EXTENSION at $v or filling it failed with this library: $(cat "$tmp/$db.err")"
  fi
  rm -f "$privext/$EXT--$v.sql"
  q -c "DROP DATABASE $db" >/dev/null 2>&1
done

# A failed update to the current version says which data parts changed after its
# hand-written part did: a data part runs only at CREATE EXTENSION, so the update
# must make each such change with statements of its own (tools/build_sql.sh).
data_parts_note() {   # data_parts_note VERSION
  local f c changed
  f=$(ls src/upgrade/$EXT--*--"$current".sql 2>/dev/null | head -1)
  [ -n "$f" ] || return 0
  c=$(git log -1 --format=%H -- "$f")
  [ -n "$c" ] || return 0
  changed=$(git diff --name-only "$c" -- 'src/sql/[0-9][0-9]_data_*.sql' | xargs -r -n1 basename | paste -sd' ')
  [ -n "$changed" ] || return 0
  note "$1: data parts changed after $f was last committed: $changed -- the update must make their changes itself (a new object: its CREATE in $f, or a -- @PART line for a part that only adds)"
}

# ---------------------------------------------------------------------------
# upgrade_real VERSION: VERSION as an administrator meets it (see the top): its own
# library in a private installation and cluster, the database filled through its
# API, the installation switched to the current build and restarted, then ALTER
# EXTENSION runai_rbac UPDATE.  $tmp/src-VERSION holds its source (old_source).
upgrade_real() {
  local v=$1 src=$tmp/src-$1 root=$tmp/inst-$1 dir=$tmp/c-$1 start=$failures
  local pristine="pristine_${1//[^a-zA-Z0-9]/_}" base="base_${1//[^a-zA-Z0-9]/_}" db="up_${1//[^a-zA-Z0-9]/_}"
  local main_postgres=$PGCTL_POSTGRES old_postgres got out
  echo "-- $v: its own library and install script, in a private installation and a cluster of their own"
  if ! private_install "$root" "$src" >/dev/null; then bad "$v: its build could not be installed"; return 1; fi
  old_postgres=$PGCTL_POSTGRES
  export PGCTL_POSTGRES=$main_postgres
  PGCTL_POSTGRES=$old_postgres cluster_start "$dir" $OLD_PORT || { bad "$v: its cluster did not start"; return 1; }
  # cluster_start exported the new cluster's PGHOST and PGPORT: q uses it from now on
  unset PGDATABASE
  make_roles || return 1
  local libdir=$("$PGBIN/pg_config" --pkglibdir)
  if cmp -s "$src/$EXT.so" "$root$libdir/$EXT.so" && ! cmp -s "$src/$EXT.so" "$EXT.so"; then
    ok "$v: the cluster runs $v's own library, built from its commit"
  else
    bad "$v: the private installation does not hold $v's own library"
  fi
  if ! { q -c "CREATE DATABASE $base" && q -d "$base" -c "CREATE EXTENSION $EXT VERSION '$v'" 2>"$tmp/$base.err" \
         && fill "$base" 2>>"$tmp/$base.err"; }; then
    bad "$v: creating and filling its database with its own library failed: $(cat "$tmp/$base.err")"; return 1
  fi
  got=$(q -d "$base" -c "SELECT extversion FROM pg_extension WHERE extname = '$EXT'")
  [ "$got" = "$v" ] && ok "$v: CREATE EXTENSION $EXT VERSION '$v' and filled through its API" \
    || bad "$v: the database says version $got"
  # Every update below starts from a copy of the database as the fill left it.
  q -c "CREATE DATABASE $pristine TEMPLATE $base" || return 1
  snapshot "$base" "$tmp/$v.before"
  grid "$base" tokens >"$tmp/$v.before.grid" 2>"$tmp/$base.err" \
    || { bad "$v: its check grid failed with its own library: $(cat "$tmp/$base.err")"; return 1; }
  ok "$v: recorded $(cat "$tmp/$v.before"/*.rows | wc -l) rows of $(ls "$tmp/$v.before"/*.rows | wc -l) tables and $(wc -l <"$tmp/$v.before.grid") answers of the check grid"

  echo "-- $v: the installation gets the current build (the old files removed), the server restarts"
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || { bad "$v: the server did not stop"; return 1; }
  private_reinstall "$root" . || { bad "$v: installing the current build failed"; return 1; }
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -p "$old_postgres" start >/dev/null \
    || { bad "$v: the server did not start with the current library"; cat "$dir/server.log"; return 1; }
  cmp -s "$EXT.so" "$root$libdir/$EXT.so" && ok "$v: the server runs the current library now" \
    || bad "$v: the private installation does not hold the current library"
  got=$(q -c "SELECT string_agg(version, ' ' ORDER BY version) FROM pg_available_extension_versions WHERE name = '$EXT'")
  [ "$got" = "$current" ] && ok "$v: the server offers $current only; the update path: $(q -c "SELECT path FROM pg_extension_update_paths('$EXT') WHERE source = '$v' AND target = '$current'")" \
    || bad "$v: the server offers [$got], expected [$current]"
  grid "$base" tokens >"$tmp/$v.compat.grid" 2>"$tmp/$base.err"
  same "$v, not yet updated, answers the grid with the current library as with its own" "$tmp/$v.before.grid" "$tmp/$v.compat.grid"

  echo "-- $v: a session connected before the update"
  q -c "CREATE DATABASE kept_db TEMPLATE $pristine" || return 1
  coproc KEPT { exec psql -X -q -At -d kept_db 2>&1; }
  kept_sql "SET ROLE regress_upgrade_dora"
  kept_sql "SELECT runai.can('workloads', 'view', 'project/det'), runai.can('workloads', 'view', 'project/chat'), runai.can('workloads', 'delete', 'project/chat')"
  expect "$v: kept session before the update: dora may view det and chat, not delete in chat" "t|t|f" "$out"
  if q -d kept_db -c "ALTER EXTENSION $EXT UPDATE" 2>"$tmp/kept.err"; then
    kept_sql "SELECT runai.can('workloads', 'view', 'project/det'), runai.can('workloads', 'view', 'project/chat'), runai.can('workloads', 'delete', 'project/chat'), runai.can('workloads', 'view', 'project/new')"
    expect "$v: kept session after the update answers the same (project/new not in the tree)" "t|t|f|f" "$out"
    q -d kept_db -c "SELECT runai.create_scope('project', 'new', 'New', 'department/vision')" >/dev/null
    kept_sql "SELECT runai.can('workloads', 'view', 'project/new')"
    expect "$v: kept session sees project/new, created by another session after the update, under dora's department" t "$out"
    expect "$v: a new session after the update has the shared scope tree" t "$(q -d kept_db -c "SELECT shared_tree FROM runai.cache_stats()")"
  else
    bad "$v: ALTER EXTENSION UPDATE under a kept session failed: $(cat "$tmp/kept.err")"
  fi
  local kept_pid=$KEPT_PID
  eval "exec ${KEPT[1]}>&-"
  wait "$kept_pid" 2>/dev/null

  echo "-- $v: ALTER EXTENSION $EXT UPDATE"
  q -c "CREATE DATABASE $db TEMPLATE $pristine" || return 1
  if ! q -d "$db" -c "ALTER EXTENSION $EXT UPDATE" 2>"$tmp/$db.err"; then
    bad "$v: ALTER EXTENSION $EXT UPDATE failed: $(cat "$tmp/$db.err")"; data_parts_note "$v"; return 1
  fi
  compare_updated "$db" "$v" "$tmp/$v.before" "$tmp/$v.before.grid" || data_parts_note "$v"

  echo "-- $v: pg_dump and pg_restore of the updated database"
  dump_restore "$db" "$v"

  echo "-- $v: the harness catches an upgrade script that leaves something out"
  local delta=$root$sharedir/extension/$EXT--$v--$current.sql mutation n=0
  cp "$delta" "$tmp/delta.real"
  while IFS='|' read -r mutation expr; do
    [ -n "$mutation" ] || continue
    n=$((n + 1))
    sed -e "$expr" "$tmp/delta.real" >"$tmp/delta.broken"
    if cmp -s "$tmp/delta.real" "$tmp/delta.broken"; then
      bad "harness self-test: the upgrade script has no statement for '$mutation' (update the sed expression)"; continue
    fi
    install -m 644 "$tmp/delta.broken" "$delta"
    local mdb="mutant_$n" saved=$failures rc
    q -c "CREATE DATABASE $mdb TEMPLATE $pristine" || return 1
    if out=$(q -d "$mdb" -c "ALTER EXTENSION $EXT UPDATE" 2>&1); then
      out=$(compare_updated "$mdb" "$v without $mutation" "$tmp/$v.before" "$tmp/$v.before.grid" 2>&1); rc=$?
    else
      rc=1; out="FAIL: ALTER EXTENSION UPDATE failed: $out"
    fi
    failures=$saved
    if [ $rc -ne 0 ]; then
      ok "harness self-test: an upgrade script without $mutation is caught by:"
      grep '^FAIL' <<<"$out" | sed "s/: differs.*//; s/^FAIL: $v without [^:]*: /    /" | head -5
    else
      bad "harness self-test: an upgrade script without $mutation passed every comparison"
    fi
    q -c "DROP DATABASE $mdb" >/dev/null
  done <<'MUTATIONS'
expires_at in the index of a subject's rules|/^ALTER TABLE runai_internal.access_rules$/,/INCLUDE (expires_at);$/d
the names of the bound roles|/^UPDATE runai_internal.db_role_bindings b SET db_role_name/,+1d
the registry of protected tables|/^INSERT INTO runai_internal.protected_tables (tbl)$/,/^   AND f.proname = 'rls_check'/d
the predefined rows of the data files|/^INSERT INTO runai.resource_types AS t/,/^  WHERE (t.name, t.display_name/d
the privileges pg_dump takes for the extension's own|s/^   AND EXISTS (SELECT 1 FROM pg_catalog.unnest(i.initprivs) a,/   AND false AND EXISTS (SELECT 1 FROM pg_catalog.unnest(i.initprivs) a,/
MUTATIONS
  install -m 644 "$tmp/delta.real" "$delta"

  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  export PGHOST=$MAIN_HOST PGPORT=$MAIN_PORT
  [ $failures -eq $start ]
}

# The kept session of upgrade_real: one psql fed line by line (as in shared_tree.sh).
kept_sql() {
  local line
  out=""
  printf '%s;\n\\echo __END__\n' "$1" >&"${KEPT[1]}"
  while IFS= read -r -t 30 line <&"${KEPT[0]}"; do
    [ "$line" = __END__ ] && return 0
    out+="${out:+$'\n'}$line"
  done
  out="(no answer from the session within 30 s)"
}
expect() { if [ "$3" = "$2" ]; then ok "$1: $3"; else bad "$1: expected '$2', got '$3'"; fi; }

# dump_restore DB WHAT: pg_dump -Fc of an updated database and pg_restore into a new
# one bring back every dumped row and the same answers; its schema dump is that of
# the fresh install.
dump_restore() {
  local db=$1 what=$2 r=restored_$1 t
  if ! pg_dump -d "$db" -Fc -f "$tmp/$db.dump" 2>"$tmp/$db.dump.err"; then
    bad "$what: pg_dump of the updated database failed: $(cat "$tmp/$db.dump.err")"; return 1
  fi
  q -c "CREATE DATABASE $r" || return 1
  if ! pg_restore -d "$r" --exit-on-error "$tmp/$db.dump" 2>"$tmp/$r.err"; then
    bad "$what: pg_restore of the updated database failed: $(cat "$tmp/$r.err")"; return 1
  fi
  ok "$what: pg_dump -Fc ($(stat -c %s "$tmp/$db.dump") bytes) and pg_restore into a new database"
  snapshot "$db" "$tmp/$db.full"
  snapshot "$r" "$tmp/$r.rows" "$tmp/$db.full"
  # The dumped tables come back row for row, but for the time CREATE EXTENSION
  # recorded runai.workloads in the registry of protected tables at restore.
  local tables=0 rows=0 diffs=0
  for t in $(cat "$tmp/$db.full/config-tables"); do
    tables=$((tables + 1)); rows=$((rows + $(wc -l <"$tmp/$db.full/$t.rows")))
    if [ "$t" = protected_tables ]; then
      cut -f1 "$tmp/$db.full/$t.rows" | cmp -s - <(cut -f1 "$tmp/$r.rows/$t.rows") && continue
    elif cmp -s "$tmp/$db.full/$t.rows" "$tmp/$r.rows/$t.rows"; then continue; fi
    same "$what: restored $t" "$tmp/$db.full/$t.rows" "$tmp/$r.rows/$t.rows"; diffs=$((diffs + 1))
  done
  [ $diffs -eq 0 ] && ok "$what: the restore brings back the $rows rows of the $tables dumped tables"
  [ -s "$tmp/$r.rows/sessions.rows" ] && bad "$what: sessions were restored (they are not dumped)"
  grid "$db" >"$tmp/$db.ngrid"; grid "$r" >"$tmp/$r.grid"
  same "$what: the restored database answers the $(wc -l <"$tmp/$r.grid") checks of the grid (no tokens) as the updated one" \
       "$tmp/$db.ngrid" "$tmp/$r.grid"
  registry "$r" >"$tmp/$r.reg"
  same "$what: the restored database keeps the registry of protected tables" "$tmp/fresh.reg" "$tmp/$r.reg"
  if out=$(q -d "$r" -c "SELECT runai.authenticate(token) FROM public.regress_tokens WHERE who = 'dora'" 2>&1); then
    bad "$what: a token of the updated database authenticates in the restored one: $out"
  else
    ok "$what: tokens are not restored (sessions are not dumped): $(sed -n 's/^ERROR: *//p' <<<"$out" | head -1)"
  fi
  schema_dump "$db" >"$tmp/$db.schema"
  same "$what: pg_dump --schema-only of the updated database is that of the fresh install ($(wc -l <"$tmp/$db.schema") lines)" \
       "$tmp/fresh.schema" "$tmp/$db.schema"
}

# ---------------------------------------------------------------------------
echo "== earlier versions"
for v in "${earlier[@]}"; do
  if out=$(old_source "$v" 2>&1); then
    echo "$out"
    upgrade_real "$v"
    export PGHOST=$MAIN_HOST PGPORT=$MAIN_PORT
  else
    bad "$v: its source cannot be rebuilt from git history (tag v$v or a commit whose control file says $v): $out"
  fi
done
export PGHOST=$MAIN_HOST PGPORT=$MAIN_PORT
[ ${#earlier[@]} -eq 0 ] && echo "no earlier version exists: $current is the only version (no upgrade/$EXT--A--B.sql)"

# ---------------------------------------------------------------------------
echo "== the harness on synthetic earlier versions"
# The first step for a real earlier version: its script from git history.
if out=$(old_source "$current" 2>&1) && grep -qE "^CREATE TABLE runai(_internal)?\.access_rules" "$tmp/src-$current/$EXT--$current.sql"; then
  ok "harness self-test: the install script of $current is rebuilt from git history ($out)"
else
  bad "harness self-test: the install script of $current cannot be rebuilt from git history: $out"
fi
# Identical to the current version: the update must come out identical.
printf '\\echo Use "ALTER EXTENSION %s UPDATE" to load this file. \\quit\n' $EXT >"$tmp/empty-delta.sql"
if upgrade_from 0.0.0-same "$built" "$tmp/empty-delta.sql"; then
  ok "harness self-test: an update that changes nothing passes every comparison"
else
  bad "harness self-test: an identical earlier version did not pass"
fi
# Differs from the current version in a comment and a function body, and its update
# does not repair that: the harness must fail it.
sed -e "s/'Canonical action name; read and update are aliases of view and edit.'/'Canonical action name.'/" \
    -e "s/WHEN 'view', 'read' THEN RETURN 'view';/WHEN 'view', 'read', 'see' THEN RETURN 'view';/" \
    "$built" >"$tmp/broken.sql"
if cmp -s "$built" "$tmp/broken.sql"; then
  bad "harness self-test: could not make a differing script (the install script changed; update the sed above)"
else
  saved=$failures
  out=$(upgrade_from 0.0.0-differs "$tmp/broken.sql" "$tmp/empty-delta.sql"); rc=$?
  failures=$saved
  if [ $rc -ne 0 ] && grep -q "objects are those of a fresh install.*differs" <<<"$out"; then
    ok "harness self-test: an update that leaves a changed comment and function body behind is caught:"
    grep -A4 'objects are those of a fresh install.*differs' <<<"$out" | tail -n +2 | sed 's/^/    /'
  else
    bad "harness self-test: a differing earlier version was not caught:"; echo "$out" | sed 's/^/    /'
  fi
fi

if [ $failures -eq 0 ]; then echo "upgrade.sh: all checks passed"; exit 0; fi
echo "upgrade.sh: $failures check(s) failed"
exit 1
