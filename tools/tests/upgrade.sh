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
#     current version.
# For each earlier version V: its full install script is rebuilt from git history (tag
# vV, V or runai_rbac-V, else the newest commit whose control file says V) and put into
# a PRIVATE relocated copy of the PostgreSQL installation (the system's extension
# directory is never written); then
#   - CREATE EXTENSION runai_rbac VERSION 'V', fill data through the API, snapshot;
#   - ALTER EXTENSION runai_rbac UPDATE;
#   - every row of every configuration table (and every other table of schemas runai
#     and runai_internal) is still there, unchanged in the columns it had; tables are
#     matched by name across the two schemas, so an update that moves a table from
#     one to the other is compared correctly;
#   - the extension's objects (functions with their definitions and settings, tables,
#     columns, constraints, indexes, triggers and whether they are enabled, policies,
#     views, types, operators -- those of the types are in pg_catalog --, operator
#     classes, comments, privileges, dump configuration; in schemas runai and
#     runai_internal) are the same as in a fresh CREATE EXTENSION of the current
#     version, and so are the predefined rows;
#   - the check grid (has_permission, who_can, can() and my_permissions() as a bound
#     role) answers the same as a fresh install filled the same way.
# Always: two fresh installs describe and answer identically (else the comparisons
# prove nothing), and ALTER EXTENSION UPDATE on the current version changes nothing.
# The code parts of the current version (tools/build_sql.sh --code, the end of every
# upgrade script) can be replayed on an installation: an update whose delta is just
# that replay comes out identical to a fresh install.
# While no upgrade script exists, the harness tests itself: the current version's
# script is rebuilt from git history as an earlier one would be, and the update
# machinery runs against synthetic earlier versions made from the current script in
# the private installation: one whose update must come out identical (the harness
# passes), one that differs in a comment and a function body (the harness must
# notice).  So the harness is proven to pass and to fail before the first real upgrade
# depends on it.
# And every version ever released (every default_version in the history of the
# control file) still works with this library before it is updated: its install
# script from git history, CREATE EXTENSION at that version, filled through its API,
# answers the check grid (row-level security of runai.workloads included) exactly as
# a fresh install of the current version does.
#
# Starts its own cluster (port 55462); exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || { echo "FAIL: cannot change to the top of the tree"; exit 1; }
. tools/cluster.sh

export PGTZ=UTC PGDATESTYLE=ISO
EXT=runai_rbac
PORT=55462
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
# private_install), whose extension directory this test may write: the earlier
# versions' scripts go there.  The system's is never touched.
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

q -c "CREATE ROLE regress_upgrade_dora LOGIN" || { bad "CREATE ROLE regress_upgrade_dora failed"; exit 1; }

# ---------------------------------------------------------------------------
# Fill a database through the API of the installed version.
fill() {   # fill DB
  q -d "$1" >/dev/null <<'SQL'
SELECT runai.create_scope('tenant', 'acme', 'Acme Corp', 'system');
SELECT runai.create_scope('cluster', 'eu-1', 'Europe 1', 'tenant/acme');
SELECT runai.create_scope('department', 'vision', 'Computer vision', 'cluster/eu-1');
SELECT runai.create_scope('department', 'nlp', 'Language', 'cluster/eu-1');
SELECT runai.create_scope('project', 'det', 'Detection', 'department/vision');
SELECT runai.create_scope('project', 'chat', 'Chat', 'department/nlp');
SELECT runai.create_scope('project', 'tmp', 'Short-lived', 'department/nlp');
SELECT runai.rename_scope('project/chat', 'Chat v2');
SELECT runai.delete_scope('project/tmp');
DO $$
DECLARE u text;
BEGIN
  FOREACH u IN ARRAY ARRAY['admin@acme.io', 'dora@acme.io', 'eli@acme.io', 'fay@acme.io'] LOOP
    IF to_regprocedure('runai.create_local_user(text)') IS NOT NULL THEN
      PERFORM * FROM runai.create_local_user(u);
    ELSE
      EXECUTE format('INSERT INTO %s (email, type, created_by) VALUES ($1, $2, $3)',
                     coalesce(to_regclass('runai_internal.users'), to_regclass('runai.users')))
        USING u, 'local', 'upgrade.sh';
    END IF;
  END LOOP;
  IF to_regprocedure('runai.create_application(text)') IS NOT NULL THEN
    PERFORM * FROM runai.create_application('ci-bot');
  END IF;
END
$$;
SELECT runai.set_user_groups('fay@acme.io', ARRAY['vision-team']);
SELECT runai.add_access_rule('user', 'admin@acme.io', 'System administrator', 'system');
SELECT runai.add_access_rule('user', 'dora@acme.io', 'Department administrator', 'department/vision');
SELECT runai.add_access_rule('user', 'dora@acme.io', 'Viewer', 'department/nlp', '2999-01-01 00:00:00+00');
SELECT runai.add_access_rule('user', 'eli@acme.io', 'L1 researcher', 'project/chat');
SELECT runai.delete_access_rule(runai.add_access_rule('user', 'eli@acme.io', 'Viewer', 'project/det'));
SELECT runai.add_access_rule('group', 'vision-team', 'L2 researcher', 'department/vision');
SELECT runai.bind_db_role('dora@acme.io', 'regress_upgrade_dora');
INSERT INTO runai.workloads (name, kind, project)
SELECT 'wl-' || i, 'Training', (ARRAY['project/det', 'project/chat'])[1 + i % 2]::runai.scope
  FROM generate_series(1, 40) i;
GRANT SELECT ON runai.workloads TO regress_upgrade_dora;
SQL
}

