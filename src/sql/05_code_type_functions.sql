-- Code: the C functions of the types runai.scope and runai.actionset (src/types.c).
--
-- The support functions (input and output, comparison, hashing, set operations)
-- live in runai_internal; the accessors and constructors users call (scope_type,
-- scope_id, scope, actionset, actions, actionset_has) in runai.  They are created
-- while the types are shells (00_data_schemas.sql), before 10_data_types.sql
-- completes the types with them.
--
-- All are IMMUTABLE PARALLEL SAFE and, except runai.scope(text, text), STRICT.  The
-- comparison and set functions never raise an error on valid input, so they are
-- LEAKPROOF and may be pushed below row-level security.  Every ordinary role may
-- execute them (99_code_privileges.sql): operators and indexes call them as the
-- querying user.

-- ---------------------------------------------------------------------------
-- runai.scope
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runai_internal.scope_in(pg_catalog.cstring) RETURNS runai.scope
    AS 'MODULE_PATHNAME', 'rbac_scope_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.scope_in(pg_catalog.cstring) IS
  'Input function of runai.scope: parses "system" or "<type>/<id>".';

CREATE OR REPLACE FUNCTION runai_internal.scope_out(runai.scope) RETURNS pg_catalog.cstring
    AS 'MODULE_PATHNAME', 'rbac_scope_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.scope_out(runai.scope) IS
  'Output function of runai.scope: "system" or "<type>/<id>".';

CREATE OR REPLACE FUNCTION runai_internal.scope_recv(pg_catalog.internal) RETURNS runai.scope
    AS 'MODULE_PATHNAME', 'rbac_scope_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.scope_recv(pg_catalog.internal) IS
  'Binary input function of runai.scope: the text form as bytes, validated like the text input.';

CREATE OR REPLACE FUNCTION runai_internal.scope_send(runai.scope) RETURNS pg_catalog.bytea
    AS 'MODULE_PATHNAME', 'rbac_scope_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.scope_send(runai.scope) IS
  'Binary output function of runai.scope: the text form as bytes.';

CREATE OR REPLACE FUNCTION runai_internal.scope_eq(runai.scope, runai.scope) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_scope_eq'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.scope_eq(runai.scope, runai.scope) IS
  'Implementation of the = operator of runai.scope.';

CREATE OR REPLACE FUNCTION runai_internal.scope_ne(runai.scope, runai.scope) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_scope_ne'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.scope_ne(runai.scope, runai.scope) IS
  'Implementation of the <> operator of runai.scope.';

CREATE OR REPLACE FUNCTION runai_internal.scope_lt(runai.scope, runai.scope) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_scope_lt'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.scope_lt(runai.scope, runai.scope) IS
  'Implementation of the < operator of runai.scope (level first, then id).';

CREATE OR REPLACE FUNCTION runai_internal.scope_le(runai.scope, runai.scope) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_scope_le'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.scope_le(runai.scope, runai.scope) IS
  'Implementation of the <= operator of runai.scope (level first, then id).';

CREATE OR REPLACE FUNCTION runai_internal.scope_gt(runai.scope, runai.scope) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_scope_gt'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.scope_gt(runai.scope, runai.scope) IS
  'Implementation of the > operator of runai.scope (level first, then id).';

CREATE OR REPLACE FUNCTION runai_internal.scope_ge(runai.scope, runai.scope) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_scope_ge'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.scope_ge(runai.scope, runai.scope) IS
  'Implementation of the >= operator of runai.scope (level first, then id).';

CREATE OR REPLACE FUNCTION runai_internal.scope_cmp(runai.scope, runai.scope) RETURNS pg_catalog.int4
    AS 'MODULE_PATHNAME', 'rbac_scope_cmp'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.scope_cmp(runai.scope, runai.scope) IS
  'Three-way comparison of scopes (-1, 0, 1): level system < tenant < cluster < department < project, then id bytes, a shorter id first.';

