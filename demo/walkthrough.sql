-- A guided tour of runai_rbac, run by `make demo` on a throwaway cluster.
\set QUIET on
\set ON_ERROR_STOP on
\pset footer off
\set VERBOSITY default

\echo
\echo '== 1. Install ====================================================================='
\echo 'CREATE EXTENSION runai_rbac;  -- the interface in schema runai, its operators in pg_catalog'
CREATE EXTENSION runai_rbac;

\echo
\echo 'The 18 predefined roles come with the extension (runai.roles_table):'
SELECT role, created_by, description FROM runai.roles_table ORDER BY role LIMIT 6;
\echo '... and 12 more. What an L1 researcher may do (runai.role_permissions_table):'
SELECT entity, "view", edit, "create", "delete"
  FROM runai.role_permissions_table
 WHERE role = 'L1 researcher' AND ("view" OR edit OR "create" OR "delete")
 ORDER BY entity LIMIT 8;
\echo 'Nobody may change them, not even a superuser (they live in schema runai_internal):'
\set ON_ERROR_STOP off
UPDATE runai_internal.roles SET description = 'mine' WHERE name = 'Viewer';
\set ON_ERROR_STOP on

\echo
\echo '== 2. The organisation: system > tenant > cluster > department > project =========='
SELECT count(runai.create_scope(type, id, name, parent::runai.scope)) AS scopes_created
  FROM (VALUES (1, 'tenant', 'acme', 'Acme Corp', 'system'),
               (2, 'cluster', 'eu-1', 'Europe 1', 'tenant/acme'),
               (3, 'cluster', 'us-1', 'US 1', 'tenant/acme'),
               (4, 'department', 'vision', 'Computer vision', 'cluster/eu-1'),
               (5, 'department', 'nlp', 'Language', 'cluster/eu-1'),
               (6, 'department', 'robotics', 'Robotics', 'cluster/us-1'),
               (7, 'project', 'detection', 'Object detection', 'department/vision'),
               (8, 'project', 'segmentation', 'Segmentation', 'department/vision'),
               (9, 'project', 'translation', 'Translation', 'department/nlp'),
               (10, 'project', 'chat', 'Assistants', 'department/nlp'),
               (11, 'project', 'grasping', 'Grasping', 'department/robotics')) v(ord, type, id, name, parent);
\echo 'The tree, as runai.scopes_table shows it (a superuser sees every scope):'
SELECT scope, type, parent, name FROM runai.scopes_table ORDER BY scope;
\echo 'The operators of runai.scope work with the default search path, against text too:'
SELECT count(*) AS projects_of_vision FROM runai.scopes_table
 WHERE parent = 'department/vision' AND scope <> 'project/detection'::text;
\echo 'runai.scope is a type of its own and rejects what is not a scope:'
\set ON_ERROR_STOP off
SELECT 'projects/42'::runai.scope;
\set ON_ERROR_STOP on

\echo
\echo '== 3. The first administrator ======================================================'
\echo 'bootstrap creates the first local System administrator and shows its temporary'
\echo 'password once; it is stored only as a SCRAM-SHA-256 verifier.'
SELECT runai.bootstrap('admin@acme.io') AS admin_temp \gset
\echo 'temporary password of admin@acme.io: ' :admin_temp
SELECT status, token IS NOT NULL AS has_token FROM runai.sign_in('admin@acme.io', :'admin_temp');
\echo 'A temporary password must be changed before the first session:'
SELECT 'password changed' AS change_password FROM runai.change_password('admin@acme.io', :'admin_temp', 'correct horse battery staple');
SELECT status, token AS admin_token FROM runai.sign_in('admin@acme.io', 'correct horse battery staple') \gset
\echo 'sign_in: ' :status

\echo
\echo 'The platform back end connects as an ordinary database role and authenticates'
\echo 'each request with the user''s token; row-level security then applies to it.'
CREATE ROLE demo_backend;
GRANT USAGE ON SCHEMA runai TO demo_backend;
SET ROLE demo_backend;
SELECT runai.authenticate(:'admin_token') AS acting_as;

\echo
\echo '== 4. Users, groups, an application and their access rules ======================='
SELECT temporary_password AS dora_temp FROM runai.create_local_user('dora@acme.io') \gset
\echo 'temporary password of dora@acme.io (shown this once): ' :dora_temp
SELECT temporary_password AS rick_temp FROM runai.create_local_user('rick@acme.io') \gset
SELECT temporary_password AS rita_temp FROM runai.create_local_user('rita@acme.io') \gset
SELECT client_id AS ci_client, client_secret AS ci_secret FROM runai.create_application('ci-pipeline') \gset
\echo 'application ci-pipeline: client id ' :ci_client ', secret shown this once'

SELECT runai.add_access_rule('user', 'dora@acme.io', 'Department administrator', 'department/vision') AS rule_dora;
SELECT runai.add_access_rule('user', 'rick@acme.io', 'L1 researcher', 'project/translation') AS rule_rick;
SELECT runai.add_access_rule('user', 'rita@acme.io', 'L1 researcher', 'project/grasping') AS rule_rita;
SELECT runai.add_access_rule('group', 'vision-team', 'L2 researcher', 'department/vision') AS rule_group;
SELECT runai.add_access_rule('app', 'ci-pipeline', 'ML engineer', 'department/nlp') AS rule_app;
RESET ROLE;

\echo 'An SSO user appears at its first sign-in, with the groups the identity provider'
\echo 'sends (sso_sign_in is granted only to the identity-provider bridge):'
SELECT runai.sso_sign_in('sam@acme.io', ARRAY['vision-team', 'all-staff']) AS sam_token \gset

