#!/usr/bin/env bash
# SPEC section 7, pg_dump / pg_restore: a database that uses runai_rbac, dumped with
# pg_dump -Fc and restored into a new database of ANOTHER cluster (the database roles,
# which are global, are carried over first with pg_dumpall --roles-only, as an
# administrator would), brings back every row of every table of schema runai and every
# check answers the same.
#
# The source holds: scopes (tenant, clusters, departments, projects; one renamed, one
# deleted, the system scope renamed), local and SSO users, groups, applications (when
# runai.create_application exists), rules with and without expiry (one already expired
# at dump time, one deleted), database roles bound to users (with the role names
# they were bound with; the restore runs as a superuser login, which cannot be bound),
# rows of runai.workloads and of a user table protected with runai.protect (when they
# exist), and the event history all of that wrote.
#
# Compared after a restore into a new database (serially and with -j 4) and after a
# restore over that database once it was changed (--clean --if-exists):
#   - every table of schemas runai and runai_internal and the protected user table,
#     row for row: both sides
#     are loaded as text into a scratch database and compared with EXCEPT ALL both
#     ways.  Nothing is ignored but the columns listed in IGNORED below (each with its
#     reason) and the rows of tables whose COMMENT says they are not dumped;
#   - every sequence of schemas runai and runai_internal (last value);
#   - the check grid: has_permission for every subject x resource type x action x scope
#     (every scope of the tree plus one that is not in it), who_can and explain for a
#     sample, can(), my_permissions(), permitted_scopes() and protected-table counts as
#     two bound database roles, and the row-level security set-up of protected tables;
#   - the restored database keeps working: new rules, scopes and events get ids past
#     the restored ones and are checked correctly.
#
# Starts its own two clusters (ports 55460 and 55461); exits non-zero on any difference.
set -uo pipefail
cd "$(dirname "$0")/../.." || { echo "FAIL: cannot change to the top of the tree"; exit 1; }
. tools/cluster.sh

export PGTZ=UTC PGDATESTYLE=ISO PGOPTIONS='-c extra_float_digits=3'
SRC_PORT=55460 DST_PORT=55461
failures=0
ok()   { echo "ok: $*"; }
bad()  { echo "FAIL: $*"; failures=$((failures + 1)); }
note() { echo "note: $*"; }

# Columns whose values legitimately differ after a restore: "table.column" (table
# without its schema) -> why;
# IGNORED_ROWS["table.column"], if set, limits it to the rows matching that condition.
declare -A IGNORED=(
  # Rows written by the extension's install script are not dumped: CREATE EXTENSION in
  # the restored database writes them again, stamped with its own time.
  [roles.created_at]="predefined roles are inserted again by CREATE EXTENSION at restore time"
  [scopes.created_at]="the system scope row is inserted again by CREATE EXTENSION at restore time"
  [scopes.updated_at]="the system scope row is inserted again by CREATE EXTENSION at restore time"
  [protected_tables.recorded_at]="runai.workloads is recorded again by CREATE EXTENSION at restore time"
)
declare -A IGNORED_ROWS=(
  [scopes.created_at]="parent IS NULL"
  [scopes.updated_at]="parent IS NULL"
  [protected_tables.recorded_at]="tbl = 'runai.workloads'::regclass"
)

tmp=$(mktemp -d /tmp/runai_backup.XXXXXX) || { bad "cannot create a temporary directory"; exit 1; }
chmod 755 "$tmp"
at_exit 'rm -rf "$tmp"'
use_private_install "$tmp/inst" || exit 1
cluster_start "$tmp/src" $SRC_PORT || exit 1
SRC=(-h "$tmp/src" -p $SRC_PORT -U postgres)
cluster_start "$tmp/dst" $DST_PORT || exit 1
DST=(-h "$tmp/dst" -p $DST_PORT -U postgres)
unset PGHOST PGPORT PGDATABASE PGUSER

qsrc() { psql -X -q -At -v ON_ERROR_STOP=1 "${SRC[@]}" "$@"; }
qdst() { psql -X -q -At -v ON_ERROR_STOP=1 "${DST[@]}" "$@"; }
exists() { [ "$(qsrc -d runai_src -c "SELECT to_regprocedure('$1') IS NOT NULL")" = t ]; }
has_table() { [ "$(qsrc -d runai_src -c "SELECT to_regclass('$1') IS NOT NULL")" = t ]; }

