-- The data types runai.scope and runai.actionset (C, src/types.c).
--
-- runai.scope: "system" or "<type>/<id>"; ordered by level (system < tenant <
-- cluster < department < project), then by id bytes; btree and hash operator
-- classes.  runai.actionset: a set of view/edit/create/delete in one byte; set
-- operators, btree and hash operator classes, casts from and to text and text[],
-- and the union aggregate runai.actionset_agg.
--
-- All functions are IMMUTABLE PARALLEL SAFE and, except runai.scope(text, text),
-- STRICT.  The comparison and set operators never raise an error on valid input,
-- so they are LEAKPROOF and may be pushed below row-level security.

-- ---------------------------------------------------------------------------
-- runai.scope
-- ---------------------------------------------------------------------------

CREATE TYPE runai.scope;

CREATE FUNCTION runai.scope_in(pg_catalog.cstring) RETURNS runai.scope
    AS 'MODULE_PATHNAME', 'rbac_scope_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.scope_in(pg_catalog.cstring) IS
  'Input function of runai.scope: parses "system" or "<type>/<id>".';

CREATE FUNCTION runai.scope_out(runai.scope) RETURNS pg_catalog.cstring
    AS 'MODULE_PATHNAME', 'rbac_scope_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.scope_out(runai.scope) IS
  'Output function of runai.scope: "system" or "<type>/<id>".';

CREATE FUNCTION runai.scope_recv(pg_catalog.internal) RETURNS runai.scope
    AS 'MODULE_PATHNAME', 'rbac_scope_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.scope_recv(pg_catalog.internal) IS
  'Binary input function of runai.scope: the text form as bytes, validated like the text input.';

CREATE FUNCTION runai.scope_send(runai.scope) RETURNS pg_catalog.bytea
    AS 'MODULE_PATHNAME', 'rbac_scope_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.scope_send(runai.scope) IS
  'Binary output function of runai.scope: the text form as bytes.';

CREATE TYPE runai.scope (
    INPUT = runai.scope_in,
    OUTPUT = runai.scope_out,
    RECEIVE = runai.scope_recv,
    SEND = runai.scope_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = main
);
COMMENT ON TYPE runai.scope IS
  'A node of the scope tree: "system", or "<type>/<id>" with type tenant, cluster, department or project and an id of 1 to 63 characters of [A-Za-z0-9._:-].';

-- Comparison

CREATE FUNCTION runai.scope_eq(runai.scope, runai.scope) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_scope_eq'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.scope_eq(runai.scope, runai.scope) IS
  'Implementation of the = operator of runai.scope.';

CREATE FUNCTION runai.scope_ne(runai.scope, runai.scope) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_scope_ne'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.scope_ne(runai.scope, runai.scope) IS
  'Implementation of the <> operator of runai.scope.';

CREATE FUNCTION runai.scope_lt(runai.scope, runai.scope) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_scope_lt'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.scope_lt(runai.scope, runai.scope) IS
  'Implementation of the < operator of runai.scope (level first, then id).';

CREATE FUNCTION runai.scope_le(runai.scope, runai.scope) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_scope_le'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.scope_le(runai.scope, runai.scope) IS
  'Implementation of the <= operator of runai.scope (level first, then id).';

CREATE FUNCTION runai.scope_gt(runai.scope, runai.scope) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_scope_gt'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.scope_gt(runai.scope, runai.scope) IS
  'Implementation of the > operator of runai.scope (level first, then id).';

CREATE FUNCTION runai.scope_ge(runai.scope, runai.scope) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_scope_ge'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.scope_ge(runai.scope, runai.scope) IS
  'Implementation of the >= operator of runai.scope (level first, then id).';

CREATE FUNCTION runai.scope_cmp(runai.scope, runai.scope) RETURNS pg_catalog.int4
    AS 'MODULE_PATHNAME', 'rbac_scope_cmp'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.scope_cmp(runai.scope, runai.scope) IS
  'Three-way comparison of scopes (-1, 0, 1): level system < tenant < cluster < department < project, then id bytes, a shorter id first.';

CREATE FUNCTION runai.scope_hash(runai.scope) RETURNS pg_catalog.int4
    AS 'MODULE_PATHNAME', 'rbac_scope_hash'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.scope_hash(runai.scope) IS
  'Hash function of runai.scope, for hash joins, hash aggregation and hash indexes.';

