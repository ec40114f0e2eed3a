-- Code: running on a Citus cluster (SPEC section 8, README "Running on Citus").
--
-- runai.distribute_catalog(), run once on the coordinator, makes every table of
-- the catalog a Citus reference table -- one copy, a "placement", on every node,
-- written by the coordinator with two-phase commit -- and, unless told not to,
-- distributes runai.workloads by its project.  Without Citus nothing here runs:
-- the install script is the same for one server and for every node of a
-- cluster (Citus runs CREATE EXTENSION on each worker), which is why this is a
-- function and not part of the install.
--
-- What the conversion has to work around (the report of the experiments on a
-- Citus 13 cluster is the source of each point):
--  - create_reference_table refuses tables with triggers unless
--    citus.enable_unsafe_triggers is on; it then copies each trigger onto every
--    placement, in the state it has at that moment, and copies the rows after
--    creating the triggers.  So the row triggers that would refuse that copy
--    (refuse_change of the predefined tables, restore_system of the scopes) are
--    disabled during it and enabled ALWAYS again afterwards (Citus carries that
--    to the placements); the guard event trigger allows exactly that, and only
--    inside this function.  Every other trigger keeps ENABLE ALWAYS.
--  - A foreign key from a table that is not yet a reference table to one that is
--    makes Citus convert the whole graph of tables at once, which fails on the
--    extension's dependent objects.  So every foreign key among the tables is
--    dropped first and added again at the end (Citus adds it to every placement);
--    each worker's own copy of a table, made by its own CREATE EXTENSION, becomes
--    Citus's shell there and loses its foreign keys too (the DROP ... IF EXISTS
--    after the conversion reaches the workers).
--  - The coordinator's own copy of each table becomes its shell: emptied with
--    truncate_local_data_after_distributing_table, which the TRUNCATE triggers
--    allow only inside this function.
--  - runai.workloads can only be distributed by project with a primary key that
--    includes it: (project, id) from then on.
-- All of it is one transaction: the catalog is distributed on every node or on
-- none.

-- ---------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runai_internal.catalog_distributed() RETURNS boolean
AS 'MODULE_PATHNAME', 'rbac_catalog_distributed_sql' LANGUAGE C STABLE;
COMMENT ON FUNCTION runai_internal.catalog_distributed() IS
  'Internal: are the tables of the catalog Citus reference tables (runai.distribute_catalog)?';

CREATE OR REPLACE FUNCTION runai_internal.remote_shard_write(rel pg_catalog.regclass, logical pg_catalog.regclass)
RETURNS boolean
AS 'MODULE_PATHNAME', 'rbac_remote_shard_write_sql' LANGUAGE C STABLE;
COMMENT ON FUNCTION runai_internal.remote_shard_write(pg_catalog.regclass, pg_catalog.regclass) IS
  'Internal, for triggers: is rel a Citus placement of logical, written for a distributed transaction that another node started (which checks the change on its own placement)?';

-- Is the body of runai.distribute_catalog running (in this backend)?
CREATE OR REPLACE FUNCTION runai_internal.distributing() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce(runai_internal.actor_function()
                  OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure('runai.distribute_catalog(boolean)')::pg_catalog.oid,
                  false)
$$;
COMMENT ON FUNCTION runai_internal.distributing() IS
  'Internal: is runai.distribute_catalog running in this backend? (The triggers and the guard allow it what they refuse to everyone else.)';

-- ---------------------------------------------------------------------------
-- runai.distribute_catalog
-- ---------------------------------------------------------------------------

-- The conversion; returns what it did ({catalog, workloads}).  Citus's own
-- notices (the copies of the rows, the constraints the workers' shells no longer
-- have) are not shown.
CREATE OR REPLACE FUNCTION runai_internal.distribute_tables(p_workloads boolean, OUT did_catalog boolean,
                                                            OUT did_workloads boolean)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET client_min_messages = warning AS $$
