-- Code: the permission engine: the actor helpers, event history, checks and lookups,
-- scopes, access rules, groups and database role bindings.
--
-- Public functions that change something are C functions (rbac_dispatch) that run
-- their twin runai_internal.<name> (same arguments and result) as the extension
-- owner with the caller recorded as the actor (src/dispatch.h, src/actor.h).  Twins
-- and helpers are executable by the owner only (99_code_privileges.sql).

-- ---------------------------------------------------------------------------
-- The actor (who called the public function) and its checks
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runai_internal.actor() RETURNS text
AS 'MODULE_PATHNAME', 'rbac_actor_subject' LANGUAGE C STABLE;
COMMENT ON FUNCTION runai_internal.actor() IS 'Inside a public function: the caller''s Run:ai subject (user:<email>, app:<name>) or NULL.';

CREATE OR REPLACE FUNCTION runai_internal.actor_name() RETURNS text
AS 'MODULE_PATHNAME', 'rbac_actor_name' LANGUAGE C STABLE;
COMMENT ON FUNCTION runai_internal.actor_name() IS 'Inside a public function: the caller''s email or application name, else its database role.';

CREATE OR REPLACE FUNCTION runai_internal.actor_db_role() RETURNS oid
AS 'MODULE_PATHNAME', 'rbac_actor_db_role' LANGUAGE C STABLE;
COMMENT ON FUNCTION runai_internal.actor_db_role() IS 'Inside a public function: the caller''s database role.';

CREATE OR REPLACE FUNCTION runai_internal.actor_superuser() RETURNS boolean
AS 'MODULE_PATHNAME', 'rbac_actor_superuser' LANGUAGE C STABLE;
COMMENT ON FUNCTION runai_internal.actor_superuser() IS 'Inside a public function: is the caller a database superuser (which bypasses the checks)?';

CREATE OR REPLACE FUNCTION runai_internal.require(resource text, action text, scope runai.scope) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_require' LANGUAGE C;
COMMENT ON FUNCTION runai_internal.require(text, text, runai.scope) IS 'Inside a public function: raises 42501 unless the caller may do the action on the resource type at the scope.';

CREATE OR REPLACE FUNCTION runai_internal.require_tenant_wide(resource text, action text) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_require_tenant_wide' LANGUAGE C;
COMMENT ON FUNCTION runai_internal.require_tenant_wide(text, text) IS 'Inside a public function: raises 42501 unless the caller holds the permission at system or at a tenant.';

CREATE OR REPLACE FUNCTION runai_internal.actor_can(resource text, action text, scope runai.scope) RETURNS boolean
AS 'MODULE_PATHNAME', 'rbac_actor_can_sql' LANGUAGE C;
COMMENT ON FUNCTION runai_internal.actor_can(text, text, runai.scope) IS 'Inside a public function: may the caller do it?';

CREATE OR REPLACE FUNCTION runai_internal.actor_holds_role(role_id smallint, scope runai.scope) RETURNS boolean
AS 'MODULE_PATHNAME', 'rbac_actor_holds_role' LANGUAGE C STRICT;
COMMENT ON FUNCTION runai_internal.actor_holds_role(smallint, runai.scope) IS 'Inside a public function: does the caller hold every permission of the role at the scope?';

CREATE OR REPLACE FUNCTION runai_internal.actor_is(subject text) RETURNS boolean
AS 'MODULE_PATHNAME', 'rbac_actor_is' LANGUAGE C STRICT;
COMMENT ON FUNCTION runai_internal.actor_is(text) IS 'Inside a public function: is the caller this subject?';

-- Dominance (SPEC section 3.1, src/dominance.h): who may act on whom, and for how long.
CREATE OR REPLACE FUNCTION runai_internal.require_dominates(subject text, groups text[] DEFAULT NULL) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_require_dominates_sql' LANGUAGE C;
COMMENT ON FUNCTION runai_internal.require_dominates(text, text[]) IS
  'Inside a public function: raises 42501 unless the caller holds every permission the subject holds (its groups'' rules and those of the groups given included), at every scope where it holds it and for as long.';

CREATE OR REPLACE FUNCTION runai_internal.require_grant_within(role_id smallint, scope runai.scope, expires_at timestamptz)
RETURNS void
AS 'MODULE_PATHNAME', 'rbac_require_grant_within_sql' LANGUAGE C;
COMMENT ON FUNCTION runai_internal.require_grant_within(smallint, runai.scope, timestamptz) IS
  'Inside a public function: raises 42501 when the caller holds access_rules create or a permission of the role at the scope only until before expires_at (NULL: never): nobody grants longer than they hold.';

CREATE OR REPLACE FUNCTION runai_internal.require_somewhere(resource text, action text) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_require_somewhere_sql' LANGUAGE C;
COMMENT ON FUNCTION runai_internal.require_somewhere(text, text) IS
  'Inside a public function: raises 42501 unless the caller holds the permission at some scope; called before an object is looked up, so that a caller without it learns nothing about which objects exist.';

CREATE OR REPLACE FUNCTION runai_internal.subject_lock(subject text) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_subject_lock_sql' LANGUAGE C STRICT;
COMMENT ON FUNCTION runai_internal.subject_lock(text) IS
  'Inside a public function: takes the subject''s lock in shared mode until the end of the transaction, as adding a rule for it does (dominance over it takes it exclusively).';

CREATE OR REPLACE FUNCTION runai_internal.check_bindable(role regrole) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_check_bindable' LANGUAGE C STRICT;
COMMENT ON FUNCTION runai_internal.check_bindable(regrole) IS
  'Inside a public function: 22023 unless the database role may be bound to a Run:ai user, 42501 unless the caller''s database role controls it (src/bindings.h).';

CREATE OR REPLACE FUNCTION runai_internal.normalize_subject(subject text) RETURNS text
AS 'MODULE_PATHNAME', 'rbac_normalize_subject' LANGUAGE C IMMUTABLE STRICT;
COMMENT ON FUNCTION runai_internal.normalize_subject(text) IS 'user:<lower-case email>, group:<name> or app:<name> from any accepted subject form; 22023 if malformed.';

-- Raises 22023 for a NULL argument of a public function (src/checks.c).
CREATE OR REPLACE FUNCTION runai_internal.not_null(value anyelement, argument text) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_not_null_sql' LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION runai_internal.not_null(anyelement, text) IS 'Raises 22023 when a required argument is NULL.';