CREATE FUNCTION runai.scope_hash_extended(runai.scope, pg_catalog.int8) RETURNS pg_catalog.int8
    AS 'MODULE_PATHNAME', 'rbac_scope_hash_extended'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.scope_hash_extended(runai.scope, pg_catalog.int8) IS
  'Seeded 64-bit hash function of runai.scope, for hash partitioning.';

CREATE OPERATOR runai.= (
    LEFTARG = runai.scope, RIGHTARG = runai.scope,
    FUNCTION = runai.scope_eq,
    COMMUTATOR = OPERATOR(runai.=), NEGATOR = OPERATOR(runai.<>),
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel,
    HASHES, MERGES
);
COMMENT ON OPERATOR runai.= (runai.scope, runai.scope) IS 'equal';

CREATE OPERATOR runai.<> (
    LEFTARG = runai.scope, RIGHTARG = runai.scope,
    FUNCTION = runai.scope_ne,
    COMMUTATOR = OPERATOR(runai.<>), NEGATOR = OPERATOR(runai.=),
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
COMMENT ON OPERATOR runai.<> (runai.scope, runai.scope) IS 'not equal';

CREATE OPERATOR runai.< (
    LEFTARG = runai.scope, RIGHTARG = runai.scope,
    FUNCTION = runai.scope_lt,
    COMMUTATOR = OPERATOR(runai.>), NEGATOR = OPERATOR(runai.>=),
    RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel
);
COMMENT ON OPERATOR runai.< (runai.scope, runai.scope) IS 'less than (level first, then id)';

CREATE OPERATOR runai.<= (
    LEFTARG = runai.scope, RIGHTARG = runai.scope,
    FUNCTION = runai.scope_le,
    COMMUTATOR = OPERATOR(runai.>=), NEGATOR = OPERATOR(runai.>),
    RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel
);
COMMENT ON OPERATOR runai.<= (runai.scope, runai.scope) IS 'less than or equal (level first, then id)';

CREATE OPERATOR runai.> (
    LEFTARG = runai.scope, RIGHTARG = runai.scope,
    FUNCTION = runai.scope_gt,
    COMMUTATOR = OPERATOR(runai.<), NEGATOR = OPERATOR(runai.<=),
    RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel
);
COMMENT ON OPERATOR runai.> (runai.scope, runai.scope) IS 'greater than (level first, then id)';

CREATE OPERATOR runai.>= (
    LEFTARG = runai.scope, RIGHTARG = runai.scope,
    FUNCTION = runai.scope_ge,
    COMMUTATOR = OPERATOR(runai.<=), NEGATOR = OPERATOR(runai.<),
    RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel
);
COMMENT ON OPERATOR runai.>= (runai.scope, runai.scope) IS 'greater than or equal (level first, then id)';

-- Support function 4 (btequalimage) lets btree indexes deduplicate: equal scopes
-- have identical bytes.
CREATE OPERATOR CLASS runai.scope_ops
    DEFAULT FOR TYPE runai.scope USING btree AS
        OPERATOR 1 runai.< ,
        OPERATOR 2 runai.<= ,
        OPERATOR 3 runai.= ,
        OPERATOR 4 runai.>= ,
        OPERATOR 5 runai.> ,
        FUNCTION 1 runai.scope_cmp(runai.scope, runai.scope),
        FUNCTION 4 pg_catalog.btequalimage(pg_catalog.oid);
COMMENT ON OPERATOR CLASS runai.scope_ops USING btree IS
  'Default btree operator class of runai.scope: level first, then id.';
COMMENT ON OPERATOR FAMILY runai.scope_ops USING btree IS
  'Btree operator family of runai.scope.';

CREATE OPERATOR CLASS runai.scope_ops
    DEFAULT FOR TYPE runai.scope USING hash AS
        OPERATOR 1 runai.= ,
        FUNCTION 1 runai.scope_hash(runai.scope),
        FUNCTION 2 runai.scope_hash_extended(runai.scope, pg_catalog.int8);
COMMENT ON OPERATOR CLASS runai.scope_ops USING hash IS
  'Default hash operator class of runai.scope.';
COMMENT ON OPERATOR FAMILY runai.scope_ops USING hash IS
  'Hash operator family of runai.scope.';

-- Casts from and to text, so that text expressions can be stored in scope columns.
CREATE CAST (pg_catalog.text AS runai.scope) WITH INOUT AS ASSIGNMENT;
COMMENT ON CAST (pg_catalog.text AS runai.scope) IS
  'Parses the text form of a scope, such as project/42.';

CREATE CAST (runai.scope AS pg_catalog.text) WITH INOUT AS ASSIGNMENT;
COMMENT ON CAST (runai.scope AS pg_catalog.text) IS
  'The text form of a scope.';

-- Accessors and constructor

CREATE FUNCTION runai.scope_type(runai.scope) RETURNS pg_catalog.text
    AS 'MODULE_PATHNAME', 'rbac_scope_type_sql'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.scope_type(runai.scope) IS
  'The type of a scope: system, tenant, cluster, department or project.';

CREATE FUNCTION runai.scope_id(runai.scope) RETURNS pg_catalog.text
    AS 'MODULE_PATHNAME', 'rbac_scope_id_sql'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.scope_id(runai.scope) IS
  'The id of a scope; NULL for the system scope.';

-- Not STRICT: the system scope is runai.scope('system', NULL).
CREATE FUNCTION runai.scope(type pg_catalog.text, id pg_catalog.text) RETURNS runai.scope
    AS 'MODULE_PATHNAME', 'rbac_scope_construct'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION runai.scope(pg_catalog.text, pg_catalog.text) IS
  'Builds a scope from its type and id (NULL id for system); a NULL or invalid argument is an error.';

-- ---------------------------------------------------------------------------
-- runai.actionset
-- ---------------------------------------------------------------------------

CREATE TYPE runai.actionset;

CREATE FUNCTION runai.actionset_in(pg_catalog.cstring) RETURNS runai.actionset
    AS 'MODULE_PATHNAME', 'rbac_actionset_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.actionset_in(pg_catalog.cstring) IS
  'Input function of runai.actionset: parses "{view,edit}", "{}", with the aliases read and update.';

CREATE FUNCTION runai.actionset_out(runai.actionset) RETURNS pg_catalog.cstring
    AS 'MODULE_PATHNAME', 'rbac_actionset_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.actionset_out(runai.actionset) IS
  'Output function of runai.actionset: canonical order view, edit, create, delete.';

CREATE FUNCTION runai.actionset_recv(pg_catalog.internal) RETURNS runai.actionset
    AS 'MODULE_PATHNAME', 'rbac_actionset_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.actionset_recv(pg_catalog.internal) IS
  'Binary input function of runai.actionset: one byte of the bits 1 view, 2 edit, 4 create, 8 delete.';

CREATE FUNCTION runai.actionset_send(runai.actionset) RETURNS pg_catalog.bytea
    AS 'MODULE_PATHNAME', 'rbac_actionset_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.actionset_send(runai.actionset) IS
  'Binary output function of runai.actionset: one byte of the bits 1 view, 2 edit, 4 create, 8 delete.';

CREATE TYPE runai.actionset (
    INPUT = runai.actionset_in,
    OUTPUT = runai.actionset_out,
    RECEIVE = runai.actionset_recv,
    SEND = runai.actionset_send,
    INTERNALLENGTH = 1,
    PASSEDBYVALUE,
    ALIGNMENT = char,
    STORAGE = plain
);
COMMENT ON TYPE runai.actionset IS
  'A set of the actions view, edit, create and delete; text form {view,edit}, {} when empty.';

-- Comparison (the order is that of the bit value: it exists for indexes and sorting)

CREATE FUNCTION runai.actionset_eq(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_eq'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.actionset_eq(runai.actionset, runai.actionset) IS
  'Implementation of the = operator of runai.actionset.';

CREATE FUNCTION runai.actionset_ne(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_ne'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.actionset_ne(runai.actionset, runai.actionset) IS
  'Implementation of the <> operator of runai.actionset.';

CREATE FUNCTION runai.actionset_lt(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_lt'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.actionset_lt(runai.actionset, runai.actionset) IS
  'Implementation of the < operator of runai.actionset (bit value order).';

CREATE FUNCTION runai.actionset_le(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_le'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.actionset_le(runai.actionset, runai.actionset) IS
  'Implementation of the <= operator of runai.actionset (bit value order).';

CREATE FUNCTION runai.actionset_gt(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_gt'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.actionset_gt(runai.actionset, runai.actionset) IS
  'Implementation of the > operator of runai.actionset (bit value order).';

CREATE FUNCTION runai.actionset_ge(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_ge'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.actionset_ge(runai.actionset, runai.actionset) IS
  'Implementation of the >= operator of runai.actionset (bit value order).';

CREATE FUNCTION runai.actionset_cmp(runai.actionset, runai.actionset) RETURNS pg_catalog.int4
    AS 'MODULE_PATHNAME', 'rbac_actionset_cmp'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.actionset_cmp(runai.actionset, runai.actionset) IS
  'Three-way comparison of action sets by bit value (view 1, edit 2, create 4, delete 8).';

CREATE FUNCTION runai.actionset_hash(runai.actionset) RETURNS pg_catalog.int4
    AS 'MODULE_PATHNAME', 'rbac_actionset_hash'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.actionset_hash(runai.actionset) IS
  'Hash function of runai.actionset.';

CREATE FUNCTION runai.actionset_hash_extended(runai.actionset, pg_catalog.int8) RETURNS pg_catalog.int8
    AS 'MODULE_PATHNAME', 'rbac_actionset_hash_extended'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.actionset_hash_extended(runai.actionset, pg_catalog.int8) IS
  'Seeded 64-bit hash function of runai.actionset.';

-- Set operations

CREATE FUNCTION runai.actionset_contains(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_contains'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.actionset_contains(runai.actionset, runai.actionset) IS
  'Does the first action set contain every action of the second (operator @>)?';

CREATE FUNCTION runai.actionset_contained(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_contained'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.actionset_contained(runai.actionset, runai.actionset) IS
  'Is every action of the first action set in the second (operator <@)?';

CREATE FUNCTION runai.actionset_overlaps(runai.actionset, runai.actionset) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_overlaps'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.actionset_overlaps(runai.actionset, runai.actionset) IS
  'Do the two action sets have an action in common (operator &&)?';

CREATE FUNCTION runai.actionset_union(runai.actionset, runai.actionset) RETURNS runai.actionset
    AS 'MODULE_PATHNAME', 'rbac_actionset_union'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.actionset_union(runai.actionset, runai.actionset) IS
  'Union of two action sets (operator |).';

CREATE FUNCTION runai.actionset_intersect(runai.actionset, runai.actionset) RETURNS runai.actionset
    AS 'MODULE_PATHNAME', 'rbac_actionset_intersect'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION runai.actionset_intersect(runai.actionset, runai.actionset) IS
  'Intersection of two action sets (operator &).';

CREATE OPERATOR runai.= (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai.actionset_eq,
    COMMUTATOR = OPERATOR(runai.=), NEGATOR = OPERATOR(runai.<>),
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel,
    HASHES, MERGES
);
COMMENT ON OPERATOR runai.= (runai.actionset, runai.actionset) IS 'equal';

CREATE OPERATOR runai.<> (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai.actionset_ne,
    COMMUTATOR = OPERATOR(runai.<>), NEGATOR = OPERATOR(runai.=),
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
COMMENT ON OPERATOR runai.<> (runai.actionset, runai.actionset) IS 'not equal';

CREATE OPERATOR runai.< (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai.actionset_lt,
    COMMUTATOR = OPERATOR(runai.>), NEGATOR = OPERATOR(runai.>=),
    RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel
);
COMMENT ON OPERATOR runai.< (runai.actionset, runai.actionset) IS 'less than, by bit value';

CREATE OPERATOR runai.<= (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai.actionset_le,
    COMMUTATOR = OPERATOR(runai.>=), NEGATOR = OPERATOR(runai.>),
    RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel
);
COMMENT ON OPERATOR runai.<= (runai.actionset, runai.actionset) IS 'less than or equal, by bit value';

CREATE OPERATOR runai.> (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai.actionset_gt,
    COMMUTATOR = OPERATOR(runai.<), NEGATOR = OPERATOR(runai.<=),
    RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel
);
COMMENT ON OPERATOR runai.> (runai.actionset, runai.actionset) IS 'greater than, by bit value';

CREATE OPERATOR runai.>= (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai.actionset_ge,
    COMMUTATOR = OPERATOR(runai.<=), NEGATOR = OPERATOR(runai.<),
    RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel
);
COMMENT ON OPERATOR runai.>= (runai.actionset, runai.actionset) IS 'greater than or equal, by bit value';

CREATE OPERATOR runai.@> (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai.actionset_contains,
    COMMUTATOR = OPERATOR(runai.<@),
    RESTRICT = pg_catalog.contsel, JOIN = pg_catalog.contjoinsel
);
COMMENT ON OPERATOR runai.@> (runai.actionset, runai.actionset) IS 'contains';

CREATE OPERATOR runai.<@ (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai.actionset_contained,
    COMMUTATOR = OPERATOR(runai.@>),
    RESTRICT = pg_catalog.contsel, JOIN = pg_catalog.contjoinsel
);
COMMENT ON OPERATOR runai.<@ (runai.actionset, runai.actionset) IS 'is contained by';

CREATE OPERATOR runai.&& (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai.actionset_overlaps,
    COMMUTATOR = OPERATOR(runai.&&),
    RESTRICT = pg_catalog.contsel, JOIN = pg_catalog.contjoinsel
);
COMMENT ON OPERATOR runai.&& (runai.actionset, runai.actionset) IS 'overlaps (has an action in common)';

CREATE OPERATOR runai.| (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai.actionset_union,
    COMMUTATOR = OPERATOR(runai.|)
);
COMMENT ON OPERATOR runai.| (runai.actionset, runai.actionset) IS 'union';

CREATE OPERATOR runai.& (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai.actionset_intersect,
    COMMUTATOR = OPERATOR(runai.&)
);
COMMENT ON OPERATOR runai.& (runai.actionset, runai.actionset) IS 'intersection';

CREATE OPERATOR CLASS runai.actionset_ops
    DEFAULT FOR TYPE runai.actionset USING btree AS
        OPERATOR 1 runai.< ,
        OPERATOR 2 runai.<= ,
        OPERATOR 3 runai.= ,
        OPERATOR 4 runai.>= ,
        OPERATOR 5 runai.> ,
        FUNCTION 1 runai.actionset_cmp(runai.actionset, runai.actionset),
        FUNCTION 4 pg_catalog.btequalimage(pg_catalog.oid);
COMMENT ON OPERATOR CLASS runai.actionset_ops USING btree IS
  'Default btree operator class of runai.actionset, by bit value.';
COMMENT ON OPERATOR FAMILY runai.actionset_ops USING btree IS
  'Btree operator family of runai.actionset.';

CREATE OPERATOR CLASS runai.actionset_ops
    DEFAULT FOR TYPE runai.actionset USING hash AS
        OPERATOR 1 runai.= ,
        FUNCTION 1 runai.actionset_hash(runai.actionset),
        FUNCTION 2 runai.actionset_hash_extended(runai.actionset, pg_catalog.int8);
COMMENT ON OPERATOR CLASS runai.actionset_ops USING hash IS
  'Default hash operator class of runai.actionset.';
COMMENT ON OPERATOR FAMILY runai.actionset_ops USING hash IS
  'Hash operator family of runai.actionset.';

-- Casts and helpers

CREATE FUNCTION runai.actionset(pg_catalog.text[]) RETURNS runai.actionset
    AS 'MODULE_PATHNAME', 'rbac_actionset_from_text_array'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.actionset(pg_catalog.text[]) IS
  'The action set of an array of action names (aliases and any letter case accepted); a NULL element or an unknown name is an error.';

CREATE FUNCTION runai.actions(runai.actionset) RETURNS pg_catalog.text[]
    AS 'MODULE_PATHNAME', 'rbac_actionset_to_text_array'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.actions(runai.actionset) IS
  'The actions of a set as a text array, in the order view, edit, create, delete.';

CREATE FUNCTION runai.actionset_has(runai.actionset, pg_catalog.text) RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'rbac_actionset_has'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION runai.actionset_has(runai.actionset, pg_catalog.text) IS
  'Is the named action (view, edit, create, delete, or the aliases read and update) in the set? An unknown name is an error.';

CREATE CAST (pg_catalog.text AS runai.actionset) WITH INOUT AS ASSIGNMENT;
COMMENT ON CAST (pg_catalog.text AS runai.actionset) IS
  'Parses the text form of an action set, such as {view,edit}.';

CREATE CAST (runai.actionset AS pg_catalog.text) WITH INOUT AS ASSIGNMENT;
COMMENT ON CAST (runai.actionset AS pg_catalog.text) IS
  'The canonical text form of an action set.';

CREATE CAST (pg_catalog.text[] AS runai.actionset)
    WITH FUNCTION runai.actionset(pg_catalog.text[]) AS ASSIGNMENT;
COMMENT ON CAST (pg_catalog.text[] AS runai.actionset) IS
  'The action set of an array of action names.';

CREATE CAST (runai.actionset AS pg_catalog.text[])
    WITH FUNCTION runai.actions(runai.actionset) AS ASSIGNMENT;
COMMENT ON CAST (runai.actionset AS pg_catalog.text[]) IS
  'The actions of a set as a text array, in canonical order.';

CREATE AGGREGATE runai.actionset_agg(runai.actionset) (
    SFUNC = runai.actionset_union,
    STYPE = runai.actionset,
    COMBINEFUNC = runai.actionset_union,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE runai.actionset_agg(runai.actionset) IS
  'Union of the non-NULL action sets of a group; NULL when there are none.';
