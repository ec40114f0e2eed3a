-- Data: the comparison operators between runai.scope and text, in pg_catalog.
--
-- Why they exist.  PostgreSQL chooses an operator by its operands' types, and takes
-- an operator whose types match exactly from the first schema of the search path
-- that has one, before it considers operators that need a conversion.  For two
-- scopes, or a scope and a quoted literal, the operators of 10_data_types.sql in
-- pg_catalog (searched first) match exactly.  A scope and a text value (a text
-- column, a text parameter) have no exact match there, and there is no implicit
-- conversion between them either: without these operators such a comparison
-- fails, and an operator (runai.scope, text) planted in any schema of the search
-- path would be chosen instead.  With them, pg_catalog has the exact match.  They
-- read the text as a scope and compare scopes (their SQL bodies are inlined by the
-- planner, 15_code_type_sql.sql), so the result, the error for malformed text and
-- the use of indexes are those of `scope_col = text_value::runai.scope`.
-- Operands of other types (varchar, name, a domain) should be cast to runai.scope.

CREATE OPERATOR pg_catalog.= (
    LEFTARG = runai.scope, RIGHTARG = pg_catalog.text,
    FUNCTION = runai_internal.scope_eq_text,
    COMMUTATOR = OPERATOR(pg_catalog.=), NEGATOR = OPERATOR(pg_catalog.<>),
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel
);
COMMENT ON OPERATOR pg_catalog.= (runai.scope, pg_catalog.text) IS 'equal, the text read as a scope';

CREATE OPERATOR pg_catalog.<> (
    LEFTARG = runai.scope, RIGHTARG = pg_catalog.text,
    FUNCTION = runai_internal.scope_ne_text,
    COMMUTATOR = OPERATOR(pg_catalog.<>), NEGATOR = OPERATOR(pg_catalog.=),
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
COMMENT ON OPERATOR pg_catalog.<> (runai.scope, pg_catalog.text) IS 'not equal, the text read as a scope';

CREATE OPERATOR pg_catalog.< (
    LEFTARG = runai.scope, RIGHTARG = pg_catalog.text,
    FUNCTION = runai_internal.scope_lt_text,
    COMMUTATOR = OPERATOR(pg_catalog.>), NEGATOR = OPERATOR(pg_catalog.>=),
    RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel
);
COMMENT ON OPERATOR pg_catalog.< (runai.scope, pg_catalog.text) IS 'less than, the text read as a scope';

CREATE OPERATOR pg_catalog.<= (
    LEFTARG = runai.scope, RIGHTARG = pg_catalog.text,
    FUNCTION = runai_internal.scope_le_text,
    COMMUTATOR = OPERATOR(pg_catalog.>=), NEGATOR = OPERATOR(pg_catalog.>),
    RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel
);
COMMENT ON OPERATOR pg_catalog.<= (runai.scope, pg_catalog.text) IS 'less than or equal, the text read as a scope';

CREATE OPERATOR pg_catalog.> (
    LEFTARG = runai.scope, RIGHTARG = pg_catalog.text,
    FUNCTION = runai_internal.scope_gt_text,
    COMMUTATOR = OPERATOR(pg_catalog.<), NEGATOR = OPERATOR(pg_catalog.<=),
    RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel
);
COMMENT ON OPERATOR pg_catalog.> (runai.scope, pg_catalog.text) IS 'greater than, the text read as a scope';

CREATE OPERATOR pg_catalog.>= (
    LEFTARG = runai.scope, RIGHTARG = pg_catalog.text,
    FUNCTION = runai_internal.scope_ge_text,
    COMMUTATOR = OPERATOR(pg_catalog.<=), NEGATOR = OPERATOR(pg_catalog.<),
    RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel
);
COMMENT ON OPERATOR pg_catalog.>= (runai.scope, pg_catalog.text) IS 'greater than or equal, the text read as a scope';

CREATE OPERATOR pg_catalog.= (
    LEFTARG = pg_catalog.text, RIGHTARG = runai.scope,
    FUNCTION = runai_internal.text_eq_scope,
    COMMUTATOR = OPERATOR(pg_catalog.=), NEGATOR = OPERATOR(pg_catalog.<>),
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel
);
COMMENT ON OPERATOR pg_catalog.= (pg_catalog.text, runai.scope) IS 'equal, the text read as a scope';

CREATE OPERATOR pg_catalog.<> (
    LEFTARG = pg_catalog.text, RIGHTARG = runai.scope,
    FUNCTION = runai_internal.text_ne_scope,
    COMMUTATOR = OPERATOR(pg_catalog.<>), NEGATOR = OPERATOR(pg_catalog.=),
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
COMMENT ON OPERATOR pg_catalog.<> (pg_catalog.text, runai.scope) IS 'not equal, the text read as a scope';

CREATE OPERATOR pg_catalog.< (
    LEFTARG = pg_catalog.text, RIGHTARG = runai.scope,
    FUNCTION = runai_internal.text_lt_scope,
    COMMUTATOR = OPERATOR(pg_catalog.>), NEGATOR = OPERATOR(pg_catalog.>=),
    RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel
);
COMMENT ON OPERATOR pg_catalog.< (pg_catalog.text, runai.scope) IS 'less than, the text read as a scope';

CREATE OPERATOR pg_catalog.<= (
    LEFTARG = pg_catalog.text, RIGHTARG = runai.scope,
    FUNCTION = runai_internal.text_le_scope,
    COMMUTATOR = OPERATOR(pg_catalog.>=), NEGATOR = OPERATOR(pg_catalog.>),
    RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel
);
COMMENT ON OPERATOR pg_catalog.<= (pg_catalog.text, runai.scope) IS 'less than or equal, the text read as a scope';

CREATE OPERATOR pg_catalog.> (
    LEFTARG = pg_catalog.text, RIGHTARG = runai.scope,
    FUNCTION = runai_internal.text_gt_scope,
    COMMUTATOR = OPERATOR(pg_catalog.<), NEGATOR = OPERATOR(pg_catalog.<=),
    RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel
);
COMMENT ON OPERATOR pg_catalog.> (pg_catalog.text, runai.scope) IS 'greater than, the text read as a scope';

CREATE OPERATOR pg_catalog.>= (
    LEFTARG = pg_catalog.text, RIGHTARG = runai.scope,
    FUNCTION = runai_internal.text_ge_scope,
    COMMUTATOR = OPERATOR(pg_catalog.<=), NEGATOR = OPERATOR(pg_catalog.<),
    RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel
);
COMMENT ON OPERATOR pg_catalog.>= (pg_catalog.text, runai.scope) IS 'greater than or equal, the text read as a scope';
