/*
 * route.c
 *    On a Citus cluster, queries of a narrow subject on a protected table that is
 *    distributed by its scope column go only to the shards that hold the
 *    subject's scopes.
 *
 * Citus sends a query on a distributed table to the shards its WHERE clause
 * allows; it reads that clause from the query as the client wrote it (it plans
 * multi-shard SELECTs from its own copy of the query tree, made before
 * PostgreSQL's planner runs), so a policy's check, which it cannot look into,
 * prunes nothing.  This planner hook runs before Citus's (runai_rbac is loaded
 * after citus) and, for each protected table of the query that is
 * hash-distributed by the protected column, adds to the WHERE clause of the
 * query level that reads it
 *     col = ANY('<every key the current subject's check accepts>')
 * (rls.h, rbac_rls_route_qual).  The condition is implied by the table's policy
 * for a subject granted the action on part of the tree, so the query's result is
 * the same; Citus prunes the shards from it, sends it with the shard queries,
 * and every shard still applies its own policy on the node that runs it.
 *
 * Only where a WHERE clause means the same as the policy: a relation of the
 * FROM clause of a SELECT, UPDATE or DELETE, or of a subquery or view in it, or
 * of a WITH query, at a level without outer joins (which could turn the
 * relation's rows into NULLs the WHERE clause would drop); a policy that is one
 * runai_internal.rls_check call on the distribution column (no other permissive
 * policy ORed to it); a subject not granted the action at the root; at most
 * ROUTE_MAX_KEYS keys.  Elsewhere the query goes to every shard, as without
 * routing.
 *
 * On the executing node the relation of a shard query is a shard, not a Citus
 * table: nothing happens there.  A routed plan depends on the tables that decide
 * the subject's keys (rls.h, rbac_rls_plan_dependencies), added after Citus has
 * made its plan (Citus's plan keeps no relation dependencies of its own); a
 * change of token subject resets the plan cache (rls.h) and a change of role
 * makes PostgreSQL plan a query with row-level security again.
 */
#include "postgres.h"

#include "access/xact.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "optimizer/planner.h"

#include "catalog.h"
#include "citus.h"
#include "rls.h"
#include "route.h"

#define ROUTE_MAX_KEYS 1000

static planner_hook_type prev_planner = NULL;

/* Does any level of the query read a relation with security quals? */
static bool
has_security_quals(Query *q)
{
	ListCell   *lc;

	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->securityQuals != NIL)
			return true;
		if (rte->rtekind == RTE_SUBQUERY && rte->subquery != NULL &&
			has_security_quals(rte->subquery))
			return true;
	}
	foreach(lc, q->cteList)
	{
		CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

		if (IsA(cte->ctequery, Query) && has_security_quals((Query *) cte->ctequery))
			return true;
	}
	return false;
}

/* Does this level of the query have an outer join? */
static bool
has_outer_join(Query *q)
{
	ListCell   *lc;

	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_JOIN && rte->jointype != JOIN_INNER)
			return true;
	}
	return false;
}

/* Adds the routing conditions to q and the levels below it; true if any. */
static bool
route_query(Query *q)
{
	bool		routed = false;
	bool		outer;
	Index		varno = 0;
	ListCell   *lc;

	if (q->commandType != CMD_SELECT && q->commandType != CMD_UPDATE &&
		q->commandType != CMD_DELETE)
		return false;
	outer = has_outer_join(q);
	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
		RbacCitusTable info;

		varno++;
		if (outer)
			break;
		if (rte->rtekind == RTE_SUBQUERY && rte->subquery != NULL)
			routed |= route_query(rte->subquery);
		else if (rte->rtekind == RTE_RELATION && rte->securityQuals != NIL &&
				 q->jointree != NULL &&
				 rbac_citus_table(rte->relid, &info) && info.method == 'h' && info.distcol > 0)
		{
			ListCell   *qc;

			foreach(qc, rte->securityQuals)
			{
				Expr	   *cond = rbac_rls_route_qual(lfirst(qc), varno, info.distcol,
													   ROUTE_MAX_KEYS);

				if (cond != NULL)
				{
					q->jointree->quals = make_and_qual(q->jointree->quals, (Node *) cond);
					routed = true;
					break;
				}
			}
		}
	}
	foreach(lc, q->cteList)
	{
		CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

		if (IsA(cte->ctequery, Query))
			routed |= route_query((Query *) cte->ctequery);
	}
	return routed;
}

/* planner_hook: see the file header. */
static PlannedStmt *
route_planner(Query *parse, const char *query_string, int cursor_options,
			  ParamListInfo bound_params)
{
	bool		routed = false;
	PlannedStmt *result;

	if (IsTransactionState() && has_security_quals(parse))
	{
		const RbacCatalog *cat = rbac_catalog_lookup();

		if (cat->layout != RBAC_LAYOUT_NONE && cat->citus_group >= 0)
			routed = route_query(parse);
	}
	if (prev_planner)
		result = prev_planner(parse, query_string, cursor_options, bound_params);
	else
		result = standard_planner(parse, query_string, cursor_options, bound_params);
	if (routed)
		result->relationOids = rbac_rls_plan_dependencies(result->relationOids);
	return result;
}

/* See route.h. */
void
rbac_route_init(void)
{
	prev_planner = planner_hook;
	planner_hook = route_planner;
}