CREATE OR REPLACE FUNCTION runai_internal.scope_hash(runai.scope) RETURNS pg_catalog.int4
    AS 'MODULE_PATHNAME', 'rbac_scope_hash'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.scope_hash(runai.scope) IS
  'Hash function of runai.scope, for hash joins, hash aggregation and hash indexes.';

CREATE OR REPLACE FUNCTION runai_internal.scope_hash_extended(runai.scope, pg_catalog.int8) RETURNS pg_catalog.int8
    AS 'MODULE_PATHNAME', 'rbac_scope_hash_extended'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.scope_hash_extended(runai.scope, pg_catalog.int8) IS
  'Seeded 64-bit hash function of runai.scope, for hash partitioning.';

CREATE OR REPLACE FUNCTION runai.scope_type(runai.scope) RETURNS pg_catalog.text
    AS 'MODULE_PATHNAME', 'rbac_scope_type_sql'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.scope_type(runai.scope) IS
  'The type of a scope: system, tenant, cluster, department or project.';

CREATE OR REPLACE FUNCTION runai.scope_id(runai.scope) RETURNS pg_catalog.text
    AS 'MODULE_PATHNAME', 'rbac_scope_id_sql'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.scope_id(runai.scope) IS
  'The id of a scope; NULL for the system scope.';

-- Not STRICT: the system scope is runai.scope('system', NULL).
CREATE OR REPLACE FUNCTION runai.scope(type pg_catalog.text, id pg_catalog.text) RETURNS runai.scope
    AS 'MODULE_PATHNAME', 'rbac_scope_construct'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION runai.scope(pg_catalog.text, pg_catalog.text) IS
  'Builds a scope from its type and id (NULL id for system); a NULL or invalid argument is an error.';

-- ---------------------------------------------------------------------------
-- runai.actionset
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runai_internal.actionset_in(pg_catalog.cstring) RETURNS runai.actionset
    AS 'MODULE_PATHNAME', 'rbac_actionset_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.actionset_in(pg_catalog.cstring) IS
  'Input function of runai.actionset: parses "{view,edit}", "{}", with the aliases read and update.';

CREATE OR REPLACE FUNCTION runai_internal.actionset_out(runai.actionset) RETURNS pg_catalog.cstring
    AS 'MODULE_PATHNAME', 'rbac_actionset_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.actionset_out(runai.actionset) IS
  'Output function of runai.actionset: canonical order view, edit, create, delete.';

CREATE OR REPLACE FUNCTION runai_internal.actionset_recv(pg_catalog.internal) RETURNS runai.actionset
    AS 'MODULE_PATHNAME', 'rbac_actionset_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.actionset_recv(pg_catalog.internal) IS
  'Binary input function of runai.actionset: one byte of the bits 1 view, 2 edit, 4 create, 8 delete.';

CREATE OR REPLACE FUNCTION runai_internal.actionset_send(runai.actionset) RETURNS pg_catalog.bytea
    AS 'MODULE_PATHNAME', 'rbac_actionset_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.actionset_send(runai.actionset) IS
  'Binary output function of runai.actionset: one byte of the bits 1 view, 2 edit, 4 create, 8 delete.';