\echo 'Every user, as the administrator sees it (runai.users_table):'
SET ROLE demo_backend;
SELECT "user", type, access_rules, created_by FROM runai.users_table ORDER BY "user";

\echo
\echo '== 5. Checks and explanations ====================================================='
SELECT runai.has_permission('dora@acme.io', 'workloads', 'delete', 'project/detection') AS dora_deletes_in_detection,
       runai.has_permission('dora@acme.io', 'workloads', 'view', 'project/translation') AS dora_views_translation;
\echo 'Why may sam create workloads in project/detection?'
SELECT allowed, via_group, role, rule_scope, reason
  FROM runai.explain('sam@acme.io', 'workloads', 'create', 'project/detection');
\echo 'And why may rick not create workloads in project/grasping?'
SELECT allowed, reason FROM runai.explain('rick@acme.io', 'workloads', 'create', 'project/grasping');

\echo
\echo '== 6. Row-level security: one query, a different answer per subject =============='
RESET ROLE;
\echo 'Load 3,000 workloads of native and third-party kinds into runai.workloads:'
INSERT INTO runai.workloads (name, kind, project)
SELECT 'job-' || g, k.kind, p.scope
  FROM generate_series(1, 600) g
  CROSS JOIN LATERAL (SELECT kind FROM runai.workload_kinds ORDER BY kind OFFSET g % 26 LIMIT 1) k
  CROSS JOIN (SELECT scope FROM runai.scopes_table WHERE type = 'project') p;
SELECT count(*) AS workloads, count(DISTINCT kind) AS kinds FROM runai.workloads;

SET ROLE demo_backend;
\echo 'dora and rick sign in, change their temporary passwords, and get tokens; so does the application:'
SELECT 'password changed' AS dora FROM runai.change_password('dora@acme.io', :'dora_temp', 'dora-s-new-passphrase');
SELECT token AS dora_token FROM runai.sign_in('dora@acme.io', 'dora-s-new-passphrase') \gset
SELECT 'password changed' AS rick FROM runai.change_password('rick@acme.io', :'rick_temp', 'rick-s-new-passphrase');
SELECT token AS rick_token FROM runai.sign_in('rick@acme.io', 'rick-s-new-passphrase') \gset
SELECT runai.app_sign_in(:'ci_client', :'ci_secret') AS ci_token \gset

\echo 'SELECT project, count(*) FROM runai.workloads GROUP BY project;'
\echo '-- as admin@acme.io (System administrator):'
SELECT runai.authenticate(:'admin_token') AS subject;
SELECT project, count(*) FROM runai.workloads GROUP BY project ORDER BY project;
\echo '-- as dora@acme.io (Department administrator of vision):'
SELECT runai.authenticate(:'dora_token') AS subject;
SELECT project, count(*) FROM runai.workloads GROUP BY project ORDER BY project;
\echo '   the scopes dora may view (runai.scopes_table): her department and its projects'
SELECT scope, type, name FROM runai.scopes_table ORDER BY scope;
\echo '-- as rick@acme.io (L1 researcher in translation):'
SELECT runai.authenticate(:'rick_token') AS subject;
SELECT project, count(*) FROM runai.workloads GROUP BY project ORDER BY project;
\echo '   the scopes rick may view (runai.scopes_table): his project only'
SELECT scope, type, name FROM runai.scopes_table ORDER BY scope;
\echo '-- as sam@acme.io (SSO, group vision-team):'
SELECT runai.authenticate(:'sam_token') AS subject;
SELECT project, count(*) FROM runai.workloads GROUP BY project ORDER BY project;
\echo '-- as app:ci-pipeline (ML engineer in nlp):'
SELECT runai.authenticate(:'ci_token') AS subject;
SELECT project, count(*) FROM runai.workloads GROUP BY project ORDER BY project;
\echo 'rick may not move a workload into a project he cannot create in:'
SELECT runai.authenticate(:'rick_token') AS subject;
\set ON_ERROR_STOP off
UPDATE runai.workloads SET project = 'project/grasping' WHERE name = 'job-1';
\set ON_ERROR_STOP on

\echo
\echo '== 7. What is refused ============================================================='
\echo 'dora may give L1 researcher inside her department ...'
SELECT runai.authenticate(:'dora_token') AS subject;
SELECT runai.add_access_rule('user', 'rick@acme.io', 'L1 researcher', 'project/segmentation') AS rule;
\echo '... but nobody grants more than they hold (Editor may also change departments):'
\set ON_ERROR_STOP off
SELECT runai.add_access_rule('user', 'rick@acme.io', 'Editor', 'project/detection');
\set ON_ERROR_STOP on
\echo 'The last local System administrator cannot be removed:'
SELECT runai.authenticate(:'admin_token') AS subject;
\set ON_ERROR_STOP off
SELECT runai.delete_user('admin@acme.io');
\set ON_ERROR_STOP on

\echo
\echo '== 8. Export and history ========================================================='
\echo 'COPY (SELECT * FROM runai.users_table) TO STDOUT WITH (FORMAT csv, HEADER);'
COPY (SELECT * FROM runai.users_table ORDER BY "user") TO STDOUT WITH (FORMAT csv, HEADER);
\echo
\echo 'The latest events (runai.event_history); no secret is ever recorded:'
SELECT id, subject, action, result, entity_type, entity_name
  FROM runai.event_history ORDER BY id DESC LIMIT 10;
SELECT runai.sign_out() AS signed_out;
RESET ROLE;