# Every table of schemas runai and runai_internal, rows as sorted text, by table
# name (an update may move a table from one schema to the other); the column list of
# the first snapshot is reused so that a dropped or changed column shows.
snapshot() {   # snapshot DB DIR [COLUMNS-FROM-DIR]
  local db=$1 dir=$2 from=${3:-} t qt cols
  mkdir -p "$dir"
  while IFS='|' read -r t qt; do
    [ -n "$t" ] || continue
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

# The extension's objects, described without OIDs: everything in schemas runai and
# runai_internal, and the members of the extension elsewhere (the operators of the
# types, in pg_catalog).  Privileges are listed sorted: the order of the entries of
# an ACL means nothing, and GRANT after REVOKE appends.
fingerprint() {   # fingerprint DB
  q -d "$1" <<SQL
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
SELECT 'function', p.oid::regprocedure::text || ' ' || md5(pg_get_functiondef(p.oid)) || ' acl=' || coalesce((SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(p.proacl) x), '-')
       || ' config=' || coalesce(p.proconfig::text, '-') || ' ' || p.provolatile::text || p.proparallel::text || p.prosecdef::text
       || p.proisstrict::text || p.proleakproof::text || ' cost=' || p.procost || ' rows=' || p.prorows
       || ' support=' || p.prosupport::text
  FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM nsp) AND p.prokind <> 'a'
UNION ALL
SELECT 'aggregate', p.oid::regprocedure::text || ' acl=' || coalesce((SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(p.proacl) x), '-')
       || ' sfunc=' || a.aggtransfn::regprocedure::text || ' combine=' || a.aggcombinefn::text || ' ' || p.proparallel::text
  FROM pg_proc p JOIN pg_aggregate a ON a.aggfnoid = p.oid WHERE p.pronamespace IN (SELECT oid FROM nsp)
UNION ALL
SELECT 'relation', c.oid::regclass::text || ' kind=' || c.relkind::text || ' acl=' || coalesce((SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(c.relacl) x), '-')
       || ' rls=' || c.relrowsecurity || '/' || c.relforcerowsecurity || ' opts=' || coalesce(c.reloptions::text, '-')
       || ' persistence=' || c.relpersistence::text
  FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM nsp)
UNION ALL
SELECT 'column', a.attrelid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || ' default=' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '-')
       || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text || ' collation=' || a.attcollation::regcollation::text
       || ' acl=' || coalesce((SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(a.attacl) x), '-')
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
       || ' acl=' || coalesce((SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(t.typacl) x), '-')
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
SELECT 'schema', n.nspname || ' owner=' || n.nspowner::regrole::text || ' acl=' || coalesce((SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(n.nspacl) x), '-')
  FROM pg_namespace n WHERE n.oid IN (SELECT oid FROM nsp)
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

