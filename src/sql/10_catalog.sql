-- The catalog: predefined data (resource types, roles, permissions, workload kinds),
-- the scope tree and every table that holds user data.  Tables are private: users
-- reach them only through the functions and views of the later parts.

-- ---------------------------------------------------------------------------
-- Predefined data, loaded from data/*.csv and immutable afterwards
-- ---------------------------------------------------------------------------

CREATE TABLE runai.resource_types (
    id           smallint PRIMARY KEY CHECK (id BETWEEN 0 AND 63),
    name         text NOT NULL UNIQUE,
    display_name text NOT NULL,
    "group"      text NOT NULL
);
COMMENT ON TABLE runai.resource_types IS
  'The entities that permissions are about (API name, display name, group). Predefined and immutable.';

CREATE TABLE runai.roles (
    id                smallint PRIMARY KEY CHECK (id BETWEEN 0 AND 31),
    name              text NOT NULL UNIQUE,
    description       text NOT NULL,
    tenant_wide       boolean NOT NULL,
    in_seed_documents boolean NOT NULL,
    created_by        text NOT NULL DEFAULT 'Run:ai',
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE runai.roles IS
  'The predefined roles. Tenant-wide roles may only be granted at the system or a tenant scope. Immutable.';

CREATE TABLE runai.role_permissions (
    role_id          smallint NOT NULL REFERENCES runai.roles (id),
    resource_type_id smallint NOT NULL REFERENCES runai.resource_types (id),
    actions          runai.actionset NOT NULL,
    PRIMARY KEY (role_id, resource_type_id)
);
COMMENT ON TABLE runai.role_permissions IS
  'The permission matrix: for each role and resource type, the actions the role grants. Immutable.';

CREATE TABLE runai.workload_kinds (
    kind      text PRIMARY KEY,
    api_group text NOT NULL,
    origin    text NOT NULL CHECK (origin IN ('native', 'third-party'))
);
COMMENT ON TABLE runai.workload_kinds IS
  'Workload kinds covered by the workloads permission: native (Workspace, Training, Inference) and third-party.';

CREATE TABLE runai._role_descriptions (role text PRIMARY KEY, tenant_wide boolean NOT NULL, description text NOT NULL);
INSERT INTO runai._role_descriptions VALUES
  ('System administrator', true, 'Runs the whole platform: every entity, users, roles, access rules and settings.'),
  ('Department administrator', false, 'Runs departments and their projects, workloads, assets and access rules within them.'),
  ('Department viewer', false, 'Sees departments, their projects, workloads and assets without changing anything.'),
  ('Editor', false, 'Changes the organisation''s projects, workloads and assets, without managing users.'),
  ('Viewer', false, 'Sees the organisation''s entities without changing anything.'),
  ('Research manager', false, 'Oversees research: sees and manages projects, workloads and assets in its scope.'),
  ('L1 researcher', false, 'Submits and manages workloads and their assets in its projects.'),
  ('L2 researcher', false, 'Submits and manages workloads in its projects with fewer rights over shared assets.'),
  ('ML engineer', false, 'Deploys and runs inference workloads and the assets they need.'),
  ('Compute resource administrator', false, 'Manages compute resources (GPU, CPU and memory requests).'),
  ('Data source administrator', false, 'Manages data sources: PVC, Git, host path, NFS, S3, config map and secret volumes.'),
  ('Data volume administrator', false, 'Manages data volumes and the scopes they are shared with.'),
  ('Environment administrator', false, 'Manages environments: images, tools and runtime settings of workloads.'),
  ('Credentials administrator', false, 'Manages credentials used by workloads and assets.'),
  ('Template administrator', false, 'Manages workload templates.'),
  ('Application administrator', true, 'Manages applications (service accounts) and their access rules.'),
  ('Cloud operator', true, 'Operates the platform''s infrastructure: clusters, node pools and nodes.'),
  ('Cloud support', true, 'Sees the platform''s configuration to help diagnose problems, without changing it.');

-- @DATA@

DROP TABLE runai._role_descriptions;

-- The predefined catalog cannot be changed by anyone, owner and superusers included:
-- the triggers refuse every row change and TRUNCATE, and fire in every
-- session_replication_role.
CREATE FUNCTION runai._refuse_catalog_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RAISE EXCEPTION 'the predefined catalog table runai.% cannot be changed', TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege',
          DETAIL = format('%s on runai.%s was refused: predefined roles, resource types, permissions and workload kinds are fixed.', TG_OP, TG_TABLE_NAME),
          HINT = 'Give a subject different permissions with runai.add_access_rule and one of the predefined roles.';
END
$$;
COMMENT ON FUNCTION runai._refuse_catalog_change() IS 'Trigger: refuses every change to the predefined catalog.';

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['resource_types', 'roles', 'role_permissions', 'workload_kinds'] LOOP
    EXECUTE format('CREATE TRIGGER refuse_change BEFORE INSERT OR UPDATE OR DELETE ON runai.%I
                      FOR EACH ROW EXECUTE FUNCTION runai._refuse_catalog_change()', t);
    EXECUTE format('CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON runai.%I
                      FOR EACH STATEMENT EXECUTE FUNCTION runai._refuse_catalog_change()', t);
    EXECUTE format('ALTER TABLE runai.%I ENABLE ALWAYS TRIGGER refuse_change', t);
    EXECUTE format('ALTER TABLE runai.%I ENABLE ALWAYS TRIGGER refuse_truncate', t);
  END LOOP;
END
$$;

-- ---------------------------------------------------------------------------
-- The scope tree
-- ---------------------------------------------------------------------------

-- The level of a scope type in the tree: system 0 ... project 4.
CREATE FUNCTION runai._scope_level(runai.scope) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.array_position(ARRAY['system','tenant','cluster','department','project'], runai.scope_type($1)) - 1;
COMMENT ON FUNCTION runai._scope_level(runai.scope) IS 'Depth of a scope type in the tree: system 0, tenant 1, cluster 2, department 3, project 4.';

CREATE TABLE runai.scopes (
    scope      runai.scope PRIMARY KEY,
    parent     runai.scope REFERENCES runai.scopes (scope),
    name       text NOT NULL CHECK (pg_catalog.length(name) BETWEEN 1 AND 255),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT scope_parent_one_level_up CHECK (
      CASE WHEN parent IS NULL THEN scope OPERATOR(runai.=) 'system'::runai.scope
           ELSE runai._scope_level(scope) = runai._scope_level(parent) + 1 END)
);
CREATE INDEX scopes_parent_idx ON runai.scopes (parent);
COMMENT ON TABLE runai.scopes IS
  'The scope tree: system > tenant > cluster > department > project. Changed through runai.create_scope, rename_scope and delete_scope.';

INSERT INTO runai.scopes (scope, parent, name, created_by) VALUES ('system', NULL, 'System', 'Run:ai');

-- CREATE EXTENSION makes the root, so a restore finds it already there: the dumped
-- root (whose name may have been changed) updates it instead of failing as a duplicate.
CREATE FUNCTION runai._restore_system_scope() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NEW.scope OPERATOR(runai.=) 'system'::runai.scope
     AND EXISTS (SELECT 1 FROM runai.scopes WHERE scope OPERATOR(runai.=) 'system'::runai.scope) THEN
    UPDATE runai.scopes SET name = NEW.name, created_at = NEW.created_at, updated_at = NEW.updated_at
     WHERE scope OPERATOR(runai.=) 'system'::runai.scope;
    RETURN NULL;
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION runai._restore_system_scope() IS
  'Trigger: inserting the system scope again (as a restore does) updates the existing root instead.';
CREATE TRIGGER restore_system BEFORE INSERT ON runai.scopes
  FOR EACH ROW EXECUTE FUNCTION runai._restore_system_scope();
ALTER TABLE runai.scopes ENABLE ALWAYS TRIGGER restore_system;

-- ---------------------------------------------------------------------------
-- Subjects: users, groups, applications
-- ---------------------------------------------------------------------------

CREATE TABLE runai.users (
    id                 uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    email              text NOT NULL CHECK (email = pg_catalog.lower(email)),
    type               text NOT NULL CHECK (type IN ('local', 'sso')),
    password_hash      text,
    password_temporary boolean NOT NULL DEFAULT false,
    last_login         timestamptz,
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_sso_has_no_password CHECK (type = 'local' OR password_hash IS NULL)
);
CREATE INDEX users_last_login_idx ON runai.users (last_login DESC NULLS LAST, email);
COMMENT ON TABLE runai.users IS
  'Local and SSO users. Emails are stored lower-cased, so they are unique case-insensitively. Password hashes are SCRAM-SHA-256 verifiers.';

CREATE TABLE runai.group_members (
    user_id    uuid NOT NULL REFERENCES runai.users (id) ON DELETE CASCADE,
    group_name text NOT NULL CHECK (pg_catalog.length(group_name) BETWEEN 1 AND 255),
    PRIMARY KEY (user_id, group_name)
);
CREATE INDEX group_members_group_idx ON runai.group_members (group_name);
COMMENT ON TABLE runai.group_members IS
  'SSO group membership of users: replaced at every SSO sign-in, or set by runai.set_user_groups.';

CREATE TABLE runai.applications (
    id          uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    name        text NOT NULL UNIQUE,
    client_id   text NOT NULL UNIQUE,
    secret_hash text NOT NULL,
    last_login  timestamptz,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE runai.applications IS
  'Applications (service accounts). Secrets are stored only as SCRAM-SHA-256 verifiers.';

-- ---------------------------------------------------------------------------
-- Access rules
-- ---------------------------------------------------------------------------

CREATE TABLE runai.access_rules (
    id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    subject_type text NOT NULL CHECK (subject_type IN ('user', 'group', 'app')),
    subject      text NOT NULL CHECK (pg_catalog.length(subject) BETWEEN 1 AND 320),
    role_id      smallint NOT NULL REFERENCES runai.roles (id),
    scope        runai.scope NOT NULL REFERENCES runai.scopes (scope),
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at   timestamptz,
    CONSTRAINT access_rules_user_lowercase CHECK (subject_type <> 'user' OR subject = pg_catalog.lower(subject)),
    CONSTRAINT access_rules_unique UNIQUE (subject_type, subject, role_id, scope)
);
CREATE INDEX access_rules_scope_idx ON runai.access_rules (scope);
CREATE INDEX access_rules_role_idx ON runai.access_rules (role_id, scope);
COMMENT ON TABLE runai.access_rules IS
  'Access rules: a subject (user email, SSO group or application) holds a role at a scope and every scope below it. Rules are never updated: delete and add again.';

-- Database roles acting as Run:ai users (SPEC section 3, rule 2).
CREATE TABLE runai.db_role_bindings (
    db_role    regrole PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES runai.users (id) ON DELETE CASCADE,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX db_role_bindings_user_idx ON runai.db_role_bindings (user_id);
COMMENT ON TABLE runai.db_role_bindings IS
  'Database roles bound to Run:ai users: a session whose current role is bound acts as that user.';

-- ---------------------------------------------------------------------------
-- Event history
-- ---------------------------------------------------------------------------

CREATE TABLE runai.events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    subject      text,
    subject_type text,
    action       text NOT NULL CHECK (action IN ('create', 'update', 'delete', 'sign-in', 'sign-out', 'reset-password')),
    result       text NOT NULL CHECK (result IN ('Succeeded', 'Failed')),
    entity_type  text NOT NULL,
    entity_name  text,
    entity_id    text,
    details      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_at_idx ON runai.events (at);
COMMENT ON TABLE runai.events IS
  'Event history: every change made through the extension and every sign-in. Append-only; runai.purge_events removes old events.';

-- ---------------------------------------------------------------------------
-- Dumps and privileges
-- ---------------------------------------------------------------------------

SELECT pg_catalog.pg_extension_config_dump('runai.scopes', '');
SELECT pg_catalog.pg_extension_config_dump('runai.users', '');
SELECT pg_catalog.pg_extension_config_dump('runai.group_members', '');
SELECT pg_catalog.pg_extension_config_dump('runai.applications', '');
SELECT pg_catalog.pg_extension_config_dump('runai.access_rules', '');
SELECT pg_catalog.pg_extension_config_dump('runai.access_rules_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('runai.db_role_bindings', '');
SELECT pg_catalog.pg_extension_config_dump('runai.events', '');
SELECT pg_catalog.pg_extension_config_dump('runai.events_id_seq', '');

REVOKE ALL ON ALL TABLES IN SCHEMA runai FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA runai FROM PUBLIC;
GRANT USAGE ON SCHEMA runai TO PUBLIC;
