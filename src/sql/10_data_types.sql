-- Data: the types runai.scope and runai.actionset, their operators, operator classes
-- and casts.
--
-- runai.scope: "system" or "<type>/<id>"; ordered by level (system < tenant <
-- cluster < department < project), then by id bytes; btree and hash operator
-- classes.  runai.actionset: a set of view/edit/create/delete in one byte; set
-- operators, btree and hash operator classes, casts from and to text and text[].
--
-- Where the operators live.  Every operator is created in schema pg_catalog, which
-- PostgreSQL searches first whatever the search path (unless a session puts it
-- later explicitly): `WHERE project = 'project/42'` resolves with the default
-- search path, and no schema that other roles can create in can hold an operator
-- that is found before these for operands of these types (PostgreSQL takes the
-- first operator with exactly the operands' types along the search path).  The
-- operator classes and families live in runai_internal: indexes name them by OID,
-- and a default class is found by type, not by name.

-- ---------------------------------------------------------------------------
-- runai.scope
-- ---------------------------------------------------------------------------

CREATE TYPE runai.scope (
    INPUT = runai_internal.scope_in,
    OUTPUT = runai_internal.scope_out,
    RECEIVE = runai_internal.scope_recv,
    SEND = runai_internal.scope_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = main
);
COMMENT ON TYPE runai.scope IS
  'A node of the scope tree: "system", or "<type>/<id>" with type tenant, cluster, department or project and an id of 1 to 63 characters of [A-Za-z0-9._:-].';

CREATE OPERATOR pg_catalog.= (
    LEFTARG = runai.scope, RIGHTARG = runai.scope,
    FUNCTION = runai_internal.scope_eq,
    COMMUTATOR = OPERATOR(pg_catalog.=), NEGATOR = OPERATOR(pg_catalog.<>),
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel,
    HASHES, MERGES
);
COMMENT ON OPERATOR pg_catalog.= (runai.scope, runai.scope) IS 'equal';

CREATE OPERATOR pg_catalog.<> (
    LEFTARG = runai.scope, RIGHTARG = runai.scope,
    FUNCTION = runai_internal.scope_ne,
    COMMUTATOR = OPERATOR(pg_catalog.<>), NEGATOR = OPERATOR(pg_catalog.=),
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
COMMENT ON OPERATOR pg_catalog.<> (runai.scope, runai.scope) IS 'not equal';

CREATE OPERATOR pg_catalog.< (
    LEFTARG = runai.scope, RIGHTARG = runai.scope,
    FUNCTION = runai_internal.scope_lt,
    COMMUTATOR = OPERATOR(pg_catalog.>), NEGATOR = OPERATOR(pg_catalog.>=),
    RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel
);
COMMENT ON OPERATOR pg_catalog.< (runai.scope, runai.scope) IS 'less than (level first, then id)';

CREATE OPERATOR pg_catalog.<= (
    LEFTARG = runai.scope, RIGHTARG = runai.scope,
    FUNCTION = runai_internal.scope_le,
    COMMUTATOR = OPERATOR(pg_catalog.>=), NEGATOR = OPERATOR(pg_catalog.>),
    RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel
);
COMMENT ON OPERATOR pg_catalog.<= (runai.scope, runai.scope) IS 'less than or equal (level first, then id)';

CREATE OPERATOR pg_catalog.> (
    LEFTARG = runai.scope, RIGHTARG = runai.scope,
    FUNCTION = runai_internal.scope_gt,
    COMMUTATOR = OPERATOR(pg_catalog.<), NEGATOR = OPERATOR(pg_catalog.<=),
    RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel
);
COMMENT ON OPERATOR pg_catalog.> (runai.scope, runai.scope) IS 'greater than (level first, then id)';

CREATE OPERATOR pg_catalog.>= (
    LEFTARG = runai.scope, RIGHTARG = runai.scope,
    FUNCTION = runai_internal.scope_ge,
    COMMUTATOR = OPERATOR(pg_catalog.<=), NEGATOR = OPERATOR(pg_catalog.<),
    RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel
);
COMMENT ON OPERATOR pg_catalog.>= (runai.scope, runai.scope) IS 'greater than or equal (level first, then id)';

-- Support function 4 (btequalimage) lets btree indexes deduplicate: equal scopes
-- have identical bytes.
CREATE OPERATOR CLASS runai_internal.scope_ops
    DEFAULT FOR TYPE runai.scope USING btree AS
        OPERATOR 1 pg_catalog.< ,
        OPERATOR 2 pg_catalog.<= ,
        OPERATOR 3 pg_catalog.= ,
        OPERATOR 4 pg_catalog.>= ,
        OPERATOR 5 pg_catalog.> ,
        FUNCTION 1 runai_internal.scope_cmp(runai.scope, runai.scope),
        FUNCTION 4 pg_catalog.btequalimage(pg_catalog.oid);
COMMENT ON OPERATOR CLASS runai_internal.scope_ops USING btree IS
  'Default btree operator class of runai.scope: level first, then id.';
COMMENT ON OPERATOR FAMILY runai_internal.scope_ops USING btree IS
  'Btree operator family of runai.scope.';

CREATE OPERATOR CLASS runai_internal.scope_ops
    DEFAULT FOR TYPE runai.scope USING hash AS
        OPERATOR 1 pg_catalog.= ,
        FUNCTION 1 runai_internal.scope_hash(runai.scope),
        FUNCTION 2 runai_internal.scope_hash_extended(runai.scope, pg_catalog.int8);
COMMENT ON OPERATOR CLASS runai_internal.scope_ops USING hash IS
  'Default hash operator class of runai.scope.';
COMMENT ON OPERATOR FAMILY runai_internal.scope_ops USING hash IS
  'Hash operator family of runai.scope.';

-- Casts from and to text, so that text expressions can be stored in scope columns.
CREATE CAST (pg_catalog.text AS runai.scope) WITH INOUT AS ASSIGNMENT;
COMMENT ON CAST (pg_catalog.text AS runai.scope) IS
  'Parses the text form of a scope, such as project/42.';

CREATE CAST (runai.scope AS pg_catalog.text) WITH INOUT AS ASSIGNMENT;
COMMENT ON CAST (runai.scope AS pg_catalog.text) IS
  'The text form of a scope.';

-- ---------------------------------------------------------------------------
-- runai.actionset
-- ---------------------------------------------------------------------------

CREATE TYPE runai.actionset (
    INPUT = runai_internal.actionset_in,
    OUTPUT = runai_internal.actionset_out,
    RECEIVE = runai_internal.actionset_recv,
    SEND = runai_internal.actionset_send,
    INTERNALLENGTH = 1,
    PASSEDBYVALUE,
    ALIGNMENT = char,
    STORAGE = plain
);
COMMENT ON TYPE runai.actionset IS
  'A set of the actions view, edit, create and delete; text form {view,edit}, {} when empty.';

-- Comparison (the order is that of the bit value: it exists for indexes and sorting)

CREATE OPERATOR pg_catalog.= (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai_internal.actionset_eq,
    COMMUTATOR = OPERATOR(pg_catalog.=), NEGATOR = OPERATOR(pg_catalog.<>),
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel,
    HASHES, MERGES
);
COMMENT ON OPERATOR pg_catalog.= (runai.actionset, runai.actionset) IS 'equal';

CREATE OPERATOR pg_catalog.<> (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai_internal.actionset_ne,
    COMMUTATOR = OPERATOR(pg_catalog.<>), NEGATOR = OPERATOR(pg_catalog.=),
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
COMMENT ON OPERATOR pg_catalog.<> (runai.actionset, runai.actionset) IS 'not equal';

CREATE OPERATOR pg_catalog.< (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai_internal.actionset_lt,
    COMMUTATOR = OPERATOR(pg_catalog.>), NEGATOR = OPERATOR(pg_catalog.>=),
    RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel
);
COMMENT ON OPERATOR pg_catalog.< (runai.actionset, runai.actionset) IS 'less than, by bit value';

CREATE OPERATOR pg_catalog.<= (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai_internal.actionset_le,
    COMMUTATOR = OPERATOR(pg_catalog.>=), NEGATOR = OPERATOR(pg_catalog.>),
    RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel
);
COMMENT ON OPERATOR pg_catalog.<= (runai.actionset, runai.actionset) IS 'less than or equal, by bit value';

CREATE OPERATOR pg_catalog.> (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai_internal.actionset_gt,
    COMMUTATOR = OPERATOR(pg_catalog.<), NEGATOR = OPERATOR(pg_catalog.<=),
    RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel
);
COMMENT ON OPERATOR pg_catalog.> (runai.actionset, runai.actionset) IS 'greater than, by bit value';

CREATE OPERATOR pg_catalog.>= (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai_internal.actionset_ge,
    COMMUTATOR = OPERATOR(pg_catalog.<=), NEGATOR = OPERATOR(pg_catalog.<),
    RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel
);
COMMENT ON OPERATOR pg_catalog.>= (runai.actionset, runai.actionset) IS 'greater than or equal, by bit value';

-- Set operations

CREATE OPERATOR pg_catalog.@> (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai_internal.actionset_contains,
    COMMUTATOR = OPERATOR(pg_catalog.<@),
    RESTRICT = pg_catalog.contsel, JOIN = pg_catalog.contjoinsel
);
COMMENT ON OPERATOR pg_catalog.@> (runai.actionset, runai.actionset) IS 'contains';

CREATE OPERATOR pg_catalog.<@ (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai_internal.actionset_contained,
    COMMUTATOR = OPERATOR(pg_catalog.@>),
    RESTRICT = pg_catalog.contsel, JOIN = pg_catalog.contjoinsel
);
COMMENT ON OPERATOR pg_catalog.<@ (runai.actionset, runai.actionset) IS 'is contained by';

CREATE OPERATOR pg_catalog.&& (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai_internal.actionset_overlaps,
    COMMUTATOR = OPERATOR(pg_catalog.&&),
    RESTRICT = pg_catalog.contsel, JOIN = pg_catalog.contjoinsel
);
COMMENT ON OPERATOR pg_catalog.&& (runai.actionset, runai.actionset) IS 'overlaps (has an action in common)';

CREATE OPERATOR pg_catalog.| (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai_internal.actionset_union,
    COMMUTATOR = OPERATOR(pg_catalog.|)
);
COMMENT ON OPERATOR pg_catalog.| (runai.actionset, runai.actionset) IS 'union';

CREATE OPERATOR pg_catalog.& (
    LEFTARG = runai.actionset, RIGHTARG = runai.actionset,
    FUNCTION = runai_internal.actionset_intersect,
    COMMUTATOR = OPERATOR(pg_catalog.&)
);
COMMENT ON OPERATOR pg_catalog.& (runai.actionset, runai.actionset) IS 'intersection';

CREATE OPERATOR CLASS runai_internal.actionset_ops
    DEFAULT FOR TYPE runai.actionset USING btree AS
        OPERATOR 1 pg_catalog.< ,
        OPERATOR 2 pg_catalog.<= ,
        OPERATOR 3 pg_catalog.= ,
        OPERATOR 4 pg_catalog.>= ,
        OPERATOR 5 pg_catalog.> ,
        FUNCTION 1 runai_internal.actionset_cmp(runai.actionset, runai.actionset),
        FUNCTION 4 pg_catalog.btequalimage(pg_catalog.oid);
COMMENT ON OPERATOR CLASS runai_internal.actionset_ops USING btree IS
  'Default btree operator class of runai.actionset, by bit value.';
COMMENT ON OPERATOR FAMILY runai_internal.actionset_ops USING btree IS
  'Btree operator family of runai.actionset.';

CREATE OPERATOR CLASS runai_internal.actionset_ops
    DEFAULT FOR TYPE runai.actionset USING hash AS
        OPERATOR 1 pg_catalog.= ,
        FUNCTION 1 runai_internal.actionset_hash(runai.actionset),
        FUNCTION 2 runai_internal.actionset_hash_extended(runai.actionset, pg_catalog.int8);
COMMENT ON OPERATOR CLASS runai_internal.actionset_ops USING hash IS
  'Default hash operator class of runai.actionset.';
COMMENT ON OPERATOR FAMILY runai_internal.actionset_ops USING hash IS
  'Hash operator family of runai.actionset.';

-- Casts

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
