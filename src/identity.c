/*
 * identity.c
 *    The current subject (SPEC section 3), as of each statement.
 *
 * The subject is derived, never stored where SQL could write it: the token subject
 * kept by session.c in C state, else a token subject forwarded from another Citus
 * node and verified by forward.c, else the binding of the current database role
 * (GetUserId(), so SET ROLE to a bound role acts as that user and RESET ROLE stops
 * it), else nobody.  The last answer is remembered while the cache generation, the
 * current role and the token subject are unchanged.
 *
 * One judgement per statement.  rbac_statement_grants() captures the current
 * subject's grants at their first use in a statement and holds them until it
 * ends.  For a statement that needs parallel mode an ExecutorStart hook captures
 * them before it starts and hands them, with the scope tree version the
 * statement reads, to the parallel workers (decision.h); a worker answers every
 * check of the current subject from what its leader passed.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"

#include "decision.h"
#include "forward.h"
#include "identity.h"
#include "session.h"

/* Statements capture their subject's grants per database role and token subject. */
#define STATEMENT_CAPTURES 4

static struct
{
	uint64		statement;
	Oid			role;
	uint64		session_version;
	RbacGrants *grants;
}			captures[STATEMENT_CAPTURES];
static int	next_capture = 0;

static ExecutorStart_hook_type prev_executor_start = NULL;
static ProcessUtility_hook_type prev_process_utility = NULL;

static struct
{
	uint64		generation;
	Oid			role;
	uint64		session_version;
	RbacGrants *grants;
	bool		valid;
}			current_memo;

/* The current subject's grants, or NULL for nobody; see identity.h. */
RbacGrants *
rbac_current_grants(RbacSubjectKind *kind, const char **name)
{
	RbacSubjectKind k;
	const char *n;
	RbacGrants *g;
	Oid			role = GetUserId();
	uint64		sv;

	/* a parallel worker answers with its leader's judgement */
	if (IsParallelWorker() && rbac_decision_worker(role, &g))
	{
		if (g != NULL)
		{
			if (kind)
				*kind = g->kind;
			if (name)
				*name = g->name;
		}
		return g;
	}

	sv = rbac_identity_version();
	if (current_memo.valid && current_memo.generation == rbac_cache_generation() &&
		current_memo.role == role && current_memo.session_version == sv &&
		(current_memo.grants == NULL || rbac_cache_now() < current_memo.grants->next_expiry))
	{
		g = current_memo.grants;
		if (g != NULL)
		{
			if (kind)
				*kind = g->kind;
			if (name)
				*name = g->name;
		}
		return g;
	}

	if (rbac_session_subject(&k, &n) || rbac_forward_subject(&k, &n))
		g = rbac_cache_grants(k, n, strlen(n));
	else if ((n = rbac_cache_bound_user(role)) != NULL)
		g = rbac_cache_grants(RBAC_SUBJECT_USER, n, strlen(n));
	else
		g = NULL;

	current_memo.generation = rbac_cache_generation();
	current_memo.role = role;
	current_memo.session_version = sv;
	current_memo.grants = g;
	current_memo.valid = true;
	if (g != NULL)
	{
		if (kind)
			*kind = g->kind;
		if (name)
			*name = g->name;
	}
	return g;
}

/* See identity.h. */
RbacGrants *
rbac_statement_grants(void)
{
	uint64		statement = rbac_cache_statement();
	Oid			role = GetUserId();
	uint64		sv;
	RbacGrants *g;

	if (IsParallelWorker())
		return rbac_current_grants(NULL, NULL);
	sv = rbac_identity_version();
	for (int i = 0; i < STATEMENT_CAPTURES; i++)
		if (captures[i].statement == statement && captures[i].role == role &&
			captures[i].session_version == sv)
			return captures[i].grants;
	g = rbac_current_grants(NULL, NULL);
	if (g != NULL)
		rbac_cache_hold(g);
	captures[next_capture].statement = statement;
	captures[next_capture].role = role;
	captures[next_capture].session_version = sv;
	captures[next_capture].grants = g;
	next_capture = (next_capture + 1) % STATEMENT_CAPTURES;
	return g;
}

/*
 * ExecutorStart hook: before a statement that needs parallel mode starts (settings
 * cannot change in parallel mode), capture its subject's grants and hand them to
 * its workers.  Only where the extension is installed.
 */
static void
identity_executor_start(QueryDesc *queryDesc, int eflags)
{
	if (queryDesc->plannedstmt->parallelModeNeeded &&
		(eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0 &&
		!IsInParallelMode() && !IsParallelWorker() && IsTransactionState() &&
		rbac_cache_extension_present())
	{
		RbacGrants *g;

		rbac_cache_begin();
		g = rbac_statement_grants();
		rbac_decision_publish(GetUserId(), g, rbac_tree_pinned_version());
	}
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/*
 * ProcessUtility hook: a utility statement may start parallel workers without the
 * executor (a parallel CREATE INDEX, REINDEX or ALTER TABLE runs index expressions
 * and predicates in them), and they receive the decision state an earlier
 * statement of the transaction published -- for a subject that may have been
 * dropped since.  Cleared first, so that they find their subject themselves.
 */
static void
identity_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
						 ProcessUtilityContext context, ParamListInfo params,
						 QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	if (!IsA(pstmt->utilityStmt, TransactionStmt))
		rbac_decision_clear();
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params,
							 queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
}

/* See identity.h. */
void
rbac_identity_init(void)
{
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = identity_executor_start;
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = identity_process_utility;
}

/* See identity.h. */
bool
rbac_identity_forwarded(void)
{
	RbacSubjectKind k;
	const char *n;

	return !IsParallelWorker() && !rbac_session_subject(&k, &n) && rbac_forward_subject(&k, &n);
}

/* See identity.h. */
uint64
rbac_identity_version(void)
{
	/* each counter only grows: their sum changes whenever one does */
	return rbac_session_version() + rbac_forward_version();
}