# ---------------------------------------------------------------------------
echo "== building the source database"
qsrc -d postgres -c 'CREATE DATABASE runai_src' || { bad "CREATE DATABASE runai_src failed"; exit 1; }
qsrc -d runai_src -c 'CREATE EXTENSION runai_rbac CASCADE' || { bad "CREATE EXTENSION runai_rbac failed"; exit 1; }
qsrc -d runai_src >/dev/null <<'SQL' || { bad "creating the database roles failed"; exit 1; }
CREATE ROLE regress_backup_dora LOGIN;
CREATE ROLE regress_backup_eli LOGIN;
CREATE ROLE regress_backup_admin LOGIN SUPERUSER;
CREATE ROLE regress_backup_root LOGIN;
SQL

qsrc -d runai_src >/dev/null <<'SQL' || { bad "creating the scopes failed"; exit 1; }
SELECT runai.create_scope('tenant', 'acme', 'Acme Corp', 'system');
SELECT runai.create_scope('cluster', 'eu-1', 'Europe 1', 'tenant/acme');
SELECT runai.create_scope('cluster', 'us-1', 'US 1', 'tenant/acme');
SELECT runai.create_scope('department', 'vision', 'Computer vision', 'cluster/eu-1');
SELECT runai.create_scope('department', 'nlp', 'Language', 'cluster/eu-1');
SELECT runai.create_scope('department', 'ops', 'Operations', 'cluster/us-1');
SELECT runai.create_scope('project', 'det', 'Detection', 'department/vision');
SELECT runai.create_scope('project', 'seg', 'Segmentation', 'department/vision');
SELECT runai.create_scope('project', 'chat', 'Chat', 'department/nlp');
SELECT runai.create_scope('project', 'batch', 'Batch jobs', 'department/ops');
SELECT runai.create_scope('project', 'tmp', 'Short-lived', 'department/ops');
SELECT runai.rename_scope('project/seg', 'Segmentation v2');
SELECT runai.delete_scope('project/tmp');
SQL
# The root scope can be renamed like any other; its new name is data to keep.
if qsrc -d runai_src -c "SELECT runai.rename_scope('system', 'Acme platform')" >/dev/null 2>&1; then
  note "runai.rename_scope renames the system scope: the restored database must keep that name"
else
  note "runai.rename_scope refuses to rename the system scope"
fi

# Users: through runai.create_local_user when it exists, else inserted as superuser.
users=(admin@acme.io dora@acme.io eli@acme.io fay@acme.io gus@acme.io)
sso_users=(sso.hal@acme.io sso.ivy@acme.io)
if exists 'runai.create_local_user(text)'; then
  for u in "${users[@]}"; do
    qsrc -d runai_src -c "SELECT user_id FROM runai.create_local_user('$u')" >/dev/null || bad "create_local_user('$u') failed"
  done
  ok "local users created with runai.create_local_user"
else
  note "runai.create_local_user does not exist: local users inserted into runai_internal.users as superuser"
  for u in "${users[@]}"; do
    qsrc -d runai_src -c "INSERT INTO runai_internal.users (email, type, created_by) VALUES ('$u', 'local', 'backup.sh')" || bad "inserting $u failed"
  done
fi
if exists 'runai.sso_sign_in(text,text[])'; then
  qsrc -d runai_src -c "SELECT runai.sso_sign_in('${sso_users[0]}', ARRAY['vision-team']) IS NOT NULL" >/dev/null || bad "sso_sign_in failed"
  qsrc -d runai_src -c "SELECT runai.sso_sign_in('${sso_users[1]}', ARRAY['nlp-team']) IS NOT NULL" >/dev/null || bad "sso_sign_in failed"
  ok "SSO users created with runai.sso_sign_in"
else
  note "runai.sso_sign_in does not exist: SSO users inserted into runai_internal.users as superuser"
  for u in "${sso_users[@]}"; do
    qsrc -d runai_src -c "INSERT INTO runai_internal.users (email, type, created_by) VALUES ('$u', 'sso', 'backup.sh')" || bad "inserting $u failed"
  done
fi
qsrc -d runai_src >/dev/null <<'SQL' || bad "set_user_groups failed"
SELECT runai.set_user_groups('sso.hal@acme.io', ARRAY['vision-team']);
SELECT runai.set_user_groups('sso.ivy@acme.io', ARRAY['nlp-team', 'ops-team']);
SELECT runai.set_user_groups('fay@acme.io', ARRAY['ops-team']);
SQL

