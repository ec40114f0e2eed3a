-- Code: the guard of the extension's triggers, created after every trigger: the
-- event trigger below would otherwise fire on the install script's own ALTER TABLE
-- statements before every trigger exists.  Replaying this part replaces the guard's function and
-- keeps the event trigger (CREATE EVENT TRIGGER has no OR REPLACE).

-- The extension's triggers keep every backend's cache and the catalog's rules correct;
-- disabling, dropping or renaming one would let stale permissions stand, so any
-- ALTER TABLE, ALTER TRIGGER or DROP TRIGGER that leaves one of them missing or not
-- ENABLE ALWAYS is refused.  The one exception: while runai.distribute_catalog
-- makes the tables Citus reference tables, the row triggers that would refuse
-- Citus's own copy of the rows into the new placements (refuse_change,
-- restore_system) may be disabled; it enables them again before it returns.
CREATE OR REPLACE FUNCTION runai_internal.guard_triggers() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  bad text;
  distributing boolean := false;
BEGIN
  -- Asked only when one of the triggers is not ENABLE ALWAYS, which only the
  -- extension's owner or a superuser can cause: runai_internal.distributing is not
  -- executable by the ordinary roles whose own DDL this guard also sees.
  IF EXISTS (SELECT 1 FROM pg_trigger t
              WHERE t.tgrelid IN (SELECT c.oid FROM pg_class c
                                   WHERE c.relnamespace IN ('runai'::regnamespace, 'runai_internal'::regnamespace))
                AND t.tgname IN ('refuse_change', 'restore_system') AND t.tgenabled <> 'A') THEN
    distributing := runai_internal.distributing();
  END IF;
  SELECT string_agg(format('%s on %s', e.tg, e.tbl), ', ') INTO bad
    FROM (VALUES ('invalidate', 'runai_internal.scopes', false), ('invalidate', 'runai_internal.access_rules', false),
                 ('invalidate', 'runai_internal.users', false), ('invalidate', 'runai_internal.group_members', false),
                 ('invalidate', 'runai_internal.db_role_bindings', false), ('invalidate', 'runai_internal.applications', false),
                 ('invalidate', 'runai_internal.sessions', false),
                 ('scope_tree', 'runai_internal.scopes', false), ('scope_tree_truncate', 'runai_internal.scopes', false),
                 ('refuse_update', 'runai_internal.access_rules', false),
                 ('append_only', 'runai_internal.events', false), ('append_only_truncate', 'runai_internal.events', false),
                 ('refuse_change', 'runai_internal.roles', true), ('refuse_truncate', 'runai_internal.roles', false),
                 ('refuse_change', 'runai_internal.role_permissions', true), ('refuse_truncate', 'runai_internal.role_permissions', false),
                 ('refuse_change', 'runai.resource_types', true), ('refuse_truncate', 'runai.resource_types', false),
                 ('refuse_change', 'runai.workload_kinds', true), ('refuse_truncate', 'runai.workload_kinds', false),
                 ('restore_system', 'runai_internal.scopes', true),
                 ('keep_last_admin', 'runai_internal.access_rules', false), ('keep_last_admin', 'runai_internal.users', false),
                 ('keep_last_admin_truncate', 'runai_internal.access_rules', false),
                 ('keep_last_admin_truncate', 'runai_internal.users', false)) e(tg, tbl, pausable)
   WHERE NOT EXISTS (SELECT 1 FROM pg_trigger t
                      WHERE t.tgrelid = to_regclass(e.tbl)
                        AND t.tgname = e.tg
                        AND (t.tgenabled = 'A' OR (e.pausable AND distributing)));
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'the triggers of runai_rbac cannot be disabled or dropped'
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('This change would leave %s missing or not always enabled.', bad),
            HINT = 'They keep every session''s permission cache and the catalog''s rules correct; drop the extension instead.';
  END IF;
END
$$;
COMMENT ON FUNCTION runai_internal.guard_triggers() IS 'Event trigger: refuses DDL that disables or drops the extension''s triggers.';

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'runai_rbac_guard_triggers') THEN
    CREATE EVENT TRIGGER runai_rbac_guard_triggers ON ddl_command_end
      WHEN TAG IN ('ALTER TABLE', 'ALTER TRIGGER', 'DROP TRIGGER')
      EXECUTE FUNCTION runai_internal.guard_triggers();
  END IF;
END
$$;
-- Also under session_replication_role = replica, where an event trigger that is
-- merely enabled does not fire.
ALTER EVENT TRIGGER runai_rbac_guard_triggers ENABLE ALWAYS;

-- A dropped table leaves runai_internal.protected_tables with it (DROP TABLE, DROP
-- SCHEMA ... CASCADE, DROP OWNED: every drop of a table).  SECURITY DEFINER: the
-- table's owner who drops it may not write the registry; an event trigger
-- function cannot be called directly.
CREATE OR REPLACE FUNCTION runai_internal.forget_dropped_tables() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM runai_internal.protected_tables t
   WHERE t.tbl::oid IN (SELECT d.objid FROM pg_event_trigger_dropped_objects() d
                         WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0);
END
$$;
COMMENT ON FUNCTION runai_internal.forget_dropped_tables() IS
  'Event trigger: forgets the dropped tables that runai.protect had protected.';

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'runai_rbac_forget_dropped_tables') THEN
    CREATE EVENT TRIGGER runai_rbac_forget_dropped_tables ON sql_drop
      WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED')
      EXECUTE FUNCTION runai_internal.forget_dropped_tables();
  END IF;
END
$$;
ALTER EVENT TRIGGER runai_rbac_forget_dropped_tables ENABLE ALWAYS;