-- The canonical name of an action (read and update are aliases); 22023 if unknown.
CREATE OR REPLACE FUNCTION runai_internal.action(action text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  CASE lower(action)
    WHEN 'view', 'read' THEN RETURN 'view';
    WHEN 'edit', 'update' THEN RETURN 'edit';
    WHEN 'create' THEN RETURN 'create';
    WHEN 'delete' THEN RETURN 'delete';
    ELSE
      RAISE EXCEPTION 'unknown action "%"', left(action, 100)
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = 'Actions are view, edit, create and delete; read and update are accepted for view and edit.',
              HINT = 'Use one of view, edit, create or delete.';
  END CASE;
END
$$;
COMMENT ON FUNCTION runai_internal.action(text) IS 'Canonical action name; read and update are aliases of view and edit.';

-- The id of a resource type; 22023 if unknown.
CREATE OR REPLACE FUNCTION runai_internal.resource_type_id(resource text) RETURNS smallint
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE rid smallint;
BEGIN
  SELECT id INTO rid FROM runai.resource_types WHERE name = resource;
  IF rid IS NULL THEN
    RAISE EXCEPTION 'unknown resource type "%"', left(resource, 100)
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Resource types are the API names listed in runai.resource_types, such as workloads, project or access_rules.',
            HINT = 'SELECT name FROM runai.resource_types lists them.';
  END IF;
  RETURN rid;
END
$$;
COMMENT ON FUNCTION runai_internal.resource_type_id(text) IS 'Id of a resource type by API name; 22023 if unknown.';

-- 42704 unless the scope exists.
CREATE OR REPLACE FUNCTION runai_internal.scope_must_exist(s runai.scope) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM runai_internal.scopes WHERE scope OPERATOR(pg_catalog.=) s) THEN
    RAISE EXCEPTION 'scope "%" does not exist', s
      USING ERRCODE = 'undefined_object',
            DETAIL = 'Only scopes created with runai.create_scope (and system) exist.',
            HINT = 'SELECT scope FROM runai.scopes_table lists the scopes you may view; create it first with runai.create_scope.';
  END IF;
END
$$;
COMMENT ON FUNCTION runai_internal.scope_must_exist(runai.scope) IS 'Raises 42704 unless the scope exists.';

-- 42704 unless the scope exists; locks its row (KEY SHARE) until the end of the
-- transaction, so that it is not deleted before a rule or a child that names it
-- is inserted.  Against a concurrent runai.delete_scope: when it committed first,
-- 42704 under READ COMMITTED (the row is gone) and 40001 under REPEATABLE READ
-- or SERIALIZABLE (retry); when it comes later, it waits for this transaction
-- and then finds the new rule or child.
CREATE OR REPLACE FUNCTION runai_internal.lock_scope(s runai.scope) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM 1 FROM runai_internal.scopes WHERE scope OPERATOR(pg_catalog.=) s FOR KEY SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'scope "%" does not exist', s
      USING ERRCODE = 'undefined_object',
            DETAIL = 'Only scopes created with runai.create_scope (and system) exist; it may also have been deleted by a transaction that committed meanwhile.',
            HINT = 'SELECT scope FROM runai.scopes_table lists the scopes you may view; create it first with runai.create_scope.';
  END IF;
END
$$;
COMMENT ON FUNCTION runai_internal.lock_scope(runai.scope) IS
  'Raises 42704 unless the scope exists, and keeps it from being deleted until the end of the transaction.';

-- 22023 unless the array is a list of group names: not NULL, one dimension (or
-- empty), every element 1 to 255 characters.  Its lower bound does not matter: the
-- elements are only ever read with unnest and ANY.
CREATE OR REPLACE FUNCTION runai_internal.group_names(p_groups text[], p_argument text DEFAULT 'groups') RETURNS void
AS 'MODULE_PATHNAME', 'rbac_group_names_sql' LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION runai_internal.group_names(text[], text) IS
  'Raises 22023 unless the array is a one-dimensional list of group names of 1 to 255 characters.';

-- ---------------------------------------------------------------------------
-- Event history
-- ---------------------------------------------------------------------------

-- In C (src/dispatch.c): an INSERT through a kept plan, without an interpreter or
-- a search_path change per event.
CREATE OR REPLACE FUNCTION runai_internal.log_event(action text, result text, entity_type text,
                                                    entity_name text, entity_id text, details jsonb DEFAULT '{}')
RETURNS void
AS 'MODULE_PATHNAME', 'rbac_log_event_sql' LANGUAGE C;
COMMENT ON FUNCTION runai_internal.log_event(text, text, text, text, text, jsonb) IS
  'Appends an event with the caller as its subject (the database role when it has no Run:ai subject).';

CREATE OR REPLACE FUNCTION runai_internal.actor_function() RETURNS regprocedure
AS 'MODULE_PATHNAME', 'rbac_actor_function' LANGUAGE C STABLE;
COMMENT ON FUNCTION runai_internal.actor_function() IS 'The public function whose body is running (innermost dispatched call), or NULL outside one.';