apps=()
if exists 'runai.create_application(text)'; then
  for a in ci-bot reporter; do
    qsrc -d runai_src -c "SELECT client_id FROM runai.create_application('$a')" >/dev/null || bad "create_application('$a') failed"
    apps+=("app:$a")
  done
  ok "applications created with runai.create_application"
else
  note "runai.create_application does not exist: applications are not part of this run"
fi

# Rules with and without expiry; one expires before the dump, one is deleted.
qsrc -d runai_src >/dev/null <<'SQL' || bad "adding the rules failed"
SELECT runai.add_access_rule('user', 'admin@acme.io', 'System administrator', 'system');
SELECT runai.add_access_rule('user', 'dora@acme.io', 'Department administrator', 'department/vision');
SELECT runai.add_access_rule('user', 'dora@acme.io', 'Viewer', 'cluster/us-1', now() + interval '30 days');
SELECT runai.add_access_rule('user', 'eli@acme.io', 'L1 researcher', 'project/det');
SELECT runai.add_access_rule('user', 'eli@acme.io', 'L2 researcher', 'project/chat', now() + interval '2 seconds');
SELECT runai.add_access_rule('user', 'gus@acme.io', 'Editor', 'tenant/acme');
SELECT runai.delete_access_rule(runai.add_access_rule('user', 'gus@acme.io', 'Viewer', 'project/batch'));
SELECT runai.add_access_rule('group', 'vision-team', 'L2 researcher', 'department/vision');
SELECT runai.add_access_rule('group', 'nlp-team', 'ML engineer', 'project/chat', now() + interval '1 year');
SELECT runai.add_access_rule('group', 'ops-team', 'Research manager', 'cluster/us-1');
SELECT runai.bind_db_role('dora@acme.io', 'regress_backup_dora');
SELECT runai.bind_db_role('eli@acme.io', 'regress_backup_eli');
SELECT runai.bind_db_role('admin@acme.io', 'regress_backup_root');
SQL
for a in "${apps[@]}"; do
  qsrc -d runai_src -c "SELECT runai.add_access_rule('app', '${a#app:}', 'Viewer', 'department/ops')" >/dev/null || bad "the rule of $a failed"
done

# Protected tables: runai.workloads (rows written by a superuser and by a bound role,
# whose created_by the extension stamps) and a user table with runai.protect.
protected=()
if has_table runai.workloads; then
  qsrc -d runai_src >/dev/null <<'SQL' || bad "filling runai.workloads failed"
INSERT INTO runai.workloads (name, kind, project, status, gpu_request, spec) VALUES
  ('train-1', 'Training', 'project/det', 'Running', 2, '{"image": "pytorch"}'),
  ('chat-1', 'Inference', 'project/chat', 'Pending', 0.5, '{}'),
  ('batch-1', 'Workspace', 'project/batch', 'Succeeded', 0, '{}');
GRANT SELECT, INSERT ON runai.workloads TO regress_backup_dora;
SET ROLE regress_backup_dora;
INSERT INTO runai.workloads (name, kind, project) VALUES ('dora-ws', 'Workspace', 'project/seg');
RESET ROLE;
SQL
  protected+=(runai.workloads)
else
  note "runai.workloads does not exist: no workload rows in this run"
fi
if exists 'runai.protect(regclass,name,text,text)'; then
  qsrc -d runai_src >/dev/null <<'SQL' || bad "protecting public.jobs failed"
CREATE TABLE public.jobs (id integer PRIMARY KEY, project_id text NOT NULL, title text);
INSERT INTO public.jobs SELECT i, (ARRAY['det', 'seg', 'chat', 'batch', 'gone'])[1 + i % 5], 'job ' || i
  FROM generate_series(1, 50) i;
SELECT runai.protect('public.jobs', 'project_id', 'workloads', 'project');
GRANT SELECT ON public.jobs TO regress_backup_dora, regress_backup_eli;
-- a table protected by its owner, an ordinary role acting as eli (dumped and restored
-- by that owner at the end)
CREATE ROLE regress_backup_owner LOGIN;
GRANT CREATE ON SCHEMA public TO regress_backup_owner;
SELECT runai.bind_db_role('eli@acme.io', 'regress_backup_owner');
SQL
  psql -X -q -At -v ON_ERROR_STOP=1 -h "$tmp/src" -p $SRC_PORT -U regress_backup_owner -d runai_src >/dev/null <<'SQL' \
    || bad "the owner's protected table failed"
