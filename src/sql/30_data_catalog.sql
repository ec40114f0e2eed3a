-- Data: the catalog.  The predefined rows (resource types, roles, the permission
-- matrix, workload kinds), the scope tree, every table that holds user data, their
-- indexes and what pg_dump includes.  Internal tables live in runai_internal and are
-- private; runai.resource_types and runai.workload_kinds are readable by everyone,
-- runai.workloads is protected by row-level security (70_code_rls.sql).  The
-- privileges and the triggers that keep these tables correct are code parts.

-- ---------------------------------------------------------------------------
-- Signals: how every backend's caches learn that the catalog changed
-- ---------------------------------------------------------------------------

-- Relations without columns or rows.  A change of one of the tables named below is
-- announced by a relcache invalidation of its signal (the statement triggers of
-- 40_code_catalog.sql, src/cache.c), not of the table: an invalidation of a table
-- throws away every cached plan that reads it, in every backend, so the plans of
-- the extension's own functions (and the applications' prepared statements on
-- these tables) would be made again after every write.  No plan reads a signal
-- except those of row-level security, which depend on them on purpose
-- (src/rls.c).  signal_subject is never sent to other backends: a backend whose
-- token subject changes executes its invalidation locally.
CREATE TABLE runai_internal.signal_scopes ();
CREATE TABLE runai_internal.signal_access_rules ();
CREATE TABLE runai_internal.signal_users ();
CREATE TABLE runai_internal.signal_group_members ();
CREATE TABLE runai_internal.signal_applications ();
CREATE TABLE runai_internal.signal_db_role_bindings ();
CREATE TABLE runai_internal.signal_sessions ();
CREATE TABLE runai_internal.signal_subject ();
COMMENT ON TABLE runai_internal.signal_scopes IS
  'Internal, always empty: its relcache invalidation tells every backend that runai_internal.scopes changed.';
COMMENT ON TABLE runai_internal.signal_access_rules IS
  'Internal, always empty: its relcache invalidation tells every backend that runai_internal.access_rules changed.';
COMMENT ON TABLE runai_internal.signal_users IS
  'Internal, always empty: its relcache invalidation tells every backend that the identity columns of runai_internal.users changed.';
COMMENT ON TABLE runai_internal.signal_group_members IS
  'Internal, always empty: its relcache invalidation tells every backend that runai_internal.group_members changed.';
COMMENT ON TABLE runai_internal.signal_applications IS
  'Internal, always empty: its relcache invalidation tells every backend that the identity columns of runai_internal.applications changed.';
COMMENT ON TABLE runai_internal.signal_db_role_bindings IS
  'Internal, always empty: its relcache invalidation tells every backend that runai_internal.db_role_bindings changed.';
COMMENT ON TABLE runai_internal.signal_sessions IS
  'Internal, always empty: its relcache invalidation tells every backend that sessions in runai_internal.sessions ended.';
COMMENT ON TABLE runai_internal.signal_subject IS
  'Internal, always empty: a backend whose token subject changes invalidates it locally, so that its row-level security plans are made again.';

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
  'The entities that permissions are about (API name, display name, group). Predefined and immutable; readable by everyone.';
COMMENT ON COLUMN runai.resource_types.id IS 'Internal number of the resource type.';
COMMENT ON COLUMN runai.resource_types.name IS 'API name, as the check functions take it (workloads, project, access_rules, ...).';
COMMENT ON COLUMN runai.resource_types.display_name IS 'Name shown to people, as the entity column of runai.role_permissions_table shows it; distinct per resource type.';
COMMENT ON COLUMN runai.resource_types."group" IS 'Group of related entities: organization, physical-resource, iam, dashboard, workload or workload-asset.';

