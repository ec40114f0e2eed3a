-- Code: SQL functions over the types, created once the types and their operators
-- exist (10_data_types.sql).
--
--  - runai_internal.scope_level: the depth of a scope, used by the scope tree's
--    CHECK constraint;
--  - the bodies of the comparison operators between runai.scope and text
--    (20_data_operators.sql): the text is converted to a scope (22P02 when it is
--    not one) and the scopes are compared.  They are SQL functions with standard
--    bodies and no SET clause, so the planner inlines them: `scope_col = $1` with
--    a text parameter becomes `scope_col = $1::runai.scope`, which an index on the
--    scope column serves like any other comparison of scopes;
--  - the aggregate runai.actionset_agg.

-- The level of a scope type in the tree: system 0 ... project 4.
CREATE OR REPLACE FUNCTION runai_internal.scope_level(runai.scope) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.array_position(ARRAY['system','tenant','cluster','department','project'], runai.scope_type($1)) - 1;
COMMENT ON FUNCTION runai_internal.scope_level(runai.scope) IS 'Depth of a scope type in the tree: system 0, tenant 1, cluster 2, department 3, project 4.';

-- ---------------------------------------------------------------------------
-- Comparisons of runai.scope with text
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runai_internal.scope_eq_text(runai.scope, pg_catalog.text) RETURNS pg_catalog.bool
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN $1 OPERATOR(pg_catalog.=) CAST($2 AS runai.scope);
COMMENT ON FUNCTION runai_internal.scope_eq_text(runai.scope, pg_catalog.text) IS
  'Implementation of the = operator of runai.scope and text: the text is read as a scope (22P02 if it is not one).';

CREATE OR REPLACE FUNCTION runai_internal.scope_ne_text(runai.scope, pg_catalog.text) RETURNS pg_catalog.bool
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN $1 OPERATOR(pg_catalog.<>) CAST($2 AS runai.scope);
COMMENT ON FUNCTION runai_internal.scope_ne_text(runai.scope, pg_catalog.text) IS
  'Implementation of the <> operator of runai.scope and text: the text is read as a scope (22P02 if it is not one).';

CREATE OR REPLACE FUNCTION runai_internal.scope_lt_text(runai.scope, pg_catalog.text) RETURNS pg_catalog.bool
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN $1 OPERATOR(pg_catalog.<) CAST($2 AS runai.scope);
COMMENT ON FUNCTION runai_internal.scope_lt_text(runai.scope, pg_catalog.text) IS
  'Implementation of the < operator of runai.scope and text: the text is read as a scope (22P02 if it is not one).';

CREATE OR REPLACE FUNCTION runai_internal.scope_le_text(runai.scope, pg_catalog.text) RETURNS pg_catalog.bool
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN $1 OPERATOR(pg_catalog.<=) CAST($2 AS runai.scope);
COMMENT ON FUNCTION runai_internal.scope_le_text(runai.scope, pg_catalog.text) IS
  'Implementation of the <= operator of runai.scope and text: the text is read as a scope (22P02 if it is not one).';

CREATE OR REPLACE FUNCTION runai_internal.scope_gt_text(runai.scope, pg_catalog.text) RETURNS pg_catalog.bool
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN $1 OPERATOR(pg_catalog.>) CAST($2 AS runai.scope);
COMMENT ON FUNCTION runai_internal.scope_gt_text(runai.scope, pg_catalog.text) IS
  'Implementation of the > operator of runai.scope and text: the text is read as a scope (22P02 if it is not one).';

CREATE OR REPLACE FUNCTION runai_internal.scope_ge_text(runai.scope, pg_catalog.text) RETURNS pg_catalog.bool
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN $1 OPERATOR(pg_catalog.>=) CAST($2 AS runai.scope);
COMMENT ON FUNCTION runai_internal.scope_ge_text(runai.scope, pg_catalog.text) IS
  'Implementation of the >= operator of runai.scope and text: the text is read as a scope (22P02 if it is not one).';

CREATE OR REPLACE FUNCTION runai_internal.text_eq_scope(pg_catalog.text, runai.scope) RETURNS pg_catalog.bool
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CAST($1 AS runai.scope) OPERATOR(pg_catalog.=) $2;
COMMENT ON FUNCTION runai_internal.text_eq_scope(pg_catalog.text, runai.scope) IS
  'Implementation of the = operator of text and runai.scope: the text is read as a scope (22P02 if it is not one).';

CREATE OR REPLACE FUNCTION runai_internal.text_ne_scope(pg_catalog.text, runai.scope) RETURNS pg_catalog.bool
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CAST($1 AS runai.scope) OPERATOR(pg_catalog.<>) $2;
COMMENT ON FUNCTION runai_internal.text_ne_scope(pg_catalog.text, runai.scope) IS
  'Implementation of the <> operator of text and runai.scope: the text is read as a scope (22P02 if it is not one).';

CREATE OR REPLACE FUNCTION runai_internal.text_lt_scope(pg_catalog.text, runai.scope) RETURNS pg_catalog.bool
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CAST($1 AS runai.scope) OPERATOR(pg_catalog.<) $2;
COMMENT ON FUNCTION runai_internal.text_lt_scope(pg_catalog.text, runai.scope) IS
  'Implementation of the < operator of text and runai.scope: the text is read as a scope (22P02 if it is not one).';

CREATE OR REPLACE FUNCTION runai_internal.text_le_scope(pg_catalog.text, runai.scope) RETURNS pg_catalog.bool
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CAST($1 AS runai.scope) OPERATOR(pg_catalog.<=) $2;
COMMENT ON FUNCTION runai_internal.text_le_scope(pg_catalog.text, runai.scope) IS
  'Implementation of the <= operator of text and runai.scope: the text is read as a scope (22P02 if it is not one).';

CREATE OR REPLACE FUNCTION runai_internal.text_gt_scope(pg_catalog.text, runai.scope) RETURNS pg_catalog.bool
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CAST($1 AS runai.scope) OPERATOR(pg_catalog.>) $2;
COMMENT ON FUNCTION runai_internal.text_gt_scope(pg_catalog.text, runai.scope) IS
  'Implementation of the > operator of text and runai.scope: the text is read as a scope (22P02 if it is not one).';

CREATE OR REPLACE FUNCTION runai_internal.text_ge_scope(pg_catalog.text, runai.scope) RETURNS pg_catalog.bool
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CAST($1 AS runai.scope) OPERATOR(pg_catalog.>=) $2;
COMMENT ON FUNCTION runai_internal.text_ge_scope(pg_catalog.text, runai.scope) IS
  'Implementation of the >= operator of text and runai.scope: the text is read as a scope (22P02 if it is not one).';

-- ---------------------------------------------------------------------------
-- Aggregate
-- ---------------------------------------------------------------------------

CREATE OR REPLACE AGGREGATE runai.actionset_agg(runai.actionset) (
    SFUNC = runai_internal.actionset_union,
    STYPE = runai.actionset,
    COMBINEFUNC = runai_internal.actionset_union,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE runai.actionset_agg(runai.actionset) IS
  'Union of the non-NULL action sets of a group; NULL when there are none.';
