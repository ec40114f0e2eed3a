-- Where the operators of runai.scope and runai.actionset live (SPEC section 2): in
-- pg_catalog, which PostgreSQL searches first, so that they resolve with the
-- default search path and no schema that other roles can create in can hold an
-- operator that is chosen instead.  Checked from separate sessions: a role that
-- plants operators in schemas it may create in (public, and its own schema, first
-- in its own search path), and an ordinary role whose queries must still run the
-- extension's operators.
CREATE EXTENSION runai_rbac;
\set VERBOSITY terse
SELECT current_user AS superuser \gset

CREATE ROLE regress_op_user LOGIN;
CREATE ROLE regress_op_planter LOGIN;
CREATE SCHEMA regress_op_planter AUTHORIZATION regress_op_planter;
-- as PostgreSQL 14 and earlier allowed everyone
GRANT CREATE ON SCHEMA public TO regress_op_planter;

CREATE TABLE public.regress_op_t (id int, s runai.scope, a runai.actionset, t text);
INSERT INTO public.regress_op_t
SELECT i, ('project/' || i)::runai.scope, (ARRAY['{view}', '{view,edit}', '{}'])[1 + i % 3]::runai.actionset, 'project/' || i
  FROM generate_series(1, 300) i;
CREATE INDEX ON public.regress_op_t (s);
ANALYZE public.regress_op_t;
GRANT SELECT ON public.regress_op_t TO PUBLIC;

-- Which operators an expression resolves to, as the current role with its search
-- path: a temporary view records a dependency on every operator it uses.
CREATE FUNCTION public.regress_op_resolved(expr text) RETURNS TABLE (operator text, schema name, implementation regproc)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TEMP VIEW regress_op_v AS SELECT %s AS x FROM public.regress_op_t', expr);
  RETURN QUERY
    SELECT o.oprname || '(' || format_type(o.oprleft, NULL) || ', ' || format_type(o.oprright, NULL) || ')',
           n.nspname, o.oprcode
      FROM pg_depend d
      JOIN pg_rewrite r ON r.oid = d.objid AND d.classid = 'pg_rewrite'::regclass
      JOIN pg_operator o ON o.oid = d.refobjid AND d.refclassid = 'pg_operator'::regclass
      JOIN pg_namespace n ON n.oid = o.oprnamespace
     WHERE r.ev_class = 'pg_temp.regress_op_v'::regclass
     ORDER BY 1;
  DROP VIEW pg_temp.regress_op_v;
END
$$;
CREATE TABLE public.regress_op_exprs (n int, expr text);
INSERT INTO public.regress_op_exprs VALUES
  (1, $$s = 'project/7'$$), (2, $$s <> 'project/7'$$), (3, $$s < 'project/7'$$), (4, $$s >= s$$),
  (5, $$s = t$$), (6, $$t = s$$), (7, $$s < t$$), (8, $$s = 'project/7'::text$$),
  (9, $$a = '{view}'$$), (10, $$a @> '{view}'$$), (11, $$a <@ a$$), (12, $$a && '{edit}'$$),
  (13, $$(a | '{create}') = a$$), (14, $$(a & '{view}') <> a$$), (15, $$a < a$$);
GRANT SELECT ON public.regress_op_exprs TO PUBLIC;

-- ===========================================================================
-- An ordinary role with the default search path: the extension's operators
-- ===========================================================================

\c - regress_op_user
\set VERBOSITY terse
SHOW search_path;
SELECT e.n, e.expr, r.* FROM public.regress_op_exprs e, public.regress_op_resolved(e.expr) r ORDER BY e.n, 3;
SELECT count(*) FILTER (WHERE s = 'project/7') AS eq, count(*) FILTER (WHERE s <> 'project/7') AS ne,
       count(*) FILTER (WHERE s = t) AS eq_text, count(*) FILTER (WHERE a @> '{view}') AS contains
  FROM public.regress_op_t;
-- The operators by name and operand types, as regoperator finds them.
SELECT o::regoperator AS operator, (SELECT oprnamespace::regnamespace FROM pg_operator WHERE oid = o) AS schema
  FROM unnest(ARRAY['=(runai.scope,runai.scope)'::regoperator, '<>(runai.scope,runai.scope)'::regoperator,
                    '<(runai.scope,runai.scope)'::regoperator, '=(runai.scope,text)'::regoperator,
                    '@>(runai.actionset,runai.actionset)'::regoperator, '|(runai.actionset,runai.actionset)'::regoperator]) o;

-- ===========================================================================
-- A role that plants operators where it may create: public and its own schema
-- ("$user", first in its own search path)
-- ===========================================================================

\c - regress_op_planter
\set VERBOSITY terse
SHOW search_path;
SELECT current_schemas(false);
CREATE FUNCTION public.regress_op_planted(runai.scope, runai.scope) RETURNS boolean LANGUAGE plpgsql
  AS $f$BEGIN RAISE EXCEPTION 'a planted operator ran as %', current_user; END$f$;
CREATE FUNCTION public.regress_op_planted(runai.scope, text) RETURNS boolean LANGUAGE plpgsql
  AS $f$BEGIN RAISE EXCEPTION 'a planted operator ran as %', current_user; END$f$;
CREATE FUNCTION public.regress_op_planted(text, runai.scope) RETURNS boolean LANGUAGE plpgsql
  AS $f$BEGIN RAISE EXCEPTION 'a planted operator ran as %', current_user; END$f$;
CREATE FUNCTION public.regress_op_planted(runai.actionset, runai.actionset) RETURNS boolean LANGUAGE plpgsql
  AS $f$BEGIN RAISE EXCEPTION 'a planted operator ran as %', current_user; END$f$;
