-- Guards, created last: the event trigger below would otherwise fire on the
-- extension script's own ALTER TABLE statements before every trigger exists.

-- The extension's triggers keep every backend's cache and the catalog's rules correct;
-- disabling, dropping or renaming one would let stale permissions stand, so any
-- ALTER TABLE, ALTER TRIGGER or DROP TRIGGER that leaves one of them missing or not
-- ENABLE ALWAYS is refused.
CREATE FUNCTION runai._guard_triggers() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE bad text;
BEGIN
  SELECT string_agg(format('%s on runai.%s', e.tg, e.tbl), ', ') INTO bad
    FROM (VALUES ('invalidate', 'scopes'), ('invalidate', 'access_rules'), ('invalidate', 'users'),
                 ('invalidate', 'group_members'), ('invalidate', 'db_role_bindings'),
                 ('invalidate', 'applications'), ('refuse_update', 'access_rules'),
                 ('append_only', 'events'), ('append_only_truncate', 'events'),
                 ('refuse_change', 'roles'), ('refuse_truncate', 'roles'),
                 ('refuse_change', 'role_permissions'), ('refuse_truncate', 'role_permissions'),
                 ('refuse_change', 'resource_types'), ('refuse_truncate', 'resource_types'),
                 ('refuse_change', 'workload_kinds'), ('refuse_truncate', 'workload_kinds'),
                 ('invalidate', 'sessions'),
                 ('keep_last_admin', 'access_rules'), ('keep_last_admin', 'users'),
                 ('keep_last_admin_truncate', 'access_rules'), ('keep_last_admin_truncate', 'users')) e(tg, tbl)
   WHERE NOT EXISTS (SELECT 1 FROM pg_trigger t
                      WHERE t.tgrelid = format('runai.%I', e.tbl)::regclass
                        AND t.tgname = e.tg AND t.tgenabled = 'A');
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'the triggers of runai_rbac cannot be disabled or dropped'
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('This change would leave %s missing or not always enabled.', bad),
            HINT = 'They keep every session''s permission cache and the catalog''s rules correct; drop the extension instead.';
  END IF;
END
$$;
COMMENT ON FUNCTION runai._guard_triggers() IS 'Event trigger: refuses DDL that disables or drops the extension''s triggers.';
CREATE EVENT TRIGGER runai_rbac_guard_triggers ON ddl_command_end
  WHEN TAG IN ('ALTER TABLE', 'ALTER TRIGGER', 'DROP TRIGGER')
  EXECUTE FUNCTION runai._guard_triggers();
-- Also under session_replication_role = replica, where an event trigger that is
-- merely enabled does not fire.
ALTER EVENT TRIGGER runai_rbac_guard_triggers ENABLE ALWAYS;

-- Internal functions (a leading underscore) are the owner's alone, whichever part
-- defined them.  The public API stays executable by PUBLIC: it checks the caller's
-- permissions itself.
DO $$
DECLARE f regprocedure;
BEGIN
  FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
            WHERE p.pronamespace = 'runai'::regnamespace AND p.proname LIKE '\_%' LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
  END LOOP;
END
$$;
