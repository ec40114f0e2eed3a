\echo Use "ALTER EXTENSION runai_rbac UPDATE TO '0.2.0'" to load this file. \quit
--
-- runai_rbac 0.1.0 -> 0.2.0.  Written as src/upgrade/runai_rbac--0.1.0--0.2.0.sql,
-- whose -- @...@ lines tools/build_sql.sh --delta expands (the header of
-- tools/build_sql.sh says how) into upgrade/runai_rbac--0.1.0--0.2.0.sql.
--
-- What 0.2.0 changed in the objects that hold state or cannot be replaced:
--  - schema runai keeps the documented interface only; the tables, the internal
--    functions (their leading underscore dropped), the support functions of the
--    types, their operator classes and families and the row-level security
--    functions move to the new schema runai_internal;
--  - the operators of runai.scope and runai.actionset move to pg_catalog, and
--    pg_catalog gets comparisons between runai.scope and text;
--  - new: the registry of protected tables, the role's name in a binding,
--    expires_at in the index of a subject's rules, an index of the events of failed
--    sign-ins, the signal tables that carry the catalog's invalidations;
--  - the resource types' display names of data/resource_types.csv.
--
-- Everything moves with ALTER ... SET SCHEMA, which keeps its OID, its rows and
-- privileges, and what depends on it: the policies runai.protect put on users'
-- tables (they name runai.rls_check by OID and name runai_internal.rls_check
-- afterwards), users' views and functions over the API, indexes and columns of the
-- types, and the identity sequences (they move with their tables).  Functions of the
-- interface stay where they are and are replaced in place by the code parts at the
-- end (CREATE OR REPLACE keeps their OIDs); dropped are only runai.cache_stats,
-- whose result columns changed (created again by the code parts), and an internal
-- function that no longer exists.

-- ---------------------------------------------------------------------------
-- 1. What must go first
-- ---------------------------------------------------------------------------

-- The 0.1.0 guard of the triggers fires on every ALTER TABLE and names the tables
-- as runai.<table>: it would refuse the first move.  The code parts create the
-- 0.2.0 guard (95_code_guard.sql).
DROP EVENT TRIGGER runai_rbac_guard_triggers;