DECLARE
  tables pg_catalog.regclass[] := ARRAY['runai.resource_types', 'runai_internal.roles', 'runai_internal.role_permissions',
                                        'runai.workload_kinds', 'runai_internal.scopes', 'runai_internal.users',
                                        'runai_internal.group_members', 'runai_internal.applications',
                                        'runai_internal.access_rules', 'runai_internal.db_role_bindings',
                                        'runai_internal.events', 'runai_internal.sessions',
                                        'runai_internal.admin_guard']::pg_catalog.regclass[];
  paused text[] := ARRAY['runai.resource_types', 'refuse_change', 'runai_internal.roles', 'refuse_change',
                         'runai_internal.role_permissions', 'refuse_change', 'runai.workload_kinds', 'refuse_change',
                         'runai_internal.scopes', 'restore_system'];
  t pg_catalog.regclass;
  fk_rels pg_catalog.regclass[] := '{}';
  fk_names text[] := '{}';
  fk_defs text[] := '{}';
  ndist integer;
BEGIN
  did_catalog := false;
  did_workloads := false;
  SELECT count(*) INTO ndist FROM pg_catalog.pg_dist_partition WHERE logicalrelid = ANY (tables);
  IF ndist > 0 AND ndist < pg_catalog.array_length(tables, 1) THEN
    RAISE EXCEPTION 'the catalog of runai_rbac is partly distributed'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('%s of its %s tables are Citus tables; runai.distribute_catalog converts all of them at once, so something else converted some.',
                            ndist, pg_catalog.array_length(tables, 1)),
            HINT = 'Undo the conversion of those tables (undistribute_table) and run runai.distribute_catalog() again.';
  END IF;

  PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
  PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);

  IF ndist = 0 THEN
    -- Foreign keys among the tables, and from runai.workloads to them.
    SELECT coalesce(pg_catalog.array_agg(c.conrelid::pg_catalog.regclass ORDER BY c.conrelid, c.conname), '{}'),
           coalesce(pg_catalog.array_agg(c.conname::text ORDER BY c.conrelid, c.conname), '{}'),
           coalesce(pg_catalog.array_agg(pg_catalog.pg_get_constraintdef(c.oid) ORDER BY c.conrelid, c.conname), '{}')
      INTO fk_rels, fk_names, fk_defs
      FROM pg_catalog.pg_constraint c
     WHERE c.contype = 'f'
       AND (c.conrelid = ANY (tables) OR c.conrelid = 'runai.workloads'::pg_catalog.regclass);
    FOR i IN 1 .. coalesce(pg_catalog.array_length(fk_rels, 1), 0) LOOP
      EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk_rels[i], fk_names[i]);
    END LOOP;
    FOR i IN 1 .. pg_catalog.array_length(paused, 1) BY 2 LOOP
      EXECUTE format('ALTER TABLE %s DISABLE TRIGGER %I', paused[i], paused[i + 1]);
    END LOOP;
    FOREACH t IN ARRAY tables LOOP
      PERFORM pg_catalog.create_reference_table(t);
      PERFORM pg_catalog.truncate_local_data_after_distributing_table(t);
    END LOOP;
    FOR i IN 1 .. coalesce(pg_catalog.array_length(fk_rels, 1), 0) LOOP
      IF fk_rels[i] = ANY (tables) THEN
        -- the workers' shells still have it
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', fk_rels[i], fk_names[i]);
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk_rels[i], fk_names[i], fk_defs[i]);
      END IF;
    END LOOP;
    FOR i IN 1 .. pg_catalog.array_length(paused, 1) BY 2 LOOP
      EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', paused[i], paused[i + 1]);
    END LOOP;
    did_catalog := true;
  END IF;

  IF p_workloads AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition
                                  WHERE logicalrelid = 'runai.workloads'::pg_catalog.regclass
                                    AND partmethod = 'h') THEN
    -- Without a primary key while it is distributed, then (project, id) on every
    -- node: the workers' shells drop their own (id) first.
    ALTER TABLE runai.workloads DROP CONSTRAINT workloads_pkey;
    PERFORM pg_catalog.create_distributed_table('runai.workloads', 'project');
    PERFORM pg_catalog.truncate_local_data_after_distributing_table('runai.workloads');
    ALTER TABLE runai.workloads DROP CONSTRAINT IF EXISTS workloads_pkey;
    ALTER TABLE runai.workloads ADD CONSTRAINT workloads_pkey PRIMARY KEY (project, id);
    did_workloads := true;
  END IF;
  IF did_catalog THEN
    -- runai.workloads's foreign keys (its kind), whether it is distributed or not
    FOR i IN 1 .. coalesce(pg_catalog.array_length(fk_rels, 1), 0) LOOP
      IF fk_rels[i] = 'runai.workloads'::pg_catalog.regclass THEN
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', fk_rels[i], fk_names[i]);
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk_rels[i], fk_names[i], fk_defs[i]);
      END IF;
    END LOOP;
  END IF;