# The check grid, with the default search path.
grid() {   # grid DB
  q -d "$1" <<SQL
$ISCHEMA
WITH subj(s) AS (VALUES ('user:admin@acme.io'), ('user:dora@acme.io'), ('user:eli@acme.io'), ('user:fay@acme.io'),
                        ('group:vision-team'), ('app:ci-bot'), ('user:nobody@acme.io')),
     sc AS (SELECT scope FROM :"ischema".scopes UNION ALL SELECT 'project/ghost'::runai.scope),
     act(a) AS (VALUES ('view'), ('edit'), ('create'), ('delete'))
SELECT 'has_permission', s, rt.name, a, sc.scope::text, runai.has_permission(s, rt.name, a, sc.scope)
  FROM subj, runai.resource_types rt, act, sc ORDER BY 2, 3, 4, 5;
SELECT 'who_can', rt, a, sc.scope::text, w.subject, w.via_group, w.role, w.rule_id, w.rule_scope::text
  FROM :"ischema".scopes sc, unnest(ARRAY['workloads', 'access_rules']) rt, unnest(ARRAY['view', 'delete']) a,
       LATERAL runai.who_can(rt, a, sc.scope) w ORDER BY 2, 3, 4, 5, 6, 7, 8;
SET ROLE regress_upgrade_dora;
SELECT 'can as dora', a, sc::text, runai.can('workloads', a, sc::runai.scope)
  FROM unnest(ARRAY['view', 'edit', 'create', 'delete']) a,
       unnest(ARRAY['system', 'tenant/acme', 'cluster/eu-1', 'department/vision', 'department/nlp', 'project/det', 'project/chat']) sc
 ORDER BY 2, 3;
SELECT 'my_permissions as dora', resource_type, actions::text, scope::text FROM runai.my_permissions() ORDER BY 2, 3, 4;
SELECT 'workloads as dora', project::text, count(*) FROM runai.workloads GROUP BY 2 ORDER BY 2;
RESET ROLE;
SQL
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
  || { bad "the reference could not be described"; exit 1; }
# The description must be deterministic, else comparing with it proves nothing.
q -c "CREATE DATABASE ref_fresh2" && q -d ref_fresh2 -c "CREATE EXTENSION $EXT" && fill ref_fresh2 \
  || { bad "a second fresh install of $current could not be filled"; exit 1; }
fingerprint ref_fresh2 >"$tmp/fresh2.fp"; grid ref_fresh2 >"$tmp/fresh2.grid"
same "two fresh installs of $current describe the same $(wc -l <"$tmp/fresh.fp") objects" "$tmp/fresh.fp" "$tmp/fresh2.fp"
same "two fresh installs of $current answer the same $(wc -l <"$tmp/fresh.grid") checks" "$tmp/fresh.grid" "$tmp/fresh2.grid"
grep -q '^has_permission|.*|t$' "$tmp/fresh.grid" && grep -q '^has_permission|.*|f$' "$tmp/fresh.grid" \
  || bad "the check grid is degenerate (all true or all false)"
q -c "DROP DATABASE ref_fresh2"

# ALTER EXTENSION UPDATE to the installed version is a no-op that keeps everything.
snapshot ref_fresh "$tmp/noop.before"
q -d ref_fresh -c "ALTER EXTENSION $EXT UPDATE" 2>"$tmp/noop.err" || bad "ALTER EXTENSION $EXT UPDATE on $current failed: $(cat "$tmp/noop.err")"
snapshot ref_fresh "$tmp/noop.after" "$tmp/noop.before"
if diff -r "$tmp/noop.before" "$tmp/noop.after" >/dev/null; then ok "ALTER EXTENSION UPDATE on $current keeps everything ($(sed 's/^NOTICE:  //' "$tmp/noop.err"))"
else bad "ALTER EXTENSION UPDATE on $current changed data"; fi

# upgrade_from VERSION FULL-SCRIPT [DELTA]: the whole harness for one earlier version.
# Returns non-zero if any comparison failed.
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
  local got
  got=$(q -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = '$EXT'")
  [ "$got" = "$current" ] && ok "$v: ALTER EXTENSION $EXT UPDATE took it to $current" \
    || bad "$v: after ALTER EXTENSION UPDATE the version is $got, not $current"
  snapshot "$db" "$tmp/$db.after" "$tmp/$db.before"
  local t n kept=0 tables=0
  for t in "$tmp/$db.before"/*.rows; do
    t=$(basename "$t" .rows)
    n=$(wc -l <"$tmp/$db.before/$t.rows")
    tables=$((tables + 1))
    if cmp -s "$tmp/$db.before/$t.rows" "$tmp/$db.after/$t.rows"; then
      kept=$((kept + n))
    else
      same "$v: runai.$t keeps its $n rows" "$tmp/$db.before/$t.rows" "$tmp/$db.after/$t.rows"
    fi
  done
  ok "$v: $kept rows of $tables tables are unchanged by the update"
  fingerprint "$db" >"$tmp/$db.fp"; predefined "$db" >"$tmp/$db.pre"; grid "$db" >"$tmp/$db.grid"
  same "$v: the updated extension's objects are those of a fresh install of $current" "$tmp/fresh.fp" "$tmp/$db.fp"
  same "$v: the predefined rows are those of a fresh install of $current" "$tmp/fresh.pre" "$tmp/$db.pre"
  same "$v: the check grid answers as a fresh install of $current" "$tmp/fresh.grid" "$tmp/$db.grid"
  rm -f "$privext/$EXT--$v.sql" "$privext/$EXT--$v--$current.sql"
  [ $failures -eq $before_fail ]
}

# The full install script of an earlier version, rebuilt from git history.
old_script() {   # old_script VERSION OUTFILE
  local v=$1 out=$2 c="" tag h
  for tag in "v$v" "$v" "$EXT-$v"; do
    c=$(git rev-parse -q --verify "refs/tags/$tag^{commit}" 2>/dev/null) && break
  done
  if [ -z "$c" ]; then
    # The newest commit whose control file says v: walking the commits that changed
    # the control file, newest first, the first one that says v was followed by the
    # one that changed it away (prev); the release is that one's parent, or HEAD.
    local prev=""
    for h in $(git log --first-parent --format=%H -- $EXT.control); do
      if git show "$h:$EXT.control" | grep -q "^default_version = '$v'"; then
        if [ -z "$prev" ]; then c=$(git rev-parse HEAD); else c=$(git rev-parse "$prev^"); fi
        break
      fi
      prev=$h
    done
  fi
  [ -n "$c" ] || { echo "no tag and no commit of version $v in git history" >&2; return 1; }
  echo "version $v: from commit $(git log -1 --format='%h %s' "$c")"
  mkdir -p "$tmp/src-$v"
  git archive "$c" | tar -x -C "$tmp/src-$v" || return 1
  if [ ! -f "$tmp/src-$v/$EXT--$v.sql" ]; then
    make -s -C "$tmp/src-$v" "$EXT--$v.sql" >/dev/null || return 1
  fi
  cp "$tmp/src-$v/$EXT--$v.sql" "$out"
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

# ---------------------------------------------------------------------------
echo "== released versions with this library, before they are updated"
# A new library must not make an older database's checks fail open or crash: it
# finds the older layout (src/catalog.h) and answers as the current version does.
released=$(for h in $(git log --format=%H -- $EXT.control); do
             git show "$h:$EXT.control" | sed -n "s/^default_version = '\(.*\)'/\1/p"
           done | sort -uV | grep -vx "$current")
[ -n "$released" ] || note "no released version other than $current in git history"
for v in $released; do
  if ! old_script "$v" "$tmp/compat-$v.sql" >/dev/null 2>&1; then
    bad "$v: its install script cannot be rebuilt from git history"; continue
  fi
  db="compat_${v//[^a-zA-Z0-9]/_}"
  install -m 644 "$tmp/compat-$v.sql" "$privext/$EXT--$v.sql"
  if q -c "CREATE DATABASE $db" && q -d "$db" -c "CREATE EXTENSION $EXT VERSION '$v'" 2>"$tmp/$db.err" \
     && fill "$db" 2>>"$tmp/$db.err"; then
    got=$(q -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = '$EXT'")
    [ "$got" = "$v" ] || bad "$v: the database says version $got"
    grid "$db" >"$tmp/$db.grid" 2>>"$tmp/$db.err"
    same "$v, not yet updated, answers the $(wc -l <"$tmp/fresh.grid") checks of the grid as a fresh install of $current with this library" \
         "$tmp/fresh.grid" "$tmp/$db.grid"
  else
    bad "$v: CREATE EXTENSION at $v or filling it failed with this library: $(cat "$tmp/$db.err")"
  fi
  rm -f "$privext/$EXT--$v.sql"
  q -c "DROP DATABASE $db" >/dev/null 2>&1
done

# ---------------------------------------------------------------------------
echo "== earlier versions"
if [ ${#earlier[@]} -eq 0 ]; then
  echo "no earlier version exists: $current is the only version (no upgrade/$EXT--A--B.sql);"
  echo "running the harness against synthetic earlier versions instead"
  # The first step for a real earlier version: its script from git history.
  if out=$(old_script "$current" "$tmp/git-$current.sql" 2>&1) && grep -qE "^CREATE TABLE runai(_internal)?\.access_rules" "$tmp/git-$current.sql"; then
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
  # Differs from the current version in a comment and a function body, and its
  # update does not repair that: the harness must fail it.
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
else
  for v in "${earlier[@]}"; do
    if old_script "$v" "$tmp/$EXT--$v.sql"; then
      upgrade_from "$v" "$tmp/$EXT--$v.sql"
    else
      bad "$v: its install script cannot be rebuilt from git history (tag v$v or a commit whose control file says $v)"
    fi
  done
fi

if [ $failures -eq 0 ]; then echo "upgrade.sh: all checks passed"; exit 0; fi
echo "upgrade.sh: $failures check(s) failed"
exit 1