CREATE TABLE public.owned_jobs (id integer PRIMARY KEY, project_id text NOT NULL);
INSERT INTO public.owned_jobs VALUES (1, 'det'), (2, 'chat'), (3, 'det'), (4, 'seg');
SELECT runai.protect('public.owned_jobs', 'project_id', 'workloads', 'project');
SQL
  protected+=(public.jobs)
else
  note "runai.protect does not exist: no protected user table in this run"
fi

sleep 2.5   # the 2-second rule has expired: the dump holds an expired rule
qsrc -d runai_src <<'SQL'
SELECT 'source: ' || (SELECT count(*) FROM runai_internal.scopes) || ' scopes, '
    || (SELECT count(*) FROM runai_internal.users) || ' users, '
    || (SELECT count(*) FROM runai_internal.group_members) || ' group memberships, '
    || (SELECT count(*) FROM runai_internal.applications) || ' applications, '
    || (SELECT count(*) FROM runai_internal.access_rules) || ' rules ('
    || (SELECT count(*) FROM runai_internal.access_rules WHERE expires_at < now()) || ' expired), '
    || (SELECT count(*) FROM runai_internal.db_role_bindings) || ' bindings, '
    || (SELECT count(*) FROM runai_internal.events) || ' events';
SQL

# ---------------------------------------------------------------------------
# The check grid: every answer as one line of text.
subjects_sql() {
  local list="" s
  for s in "${users[@]}" "${sso_users[@]}"; do list+="('user:$s'),"; done
  for s in vision-team nlp-team ops-team; do list+="('group:$s'),"; done
  for s in "${apps[@]}"; do list+="('$s'),"; done
  echo "$list('user:nobody@acme.io'),('ADMIN@ACME.IO')"   # an unknown user; a bare upper-case email
}
protected_sql() {   # protected_sql LABEL: counts of the protected tables as the current role
  local t
  for t in "${protected[@]}"; do
    echo "SELECT '$1 rows of $t', count(*) FROM $t;"
  done
}
grid() {   # grid PSQL-FUNCTION DB OUTFILE
  local q=$1 db=$2 out=$3
  $q -d "$db" >"$out" <<SQL || { bad "the check grid failed in $db"; return 1; }
WITH subj(s) AS (VALUES $(subjects_sql)),
     sc AS (SELECT scope FROM runai_internal.scopes UNION ALL SELECT 'project/ghost'::runai.scope),
     act(a) AS (VALUES ('view'), ('edit'), ('create'), ('delete'))
SELECT 'has_permission', s, rt.name, a, sc.scope::text, runai.has_permission(s, rt.name, a, sc.scope)
  FROM subj, runai.resource_types rt, act, sc
 ORDER BY 2, 3, 4, 5;
WITH sc AS (SELECT scope FROM runai_internal.scopes), act(a) AS (VALUES ('view'), ('create'), ('delete'))
SELECT 'who_can', rt, a, sc.scope::text, w.subject, w.via_group, w.role, w.rule_id, w.rule_scope::text
  FROM sc, act, unnest(ARRAY['workloads', 'project', 'access_rules', 'users']) rt,
       LATERAL runai.who_can(rt, a, sc.scope) w
 ORDER BY 2, 3, 4, 5, 6, 7, 8;
SELECT 'explain', s, sc::text, e.allowed, e.rule_id, e.subject, e.via_group, e.role, e.rule_scope::text, e.reason
  FROM unnest(ARRAY['user:dora@acme.io', 'user:eli@acme.io', 'user:sso.hal@acme.io', 'user:fay@acme.io']) s,
       unnest(ARRAY['project/det', 'project/chat', 'project/batch', 'cluster/us-1']::runai.scope[]) sc,
       LATERAL runai.explain(s, 'workloads', 'create', sc) e
 ORDER BY 2, 3, 5, 6, 7;
SELECT 'rls', c.oid::regclass::text, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c
 WHERE c.oid IN (SELECT p.polrelid FROM pg_policy p) ORDER BY 2;
SELECT 'policy', schemaname, tablename, policyname, cmd, roles::text, qual, with_check FROM pg_policies ORDER BY 2, 3, 4;
SELECT string_agg(quote_literal(name), ',' ORDER BY name) AS rts FROM runai.resource_types \gset
SET ROLE regress_backup_dora;
SELECT 'can as dora', rt, a, sc::text, runai.can(rt, a, sc::runai.scope)
  FROM unnest(ARRAY[:rts]) rt, unnest(ARRAY['view', 'edit', 'create', 'delete']) a,
       unnest(ARRAY['system', 'tenant/acme', 'cluster/eu-1', 'cluster/us-1', 'department/vision',
                    'department/nlp', 'department/ops', 'project/det', 'project/seg', 'project/chat',
                    'project/batch', 'project/tmp']) sc
 ORDER BY 2, 3, 4;
SELECT 'my_permissions as dora', resource_type, actions::text, scope::text FROM runai.my_permissions() ORDER BY 2, 3, 4;
SELECT 'permitted_scopes as dora', s::text FROM runai.permitted_scopes('workloads', 'view') s ORDER BY 2;
$(protected_sql dora)
SET ROLE regress_backup_eli;
SELECT 'my_permissions as eli', resource_type, actions::text, scope::text FROM runai.my_permissions() ORDER BY 2, 3, 4;
$(protected_sql eli)
RESET ROLE;
SQL
}
grid qsrc runai_src "$tmp/grid.src" || exit 1
echo "check grid: $(grep -c '^has_permission' "$tmp/grid.src") has_permission answers ($(grep -c '^has_permission|.*|t$' "$tmp/grid.src") true)," \
     "$(grep -c '^who_can' "$tmp/grid.src") who_can rows, $(grep -c '^can as' "$tmp/grid.src") can() answers, $(grep -c '^policy' "$tmp/grid.src") policies"