CREATE TABLE runai_internal.roles (
    id                smallint PRIMARY KEY CHECK (id BETWEEN 0 AND 31),
    name              text NOT NULL UNIQUE,
    description       text NOT NULL,
    tenant_wide       boolean NOT NULL,
    in_seed_documents boolean NOT NULL,
    created_by        text NOT NULL DEFAULT 'Run:ai',
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE runai_internal.roles IS
  'The predefined roles. Tenant-wide roles may only be granted at the system or a tenant scope. Immutable.';

CREATE TABLE runai_internal.role_permissions (
    role_id          smallint NOT NULL REFERENCES runai_internal.roles (id),
    resource_type_id smallint NOT NULL REFERENCES runai.resource_types (id),
    actions          runai.actionset NOT NULL,
    PRIMARY KEY (role_id, resource_type_id)
);
COMMENT ON TABLE runai_internal.role_permissions IS
  'The permission matrix: for each role and resource type, the actions the role grants. Immutable.';

CREATE TABLE runai.workload_kinds (
    kind      text PRIMARY KEY,
    api_group text NOT NULL,
    origin    text NOT NULL CHECK (origin IN ('native', 'third-party'))
);
COMMENT ON TABLE runai.workload_kinds IS
  'Workload kinds covered by the workloads permission: native (Workspace, Training, Inference) and third-party. Predefined and immutable; readable by everyone.';
COMMENT ON COLUMN runai.workload_kinds.kind IS 'Kind, as runai.workloads.kind takes it.';
COMMENT ON COLUMN runai.workload_kinds.api_group IS 'Kubernetes API group of the kind.';
COMMENT ON COLUMN runai.workload_kinds.origin IS 'native (a Run:ai workload type) or third-party.';

CREATE TABLE runai_internal.role_descriptions (role text PRIMARY KEY, tenant_wide boolean NOT NULL, description text NOT NULL);
INSERT INTO runai_internal.role_descriptions VALUES
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

DROP TABLE runai_internal.role_descriptions;

-- ---------------------------------------------------------------------------
-- The scope tree
-- ---------------------------------------------------------------------------

CREATE TABLE runai_internal.scopes (
    scope      runai.scope PRIMARY KEY,
    parent     runai.scope REFERENCES runai_internal.scopes (scope),
    name       text NOT NULL CHECK (pg_catalog.length(name) BETWEEN 1 AND 255),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT scope_parent_one_level_up CHECK (
      CASE WHEN parent IS NULL THEN scope OPERATOR(pg_catalog.=) 'system'::runai.scope
           ELSE runai_internal.scope_level(scope) = runai_internal.scope_level(parent) + 1 END)
);
CREATE INDEX scopes_parent_idx ON runai_internal.scopes (parent);
COMMENT ON TABLE runai_internal.scopes IS
  'The scope tree: system > tenant > cluster > department > project. Changed through runai.create_scope, rename_scope and delete_scope.';

INSERT INTO runai_internal.scopes (scope, parent, name, created_by) VALUES ('system', NULL, 'System', 'Run:ai');

-- ---------------------------------------------------------------------------
-- Subjects: users, groups, applications
-- ---------------------------------------------------------------------------

CREATE TABLE runai_internal.users (
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
-- users_last_login_idx serves the usual page of runai.users_table, most recent
-- sign-in first with never-signed-in users last; users_last_login_asc_idx the
-- default orders ORDER BY last_login (NULLS LAST) and ORDER BY last_login DESC
-- (NULLS FIRST), scanned backwards.
CREATE INDEX users_last_login_idx ON runai_internal.users (last_login DESC NULLS LAST, email);
CREATE INDEX users_last_login_asc_idx ON runai_internal.users (last_login, email);
COMMENT ON TABLE runai_internal.users IS
  'Local and SSO users. Emails are stored lower-cased, so they are unique case-insensitively. Password hashes are SCRAM-SHA-256 verifiers.';

CREATE TABLE runai_internal.group_members (
    user_id    uuid NOT NULL REFERENCES runai_internal.users (id) ON DELETE CASCADE,
    group_name text NOT NULL CHECK (pg_catalog.length(group_name) BETWEEN 1 AND 255),
    PRIMARY KEY (user_id, group_name)
);
CREATE INDEX group_members_group_idx ON runai_internal.group_members (group_name);
COMMENT ON TABLE runai_internal.group_members IS
  'SSO group membership of users: replaced at every SSO sign-in, or set by runai.set_user_groups.';

CREATE TABLE runai_internal.applications (
    id          uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    name        text NOT NULL UNIQUE,
    client_id   text NOT NULL UNIQUE,
    secret_hash text NOT NULL,
    last_login  timestamptz,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE runai_internal.applications IS
  'Applications (service accounts). Secrets are stored only as SCRAM-SHA-256 verifiers.';

-- ---------------------------------------------------------------------------
-- Access rules
-- ---------------------------------------------------------------------------

CREATE TABLE runai_internal.access_rules (
    id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    subject_type text NOT NULL CHECK (subject_type IN ('user', 'group', 'app')),
    subject      text NOT NULL CHECK (pg_catalog.length(subject) BETWEEN 1 AND 320),
    role_id      smallint NOT NULL REFERENCES runai_internal.roles (id),
    scope        runai.scope NOT NULL REFERENCES runai_internal.scopes (scope),
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at   timestamptz,
    CONSTRAINT access_rules_user_lowercase CHECK (subject_type <> 'user' OR subject = pg_catalog.lower(subject)),
    -- expires_at is included so that a subject's rules are read from this index
    -- alone (an index-only scan, src/cache.c)
    CONSTRAINT access_rules_unique UNIQUE (subject_type, subject, role_id, scope) INCLUDE (expires_at)
);
CREATE INDEX access_rules_scope_idx ON runai_internal.access_rules (scope);
CREATE INDEX access_rules_role_idx ON runai_internal.access_rules (role_id, scope);
-- Filtering runai.access_rules_table by subject (WHERE subject =
-- 'user:jane@example.com') reads this index instead of every rule.
CREATE INDEX access_rules_subject_text_idx ON runai_internal.access_rules
  ((subject_type OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) subject));
COMMENT ON TABLE runai_internal.access_rules IS
  'Access rules: a subject (user email, SSO group or application) holds a role at a scope and every scope below it. Rules are never updated: delete and add again.';

-- Database roles acting as Run:ai users (SPEC section 3, rule 2).  The role's name
-- is kept next to its OID: a binding counts only while both still match, since a
-- dropped role's OID may be given to a new role (src/bindings.h).
CREATE TABLE runai_internal.db_role_bindings (
    db_role      regrole PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES runai_internal.users (id) ON DELETE CASCADE,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    db_role_name text NOT NULL
);
CREATE INDEX db_role_bindings_user_idx ON runai_internal.db_role_bindings (user_id);
COMMENT ON TABLE runai_internal.db_role_bindings IS
  'Database roles bound to Run:ai users: a session whose current role is bound acts as that user, while the role exists under the name it was bound with. DROP ROLE removes the bindings of the role in the database where it runs.';

-- ---------------------------------------------------------------------------
-- Event history
-- ---------------------------------------------------------------------------

CREATE TABLE runai_internal.events (
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
CREATE INDEX events_at_idx ON runai_internal.events (at);
-- Failed sign-ins are aggregated: one event per account (entity_id; all unknown
-- emails together) and window (runai_internal.log_failed_sign_in), whose count
-- grows.  This index finds that event.
CREATE INDEX events_failed_sign_in_idx ON runai_internal.events
  (entity_type, (COALESCE(entity_id, '')), (details OPERATOR(pg_catalog.->>) 'window'))
  WHERE action OPERATOR(pg_catalog.=) 'sign-in' AND result OPERATOR(pg_catalog.=) 'Failed'
    AND details OPERATOR(pg_catalog.?) 'window';
COMMENT ON TABLE runai_internal.events IS
  'Event history: every change made through the extension and every sign-in. Append-only, except that the event of an account''s failed sign-ins in one window counts each further failure; runai.purge_events removes old events.';

-- ---------------------------------------------------------------------------
-- Sessions and the last-administrator guard
-- ---------------------------------------------------------------------------

CREATE TABLE runai_internal.sessions (
    id           bigint GENERATED ALWAYS AS IDENTITY,
    token_hash   bytea NOT NULL CHECK (pg_catalog.length(token_hash) = 32),
    subject_type text NOT NULL CHECK (subject_type IN ('user', 'app')),
    subject      text NOT NULL CHECK (pg_catalog.length(subject) BETWEEN 1 AND 320),
    user_id      uuid REFERENCES runai_internal.users (id) ON DELETE CASCADE,
    app_id       uuid REFERENCES runai_internal.applications (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at   timestamptz NOT NULL,
    CONSTRAINT sessions_pkey PRIMARY KEY (id),
    CONSTRAINT sessions_token_hash_key UNIQUE (token_hash),
    CONSTRAINT sessions_one_owner CHECK (
      (subject_type = 'user' AND user_id IS NOT NULL AND app_id IS NULL) OR
      (subject_type = 'app' AND app_id IS NOT NULL AND user_id IS NULL))
);
CREATE INDEX sessions_user_idx ON runai_internal.sessions (user_id);
CREATE INDEX sessions_app_idx ON runai_internal.sessions (app_id);
COMMENT ON TABLE runai_internal.sessions IS
  'Token sessions from sign-ins. Tokens are stored only as their SHA-256 digest. A deleted row ends the session everywhere; rows are not dumped, so a restored database has no sessions.';

-- One row that every removal of a local System administrator updates, so that two
-- such removals are serialised (see runai_internal.keep_last_admin).
CREATE TABLE runai_internal.admin_guard (
    id      integer PRIMARY KEY CHECK (id = 1),
    changes bigint NOT NULL DEFAULT 0
);
INSERT INTO runai_internal.admin_guard (id) VALUES (1);
COMMENT ON TABLE runai_internal.admin_guard IS
  'Internal: one row, updated by every change that could remove the last local System administrator, to serialise them.';

-- ---------------------------------------------------------------------------
-- Workloads: protected by row-level security out of the box
-- ---------------------------------------------------------------------------

CREATE TABLE runai.workloads (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (pg_catalog.length(name) BETWEEN 1 AND 255),
    kind        text NOT NULL REFERENCES runai.workload_kinds (kind),
    project     runai.scope NOT NULL CHECK (runai.scope_type(project) = 'project'),
    created_by  text NOT NULL DEFAULT CURRENT_USER,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    status      text NOT NULL DEFAULT 'Pending'
                CHECK (status IN ('Pending', 'Initializing', 'Running', 'Succeeded', 'Failed', 'Stopped', 'Deleting')),
    gpu_request numeric(10,2) NOT NULL DEFAULT 0 CHECK (gpu_request >= 0),
    spec        jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT workloads_project_name_key UNIQUE (project, name)
);
COMMENT ON TABLE runai.workloads IS
  'Workloads (Workspace, Training, Inference and third-party kinds) in projects. Protected by runai.protect: a subject sees the workloads of the projects where it has workloads view, and needs create, edit or delete there to change them.';
COMMENT ON COLUMN runai.workloads.id IS 'Workload id.';
COMMENT ON COLUMN runai.workloads.name IS 'Name, unique within the project.';
COMMENT ON COLUMN runai.workloads.kind IS 'One of runai.workload_kinds.';
COMMENT ON COLUMN runai.workloads.project IS 'The project (a project scope) the workload runs in; row-level security checks permissions here.';
COMMENT ON COLUMN runai.workloads.created_by IS 'The subject that created it (user:<email> or app:<name>); set by the extension.';
COMMENT ON COLUMN runai.workloads.created_at IS 'When it was created; set by the extension.';
COMMENT ON COLUMN runai.workloads.updated_at IS 'When it was last changed; set by the extension.';
COMMENT ON COLUMN runai.workloads.status IS 'Life-cycle phase as reported by the cluster.';
COMMENT ON COLUMN runai.workloads.gpu_request IS 'GPUs requested (fractions allowed).';
COMMENT ON COLUMN runai.workloads.spec IS 'The workload''s specification as submitted.';
COMMENT ON CONSTRAINT workloads_project_name_key ON runai.workloads IS
  'Names are unique per project; its index also serves row-level security''s index condition on project.';


-- ---------------------------------------------------------------------------
-- Tables protected by runai.protect
-- ---------------------------------------------------------------------------

-- Kept by runai.protect and runai.unprotect (runai_internal.rls_protected_sync) and by
-- an event trigger when a table is dropped; renaming a table keeps its row (the
-- regclass is its OID).  runai.delete_scope counts the rows each of these tables has
-- at the scope (runai_internal.protected_rows, src/protected.c).
CREATE TABLE runai_internal.protected_tables (
    tbl         regclass PRIMARY KEY,
    recorded_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE runai_internal.protected_tables IS
  'Tables protected by runai.protect; runai.delete_scope refuses while any of them has rows at the scope.';

-- ---------------------------------------------------------------------------
-- What pg_dump includes: every table of user data and its id sequence.  Not the
-- predefined tables, which CREATE EXTENSION writes again, nor the sessions (a
-- restored database has no valid tokens).  The system scope is dumped with the
-- other scopes and merged into the one CREATE EXTENSION writes
-- (runai_internal.restore_system_scope).
-- ---------------------------------------------------------------------------

SELECT pg_catalog.pg_extension_config_dump('runai_internal.scopes', '');
SELECT pg_catalog.pg_extension_config_dump('runai_internal.users', '');
SELECT pg_catalog.pg_extension_config_dump('runai_internal.group_members', '');
SELECT pg_catalog.pg_extension_config_dump('runai_internal.applications', '');
SELECT pg_catalog.pg_extension_config_dump('runai_internal.access_rules', '');
SELECT pg_catalog.pg_extension_config_dump('runai_internal.access_rules_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('runai_internal.db_role_bindings', '');
SELECT pg_catalog.pg_extension_config_dump('runai_internal.events', '');
SELECT pg_catalog.pg_extension_config_dump('runai_internal.events_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('runai.workloads', '');
-- runai.workloads is recorded by CREATE EXTENSION itself, the other tables by the
-- dump's own rows (written after every table is created, so their names resolve).
SELECT pg_catalog.pg_extension_config_dump('runai_internal.protected_tables',
  'WHERE tbl OPERATOR(pg_catalog.<>) ''runai.workloads''::pg_catalog.regclass');
SELECT pg_catalog.pg_extension_config_dump('runai.workloads_id_seq', '');