END
$$;
COMMENT ON FUNCTION runai_internal.distribute_tables(boolean) IS
  'Internal: the conversion of runai.distribute_catalog, quiet.';

CREATE OR REPLACE FUNCTION runai.distribute_catalog(distribute_workloads boolean DEFAULT true) RETURNS void
AS 'MODULE_PATHNAME', 'rbac_dispatch' LANGUAGE C;
CREATE OR REPLACE FUNCTION runai_internal.distribute_catalog(p_workloads boolean) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  done record;
BEGIN
  PERFORM runai_internal.not_null(p_workloads, 'distribute_workloads');
  IF NOT runai_internal.actor_superuser() THEN
    RAISE EXCEPTION 'permission denied: only a superuser may distribute the catalog of runai_rbac'
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'runai.distribute_catalog changes how every table of the extension is stored on every node of the Citus cluster.',
            HINT = 'Run it as a superuser on the coordinator.';
  END IF;
  IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
    RAISE EXCEPTION 'Citus is not installed in this database'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'runai.distribute_catalog makes the catalog of runai_rbac Citus reference tables; without Citus the catalog is already the one copy there is.',
            HINT = 'Install Citus 13, preload it before runai_rbac (shared_preload_libraries = ''citus,runai_rbac'') and run CREATE EXTENSION citus first.';
  END IF;
  IF (SELECT groupid FROM pg_catalog.pg_dist_local_group) <> 0 THEN
    RAISE EXCEPTION 'runai.distribute_catalog must run on the Citus coordinator'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('This node is a worker (group %s); the coordinator distributes the tables to every node.',
                            (SELECT groupid FROM pg_catalog.pg_dist_local_group)),
            HINT = 'Connect to the coordinator and run it there.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_node WHERE groupid = 0) THEN
    RAISE EXCEPTION 'the Citus coordinator is not in the metadata'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Every node, the coordinator included, needs its own copy (placement) of the catalog, and only nodes in pg_dist_node get one.',
            HINT = 'Add it with SELECT citus_set_coordinator_host(''<host>'', <port>); then run runai.distribute_catalog() again.';
  END IF;

  SELECT * INTO done FROM runai_internal.distribute_tables(p_workloads);
  IF done.did_catalog OR done.did_workloads THEN
    PERFORM runai_internal.log_event('update', 'Succeeded', 'settings', 'catalog', NULL,
                                     pg_catalog.jsonb_build_object('distributed', done.did_catalog,
                                                                   'workloads_distributed', done.did_workloads));
  ELSE
    RAISE NOTICE 'the catalog of runai_rbac is already distributed'
      USING DETAIL = CASE WHEN p_workloads THEN 'Its tables are reference tables and runai.workloads is distributed by project.'
                          ELSE 'Its tables are reference tables.' END,
            HINT = 'Nothing to do.';
  END IF;
END
$$;
COMMENT ON FUNCTION runai.distribute_catalog(boolean) IS
  'On a Citus coordinator that is in the metadata: makes every table of the catalog a reference table (a copy on every node, changed only through the coordinator, with two-phase commit) and, unless distribute_workloads is false, distributes runai.workloads by project (its primary key becomes (project, id)). One transaction; idempotent. Superuser only.';