grep ' rows of ' "$tmp/grid.src" | sed 's/^/  /'
# A grid that says the same thing everywhere proves nothing.
if ! grep -q '^has_permission|.*|t$' "$tmp/grid.src" || ! grep -q '^has_permission|.*|f$' "$tmp/grid.src" \
   || ! grep -q '^can as dora|.*|t$' "$tmp/grid.src" || ! grep -q '^can as dora|.*|f$' "$tmp/grid.src"; then
  bad "the check grid of the source is degenerate (all true or all false)"
fi
grep -q '^has_permission|user:eli@acme.io|workloads|view|project/chat|f$' "$tmp/grid.src" \
  || bad "the expired rule still grants in the source"

# ---------------------------------------------------------------------------
echo "== pg_dump -Fc, roles, pg_restore into a new database of another cluster"
if ! pg_dump "${SRC[@]}" -d runai_src -Fc -f "$tmp/runai.dump" 2>"$tmp/dump.err"; then
  bad "pg_dump failed:"; sed 's/^/    /' "$tmp/dump.err"; exit 1
fi
ok "pg_dump -Fc: $(stat -c %s "$tmp/runai.dump") bytes"
if [ -s "$tmp/dump.err" ]; then note "pg_dump printed:"; sed 's/^/    /' "$tmp/dump.err"; fi
chmod 644 "$tmp/runai.dump"
# Database roles are global: carry them over first.
pg_dumpall "${SRC[@]}" --roles-only 2>/dev/null | grep -v -E '^(CREATE|ALTER) ROLE postgres( |;)' >"$tmp/roles.sql"
qdst -d postgres -f "$tmp/roles.sql" >/dev/null || { bad "restoring the database roles failed"; exit 1; }

restore() {   # restore DB [pg_restore options]: runs as the superuser login
  local db=$1; shift
  if [[ " $* " != *" --clean "* ]]; then
    qdst -d postgres -c "CREATE DATABASE $db OWNER regress_backup_admin" || { bad "CREATE DATABASE $db failed"; return 1; }
  fi
  if ! pg_restore -h "$tmp/dst" -p $DST_PORT -U regress_backup_admin -d "$db" --exit-on-error "$@" \
         "$tmp/runai.dump" 2>"$tmp/restore.$db.err"; then
    if [[ " $* " == *" -j "* ]] && grep -q 'violates foreign key constraint' "$tmp/restore.$db.err"; then
      # A documented limitation (README, Backups): parallel jobs may load a
      # configuration table before the one its foreign key references.
      note "pg_restore $* into $db hit the documented limit of parallel restores:"
      sed 's/^/    /' "$tmp/restore.$db.err"
      return 1
    fi
    bad "pg_restore $* into $db failed:"; sed 's/^/    /' "$tmp/restore.$db.err"
    return 1
  fi
  if [ -s "$tmp/restore.$db.err" ]; then note "pg_restore $* printed:"; sed 's/^/    /' "$tmp/restore.$db.err"; fi
  ok "pg_restore ${*:+$* }into $db"
}