CREATE FUNCTION public.regress_op_planted_set(runai.actionset, runai.actionset) RETURNS runai.actionset LANGUAGE plpgsql
  AS $f$BEGIN RAISE EXCEPTION 'a planted operator ran as %', current_user; END$f$;
DO $$
DECLARE
  nsp text;
  op text;
BEGIN
  FOREACH nsp IN ARRAY ARRAY['public', 'regress_op_planter'] LOOP
    FOREACH op IN ARRAY ARRAY['=', '<>', '<', '<=', '>', '>='] LOOP
      EXECUTE format('CREATE OPERATOR %I.%s (LEFTARG = runai.scope, RIGHTARG = runai.scope, FUNCTION = public.regress_op_planted)', nsp, op);
      EXECUTE format('CREATE OPERATOR %I.%s (LEFTARG = runai.scope, RIGHTARG = text, FUNCTION = public.regress_op_planted)', nsp, op);
      EXECUTE format('CREATE OPERATOR %I.%s (LEFTARG = text, RIGHTARG = runai.scope, FUNCTION = public.regress_op_planted)', nsp, op);
      EXECUTE format('CREATE OPERATOR %I.%s (LEFTARG = runai.actionset, RIGHTARG = runai.actionset, FUNCTION = public.regress_op_planted)', nsp, op);
    END LOOP;
    FOREACH op IN ARRAY ARRAY['@>', '<@', '&&'] LOOP
      EXECUTE format('CREATE OPERATOR %I.%s (LEFTARG = runai.actionset, RIGHTARG = runai.actionset, FUNCTION = public.regress_op_planted)', nsp, op);
    END LOOP;
    FOREACH op IN ARRAY ARRAY['|', '&'] LOOP
      EXECUTE format('CREATE OPERATOR %I.%s (LEFTARG = runai.actionset, RIGHTARG = runai.actionset, FUNCTION = public.regress_op_planted_set)', nsp, op);
    END LOOP;
  END LOOP;
END
$$;
-- and lets everyone look them up in its own schema
GRANT USAGE ON SCHEMA regress_op_planter TO PUBLIC;
SELECT n.nspname, count(*) AS planted FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
 WHERE n.nspname IN ('public', 'regress_op_planter') GROUP BY 1 ORDER BY 1;
-- Not in pg_catalog, which only superusers may create in.
CREATE OPERATOR pg_catalog.= (LEFTARG = runai.scope, RIGHTARG = varchar, FUNCTION = public.regress_op_planted);
-- Even in its own session, with its own schema first, pg_catalog is searched before it.
SELECT count(*) AS planter_sees_project_7 FROM public.regress_op_t WHERE s = 'project/7';
SELECT count(*) FROM public.regress_op_t WHERE s = t AND a @> '{view}';
SELECT e.n, r.schema, count(*) AS operators
  FROM public.regress_op_exprs e, public.regress_op_resolved(e.expr) r GROUP BY 1, 2 ORDER BY 1, 2;

-- ===========================================================================
-- Another session of the ordinary role: still the extension's operators, with the
-- default search path and with the planter's schema first in it
-- ===========================================================================

\c - regress_op_user
\set VERBOSITY terse
SELECT e.n, r.schema, count(*) AS operators
  FROM public.regress_op_exprs e, public.regress_op_resolved(e.expr) r GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) FILTER (WHERE s = 'project/7') AS eq, count(*) FILTER (WHERE s <> 'project/7') AS ne,
       count(*) FILTER (WHERE s = t) AS eq_text, count(*) FILTER (WHERE t = s) AS text_eq,
       count(*) FILTER (WHERE s < 'project/2') AS lt, count(*) FILTER (WHERE a @> '{view}') AS contains,
       count(*) FILTER (WHERE (a | '{create}') @> '{create}') AS unions
  FROM public.regress_op_t;
SET search_path = regress_op_planter, public;
SELECT e.n, r.schema, count(*) AS operators
  FROM public.regress_op_exprs e, public.regress_op_resolved(e.expr) r GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) FILTER (WHERE s = 'project/7') AS eq, count(*) FILTER (WHERE s = t) AS eq_text,
       count(*) FILTER (WHERE a && '{edit}') AS overlaps
  FROM public.regress_op_t;
-- Index scans, hash joins, grouping: the operator classes name the operators by OID.
SET enable_seqscan = off; SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM public.regress_op_t WHERE s = 'project/42';
RESET enable_seqscan; RESET enable_bitmapscan;
SELECT a, count(*) FROM public.regress_op_t GROUP BY a ORDER BY a;
SELECT count(DISTINCT s) FROM public.regress_op_t;
-- Only a session that puts pg_catalog after the planter's schema on purpose reaches
-- the planted operators (PostgreSQL searches pg_catalog first unless told otherwise).
SET search_path = regress_op_planter, pg_catalog;
SELECT count(*) FROM public.regress_op_t WHERE s = 'project/7';
RESET search_path;

\c - :superuser
\set VERBOSITY terse
DROP TABLE public.regress_op_t, public.regress_op_exprs;
DROP FUNCTION public.regress_op_resolved(text);
DROP SCHEMA regress_op_planter CASCADE;
DROP FUNCTION public.regress_op_planted(runai.scope, runai.scope), public.regress_op_planted(runai.scope, text),
              public.regress_op_planted(text, runai.scope), public.regress_op_planted(runai.actionset, runai.actionset),
              public.regress_op_planted_set(runai.actionset, runai.actionset) CASCADE;
REVOKE CREATE ON SCHEMA public FROM regress_op_planter;
DROP EXTENSION runai_rbac;
DROP ROLE regress_op_user, regress_op_planter;