-- Only the body of runai.purge_events may delete events, and only the body of
-- runai.sign_in may update one, exactly as runai_internal.log_failed_sign_in
-- aggregates failed sign-ins: the event of an account and window, every column
-- kept but the details, whose count grows by one, with the count of one status
-- and the time of the last failure.  The actor is C state that SQL cannot set (a
-- custom setting could not be used: the runai prefix is reserved).
-- On a Citus cluster a DELETE or an UPDATE of events runs on every node's
-- placement of the table, and one of them is the placement on the node that runs
-- it (reference tables are written there too, in the same backend): that one
-- decides with the actor, the others, run for another node's distributed
-- transaction, follow it (runai_internal.remote_shard_write).
-- runai.distribute_catalog may empty the coordinator's own copy of the table
-- (Citus's shell).
CREATE OR REPLACE FUNCTION runai_internal.events_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_OP = 'DELETE' AND (runai_internal.actor_function() = 'runai.purge_events(interval)'::regprocedure
                           OR runai_internal.remote_shard_write(TG_RELID, 'runai_internal.events')) THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' AND runai_internal.actor_function() = 'runai.sign_in(text,text)'::regprocedure
     AND OLD.action = 'sign-in' AND OLD.result = 'Failed' AND OLD.details ? 'window'
     AND (NEW.id, NEW.at, NEW.subject, NEW.subject_type, NEW.action, NEW.result, NEW.entity_type,
          NEW.entity_name, NEW.entity_id)
         IS NOT DISTINCT FROM
         (OLD.id, OLD.at, OLD.subject, OLD.subject_type, OLD.action, OLD.result, OLD.entity_type,
          OLD.entity_name, OLD.entity_id)
     AND NEW.details - ARRAY['count', 'invalid_credentials', 'locked', 'last_at']
         = OLD.details - ARRAY['count', 'invalid_credentials', 'locked', 'last_at']
     AND (NEW.details ->> 'count')::bigint = (OLD.details ->> 'count')::bigint + 1
     AND coalesce((NEW.details ->> 'invalid_credentials')::bigint, 0)
         + coalesce((NEW.details ->> 'locked')::bigint, 0)
         = coalesce((OLD.details ->> 'invalid_credentials')::bigint, 0)
         + coalesce((OLD.details ->> 'locked')::bigint, 0) + 1
     AND coalesce((NEW.details ->> 'invalid_credentials')::bigint, 0)
         >= coalesce((OLD.details ->> 'invalid_credentials')::bigint, 0)
     AND coalesce((NEW.details ->> 'locked')::bigint, 0) >= coalesce((OLD.details ->> 'locked')::bigint, 0) THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND runai_internal.remote_shard_write(TG_RELID, 'runai_internal.events') THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'TRUNCATE' AND runai_internal.distributing() THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'the event history cannot be changed'
    USING ERRCODE = 'insufficient_privilege',
          DETAIL = format('%s on runai_internal.events was refused: events are append-only.', TG_OP),
          HINT = 'Old events are removed with runai.purge_events(older_than).';
END
$$;
COMMENT ON FUNCTION runai_internal.events_append_only() IS
  'Trigger: refuses changes to the event history except deletions by runai.purge_events and the counting of failed sign-ins by runai.sign_in.';
CREATE OR REPLACE TRIGGER append_only BEFORE UPDATE OR DELETE ON runai_internal.events
  FOR EACH ROW EXECUTE FUNCTION runai_internal.events_append_only();
ALTER TABLE runai_internal.events ENABLE ALWAYS TRIGGER append_only;
CREATE OR REPLACE TRIGGER append_only_truncate BEFORE TRUNCATE ON runai_internal.events
  FOR EACH STATEMENT EXECUTE FUNCTION runai_internal.events_append_only();
ALTER TABLE runai_internal.events ENABLE ALWAYS TRIGGER append_only_truncate;

CREATE OR REPLACE FUNCTION runai.purge_events(older_than interval) RETURNS bigint
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.purge_events(older_than interval) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE n bigint;
BEGIN
  PERFORM runai_internal.not_null(older_than, 'older_than');
  IF older_than < interval '0' THEN
    RAISE EXCEPTION 'older_than must not be negative'
      USING ERRCODE = 'invalid_parameter_value', DETAIL = format('It was %s.', older_than),
            HINT = 'Pass how old the oldest kept event may be, for example interval ''90 days''.';
  END IF;
  PERFORM runai_internal.require('settings', 'delete', 'system');
  DELETE FROM runai_internal.events WHERE at < now() - older_than;
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM runai_internal.log_event('delete', 'Succeeded', 'events-history', NULL, NULL,
                                   jsonb_build_object('older_than', older_than::text, 'purged', n));
  RETURN n;
END
$$;
COMMENT ON FUNCTION runai.purge_events(interval) IS
  'Deletes events older than the interval and returns how many; needs settings delete at system. The purge itself is recorded.';

-- ---------------------------------------------------------------------------
-- Checks and lookups (C, answered from the cache)
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runai.can(resource text, action text, scope runai.scope) RETURNS boolean
AS 'MODULE_PATHNAME', 'rbac_can' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION runai.can(text, text, runai.scope) IS
  'May the current subject do the action on the resource type at the scope? False when there is no subject or an argument is NULL.';

CREATE OR REPLACE FUNCTION runai.has_permission(subject text, resource text, action text, scope runai.scope) RETURNS boolean
AS 'MODULE_PATHNAME', 'rbac_has_permission' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION runai.has_permission(text, text, text, runai.scope) IS
  'May the subject (user:<email>, group:<name>, app:<name> or a bare email) do it? Needs: the caller is that subject, or holds access_rules view at the scope.';

CREATE OR REPLACE FUNCTION runai.permitted_scopes(resource text, action text) RETURNS SETOF runai.scope
AS 'MODULE_PATHNAME', 'rbac_permitted_scopes' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION runai.permitted_scopes(text, text) IS
  'The top-most scopes where the current subject may do the action on the resource type (it may also at every scope below them).';

-- Introspection of the per-backend decision cache.
CREATE OR REPLACE FUNCTION runai.cache_stats(OUT subjects bigint, OUT max_subjects bigint, OUT scopes bigint,
                                             OUT tree_bytes bigint, OUT subject_bytes bigint,
                                             OUT largest_subject_bytes bigint, OUT shared_tree boolean,
                                             OUT shared_tree_bytes bigint, OUT private_bytes bigint)
AS 'MODULE_PATHNAME', 'rbac_cache_stats_sql' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION runai.cache_stats() IS
  'This backend''s permission cache: subjects cached (at most runai.cache_max_subjects), scopes in the tree, this backend''s memory for the tree, for all subjects and for the largest one; whether the scope tree is shared (runai_rbac preloaded) and its shared memory; and everything this backend keeps.';

CREATE OR REPLACE FUNCTION runai.my_permissions()
RETURNS TABLE (resource_type text, actions runai.actionset, scope runai.scope)
AS 'MODULE_PATHNAME', 'rbac_my_permissions' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION runai.my_permissions() IS
  'The current subject''s effective permissions: for each resource type, the actions held from each scope down.';

-- The scope and its ancestors, nearest first (only the scope and system when the
-- scope is not in the tree: a rule at system covers every scope).
CREATE OR REPLACE FUNCTION runai_internal.ancestors(s runai.scope)
RETURNS TABLE (scope runai.scope, depth integer)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  WITH RECURSIVE anc(scope, parent, depth) AS (
    SELECT sc.scope, sc.parent, 0 FROM runai_internal.scopes sc WHERE sc.scope OPERATOR(pg_catalog.=) s
    UNION ALL
    SELECT sc.scope, sc.parent, anc.depth + 1
      FROM runai_internal.scopes sc JOIN anc ON sc.scope OPERATOR(pg_catalog.=) anc.parent
  )
  SELECT anc.scope, anc.depth FROM anc
  UNION ALL
  SELECT s, 0 WHERE NOT EXISTS (SELECT 1 FROM runai_internal.scopes sc WHERE sc.scope OPERATOR(pg_catalog.=) s)
  UNION ALL
  SELECT 'system'::runai.scope, 1 WHERE NOT EXISTS (SELECT 1 FROM runai_internal.scopes sc WHERE sc.scope OPERATOR(pg_catalog.=) s)
  ORDER BY 2
$$;
COMMENT ON FUNCTION runai_internal.ancestors(runai.scope) IS 'The scope and its ancestors up to system, nearest first.';

CREATE OR REPLACE FUNCTION runai.explain(subject text, resource text, action text, scope runai.scope)
RETURNS TABLE (allowed boolean, rule_id bigint, subject text, via_group text, role text,
               rule_scope runai.scope, reason text)
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.explain(p_subject text, p_resource text, p_action text, p_scope runai.scope)
RETURNS TABLE (allowed boolean, rule_id bigint, subject text, via_group text, role text,
               rule_scope runai.scope, reason text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  s text;
  kind text;
  nm text;
  act text;
  rt smallint;
  groups text[];
  searched text;
  found boolean := false;
  hidden bigint := 0;
  r record;
BEGIN
  PERFORM runai_internal.not_null(p_subject, 'subject');
  PERFORM runai_internal.not_null(p_resource, 'resource');
  PERFORM runai_internal.not_null(p_action, 'action');
  PERFORM runai_internal.not_null(p_scope, 'scope');
  s := runai_internal.normalize_subject(p_subject);
  kind := split_part(s, ':', 1);
  nm := substr(s, length(kind) + 2);
  act := runai_internal.action(p_action);
  rt := runai_internal.resource_type_id(p_resource);
  IF NOT (runai_internal.actor_superuser() OR runai_internal.actor_is(s)) THEN
    PERFORM runai_internal.require('access_rules', 'view', p_scope);
  END IF;
  IF kind = 'user' THEN
    SELECT array_agg(gm.group_name ORDER BY gm.group_name) INTO groups
      FROM runai_internal.group_members gm JOIN runai_internal.users u ON u.id = gm.user_id
     WHERE u.email = nm;
  END IF;
  FOR r IN
    SELECT ar.id, ar.subject_type, ar.subject AS rsubject, ro.name AS role_name, ar.scope AS rscope, a.depth
      FROM runai_internal.ancestors(p_scope) a
      JOIN runai_internal.access_rules ar ON ar.scope OPERATOR(pg_catalog.=) a.scope
      JOIN runai_internal.roles ro ON ro.id = ar.role_id
      JOIN runai_internal.role_permissions rp ON rp.role_id = ar.role_id AND rp.resource_type_id = rt
     WHERE runai.actionset_has(rp.actions, act)
       AND (ar.expires_at IS NULL OR ar.expires_at > statement_timestamp())
       AND ((ar.subject_type = kind AND ar.subject = nm)
            OR (kind = 'user' AND ar.subject_type = 'group' AND ar.subject = ANY (coalesce(groups, '{}'))))
     ORDER BY a.depth, ar.id
  LOOP
    found := true;
    -- only the rules the caller may view are listed; the others are counted
    IF NOT runai_internal.actor_can('access_rules', 'view', r.rscope) THEN
      hidden := hidden + 1;
      CONTINUE;
    END IF;
    allowed := true;
    rule_id := r.id;
    subject := s;
    via_group := CASE WHEN r.subject_type = 'group' AND kind = 'user' THEN r.rsubject END;
    role := r.role_name;
    rule_scope := r.rscope;
    reason := format('rule %s gives %s the role %s at %s, which grants %s on %s%s',
                     r.id, r.subject_type || ':' || r.rsubject, r.role_name, r.rscope, act, p_resource,
                     CASE WHEN r.depth > 0 THEN format(' at %s and every scope below it', r.rscope) ELSE '' END);
    RETURN NEXT;
  END LOOP;
  IF hidden > 0 THEN
    allowed := true;
    rule_id := NULL;
    subject := s;
    via_group := NULL;
    role := NULL;
    rule_scope := NULL;
    reason := format('%s more rule%s grant%s it at scopes where you may not view access rules',
                     hidden, CASE WHEN hidden = 1 THEN '' ELSE 's' END, CASE WHEN hidden = 1 THEN 's' ELSE '' END);
    RETURN NEXT;
  END IF;
  IF NOT found THEN
    SELECT string_agg(a.scope::text, ', ' ORDER BY a.depth) INTO searched FROM runai_internal.ancestors(p_scope) a;
    allowed := false;
    rule_id := NULL;
    subject := s;
    via_group := NULL;
    role := NULL;
    rule_scope := NULL;
    reason := format('no unexpired access rule of %s%s grants %s on %s at any of the scopes searched: %s',
                     s,
                     CASE WHEN kind <> 'user' THEN ''
                          WHEN groups IS NULL THEN ' (member of no group)'
                          ELSE format(' or of its groups (%s)', array_to_string(groups, ', ')) END,
                     act, p_resource, searched);
    RETURN NEXT;
  END IF;
END
$$;
COMMENT ON FUNCTION runai.explain(text, text, text, runai.scope) IS
  'Why the subject may or may not do it: every granting rule the caller may view (access_rules view at the rule''s scope), then one row with rule_id NULL whose reason counts the granting rules it may not view; or one row saying which scopes were searched. Needs: as has_permission.';

CREATE OR REPLACE FUNCTION runai.who_can(resource text, action text, scope runai.scope)
RETURNS TABLE (subject text, via_group text, role text, rule_id bigint, rule_scope runai.scope)
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.who_can(p_resource text, p_action text, p_scope runai.scope)
RETURNS TABLE (subject text, via_group text, role text, rule_id bigint, rule_scope runai.scope)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  act text;
  rt smallint;
BEGIN
  PERFORM runai_internal.not_null(p_resource, 'resource');
  PERFORM runai_internal.not_null(p_action, 'action');
  PERFORM runai_internal.not_null(p_scope, 'scope');
  act := runai_internal.action(p_action);
  rt := runai_internal.resource_type_id(p_resource);
  PERFORM runai_internal.require('access_rules', 'view', p_scope);
  -- Only the rules the caller may view (access_rules view at the rule's scope) are
  -- listed; the others are counted in one last row whose rule_id is NULL.
  RETURN QUERY
    WITH granting AS MATERIALIZED (
      SELECT ar.*, runai_internal.actor_can('access_rules', 'view', ar.scope) AS visible
        FROM runai_internal.ancestors(p_scope) a
        JOIN runai_internal.access_rules ar ON ar.scope OPERATOR(pg_catalog.=) a.scope
        JOIN runai_internal.role_permissions rp ON rp.role_id = ar.role_id AND rp.resource_type_id = rt
       WHERE runai.actionset_has(rp.actions, act)
         AND (ar.expires_at IS NULL OR ar.expires_at > statement_timestamp())
    )
    SELECT x.subject, x.via_group, x.role, x.rule_id, x.rule_scope FROM (
      SELECT g.subject_type || ':' || g.subject AS subject, NULL::text AS via_group, ro.name AS role,
             g.id AS rule_id, g.scope AS rule_scope
        FROM granting g JOIN runai_internal.roles ro ON ro.id = g.role_id
       WHERE g.visible
      UNION ALL
      SELECT 'user:' || u.email, g.subject, ro.name, g.id, g.scope
        FROM granting g JOIN runai_internal.roles ro ON ro.id = g.role_id
        JOIN runai_internal.group_members gm ON gm.group_name = g.subject
        JOIN runai_internal.users u ON u.id = gm.user_id
       WHERE g.subject_type = 'group' AND g.visible
      UNION ALL
      SELECT NULL, NULL,
             format('%s more rule%s at scopes where you may not view access rules', h.n,
                    CASE WHEN h.n = 1 THEN '' ELSE 's' END),
             NULL, NULL
        FROM (SELECT count(*) AS n FROM granting g WHERE NOT g.visible) h
       WHERE h.n > 0
    ) x
    ORDER BY x.rule_id IS NULL, 1, 4;
END
$$;
COMMENT ON FUNCTION runai.who_can(text, text, runai.scope) IS
  'Every subject that may do the action at the scope, with the rule that grants it (group members listed with via_group), for the rules the caller may view (access_rules view at the rule''s scope); when some granting rules are not shown, a last row with rule_id NULL and only role set says how many. Needs access_rules view at the scope.';

-- ---------------------------------------------------------------------------
-- Scopes
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runai.create_scope(type text, id text, name text, parent runai.scope) RETURNS runai.scope
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.create_scope(p_type text, p_id text, p_name text, p_parent runai.scope) RETURNS runai.scope
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s runai.scope;
  parent_type text;
BEGIN
  PERFORM runai_internal.not_null(p_type, 'type');
  PERFORM runai_internal.not_null(p_id, 'id');
  PERFORM runai_internal.not_null(p_name, 'name');
  PERFORM runai_internal.not_null(p_parent, 'parent');
  IF p_type NOT IN ('tenant', 'cluster', 'department', 'project') THEN
    RAISE EXCEPTION 'invalid scope type "%"', left(p_type, 100)
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'A new scope is a tenant, cluster, department or project; system exists already.',
            HINT = 'Use one of tenant, cluster, department or project.';
  END IF;
  IF length(p_name) NOT BETWEEN 1 AND 255 THEN
    RAISE EXCEPTION 'invalid scope name'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('A scope name has 1 to 255 characters; this one has %s.', length(p_name)),
            HINT = 'Give the scope a shorter, non-empty name.';
  END IF;
  -- a malformed id is a malformed scope: 22P02 with the type's detail and hint
  s := (p_type || '/' || p_id)::runai.scope;
  -- whether the parent exists is told only to a caller who may create such scopes somewhere
  PERFORM runai_internal.require_somewhere(p_type, 'create');
  PERFORM runai_internal.lock_scope(p_parent);
  parent_type := runai.scope_type(p_parent);
  IF runai_internal.scope_level(s) <> runai_internal.scope_level(p_parent) + 1 THEN
    RAISE EXCEPTION 'a % cannot be created under %', p_type, p_parent
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('The parent of a %s must be a %s, not a %s.', p_type,
                            (ARRAY['system','tenant','cluster','department'])[runai_internal.scope_level(s)], parent_type),
            HINT = 'Scopes nest as system > tenant > cluster > department > project.';
  END IF;
  PERFORM runai_internal.require(p_type, 'create', p_parent);
  IF EXISTS (SELECT 1 FROM runai_internal.scopes WHERE scope OPERATOR(pg_catalog.=) s) THEN
    RAISE EXCEPTION 'scope "%" already exists', s
      USING ERRCODE = 'unique_violation',
            DETAIL = format('Scope %s is in the tree already.', s),
            HINT = 'Choose another id, or rename the existing scope with runai.rename_scope.';
  END IF;
  INSERT INTO runai_internal.scopes (scope, parent, name, created_by)
  VALUES (s, p_parent, p_name, runai_internal.actor_name());
  PERFORM runai_internal.log_event('create', 'Succeeded', p_type, p_name, s::text,
                                   jsonb_build_object('parent', p_parent::text));
  RETURN s;
END
$$;
COMMENT ON FUNCTION runai.create_scope(text, text, text, runai.scope) IS
  'Creates a tenant, cluster, department or project under its parent and returns it. Needs create on that type at the parent (tenants: superuser or the extension owner).';

CREATE OR REPLACE FUNCTION runai.delete_scope(scope runai.scope) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.delete_scope(p_scope runai.scope) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  nm text;
  r record;
  nchildren bigint;
  used text;
BEGIN
  PERFORM runai_internal.not_null(p_scope, 'scope');
  IF p_scope OPERATOR(pg_catalog.=) 'system'::runai.scope THEN
    RAISE EXCEPTION 'the system scope cannot be deleted'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'system is the root of the scope tree.',
            HINT = 'Delete tenants and the scopes below them instead.';
  END IF;
  PERFORM runai_internal.require_somewhere(runai.scope_type(p_scope), 'delete');
  PERFORM runai_internal.scope_must_exist(p_scope);
  PERFORM runai_internal.require(runai.scope_type(p_scope), 'delete', p_scope);
  SELECT name INTO nm FROM runai_internal.scopes WHERE scope OPERATOR(pg_catalog.=) p_scope FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM runai_internal.scope_must_exist(p_scope);  -- deleted meanwhile: 42704
  END IF;
  SELECT count(*) INTO nchildren FROM runai_internal.scopes WHERE parent OPERATOR(pg_catalog.=) p_scope;
  IF nchildren > 0 THEN
    RAISE EXCEPTION 'scope "%" has % child scope(s)', p_scope, nchildren
      USING ERRCODE = 'dependent_objects_still_exist',
            DETAIL = 'A scope with children cannot be deleted.',
            HINT = 'Delete its children first (SELECT scope FROM runai.scopes_table WHERE parent = ''' || p_scope::text || ''').';
  END IF;
  -- Rows of protected tables at the scope would be handed to whoever creates a
  -- scope of that name again.  protected_rows locks each table against writes
  -- until the end of this transaction and counts with a snapshot taken after the
  -- lock (src/protected.c); the tables are locked in OID order.
  SELECT string_agg(format('%s (%s row%s)', t.tbl, t.n, CASE WHEN t.n = 1 THEN '' ELSE 's' END), ', '
                    ORDER BY t.tbl::text)
    INTO used
    FROM (SELECT p.tbl, runai_internal.protected_rows(p.tbl, p_scope) AS n
            FROM runai_internal.protected_tables p ORDER BY p.tbl::oid OFFSET 0) t
   WHERE t.n > 0;
  IF used IS NOT NULL THEN
    RAISE EXCEPTION 'scope "%" still has rows in protected tables', p_scope
      USING ERRCODE = 'dependent_objects_still_exist',
            DETAIL = format('Rows at %s: %s. A scope created again with this name would give them to its new subjects.', p_scope, used),
            HINT = 'Delete those rows or move them to another scope first, then delete the scope.';
  END IF;
  PERFORM runai_internal.serialise_admin_changes();
  FOR r IN DELETE FROM runai_internal.access_rules WHERE scope OPERATOR(pg_catalog.=) p_scope
           RETURNING id, subject_type, subject, role_id LOOP
    PERFORM runai_internal.log_event('delete', 'Succeeded', 'access_rules',
                                     (SELECT name FROM runai_internal.roles WHERE id = r.role_id) || ' @ ' || p_scope::text,
                                     r.id::text,
                                     jsonb_build_object('subject', r.subject_type || ':' || r.subject,
                                                        'reason', 'scope deleted'));
  END LOOP;
  DELETE FROM runai_internal.scopes WHERE scope OPERATOR(pg_catalog.=) p_scope;
  PERFORM runai_internal.log_event('delete', 'Succeeded', runai.scope_type(p_scope), nm, p_scope::text);
END
$$;
COMMENT ON FUNCTION runai.delete_scope(runai.scope) IS
  'Deletes a scope without children and without rows in protected tables, and its access rules (each recorded). Needs delete on the scope''s type at the scope.';

CREATE OR REPLACE FUNCTION runai.rename_scope(scope runai.scope, name text) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.rename_scope(p_scope runai.scope, p_name text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE old text;
BEGIN
  PERFORM runai_internal.not_null(p_scope, 'scope');
  PERFORM runai_internal.not_null(p_name, 'name');
  IF length(p_name) NOT BETWEEN 1 AND 255 THEN
    RAISE EXCEPTION 'invalid scope name'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('A scope name has 1 to 255 characters; this one has %s.', length(p_name)),
            HINT = 'Give the scope a shorter, non-empty name.';
  END IF;
  IF p_scope OPERATOR(pg_catalog.<>) 'system'::runai.scope THEN
    PERFORM runai_internal.require_somewhere(runai.scope_type(p_scope), 'edit');
  END IF;
  PERFORM runai_internal.scope_must_exist(p_scope);
  IF p_scope OPERATOR(pg_catalog.=) 'system'::runai.scope THEN
    IF NOT runai_internal.actor_superuser() THEN
      RAISE EXCEPTION 'permission denied: only a superuser may rename the system scope'
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = 'No role grants changes to the root of the scope tree.',
              HINT = 'Ask a database superuser.';
    END IF;
  ELSE
    PERFORM runai_internal.require(runai.scope_type(p_scope), 'edit', p_scope);
  END IF;
  UPDATE runai_internal.scopes SET name = p_name, updated_at = now()
   WHERE scope OPERATOR(pg_catalog.=) p_scope RETURNING (SELECT name FROM runai_internal.scopes WHERE scope OPERATOR(pg_catalog.=) p_scope) INTO old;
  PERFORM runai_internal.log_event('update', 'Succeeded', runai.scope_type(p_scope), p_name, p_scope::text,
                                   jsonb_build_object('old_name', old));
END
$$;
COMMENT ON FUNCTION runai.rename_scope(runai.scope, text) IS
  'Renames a scope. Needs edit on the scope''s type at the scope.';

-- ---------------------------------------------------------------------------
-- Access rules
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runai.add_access_rule(subject_type text, subject text, role text, scope runai.scope,
                                                 expires_at timestamptz DEFAULT NULL) RETURNS bigint
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.add_access_rule(p_subject_type text, p_subject text, p_role text,
                                                          p_scope runai.scope, p_expires_at timestamptz) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  nm text;
  rid smallint;
  rname text;
  wide boolean;
  existing bigint;
  missing text;
  new_id bigint;
BEGIN
  -- one test on the usual path instead of four statements
  IF p_subject_type IS NULL OR p_subject IS NULL OR p_role IS NULL OR p_scope IS NULL THEN
    PERFORM runai_internal.not_null(p_subject_type, 'subject_type');
    PERFORM runai_internal.not_null(p_subject, 'subject');
    PERFORM runai_internal.not_null(p_role, 'role');
    PERFORM runai_internal.not_null(p_scope, 'scope');
  END IF;
  IF p_subject_type NOT IN ('user', 'group', 'app') THEN
    RAISE EXCEPTION 'invalid subject type "%"', left(p_subject_type, 100)
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'An access rule is for a user, a group or an app.',
            HINT = 'Use user, group or app.';
  END IF;
  nm := p_subject;
  IF starts_with(nm, p_subject_type || ':') THEN
    nm := substr(nm, length(p_subject_type) + 2);
  END IF;
  IF p_subject_type = 'user' THEN
    nm := runai_internal.email(nm, 'subject');
  ELSIF length(nm) NOT BETWEEN 1 AND 255 THEN
    RAISE EXCEPTION 'invalid % name', p_subject_type
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('A %s name has 1 to 255 characters; this one has %s.', p_subject_type, length(nm)),
            HINT = 'Pass the name as the identity provider or runai.create_application knows it.';
  END IF;
  -- whether an application, role or scope exists is told only to a caller who
  -- may add rules somewhere
  PERFORM runai_internal.require_somewhere('access_rules', 'create');
  IF p_subject_type = 'app' THEN
    -- kept until the end of the transaction: runai.delete_application waits, then
    -- deletes this rule with the others
    PERFORM 1 FROM runai_internal.applications WHERE name = nm FOR KEY SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'application "%" does not exist', left(nm, 100)
        USING ERRCODE = 'undefined_object',
              DETAIL = 'Access rules can only be given to existing applications; it may also have been deleted by a transaction that committed meanwhile.',
              HINT = 'Create it first with runai.create_application(name).';
    END IF;
  END IF;
  SELECT id, name, tenant_wide INTO rid, rname, wide FROM runai_internal.roles WHERE lower(name) = lower(p_role);
  IF rid IS NULL THEN
    RAISE EXCEPTION 'role "%" does not exist', left(p_role, 100)
      USING ERRCODE = 'undefined_object',
            DETAIL = 'Access rules use one of the 18 predefined roles; names are matched without regard to letter case.',
            HINT = 'SELECT role FROM runai.roles_table lists them.';
  END IF;
  -- runai_internal.lock_scope's statement, inline; it raises the error
  PERFORM 1 FROM runai_internal.scopes WHERE scope OPERATOR(pg_catalog.=) p_scope FOR KEY SHARE;
  IF NOT FOUND THEN
    PERFORM runai_internal.lock_scope(p_scope);
  END IF;
  IF wide AND runai.scope_type(p_scope) NOT IN ('system', 'tenant') THEN
    RAISE EXCEPTION 'role "%" can only be given at the system or a tenant scope', rname
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('%s is a tenant-wide role; %s is a %s.', rname, p_scope, runai.scope_type(p_scope)),
            HINT = 'Give the rule at system or at the tenant.';
  END IF;
  IF p_expires_at IS NOT NULL AND p_expires_at <= statement_timestamp() THEN
    RAISE EXCEPTION 'expires_at is in the past'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('expires_at was %s; the rule would never grant anything.', p_expires_at),
            HINT = 'Pass a future time, or NULL for a rule that does not expire.';
  END IF;
  PERFORM runai_internal.require('access_rules', 'create', p_scope);
  IF NOT runai_internal.actor_holds_role(rid, p_scope) THEN
    SELECT string_agg(format('%s %s', t.name, a.act), ', ' ORDER BY t.id, a.ord) INTO missing
      FROM runai_internal.role_permissions rp
      JOIN runai.resource_types t ON t.id = rp.resource_type_id
      CROSS JOIN LATERAL (VALUES (1, 'view'), (2, 'edit'), (3, 'create'), (4, 'delete')) a(ord, act)
     WHERE rp.role_id = rid AND runai.actionset_has(rp.actions, a.act)
       AND NOT runai_internal.actor_can(t.name, a.act, p_scope);
    RAISE EXCEPTION 'permission denied: % may not grant the role % at %',
                    coalesce(runai_internal.actor(), runai_internal.actor_name()), rname, p_scope
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('Nobody grants more than they hold: the role grants permissions the caller lacks at %s: %s.', p_scope, missing),
            HINT = 'Grant a role whose permissions you hold, or ask an administrator who holds this one.';
  END IF;
  -- nobody grants longer than they hold
  PERFORM runai_internal.require_grant_within(rid, p_scope, p_expires_at);
  -- a caller judging its dominance over this subject sees the rule, or waits for it
  PERFORM runai_internal.subject_lock(p_subject_type || ':' || nm);
  -- A duplicate is found by the unique index itself (no plan to choose, and a rule
  -- inserted meanwhile by another transaction is waited for, then found).
  INSERT INTO runai_internal.access_rules (subject_type, subject, role_id, scope, created_by, expires_at)
  VALUES (p_subject_type, nm, rid, p_scope, runai_internal.actor_name(), p_expires_at)
  ON CONFLICT (subject_type, subject, role_id, scope) DO NOTHING
  RETURNING id INTO new_id;
  IF new_id IS NULL THEN
    SELECT id INTO existing FROM runai_internal.access_rules
     WHERE subject_type = p_subject_type AND subject = nm AND role_id = rid AND scope OPERATOR(pg_catalog.=) p_scope;
    RAISE EXCEPTION 'access rule already exists'
      USING ERRCODE = 'unique_violation',
            DETAIL = format('Rule %s already gives %s:%s the role %s at %s.', existing, p_subject_type, nm, rname, p_scope),
            HINT = 'Rules cannot be edited: delete the existing rule with runai.delete_access_rule and add it again to change its expiry.';
  END IF;
  -- Only now, to a caller allowed to add the rule: a user's existence is not
  -- revealed to anyone else.
  IF p_subject_type = 'user' AND NOT EXISTS (SELECT 1 FROM runai_internal.users WHERE email = nm) THEN
    RAISE NOTICE 'user "%" does not exist yet: the rule applies from its first sign-in', nm
      USING DETAIL = 'Rules may name an SSO user before its first sign-in, or a local user before it is created.',
            HINT = 'Check the spelling of the email if the user should exist already.';
  END IF;
  PERFORM runai_internal.log_event('create', 'Succeeded', 'access_rules', rname || ' @ ' || p_scope::text, new_id::text,
                                   jsonb_build_object('subject', p_subject_type || ':' || nm, 'role', rname,
                                                      'scope', p_scope::text, 'expires_at', p_expires_at));
  RETURN new_id;
END
$$;
COMMENT ON FUNCTION runai.add_access_rule(text, text, text, runai.scope, timestamptz) IS
  'Gives a user, group or app a role at a scope (and every scope below it), optionally until expires_at; returns the rule id. The role is one of runai.roles_table, matched case-insensitively. A user that does not exist yet gets the rule from its first sign-in (a NOTICE says so); an application must exist (42704). Needs access_rules create at the scope, and the caller must hold every permission of the role there; when what it needs comes from rules that expire, the new rule must expire no later (42501 says until when).';

CREATE OR REPLACE FUNCTION runai.delete_access_rule(id bigint) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.delete_access_rule(p_id bigint) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE r record;
BEGIN
  PERFORM runai_internal.not_null(p_id, 'id');
  -- whether a rule exists is told only to a caller who may delete rules somewhere
  PERFORM runai_internal.require_somewhere('access_rules', 'delete');
  SELECT ar.*, ro.name AS role_name INTO r
    FROM runai_internal.access_rules ar JOIN runai_internal.roles ro ON ro.id = ar.role_id WHERE ar.id = p_id
     FOR UPDATE OF ar;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'access rule % does not exist', p_id
      USING ERRCODE = 'undefined_object',
            DETAIL = 'No access rule has this id; it may have been deleted already.',
            HINT = 'SELECT id FROM runai.access_rules_table lists the rules you may see.';
  END IF;
  PERFORM runai_internal.require('access_rules', 'delete', r.scope);
  PERFORM runai_internal.serialise_admin_changes();
  DELETE FROM runai_internal.access_rules WHERE id = p_id;
  PERFORM runai_internal.log_event('delete', 'Succeeded', 'access_rules', r.role_name || ' @ ' || r.scope::text, p_id::text,
                                   jsonb_build_object('subject', r.subject_type || ':' || r.subject, 'role', r.role_name,
                                                      'scope', r.scope::text));
END
$$;
COMMENT ON FUNCTION runai.delete_access_rule(bigint) IS
  'Deletes an access rule. Needs access_rules delete at the rule''s scope.';

-- Rules are never updated: an UPDATE of runai_internal.access_rules is refused, whoever tries.
CREATE OR REPLACE FUNCTION runai_internal.refuse_rule_update() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RAISE EXCEPTION 'access rules cannot be updated'
    USING ERRCODE = 'feature_not_supported',
          DETAIL = format('Rule %s was not changed.', OLD.id),
          HINT = 'Delete the rule with runai.delete_access_rule and add a new one with runai.add_access_rule.';
END
$$;
COMMENT ON FUNCTION runai_internal.refuse_rule_update() IS 'Trigger: access rules are never updated.';
CREATE OR REPLACE TRIGGER refuse_update BEFORE UPDATE ON runai_internal.access_rules
  FOR EACH ROW EXECUTE FUNCTION runai_internal.refuse_rule_update();
ALTER TABLE runai_internal.access_rules ENABLE ALWAYS TRIGGER refuse_update;

-- ---------------------------------------------------------------------------
-- Groups and database role bindings
-- ---------------------------------------------------------------------------

-- 42704 unless the user exists; returns its id.
CREATE OR REPLACE FUNCTION runai_internal.user_id(p_email text) RETURNS uuid
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE uid uuid;
BEGIN
  SELECT id INTO uid FROM runai_internal.users WHERE email = runai_internal.email(p_email);
  IF uid IS NULL THEN
    RAISE EXCEPTION 'user "%" does not exist', left(p_email, 100)
      USING ERRCODE = 'undefined_object',
            DETAIL = 'No local or SSO user has this email.',
            HINT = 'Create local users with runai.create_local_user; SSO users appear at their first sign-in.';
  END IF;
  RETURN uid;
END
$$;
COMMENT ON FUNCTION runai_internal.user_id(text) IS 'Id of the user with this email (ASCII letters in any case); 42704 if none.';

-- Like user_id, and locks the user's row until the end of the transaction: KEY
-- SHARE keeps it from being deleted before the group memberships or the binding
-- that name it are inserted; UPDATE (p_update) also from being changed.  Against
-- a concurrent runai.delete_user that committed first: 42704 under READ COMMITTED
-- (the row is gone), 40001 under REPEATABLE READ or SERIALIZABLE (retry).
CREATE OR REPLACE FUNCTION runai_internal.lock_user(p_email text, p_update boolean DEFAULT false) RETURNS uuid
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE uid uuid;
BEGIN
  IF p_update THEN
    SELECT id INTO uid FROM runai_internal.users WHERE email = runai_internal.email(p_email) FOR UPDATE;
  ELSE
    SELECT id INTO uid FROM runai_internal.users WHERE email = runai_internal.email(p_email) FOR KEY SHARE;
  END IF;
  IF uid IS NULL THEN
    RAISE EXCEPTION 'user "%" does not exist', left(p_email, 100)
      USING ERRCODE = 'undefined_object',
            DETAIL = 'No local or SSO user has this email; it may also have been deleted by a transaction that committed meanwhile.',
            HINT = 'Create local users with runai.create_local_user; SSO users appear at their first sign-in.';
  END IF;
  RETURN uid;
END
$$;
COMMENT ON FUNCTION runai_internal.lock_user(text, boolean) IS
  'Id of the user with this email, its row locked until the end of the transaction (KEY SHARE, or UPDATE); 42704 if none.';

-- Removes the bindings whose database role no longer exists under the name it was
-- bound with (dropped in another database, or its OID given to a new role), each
-- recorded, and returns their role OIDs; the cache ignores them meanwhile
-- (src/bindings.h).  On a Citus cluster, where each node finds the role by its
-- name (OIDs differ from node to node), those whose name no role has any more.
CREATE OR REPLACE FUNCTION runai_internal.forget_stale_bindings() RETURNS oid[]
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r record;
  gone oid[] := '{}';
  by_name boolean := runai_internal.catalog_distributed();
  stale_oids oid[];
  stale_names text[];
BEGIN
  -- Found on this node first.  On a cluster they are removed by name: a reference
  -- table's DELETE runs on every node, whose OIDs are not this node's.
  SELECT coalesce(array_agg(b.db_role::oid), '{}'), coalesce(array_agg(b.db_role_name), '{}')
    INTO stale_oids, stale_names
    FROM runai_internal.db_role_bindings b
   WHERE NOT EXISTS (SELECT 1 FROM pg_roles ro WHERE ro.rolname = b.db_role_name
                                                AND (by_name OR ro.oid = b.db_role::oid));
  IF pg_catalog.cardinality(stale_oids) = 0 THEN
    RETURN gone;
  END IF;
  FOR r IN
    DELETE FROM runai_internal.db_role_bindings b
     WHERE CASE WHEN by_name THEN b.db_role_name = ANY (stale_names) ELSE b.db_role::oid = ANY (stale_oids) END
    RETURNING b.db_role::oid AS role_oid, b.db_role_name, b.user_id
  LOOP
    PERFORM runai_internal.log_event('update', 'Succeeded', 'users',
                                     (SELECT email FROM runai_internal.users WHERE id = r.user_id), r.user_id::text,
                                     jsonb_build_object('unbound_db_role', r.db_role_name,
                                                        'reason', 'database role dropped or replaced'));
    gone := gone || r.role_oid;
  END LOOP;
  RETURN gone;
END
$$;
COMMENT ON FUNCTION runai_internal.forget_stale_bindings() IS
  'Removes (and records) the bindings whose database role no longer exists under the name it was bound with.';

CREATE OR REPLACE FUNCTION runai.set_user_groups(email text, groups text[]) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.set_user_groups(p_email text, p_groups text[]) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  e text;
  uid uuid;
BEGIN
  e := runai_internal.email(p_email);
  PERFORM runai_internal.group_names(p_groups);
  PERFORM runai_internal.require_tenant_wide('users', 'edit');  -- first: 42704 tells only those who may see users
  uid := runai_internal.lock_user(e);
  -- Acting on a user needs dominance over it; joining a group gives the group's
  -- rules, so the rules of the groups given count too, and, in time, a rule of the
  -- caller that expires earlier than a group's rule does not cover it.
  PERFORM runai_internal.require_dominates('user:' || e, p_groups);
  DELETE FROM runai_internal.group_members WHERE user_id = uid;
  INSERT INTO runai_internal.group_members (user_id, group_name)
  SELECT DISTINCT uid, g FROM unnest(p_groups) g;
  PERFORM runai_internal.log_event('update', 'Succeeded', 'users', e, uid::text,
                                   jsonb_build_object('groups', to_jsonb(p_groups)));
END
$$;
COMMENT ON FUNCTION runai.set_user_groups(text, text[]) IS
  'Replaces the SSO groups a user belongs to (SSO sign-in does this too). Needs users edit at system or a tenant, and dominance: the caller holds every permission of the user''s rules, of its groups'' rules and of the rules of the groups given, at their scopes and for as long.';

CREATE OR REPLACE FUNCTION runai.bind_db_role(email text, role regrole) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.bind_db_role(p_email text, p_role regrole) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  e text;
  uid uuid;
  other uuid;
  nm text;
BEGIN
  e := runai_internal.email(p_email);
  PERFORM runai_internal.not_null(p_role, 'role');
  PERFORM runai_internal.require_tenant_wide('users', 'edit');  -- first: 42704 tells only those who may see users
  -- what may be bound, and whether the caller's database role controls it
  PERFORM runai_internal.check_bindable(p_role);
  uid := runai_internal.lock_user(e);
  -- The role gets the user's permissions: the caller must dominate the user.
  PERFORM runai_internal.require_dominates('user:' || e);
  PERFORM runai_internal.forget_stale_bindings();
  SELECT user_id INTO other FROM runai_internal.db_role_bindings WHERE db_role = p_role FOR UPDATE;
  IF other = uid THEN
    RETURN;
  ELSIF other IS NOT NULL THEN
    RAISE EXCEPTION 'database role % is bound to another user', p_role
      USING ERRCODE = 'unique_violation',
            DETAIL = format('Role %s acts as %s.', p_role, (SELECT email FROM runai_internal.users WHERE id = other)),
            HINT = 'Unbind it first with runai.unbind_db_role(role).';
  END IF;
  -- the name first: Citus allows no subquery in an INSERT into a reference table
  nm := (SELECT rolname FROM pg_roles WHERE oid = p_role::oid);
  INSERT INTO runai_internal.db_role_bindings (db_role, db_role_name, user_id, created_by)
  VALUES (p_role, nm, uid, runai_internal.actor_name());
  PERFORM runai_internal.log_event('update', 'Succeeded', 'users', e, uid::text,
                                   jsonb_build_object('bound_db_role', p_role::text));
END
$$;
COMMENT ON FUNCTION runai.bind_db_role(text, regrole) IS
  'Makes a database role act as a Run:ai user: a session whose current role is this role has that user''s permissions. The role must not be a superuser, BYPASSRLS, CREATEROLE, a member of another role, granted to another role or the extension''s owner (22023); the caller''s database role must control it (superuser, CREATEROLE or ADMIN OPTION) and may not bind itself (42501). Needs users edit at system or a tenant, and dominance over the user.';

CREATE OR REPLACE FUNCTION runai.unbind_db_role(role regrole) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.unbind_db_role(p_role regrole) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  uid uuid;
  e text;
  nm text;
BEGIN
  PERFORM runai_internal.not_null(p_role, 'role');
  PERFORM runai_internal.require_tenant_wide('users', 'edit');
  IF p_role::oid = ANY (runai_internal.forget_stale_bindings()) THEN
    RETURN;   -- it was bound under another name: removed (and recorded) as stale
  END IF;
  SELECT b.user_id, u.email INTO uid, e
    FROM runai_internal.db_role_bindings b JOIN runai_internal.users u ON u.id = b.user_id
   WHERE b.db_role = p_role FOR UPDATE OF b;
  IF uid IS NULL THEN
    RAISE EXCEPTION 'database role % is not bound to a user', p_role
      USING ERRCODE = 'undefined_object',
            DETAIL = 'There is no binding to remove.',
            HINT = 'A role that is not bound acts as no Run:ai user, so there is nothing to undo; runai.event_history records every binding (details->>''bound_db_role'').';
  END IF;
  -- It changes what the role acts as: dominance over the user it acts as.
  PERFORM runai_internal.require_dominates('user:' || e);
  -- by name too: on a Citus node the row may hold another node's OID of the role
  nm := (SELECT rolname FROM pg_roles WHERE oid = p_role::oid);
  DELETE FROM runai_internal.db_role_bindings WHERE db_role = p_role OR db_role_name = nm;
  PERFORM runai_internal.log_event('update', 'Succeeded', 'users', e, uid::text,
                                   jsonb_build_object('unbound_db_role', p_role::text));
END
$$;
COMMENT ON FUNCTION runai.unbind_db_role(regrole) IS
  'Stops a database role acting as a Run:ai user. Needs users edit at system or a tenant, and dominance over the user it acts as.';