# Every table, both sides as text in a scratch database, EXCEPT ALL both ways.  Each
# side is read in one psql session (\copy to files), the scratch database is loaded
# and compared in one more.
compare_tables() {   # compare_tables DSTDB
  local db=$1 scratch="cmp_$1" t tn c sel ign coldefs undumped s1 s2 dir="$tmp/cmp_$1"
  rm -rf "$dir"; mkdir -p "$dir"
  local list="SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname IN ('runai', 'runai_internal') AND c.relkind IN ('r', 'p') ORDER BY 1"
  local tables dst_tables
  tables=$(qsrc -d runai_src -c "$list")
  dst_tables=$(qdst -d "$db" -c "$list")
  [ "$tables" = "$dst_tables" ] || bad "$db: the tables of schemas runai and runai_internal differ: [$tables] vs [$dst_tables]"
  undumped=" $(qsrc -d runai_src -c "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname IN ('runai', 'runai_internal')
                   AND obj_description(c.oid, 'pg_class') ILIKE '%not dumped%'" | tr '\n' ' ') "
  local extra=() p all
  for p in "${protected[@]}"; do case ${p%%.*} in runai|runai_internal) ;; *) extra+=("$p") ;; esac; done
  all="$tables ${extra[*]}"
  # table -> its columns, in one query
  declare -A cols=() ignored=()
  while IFS='|' read -r t c; do cols[$t]=$c; done < <(qsrc -d runai_src -c "
    SELECT n.nspname || '.' || c.relname, string_agg(quote_ident(a.attname), ' ' ORDER BY a.attnum)
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE a.attrelid = ANY (string_to_array('$(echo $all)', ' ')::regclass[]) AND a.attnum > 0 AND NOT a.attisdropped
     GROUP BY 1")
  local out_s="" out_d="" load="" cmp=""
  for t in $all; do
    tn=${t#*.}
    sel="" ign="" coldefs=""
    # (a table without columns, such as the signals, has no entry: it compares by rows)
    for c in ${cols[$t]-}; do
      if [ -n "${IGNORED[$tn.$c]+x}" ]; then
        if [ -z "${IGNORED_ROWS[$tn.$c]+x}" ]; then ign+=" $c"; continue; fi
        ign+=" $c (where ${IGNORED_ROWS[$tn.$c]})"
        sel+="${sel:+,}CASE WHEN ${IGNORED_ROWS[$tn.$c]} THEN '(ignored)' ELSE $c::text END"
      else
        sel+="${sel:+,}$c::text"
      fi
      coldefs+="${coldefs:+,}$c text"
    done
    ignored[$t]=$ign
    local st="s_${t//./_}" dt="d_${t//./_}"
    out_s+="\\copy (SELECT $sel FROM $t) TO '$dir/$st'"$'\n'
    out_d+="\\copy (SELECT $sel FROM $t) TO '$dir/$dt'"$'\n'
    load+="CREATE TABLE $st ($coldefs); CREATE TABLE $dt ($coldefs);"$'\n'
    load+="\\copy $st FROM '$dir/$st'"$'\n'"\\copy $dt FROM '$dir/$dt'"$'\n'
    cmp+="${cmp:+ UNION ALL }SELECT '$t', (SELECT count(*) FROM $st), (SELECT count(*) FROM $dt),
            (SELECT count(*) FROM (SELECT * FROM $st EXCEPT ALL SELECT * FROM $dt) x),
            (SELECT count(*) FROM (SELECT * FROM $dt EXCEPT ALL SELECT * FROM $st) x)"
  done
  qsrc -d runai_src <<<"$out_s" || { bad "$db: copying the source's tables out failed"; return 1; }
  qdst -d "$db" <<<"$out_d" || { bad "$db: copying the restored tables out failed"; return 1; }
  qdst -d postgres -c "CREATE DATABASE $scratch" >/dev/null || { bad "$db: CREATE DATABASE $scratch failed"; return 1; }
  qdst -d "$scratch" <<<"$load" || { bad "$db: loading both sides into $scratch failed"; return 1; }
  local n1 n2 x1 x2
  while IFS='|' read -r t n1 n2 x1 x2; do
    if [[ $undumped == *" $t "* ]]; then
      if [ "$n2" = 0 ]; then ok "$db: $t: documented as not dumped ($n1 rows in the source), empty after the restore"
      else bad "$db: $t: documented as not dumped, but has $n2 rows after the restore"; fi
    elif [ "$x1$x2" = 00 ]; then
      ok "$db: $t: $n1 rows, identical${ignored[$t]:+ (ignored:${ignored[$t]})}"
    else
      bad "$db: $t differs ($n1 rows in the source, $n2 restored)${ignored[$t]:+ (ignored:${ignored[$t]})}"
      local st="s_${t//./_}" dt="d_${t//./_}"
      [ "$x1" != 0 ] && { echo "    only in the source:"
        qdst -d "$scratch" -c "SELECT * FROM $st EXCEPT ALL SELECT * FROM $dt" | head -20 | sed 's/^/      /'; }
      [ "$x2" != 0 ] && { echo "    only in the restored database:"
        qdst -d "$scratch" -c "SELECT * FROM $dt EXCEPT ALL SELECT * FROM $st" | head -20 | sed 's/^/      /'; }
    fi
  done < <(qdst -d "$scratch" -c "$cmp")
  qdst -d postgres -c "DROP DATABASE $scratch" >/dev/null
  rm -rf "$dir"

  # Sequences, except those of tables that are documented as not dumped.
  local seq="SELECT string_agg(format('%s=%s', s.oid::regclass, pg_sequence_last_value(s.oid::regclass)), ' ' ORDER BY s.oid::regclass::text)
               FROM pg_class s WHERE s.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace) AND s.relkind = 'S'
                AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
                                 WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype IN ('a', 'i')
                                   AND obj_description(t.oid, 'pg_class') ILIKE '%not dumped%')"
  s1=$(qsrc -d runai_src -c "$seq")
  s2=$(qdst -d "$db" -c "$seq")
  if [ "$s1" = "$s2" ]; then ok "$db: sequences restored ($s1)"; else bad "$db: sequences differ: source [$s1], restored [$s2]"; fi
}