CREATE OR REPLACE FUNCTION runai_internal.actionset_eq(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_eq'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.actionset_eq(runai.actionset, runai.actionset) IS
  'Implementation of the = operator of runai.actionset.';

CREATE OR REPLACE FUNCTION runai_internal.actionset_ne(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_ne'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.actionset_ne(runai.actionset, runai.actionset) IS
  'Implementation of the <> operator of runai.actionset.';

CREATE OR REPLACE FUNCTION runai_internal.actionset_lt(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_lt'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.actionset_lt(runai.actionset, runai.actionset) IS
  'Implementation of the < operator of runai.actionset (bit value order).';

CREATE OR REPLACE FUNCTION runai_internal.actionset_le(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_le'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.actionset_le(runai.actionset, runai.actionset) IS
  'Implementation of the <= operator of runai.actionset (bit value order).';

CREATE OR REPLACE FUNCTION runai_internal.actionset_gt(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_gt'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.actionset_gt(runai.actionset, runai.actionset) IS
  'Implementation of the > operator of runai.actionset (bit value order).';

CREATE OR REPLACE FUNCTION runai_internal.actionset_ge(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_ge'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.actionset_ge(runai.actionset, runai.actionset) IS
  'Implementation of the >= operator of runai.actionset (bit value order).';

CREATE OR REPLACE FUNCTION runai_internal.actionset_cmp(runai.actionset, runai.actionset) RETURNS pg_catalog.int4
    AS 'MODULE_PATHNAME', 'rbac_actionset_cmp'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.actionset_cmp(runai.actionset, runai.actionset) IS
  'Three-way comparison of action sets by bit value (view 1, edit 2, create 4, delete 8).';

CREATE OR REPLACE FUNCTION runai_internal.actionset_hash(runai.actionset) RETURNS pg_catalog.int4
    AS 'MODULE_PATHNAME', 'rbac_actionset_hash'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.actionset_hash(runai.actionset) IS
  'Hash function of runai.actionset.';

CREATE OR REPLACE FUNCTION runai_internal.actionset_hash_extended(runai.actionset, pg_catalog.int8) RETURNS pg_catalog.int8
    AS 'MODULE_PATHNAME', 'rbac_actionset_hash_extended'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai_internal.actionset_hash_extended(runai.actionset, pg_catalog.int8) IS
  'Seeded 64-bit hash function of runai.actionset.';

CREATE OR REPLACE FUNCTION runai_internal.actionset_contains(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_contains'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.actionset_contains(runai.actionset, runai.actionset) IS
  'Does the first action set contain every action of the second (operator @>)?';

CREATE OR REPLACE FUNCTION runai_internal.actionset_contained(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_contained'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.actionset_contained(runai.actionset, runai.actionset) IS
  'Is every action of the first action set in the second (operator <@)?';

CREATE OR REPLACE FUNCTION runai_internal.actionset_overlaps(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_overlaps'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.actionset_overlaps(runai.actionset, runai.actionset) IS
  'Do the two action sets have an action in common (operator &&)?';

CREATE OR REPLACE FUNCTION runai_internal.actionset_union(runai.actionset, runai.actionset) RETURNS runai.actionset
    AS 'MODULE_PATHNAME', 'rbac_actionset_union'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.actionset_union(runai.actionset, runai.actionset) IS
  'Union of two action sets (operator |).';

CREATE OR REPLACE FUNCTION runai_internal.actionset_intersect(runai.actionset, runai.actionset) RETURNS runai.actionset
    AS 'MODULE_PATHNAME', 'rbac_actionset_intersect'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai_internal.actionset_intersect(runai.actionset, runai.actionset) IS
  'Intersection of two action sets (operator &).';

CREATE OR REPLACE FUNCTION runai.actionset(pg_catalog.text[]) RETURNS runai.actionset
    AS 'MODULE_PATHNAME', 'rbac_actionset_from_text_array'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.actionset(pg_catalog.text[]) IS
  'The action set of an array of action names (aliases and any letter case accepted); a NULL element or an unknown name is an error.';

CREATE OR REPLACE FUNCTION runai.actions(runai.actionset) RETURNS pg_catalog.text[]
    AS 'MODULE_PATHNAME', 'rbac_actionset_to_text_array'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.actions(runai.actionset) IS
  'The actions of a set as a text array, in the order view, edit, create, delete.';

CREATE OR REPLACE FUNCTION runai.actionset_has(runai.actionset, pg_catalog.text) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_has'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.actionset_has(runai.actionset, pg_catalog.text) IS
  'Is the named action (view, edit, create, delete, or the aliases read and update) in the set? An unknown name is an error.';
