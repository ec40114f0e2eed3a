-- A guided tour of runai_rbac, run by `make demo`.
\set QUIET on
\pset footer off
\echo
\echo '== 1. Install =================================================================='
\echo 'CREATE EXTENSION runai_rbac;'
CREATE EXTENSION runai_rbac;
\echo 'Its operators (=, @> ... on runai.scope and runai.actionset) live in schema runai:'
\echo 'ALTER DATABASE runai_demo SET search_path = "$user", public, runai;'
ALTER DATABASE runai_demo SET search_path = "$user", public, runai;
SET search_path = "$user", public, runai;
\echo
\echo 'The extension brings the predefined roles (read-only):'
SELECT name AS role, created_by, tenant_wide, description FROM runai.roles ORDER BY id;

\echo
\echo 'What an L1 researcher may do, entity by entity (the permission matrix):'
SELECT t.name AS resource_type, p.actions
  FROM runai.role_permissions p
  JOIN runai.roles r ON r.id = p.role_id
  JOIN runai.resource_types t ON t.id = p.resource_type_id
 WHERE r.name = 'L1 researcher' AND p.actions <> '{}'
 ORDER BY t.id;

\echo
\echo 'Nobody may change the predefined roles, not even a superuser:'
\set ON_ERROR_STOP off
UPDATE runai.roles SET description = 'mine' WHERE name = 'Viewer';
\set ON_ERROR_STOP on

\echo
\echo '== 2. Scopes: system > tenant > cluster > department > project ================='
\echo 'runai.scope is a type of its own, validated on input:'
SELECT 'project/42'::runai.scope AS scope, runai.scope_type('project/42') AS type, runai.scope_id('project/42') AS id;
\set ON_ERROR_STOP off
SELECT 'projects/42'::runai.scope;
\set ON_ERROR_STOP on

\echo
\echo 'An organisation: one tenant, two clusters, departments and projects.'
SELECT runai.create_scope('tenant', 'acme', 'Acme Corp', 'system');
SELECT runai.create_scope('cluster', 'eu-1', 'Europe 1', 'tenant/acme');
SELECT runai.create_scope('cluster', 'us-1', 'US 1', 'tenant/acme');
SELECT runai.create_scope('department', 'vision', 'Computer vision', 'cluster/eu-1');
SELECT runai.create_scope('department', 'nlp', 'Language', 'cluster/eu-1');
SELECT runai.create_scope('department', 'robotics', 'Robotics', 'cluster/us-1');
SELECT runai.create_scope('project', 'detection', 'Object detection', 'department/vision');
SELECT runai.create_scope('project', 'segmentation', 'Segmentation', 'department/vision');
SELECT runai.create_scope('project', 'translation', 'Translation', 'department/nlp');
SELECT runai.create_scope('project', 'grasping', 'Grasping', 'department/robotics');
SELECT scope, parent, name FROM runai.scopes ORDER BY runai._scope_level(scope), scope;

\echo
\echo '== 3. Subjects and access rules ================================================'
INSERT INTO runai.users (email, type, created_by) VALUES
  ('admin@acme.io', 'local', 'demo'), ('dora@acme.io', 'local', 'demo'),
  ('rick@acme.io', 'local', 'demo'), ('sam@acme.io', 'sso', 'demo');
SELECT runai.set_user_groups('sam@acme.io', ARRAY['vision-team']);
SELECT runai.add_access_rule('user', 'admin@acme.io', 'System administrator', 'system') AS rule;
SELECT runai.add_access_rule('user', 'dora@acme.io', 'Department administrator', 'department/vision') AS rule;
SELECT runai.add_access_rule('user', 'rick@acme.io', 'L1 researcher', 'project/translation') AS rule;
SELECT runai.add_access_rule('group', 'vision-team', 'L2 researcher', 'department/vision') AS rule;

\echo
\echo 'Database roles act as Run:ai users once bound:'
CREATE ROLE demo_dora;
CREATE ROLE demo_rick;
GRANT USAGE ON SCHEMA runai TO demo_dora, demo_rick;
SELECT runai.bind_db_role('dora@acme.io', 'demo_dora');
SELECT runai.bind_db_role('rick@acme.io', 'demo_rick');

\echo
\echo '== 4. Checks =================================================================='
\echo 'As dora (Department administrator of vision):'
SET ROLE demo_dora;
SELECT runai.can('workloads', 'delete', 'project/detection') AS delete_in_detection,
       runai.can('workloads', 'view', 'project/translation') AS view_in_translation;
SELECT * FROM runai.permitted_scopes('workloads', 'create');
\echo 'dora may give L1 researcher inside her department ...'
SELECT runai.add_access_rule('user', 'rick@acme.io', 'L1 researcher', 'project/segmentation') AS rule;
\echo '... but not System administrator (no one grants more than they hold):'
\set ON_ERROR_STOP off
SELECT runai.add_access_rule('user', 'rick@acme.io', 'System administrator', 'tenant/acme');
\set ON_ERROR_STOP on
RESET ROLE;

\echo
\echo 'Why may sam (SSO, group vision-team) create workloads in detection? And rick in grasping?'
SELECT allowed, rule_id, via_group, role, rule_scope, reason
  FROM runai.explain('sam@acme.io', 'workloads', 'create', 'project/detection');
SELECT allowed, reason FROM runai.explain('rick@acme.io', 'workloads', 'create', 'project/grasping');

\echo
\echo 'Who may delete workloads in segmentation?'
SELECT * FROM runai.who_can('workloads', 'delete', 'project/segmentation');

\echo
\echo '== 5. Event history ============================================================'
SELECT id, subject, action, result, entity_type, entity_name FROM runai.events ORDER BY id DESC LIMIT 8;