compare_grid() {   # compare_grid DSTDB
  local db=$1
  grid qdst "$db" "$tmp/grid.$db" || return 1
  if cmp -s "$tmp/grid.src" "$tmp/grid.$db"; then
    ok "$db: all $(wc -l <"$tmp/grid.src") check answers are the same as in the source"
  else
    bad "$db: check answers differ from the source (< source, > restored):"
    diff "$tmp/grid.src" "$tmp/grid.$db" | head -30 | sed 's/^/    /'
  fi
}

# After the comparison: the restored database keeps working.
keeps_working() {   # keeps_working DSTDB
  local db=$1 max_rule max_event max_wl new_rule r
  max_rule=$(qdst -d "$db" -c "SELECT max(id) FROM runai_internal.access_rules")
  max_event=$(qdst -d "$db" -c "SELECT max(id) FROM runai_internal.events")
  new_rule=$(qdst -d "$db" -c "SELECT runai.add_access_rule('user', 'fay@acme.io', 'Viewer', 'project/seg')" 2>&1)
  qdst -d "$db" -c "SELECT runai.create_scope('project', 'new', 'New', 'department/nlp')" >/dev/null 2>&1 || bad "$db: create_scope after the restore failed"
  r=$(qdst -d "$db" -c "SELECT $new_rule > $max_rule
                           AND (SELECT min(id) FROM runai_internal.events WHERE id > $max_event) > $max_event
                           AND (SELECT count(*) FROM runai_internal.events WHERE id > $max_event) = 2
                           AND runai.has_permission('user:fay@acme.io', 'workloads', 'view', 'project/seg')
                           AND EXISTS (SELECT 1 FROM runai_internal.scopes WHERE scope::text = 'project/new')
                           AND runai.has_permission('user:dora@acme.io', 'workloads', 'view', 'project/det')" 2>&1)
  if [ "$r" = t ]; then ok "$db: a new rule (id $new_rule after $max_rule), scope and events after the restore work and are checked"
  else bad "$db: the restored database does not keep working: rule [$new_rule] after [$max_rule]: $r"; fi
  if has_table runai.workloads; then
    max_wl=$(qdst -d "$db" -c "SELECT coalesce(max(id), 0) FROM runai.workloads")
    r=$(qdst -d "$db" -c "INSERT INTO runai.workloads (name, kind, project) VALUES ('after', 'Training', 'project/det') RETURNING id > $max_wl" 2>&1)
    [ "$r" = t ] && ok "$db: a new workload gets an id past the restored ones" || bad "$db: inserting a workload after the restore: $r"
  fi
}

# A new database, serially; a new database with 4 jobs; and over the first one again
# (--clean --if-exists drops the extension and its data first), after it was changed.
for mode in serial parallel clean; do
  case $mode in
    serial)   db=runai_restored_serial;   restore $db || continue ;;
    parallel) db=runai_restored_parallel; restore $db -j 4 || continue ;;
    clean)    db=runai_restored_serial;   restore $db --clean --if-exists || continue ;;
  esac
  compare_tables $db
  compare_grid $db
  [ $mode = clean ] || keeps_working $db