-- Gone in 0.2.0: nothing calls it.
DROP FUNCTION runai._current_subject_text();
-- Its result has three more columns, which CREATE OR REPLACE cannot add; the code
-- parts create it again.  (A user's view over it would stop the update here.)
DROP FUNCTION runai.cache_stats();

-- ---------------------------------------------------------------------------
-- 2. Schema runai_internal, and what moves into it
-- ---------------------------------------------------------------------------

CREATE SCHEMA runai_internal;

-- Tables, with their indexes, constraints, triggers, row types and identity
-- sequences.
ALTER TABLE runai.roles SET SCHEMA runai_internal;
ALTER TABLE runai.role_permissions SET SCHEMA runai_internal;
ALTER TABLE runai.scopes SET SCHEMA runai_internal;
ALTER TABLE runai.users SET SCHEMA runai_internal;
ALTER TABLE runai.group_members SET SCHEMA runai_internal;
ALTER TABLE runai.applications SET SCHEMA runai_internal;
ALTER TABLE runai.access_rules SET SCHEMA runai_internal;
ALTER TABLE runai.db_role_bindings SET SCHEMA runai_internal;
ALTER TABLE runai.events SET SCHEMA runai_internal;
ALTER TABLE runai.sessions SET SCHEMA runai_internal;
ALTER TABLE runai._admin_guard SET SCHEMA runai_internal;
ALTER TABLE runai_internal._admin_guard RENAME TO admin_guard;
ALTER TABLE runai_internal.admin_guard RENAME CONSTRAINT _admin_guard_pkey TO admin_guard_pkey;
ALTER TABLE runai_internal.admin_guard RENAME CONSTRAINT _admin_guard_id_check TO admin_guard_id_check;
ALTER VIEW runai._access_rules_within_reach SET SCHEMA runai_internal;
ALTER VIEW runai_internal._access_rules_within_reach RENAME TO access_rules_within_reach;

-- The internal functions, without their leading underscore.  The public functions
-- that dispatch to them (src/dispatch.c) find them by name in the schema the
-- installed version uses, and the code parts replace their bodies.
ALTER FUNCTION runai._action(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._action(pg_catalog.text) RENAME TO action;
ALTER FUNCTION runai._actor() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._actor() RENAME TO actor;
ALTER FUNCTION runai._actor_can(pg_catalog.text, pg_catalog.text, runai.scope) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._actor_can(pg_catalog.text, pg_catalog.text, runai.scope) RENAME TO actor_can;
ALTER FUNCTION runai._actor_db_role() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._actor_db_role() RENAME TO actor_db_role;
ALTER FUNCTION runai._actor_function() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._actor_function() RENAME TO actor_function;
ALTER FUNCTION runai._actor_holds_role(pg_catalog.int2, runai.scope) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._actor_holds_role(pg_catalog.int2, runai.scope) RENAME TO actor_holds_role;
ALTER FUNCTION runai._actor_is(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._actor_is(pg_catalog.text) RENAME TO actor_is;
ALTER FUNCTION runai._actor_name() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._actor_name() RENAME TO actor_name;
ALTER FUNCTION runai._actor_superuser() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._actor_superuser() RENAME TO actor_superuser;
ALTER FUNCTION runai._add_access_rule(pg_catalog.text, pg_catalog.text, pg_catalog.text, runai.scope, pg_catalog.timestamptz) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._add_access_rule(pg_catalog.text, pg_catalog.text, pg_catalog.text, runai.scope, pg_catalog.timestamptz) RENAME TO add_access_rule;
ALTER FUNCTION runai._ancestors(runai.scope) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._ancestors(runai.scope) RENAME TO ancestors;
ALTER FUNCTION runai._app_name(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._app_name(pg_catalog.text) RENAME TO app_name;
ALTER FUNCTION runai._app_sign_in(pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._app_sign_in(pg_catalog.text, pg_catalog.text) RENAME TO app_sign_in;
ALTER FUNCTION runai._application(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._application(pg_catalog.text) RENAME TO application;
ALTER FUNCTION runai._bind_db_role(pg_catalog.text, pg_catalog.regrole) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._bind_db_role(pg_catalog.text, pg_catalog.regrole) RENAME TO bind_db_role;
ALTER FUNCTION runai._bootstrap(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._bootstrap(pg_catalog.text) RENAME TO bootstrap;
ALTER FUNCTION runai._change_password(pg_catalog.text, pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._change_password(pg_catalog.text, pg_catalog.text, pg_catalog.text) RENAME TO change_password;
ALTER FUNCTION runai._check_new_password(pg_catalog.text, pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._check_new_password(pg_catalog.text, pg_catalog.text, pg_catalog.text) RENAME TO check_new_password;
ALTER FUNCTION runai._create_application(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._create_application(pg_catalog.text) RENAME TO create_application;
ALTER FUNCTION runai._create_local_user(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._create_local_user(pg_catalog.text) RENAME TO create_local_user;
ALTER FUNCTION runai._create_scope(pg_catalog.text, pg_catalog.text, pg_catalog.text, runai.scope) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._create_scope(pg_catalog.text, pg_catalog.text, pg_catalog.text, runai.scope) RENAME TO create_scope;
ALTER FUNCTION runai._delete_access_rule(pg_catalog.int8) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._delete_access_rule(pg_catalog.int8) RENAME TO delete_access_rule;
ALTER FUNCTION runai._delete_application(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._delete_application(pg_catalog.text) RENAME TO delete_application;
ALTER FUNCTION runai._delete_rules_of(pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._delete_rules_of(pg_catalog.text, pg_catalog.text) RENAME TO delete_rules_of;
ALTER FUNCTION runai._delete_scope(runai.scope) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._delete_scope(runai.scope) RENAME TO delete_scope;
ALTER FUNCTION runai._delete_user(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._delete_user(pg_catalog.text) RENAME TO delete_user;
ALTER FUNCTION runai._email(pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._email(pg_catalog.text, pg_catalog.text) RENAME TO email;
ALTER FUNCTION runai._end_sessions(pg_catalog.uuid, pg_catalog.uuid, pg_catalog.int8) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._end_sessions(pg_catalog.uuid, pg_catalog.uuid, pg_catalog.int8) RENAME TO end_sessions;
ALTER FUNCTION runai._events_append_only() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._events_append_only() RENAME TO events_append_only;
ALTER FUNCTION runai._explain(pg_catalog.text, pg_catalog.text, pg_catalog.text, runai.scope) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._explain(pg_catalog.text, pg_catalog.text, pg_catalog.text, runai.scope) RENAME TO explain;
ALTER FUNCTION runai._guard_triggers() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._guard_triggers() RENAME TO guard_triggers;
ALTER FUNCTION runai._invalidate_cache() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._invalidate_cache() RENAME TO invalidate_cache;
ALTER FUNCTION runai._keep_last_admin() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._keep_last_admin() RENAME TO keep_last_admin;
ALTER FUNCTION runai._keep_last_admin_truncate() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._keep_last_admin_truncate() RENAME TO keep_last_admin_truncate;
ALTER FUNCTION runai._local_admin_exists(pg_catalog.bool) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._local_admin_exists(pg_catalog.bool) RENAME TO local_admin_exists;
ALTER FUNCTION runai._lockout_attempt(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._lockout_attempt(pg_catalog.text) RENAME TO lockout_attempt;
ALTER FUNCTION runai._lockout_available() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._lockout_available() RENAME TO lockout_available;
ALTER FUNCTION runai._lockout_success(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._lockout_success(pg_catalog.text) RENAME TO lockout_success;
ALTER FUNCTION runai._log_event(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.jsonb) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._log_event(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.jsonb) RENAME TO log_event;
ALTER FUNCTION runai._log_subject_event(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.jsonb) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._log_subject_event(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.jsonb) RENAME TO log_subject_event;
ALTER FUNCTION runai._new_session(pg_catalog.text, pg_catalog.text, pg_catalog.uuid, pg_catalog.uuid) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._new_session(pg_catalog.text, pg_catalog.text, pg_catalog.uuid, pg_catalog.uuid) RENAME TO new_session;
ALTER FUNCTION runai._normalize_subject(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._normalize_subject(pg_catalog.text) RENAME TO normalize_subject;
ALTER FUNCTION runai._not_null(pg_catalog.anyelement, pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._not_null(pg_catalog.anyelement, pg_catalog.text) RENAME TO not_null;
ALTER FUNCTION runai._password_hash(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._password_hash(pg_catalog.text) RENAME TO password_hash;
ALTER FUNCTION runai._password_verify(pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._password_verify(pg_catalog.text, pg_catalog.text) RENAME TO password_verify;
ALTER FUNCTION runai._purge_events(pg_catalog.interval) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._purge_events(pg_catalog.interval) RENAME TO purge_events;
ALTER FUNCTION runai._random_text(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._random_text(pg_catalog.text) RENAME TO random_text;
ALTER FUNCTION runai._refuse_catalog_change() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._refuse_catalog_change() RENAME TO refuse_catalog_change;
ALTER FUNCTION runai._refuse_rule_update() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._refuse_rule_update() RENAME TO refuse_rule_update;
ALTER FUNCTION runai._regenerate_application_secret(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._regenerate_application_secret(pg_catalog.text) RENAME TO regenerate_application_secret;
ALTER FUNCTION runai._rename_scope(runai.scope, pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._rename_scope(runai.scope, pg_catalog.text) RENAME TO rename_scope;
ALTER FUNCTION runai._require(pg_catalog.text, pg_catalog.text, runai.scope) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._require(pg_catalog.text, pg_catalog.text, runai.scope) RENAME TO require;
ALTER FUNCTION runai._require_tenant_wide(pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._require_tenant_wide(pg_catalog.text, pg_catalog.text) RENAME TO require_tenant_wide;
ALTER FUNCTION runai._reset_password(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._reset_password(pg_catalog.text) RENAME TO reset_password;
ALTER FUNCTION runai._resource_type_id(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._resource_type_id(pg_catalog.text) RENAME TO resource_type_id;
ALTER FUNCTION runai._restore_system_scope() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._restore_system_scope() RENAME TO restore_system_scope;
ALTER FUNCTION runai._rls_support(pg_catalog.internal) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._rls_support(pg_catalog.internal) RENAME TO rls_support;
ALTER FUNCTION runai._scope_level(runai.scope) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._scope_level(runai.scope) RENAME TO scope_level;
ALTER FUNCTION runai._scope_must_exist(runai.scope) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._scope_must_exist(runai.scope) RENAME TO scope_must_exist;
ALTER FUNCTION runai._session_end() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._session_end() RENAME TO session_end;
ALTER FUNCTION runai._session_expires_at() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._session_expires_at() RENAME TO session_expires_at;
ALTER FUNCTION runai._session_id() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._session_id() RENAME TO session_id;
ALTER FUNCTION runai._set_user_groups(pg_catalog.text, pg_catalog.text[]) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._set_user_groups(pg_catalog.text, pg_catalog.text[]) RENAME TO set_user_groups;
ALTER FUNCTION runai._sign_in(pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._sign_in(pg_catalog.text, pg_catalog.text) RENAME TO sign_in;
ALTER FUNCTION runai._sign_out() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._sign_out() RENAME TO sign_out;
ALTER FUNCTION runai._sso_sign_in(pg_catalog.text, pg_catalog.text[]) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._sso_sign_in(pg_catalog.text, pg_catalog.text[]) RENAME TO sso_sign_in;
ALTER FUNCTION runai._token_hash(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._token_hash(pg_catalog.text) RENAME TO token_hash;
ALTER FUNCTION runai._unbind_db_role(pg_catalog.regrole) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._unbind_db_role(pg_catalog.regrole) RENAME TO unbind_db_role;
ALTER FUNCTION runai._user_id(pg_catalog.text) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._user_id(pg_catalog.text) RENAME TO user_id;
ALTER FUNCTION runai._who_can(pg_catalog.text, pg_catalog.text, runai.scope) SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._who_can(pg_catalog.text, pg_catalog.text, runai.scope) RENAME TO who_can;
ALTER FUNCTION runai._workloads_stamp() SET SCHEMA runai_internal; ALTER FUNCTION runai_internal._workloads_stamp() RENAME TO workloads_stamp;

-- The support functions of the types (input, output, comparison, hashing, set
-- operations): the types, the operators and the operator classes keep them by OID.
ALTER FUNCTION runai.actionset_cmp(runai.actionset, runai.actionset) SET SCHEMA runai_internal;
ALTER FUNCTION runai.actionset_contained(runai.actionset, runai.actionset) SET SCHEMA runai_internal;
ALTER FUNCTION runai.actionset_contains(runai.actionset, runai.actionset) SET SCHEMA runai_internal;
ALTER FUNCTION runai.actionset_eq(runai.actionset, runai.actionset) SET SCHEMA runai_internal;
ALTER FUNCTION runai.actionset_ge(runai.actionset, runai.actionset) SET SCHEMA runai_internal;
ALTER FUNCTION runai.actionset_gt(runai.actionset, runai.actionset) SET SCHEMA runai_internal;
ALTER FUNCTION runai.actionset_hash(runai.actionset) SET SCHEMA runai_internal;
ALTER FUNCTION runai.actionset_hash_extended(runai.actionset, pg_catalog.int8) SET SCHEMA runai_internal;
ALTER FUNCTION runai.actionset_in(pg_catalog.cstring) SET SCHEMA runai_internal;
ALTER FUNCTION runai.actionset_intersect(runai.actionset, runai.actionset) SET SCHEMA runai_internal;
ALTER FUNCTION runai.actionset_le(runai.actionset, runai.actionset) SET SCHEMA runai_internal;
ALTER FUNCTION runai.actionset_lt(runai.actionset, runai.actionset) SET SCHEMA runai_internal;
ALTER FUNCTION runai.actionset_ne(runai.actionset, runai.actionset) SET SCHEMA runai_internal;
ALTER FUNCTION runai.actionset_out(runai.actionset) SET SCHEMA runai_internal;
ALTER FUNCTION runai.actionset_overlaps(runai.actionset, runai.actionset) SET SCHEMA runai_internal;
ALTER FUNCTION runai.actionset_recv(pg_catalog.internal) SET SCHEMA runai_internal;
ALTER FUNCTION runai.actionset_send(runai.actionset) SET SCHEMA runai_internal;
ALTER FUNCTION runai.actionset_union(runai.actionset, runai.actionset) SET SCHEMA runai_internal;
ALTER FUNCTION runai.scope_cmp(runai.scope, runai.scope) SET SCHEMA runai_internal;
ALTER FUNCTION runai.scope_eq(runai.scope, runai.scope) SET SCHEMA runai_internal;
ALTER FUNCTION runai.scope_ge(runai.scope, runai.scope) SET SCHEMA runai_internal;
ALTER FUNCTION runai.scope_gt(runai.scope, runai.scope) SET SCHEMA runai_internal;
ALTER FUNCTION runai.scope_hash(runai.scope) SET SCHEMA runai_internal;
ALTER FUNCTION runai.scope_hash_extended(runai.scope, pg_catalog.int8) SET SCHEMA runai_internal;
ALTER FUNCTION runai.scope_in(pg_catalog.cstring) SET SCHEMA runai_internal;
ALTER FUNCTION runai.scope_le(runai.scope, runai.scope) SET SCHEMA runai_internal;
ALTER FUNCTION runai.scope_lt(runai.scope, runai.scope) SET SCHEMA runai_internal;
ALTER FUNCTION runai.scope_ne(runai.scope, runai.scope) SET SCHEMA runai_internal;
ALTER FUNCTION runai.scope_out(runai.scope) SET SCHEMA runai_internal;
ALTER FUNCTION runai.scope_recv(pg_catalog.internal) SET SCHEMA runai_internal;
ALTER FUNCTION runai.scope_send(runai.scope) SET SCHEMA runai_internal;

-- Row-level security: the checks that users' policies call, the planner's key and
-- gate functions and the validation of runai.protect.
ALTER FUNCTION runai.rls_check(pg_catalog.int4, pg_catalog.text, pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal;
ALTER FUNCTION runai.rls_check(pg_catalog.int8, pg_catalog.text, pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal;
ALTER FUNCTION runai.rls_check(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal;
ALTER FUNCTION runai.rls_check(pg_catalog.uuid, pg_catalog.text, pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal;
ALTER FUNCTION runai.rls_check(runai.scope, pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal;
ALTER FUNCTION runai.rls_gate(pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal;
ALTER FUNCTION runai.rls_id_keys_bigint(pg_catalog.text, pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal;
ALTER FUNCTION runai.rls_id_keys_integer(pg_catalog.text, pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal;
ALTER FUNCTION runai.rls_id_keys_text(pg_catalog.text, pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal;
ALTER FUNCTION runai.rls_id_keys_uuid(pg_catalog.text, pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal;
ALTER FUNCTION runai.rls_scope_keys(pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal;
ALTER FUNCTION runai.rls_validate(pg_catalog.text, pg_catalog.text) SET SCHEMA runai_internal;

-- Operator classes and families: indexes on scope and action set columns (users'
-- indexes too) keep them by OID.
ALTER OPERATOR CLASS runai.scope_ops USING btree SET SCHEMA runai_internal;
ALTER OPERATOR CLASS runai.scope_ops USING hash SET SCHEMA runai_internal;
ALTER OPERATOR CLASS runai.actionset_ops USING btree SET SCHEMA runai_internal;
ALTER OPERATOR CLASS runai.actionset_ops USING hash SET SCHEMA runai_internal;
ALTER OPERATOR FAMILY runai.scope_ops USING btree SET SCHEMA runai_internal;
ALTER OPERATOR FAMILY runai.scope_ops USING hash SET SCHEMA runai_internal;
ALTER OPERATOR FAMILY runai.actionset_ops USING btree SET SCHEMA runai_internal;
ALTER OPERATOR FAMILY runai.actionset_ops USING hash SET SCHEMA runai_internal;

-- ---------------------------------------------------------------------------
-- 3. The operators, to pg_catalog
-- ---------------------------------------------------------------------------

-- Users' views, policies, index predicates and rules that compare scopes or action
-- sets keep the operators by OID; from now on they also resolve with the default
-- search path (README, "Where the operators live").
ALTER OPERATOR runai.= (runai.scope, runai.scope) SET SCHEMA pg_catalog;
ALTER OPERATOR runai.<> (runai.scope, runai.scope) SET SCHEMA pg_catalog;
ALTER OPERATOR runai.< (runai.scope, runai.scope) SET SCHEMA pg_catalog;
ALTER OPERATOR runai.<= (runai.scope, runai.scope) SET SCHEMA pg_catalog;
ALTER OPERATOR runai.> (runai.scope, runai.scope) SET SCHEMA pg_catalog;
ALTER OPERATOR runai.>= (runai.scope, runai.scope) SET SCHEMA pg_catalog;
ALTER OPERATOR runai.= (runai.actionset, runai.actionset) SET SCHEMA pg_catalog;
ALTER OPERATOR runai.<> (runai.actionset, runai.actionset) SET SCHEMA pg_catalog;
ALTER OPERATOR runai.< (runai.actionset, runai.actionset) SET SCHEMA pg_catalog;
ALTER OPERATOR runai.<= (runai.actionset, runai.actionset) SET SCHEMA pg_catalog;
ALTER OPERATOR runai.> (runai.actionset, runai.actionset) SET SCHEMA pg_catalog;
ALTER OPERATOR runai.>= (runai.actionset, runai.actionset) SET SCHEMA pg_catalog;
ALTER OPERATOR runai.@> (runai.actionset, runai.actionset) SET SCHEMA pg_catalog;
ALTER OPERATOR runai.<@ (runai.actionset, runai.actionset) SET SCHEMA pg_catalog;
ALTER OPERATOR runai.&& (runai.actionset, runai.actionset) SET SCHEMA pg_catalog;
ALTER OPERATOR runai.| (runai.actionset, runai.actionset) SET SCHEMA pg_catalog;
ALTER OPERATOR runai.& (runai.actionset, runai.actionset) SET SCHEMA pg_catalog;

-- The comparisons of runai.scope and text are new.  Their bodies (and the scope
-- tree's level function, moved above) come first: the operators name them.
-- @PART 15_code_type_sql.sql@
-- @PART 20_data_operators.sql@

-- ---------------------------------------------------------------------------
-- 4. The catalog's new columns, indexes and tables
-- ---------------------------------------------------------------------------

-- A subject's rules are read from the index alone (src/cache.c): it includes
-- expires_at.  Built again under the same name.
ALTER TABLE runai_internal.access_rules
  DROP CONSTRAINT access_rules_unique,
  ADD CONSTRAINT access_rules_unique UNIQUE (subject_type, subject, role_id, scope) INCLUDE (expires_at);

-- Failed sign-ins are counted in one event per account and window
-- (30_data_catalog.sql); 0.1.0's failures stay one event each.
CREATE INDEX events_failed_sign_in_idx ON runai_internal.events
  (entity_type, (COALESCE(entity_id, '')), (details OPERATOR(pg_catalog.->>) 'window'))
  WHERE action OPERATOR(pg_catalog.=) 'sign-in' AND result OPERATOR(pg_catalog.=) 'Failed'
    AND details OPERATOR(pg_catalog.?) 'window';

-- A binding counts only while its role exists under the name it was bound with
-- (src/bindings.h): the names of the roles bound now.  A binding whose role was
-- dropped -- 0.1.0 kept those, and a new role could be given its OID -- is removed
-- and recorded, as 0.2.0 does at DROP ROLE (src/bindings.c).
ALTER TABLE runai_internal.db_role_bindings ADD COLUMN db_role_name text;
UPDATE runai_internal.db_role_bindings b SET db_role_name = r.rolname
  FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) b.db_role::pg_catalog.oid;
WITH gone AS (
  DELETE FROM runai_internal.db_role_bindings b WHERE b.db_role_name IS NULL
  RETURNING b.db_role::pg_catalog.oid AS role, b.user_id)
INSERT INTO runai_internal.events (subject, subject_type, action, result, entity_type, entity_name, entity_id, details)
SELECT CURRENT_USER, 'db_role', 'update', 'Succeeded', 'users', u.email, g.user_id::pg_catalog.text,
       pg_catalog.jsonb_build_object('unbound_db_role', g.role::pg_catalog.text, 'reason', 'database role dropped')
  FROM gone g LEFT JOIN runai_internal.users u ON u.id OPERATOR(pg_catalog.=) g.user_id;
ALTER TABLE runai_internal.db_role_bindings ALTER COLUMN db_role_name SET NOT NULL;

-- The registry of protected tables (30_data_catalog.sql), holding what
-- runai.protect protected under 0.1.0: every table with its runai_select policy
-- calling runai_internal.rls_check.  runai.workloads is recorded again when the
-- code parts protect it.
CREATE TABLE runai_internal.protected_tables (
    tbl         regclass PRIMARY KEY,
    recorded_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
INSERT INTO runai_internal.protected_tables (tbl)
SELECT DISTINCT p.polrelid::pg_catalog.regclass
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass AND d.objid = p.oid
                             AND d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
  JOIN pg_catalog.pg_proc f ON f.oid = d.refobjid
 WHERE p.polname = 'runai_select'
   AND f.proname = 'rls_check' AND f.pronamespace = 'runai_internal'::pg_catalog.regnamespace;
SELECT pg_catalog.pg_extension_config_dump('runai_internal.protected_tables',
  'WHERE tbl OPERATOR(pg_catalog.<>) ''runai.workloads''::pg_catalog.regclass');

-- The signals (30_data_catalog.sql): empty tables whose invalidations announce a
-- change of the catalog, so that a write invalidates row-level security's plans
-- only, not every plan that reads the table it changed (their comments come with
-- the data parts' comments below).
CREATE TABLE runai_internal.signal_scopes ();
CREATE TABLE runai_internal.signal_access_rules ();
CREATE TABLE runai_internal.signal_users ();
CREATE TABLE runai_internal.signal_group_members ();
CREATE TABLE runai_internal.signal_applications ();
CREATE TABLE runai_internal.signal_db_role_bindings ();
CREATE TABLE runai_internal.signal_sessions ();
CREATE TABLE runai_internal.signal_subject ();

-- ---------------------------------------------------------------------------
-- 5. The predefined rows
-- ---------------------------------------------------------------------------

-- The predefined catalog refuses every change, also the extension's own: its
-- triggers are set aside for the rows of data/*.csv (0.2.0 names each kind of data
-- source in the resource types' display names) and restored at once.
ALTER TABLE runai.resource_types DISABLE TRIGGER refuse_change;
ALTER TABLE runai_internal.roles DISABLE TRIGGER refuse_change;
ALTER TABLE runai_internal.role_permissions DISABLE TRIGGER refuse_change;
ALTER TABLE runai.workload_kinds DISABLE TRIGGER refuse_change;
-- @PREDEFINED@
ALTER TABLE runai.resource_types ENABLE ALWAYS TRIGGER refuse_change;
ALTER TABLE runai_internal.roles ENABLE ALWAYS TRIGGER refuse_change;
ALTER TABLE runai_internal.role_permissions ENABLE ALWAYS TRIGGER refuse_change;
ALTER TABLE runai.workload_kinds ENABLE ALWAYS TRIGGER refuse_change;

-- ---------------------------------------------------------------------------
-- 6. Comments, then every function, view, trigger and privilege of 0.2.0
-- ---------------------------------------------------------------------------

-- @DATA-COMMENTS@
-- @CODE@