done

# An ordinary role dumps the table it owns and protected (the rows its Run:ai subject
# may view) and restores it into another database as itself.  The policies name
# runai_internal's check: restoring them needs USAGE on that schema, which every
# role has; without it (the second database) the restore fails.
if exists 'runai.protect(regclass,name,text,text)'; then
  echo "== a protected table dumped and restored by its owner, an ordinary role"
  if pg_dump -h "$tmp/src" -p $SRC_PORT -U regress_backup_owner -d runai_src -Fc --enable-row-security -t public.owned_jobs \
       -f "$tmp/owned.dump" 2>"$tmp/owned.err"; then
    ok "pg_dump of public.owned_jobs by its owner"
  else
    bad "pg_dump of public.owned_jobs by its owner failed: $(cat "$tmp/owned.err")"
  fi
  chmod 644 "$tmp/owned.dump"
  for db in runai_owned runai_owned_no_usage; do
    qdst -d postgres -c "CREATE DATABASE $db" || bad "creating $db failed"
    qdst -d $db >/dev/null <<'SQL' || bad "preparing $db failed"
CREATE EXTENSION runai_rbac;
GRANT CREATE ON SCHEMA public TO regress_backup_owner;
SQL
  done
  qdst -d runai_owned_no_usage -c "REVOKE USAGE ON SCHEMA runai_internal FROM PUBLIC" || bad "revoking USAGE failed"
  if pg_restore -h "$tmp/dst" -p $DST_PORT -U regress_backup_owner -d runai_owned --exit-on-error "$tmp/owned.dump" \
       2>"$tmp/owned.err"; then
    r=$(qdst -d runai_owned -c "SELECT (SELECT count(*) FROM pg_policies WHERE tablename = 'owned_jobs'
                                          AND coalesce(qual, with_check) LIKE 'runai_internal.rls_check(%')
                                    || ' ' || (SELECT relforcerowsecurity FROM pg_class WHERE oid = 'public.owned_jobs'::regclass)
                                    || ' ' || (SELECT string_agg(id || ':' || project_id, ',' ORDER BY id) FROM public.owned_jobs)
                                    || ' ' || (SELECT relowner::regrole::text FROM pg_class WHERE oid = 'public.owned_jobs'::regclass)")
    if [ "$r" = "4 true 1:det,3:det regress_backup_owner" ]; then
      ok "pg_restore by the owner: 4 policies on runai_internal.rls_check, forced, the 2 rows its subject may view ($r)"
    else
      bad "the owner's restore gave [$r], expected [4 true 1:det,3:det regress_backup_owner]"
    fi
  else
    bad "pg_restore of public.owned_jobs by its owner failed: $(cat "$tmp/owned.err")"
  fi
  if pg_restore -h "$tmp/dst" -p $DST_PORT -U regress_backup_owner -d runai_owned_no_usage --exit-on-error \
       "$tmp/owned.dump" 2>"$tmp/owned.err"; then
    bad "the owner's restore worked without USAGE on runai_internal: the test above proves nothing"
  elif grep -q 'permission denied for schema runai_internal' "$tmp/owned.err"; then
    ok "without USAGE on runai_internal the owner's restore fails (permission denied for schema runai_internal)"
  else
    bad "the owner's restore without USAGE failed otherwise: $(cat "$tmp/owned.err")"
  fi
fi

if [ $failures -eq 0 ]; then echo "backup.sh: all checks passed"; exit 0; fi
echo "backup.sh: $failures check(s) failed"
exit 1
