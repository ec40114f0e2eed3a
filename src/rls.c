/*
 * rls.c
 *    Row-level security support: the per-row checks of the policies created by
 *    runai.protect, the per-scan arrays of permitted keys, the planner support
 *    function that turns a check into an index condition or a one-time test, and
 *    the trigger that stamps runai.workloads rows.
 *
 * The checks
 *    runai_internal.rls_check(scope runai.scope, resource text, action text)
 *    runai_internal.rls_check(id text|integer|bigint|uuid, scope_type text,
 *                             resource text, action text)
 * answer whether the current subject may do the action on the resource type at the
 * row's scope (for a plain id column: the scope <scope_type>/<id>, an integer or a
 * uuid written in its canonical text form).
 *
 * Per-call-site memo (fn_extra).  Each call site keeps the resolved resource type
 * and action (once, when those arguments are constants, as they are in policies)
 * and the decision state of the current subject: whether the grant is at the root
 * (then every row passes: the per-row cost is the memo test), else the subject's
 * set of granting nodes.  One judgement per statement: the state comes from
 * rbac_statement_grants() -- the grants of the statement's first check, or the
 * leader's in a parallel worker -- and is computed once per statement and
 * database role; a change that commits during the statement, or an invalidation
 * that arrives while it runs, does not change its answers.  The last scope looked
 * up and its answer are remembered too, because index scans return the rows of
 * one scope together.
 *
 * Planner support (runai_internal.rls_support).  For the current subject at plan
 * time:
 *  - SupportRequestSimplify: when it is granted the action at the root, a policy's
 *    check becomes the one-time test (SELECT runai_internal.rls_gate(...)), an
 *    InitPlan: the scan runs without a per-row filter, like the unprotected table's;
 *  - SupportRequestSelectivity: the fraction of the table's rows it may see,
 *    from the statistics of the key column (rls_estimate);
 *  - SupportRequestCost: the per-row cost of the check;
 *  - SupportRequestIndexCondition: `key = ANY(runai_internal.rls_..._keys(...))`, a lossy
 *    condition (the check stays as a filter) whose array the executor computes
 *    once per scan; the planner takes it when its cost says it pays (see
 *    RLS_INDEX_MAX_KEYS for the only limit).
 * The array holds every scope the check accepts at run time, except that a grant
 * at the root also accepts rows whose scope is not in the tree; the condition is
 * therefore never offered to such a subject.
 *
 * Plan invalidation.  A plan is made for the subject of its planning time.  The
 * support function adds the signals of the tables access_rules, group_members,
 * db_role_bindings, users and sessions (catalog.h; at 0.1.0 the tables
 * themselves) and signal_subject to the plan's relation dependencies, so that the
 * relcache invalidation that every change of those tables sends (cache.h) makes
 * cached plans (prepared statements, PL/pgSQL) be planned again; a change of
 * database role is handled by PostgreSQL itself (plans with row-level security
 * record the role they were made for); a change of token subject calls the
 * callback this unit registers with session.c (rbac_rls_init), which executes an
 * invalidation of signal_subject in this backend only: the plans that depend on
 * the subject are planned again, every other plan is kept.  A plan that nevertheless runs
 * for a subject it cannot answer for -- the gate for a subject granted part of the
 * tree, the key array for one granted everything -- resets the plan cache and
 * fails with "the current subject changed since this statement was planned"
 * rather than return wrong rows; in every other case the check itself is
 * evaluated on every row, so a stale plan can be slow but is never wrong.
 *
 * The functions the support function puts into plans and the tables plans depend
 * on are found through catalog.h.
 *
 * Citus.  For shard pruning, route.c asks rbac_rls_route_qual for the condition
 * `col = ANY('<keys>')` that means the same as a policy's check for the current
 * subject (the keys written out, as rbac_rls_keys computes them), and
 * rbac_rls_plan_dependencies for the tables such a plan depends on.
 */
#include "postgres.h"

#include "utils/acl.h"

#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_collation_d.h"
#include "catalog/pg_statistic.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "storage/sinval.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "parser/parsetree.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/selfuncs.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "utils/uuid.h"

#include "cache.h"
#include "catalog.h"
#include "identity.h"
#include "rls.h"
#include "session.h"
#include "subject.h"
#include "types.h"

/*
 * The index condition is offered to every subject not granted the action at the
 * root, and the planner chooses it or not by its cost, from the table's
 * statistics: the selectivity of `key = ANY(keys)` is what scalararraysel makes
 * of the array, which the planner computes by calling the (STABLE) key function
 * while planning.  That costs planning time per key (an estimate of each element
 * against the most common values), so a subject with more keys than this is not
 * offered the condition: its scan reads so much of the table, or descends the
 * index so many times, that a sequential scan with the per-row check is the
 * better plan anyway.  (btcostestimate assumes 10 elements for an array that is
 * not a constant; the number of index descents it charges is therefore too low
 * for many keys and slightly too high for one: small against the heap pages.)
 */
#define RLS_INDEX_MAX_KEYS	2000

/* How a protected column holds the row's scope. */
typedef enum RlsKeyKind
{
	RLS_KEY_SCOPE,				/* runai.scope */
	RLS_KEY_TEXT,				/* text id */
	RLS_KEY_INT4,				/* integer id */
	RLS_KEY_INT8,				/* bigint id */
	RLS_KEY_UUID				/* uuid id */
} RlsKeyKind;

/* Per-call-site state of a check (fn_extra); see the file header. */
typedef struct RlsMemo
{
	/* the resource, action and scope type arguments, resolved */
	bool		args_const;		/* they are constants at this call site */
	bool		args_resolved;
	int			rt;
	int			action;
	uint8		scope_type;
	/* what the decision state was computed for */
	bool		state_valid;
	TimestampTz stmt_ts;		/* the statement it was computed in */
	LocalTransactionId stmt_lxid;
	Oid			userid;			/* GetUserId() */
	/* the decision state */
	bool		all;			/* granted at the root: every row passes */
	const uint32 *ids;			/* else these granting nodes (held grants) */
	size_t		nids;
	/* the last scope looked up and the answer */
	bool		last_valid;
	bool		last_answer;
	uint8		last_type;
	uint8		last_len;
	char		last_id[RBAC_SCOPE_ID_MAXLEN];
	/* the statement's answers by scope (RlsSeen), NULL until needed */
	struct RlsSeen *seen;
	uint32		seen_mask;
	uint32		seen_n;
} RlsMemo;

/*
 * The answers of a statement by scope: the statement's grants and tree version
 * are fixed, so each distinct scope of the scanned rows is looked up once (a
 * sequential scan meets the rows of many scopes in turn).  An open-addressing
 * table in the call site's memory, grown up to RLS_SEEN_MAX slots, dropped when
 * the next statement begins.  Entries are small, so that the table stays in the
 * processor's cache: ids longer than RLS_SEEN_IDLEN (uuids) are not kept.
 */
#define RLS_SEEN_IDLEN	24

typedef struct RlsSeen
{
	uint32		hash;
	bool		used;
	bool		answer;
	uint8		type;
	uint8		len;
	char		id[RLS_SEEN_IDLEN];
} RlsSeen;

#define RLS_SEEN_MIN	64
#define RLS_SEEN_MAX	32768	/* slots (32 bytes each), half of them used at most */

/* A check call as the planner sees it, with constant arguments resolved. */
typedef struct RlsCall
{
	RlsKeyKind	kind;
	Node	   *key;			/* the row's scope or id expression */
	List	   *name_args;		/* the constant arguments after the key */
	int			rt;
	int			action;
	uint8		scope_type;		/* for id kinds */
} RlsCall;

PG_FUNCTION_INFO_V1(rbac_rls_check_scope);
PG_FUNCTION_INFO_V1(rbac_rls_check_text);
PG_FUNCTION_INFO_V1(rbac_rls_check_int4);
PG_FUNCTION_INFO_V1(rbac_rls_check_int8);
PG_FUNCTION_INFO_V1(rbac_rls_check_uuid);
PG_FUNCTION_INFO_V1(rbac_rls_keys);
PG_FUNCTION_INFO_V1(rbac_rls_support);
PG_FUNCTION_INFO_V1(rbac_rls_workloads_stamp);
PG_FUNCTION_INFO_V1(rbac_rls_gate);
PG_FUNCTION_INFO_V1(rbac_rls_validate);

/* ------------------------------------------------------------------------
 * Argument resolution
 * ------------------------------------------------------------------------ */

/* The resource type id named by t, or -1. */
static int
rls_lookup_resource(const text *t)
{
	return rbac_cache_resource_type(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/* The action bit named by t, or 0. */
static int
rls_lookup_action(const text *t)
{
	return rbac_action_from_name(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/* The scope type named by t if it is one that has ids (not system), or -1. */
static int
rls_lookup_scope_type(const text *t)
{
	int			st = rbac_scope_type_from_name(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));

	return st > RBAC_SCOPE_SYSTEM ? st : -1;
}

/*
 * How much of a name to quote in an error message: at most 64 bytes, cut at a
 * character boundary (names are the caller's input, possibly very long).
 */
static int
rls_quoted_len(const text *t)
{
	int			len = VARSIZE_ANY_EXHDR(t);

	return len <= 64 ? len : pg_mbcliplen(VARDATA_ANY(t), len, 64);
}

/* Resolves a resource type name or raises invalid_parameter_value, as can() does. */
static int
rls_resource_or_error(const text *t)
{
	int			rt = rls_lookup_resource(t);

	if (rt < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown resource type \"%.*s\"", rls_quoted_len(t), VARDATA_ANY(t)),
				 errdetail("Row-level security checks a permission on one of the resource types of the permission matrix."),
				 errhint("Use the API name of a resource type, for example \"workloads\" or \"project\".")));
	return rt;
}

/* Resolves an action name or raises invalid_parameter_value. */
static int
rls_action_or_error(const text *t)
{
	int			a = rls_lookup_action(t);

	if (a == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown action \"%.*s\"", rls_quoted_len(t), VARDATA_ANY(t)),
				 errdetail("Row-level security checks one of the actions view, edit, create and delete."),
				 errhint("Use view, edit, create or delete (read and update are accepted as aliases).")));
	return a;
}

/* Resolves the scope type of a plain id column or raises invalid_parameter_value. */
static uint8
rls_scope_type_or_error(const text *t)
{
	int			st = rls_lookup_scope_type(t);

	if (st < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid scope type \"%.*s\" for a column of scope ids", rls_quoted_len(t), VARDATA_ANY(t)),
				 errdetail("A plain id column holds the ids of scopes of one type; the system scope has no id."),
				 errhint("Use tenant, cluster, department or project.")));
	return (uint8) st;
}

/* ------------------------------------------------------------------------
 * Per-row checks
 * ------------------------------------------------------------------------ */

/*
 * The memo of this call site, with the arguments resolved and the decision state
 * valid for the current subject.  first_name_arg is the argument number of the
 * first constant argument (scope type for id columns, else resource).
 */
static RlsMemo *
rls_memo(FunctionCallInfo fcinfo, int first_name_arg, bool has_scope_type)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;
	RlsMemo    *m = (RlsMemo *) flinfo->fn_extra;
	int			resource_arg = first_name_arg + (has_scope_type ? 1 : 0);

	/*
	 * The common case, every row after the first of a statement: computed in this
	 * statement for this role.  The statement's judgement stands for its whole
	 * length (rbac_statement_grants): a change that commits meanwhile, or an
	 * invalidation that arrives, does not change what it answers.
	 */
	if (likely(m != NULL && m->state_valid && m->args_const &&
			   m->stmt_ts == GetCurrentStatementStartTimestamp() &&
			   m->stmt_lxid == MyProc->lxid &&
			   m->userid == GetUserId()))
		return m;

	if (m == NULL)
	{
		m = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(RlsMemo));
		m->args_const = true;
		for (int i = first_name_arg; i < PG_NARGS(); i++)
			m->args_const &= get_fn_expr_arg_stable(flinfo, i);
		flinfo->fn_extra = m;
	}

	rbac_cache_begin();

	if (!m->args_resolved || !m->args_const)
	{
		int			rt = rls_resource_or_error(PG_GETARG_TEXT_PP(resource_arg));
		int			action = rls_action_or_error(PG_GETARG_TEXT_PP(resource_arg + 1));
		uint8		st = has_scope_type ?
			rls_scope_type_or_error(PG_GETARG_TEXT_PP(first_name_arg)) : 0;

		if (!m->args_resolved || rt != m->rt || action != m->action || st != m->scope_type)
		{
			m->rt = rt;
			m->action = action;
			m->scope_type = st;
			m->state_valid = false;
			m->args_resolved = true;
		}
	}

	if (!m->state_valid ||
		m->stmt_ts != GetCurrentStatementStartTimestamp() ||
		m->stmt_lxid != MyProc->lxid ||
		m->userid != GetUserId())
	{
		RbacGrants *g = rbac_statement_grants();

		m->stmt_ts = GetCurrentStatementStartTimestamp();
		m->stmt_lxid = MyProc->lxid;
		m->userid = GetUserId();
		m->all = g != NULL && rbac_grants_cover_all(g, m->rt, m->action);
		m->ids = NULL;
		m->nids = 0;
		if (g != NULL && !m->all)
			m->ids = rbac_grants_nodes(g, m->rt, m->action, &m->nids);
		m->last_valid = false;
		if (m->seen != NULL)
			pfree(m->seen);
		m->seen = NULL;
		m->seen_n = 0;
		m->state_valid = true;
	}
	return m;
}

/* The slot of (type, id) in the statement's answers: its entry or an empty one. */
static RlsSeen *
rls_seen_slot(RlsSeen *tab, uint32 mask, uint32 h, uint8 type, const char *id, size_t idlen)
{
	for (uint32 i = h & mask;; i = (i + 1) & mask)
	{
		RlsSeen    *e = &tab[i];

		if (!e->used ||
			(e->hash == h && e->type == type && e->len == idlen && memcmp(e->id, id, idlen) == 0))
			return e;
	}
}

/* Remembers an answer of the statement (unless the table is full). */
static void
rls_seen_add(RlsMemo *m, MemoryContext cxt, uint32 h, uint8 type, const char *id,
			 size_t idlen, bool answer)
{
	RlsSeen    *e;

	if (idlen > RLS_SEEN_IDLEN)
		return;
	if (m->seen == NULL || (m->seen_n + 1) * 2 > m->seen_mask + 1)
	{
		uint32		cap = m->seen == NULL ? RLS_SEEN_MIN : (m->seen_mask + 1) * 2;
		RlsSeen    *tab;

		if (cap > RLS_SEEN_MAX)
			return;
		tab = MemoryContextAllocZero(cxt, sizeof(RlsSeen) * cap);
		if (m->seen != NULL)
		{
			for (uint32 i = 0; i <= m->seen_mask; i++)
				if (m->seen[i].used)
					*rls_seen_slot(tab, cap - 1, m->seen[i].hash, m->seen[i].type,
								   m->seen[i].id, m->seen[i].len) = m->seen[i];
			pfree(m->seen);
		}
		m->seen = tab;
		m->seen_mask = cap - 1;
	}
	e = rls_seen_slot(m->seen, m->seen_mask, h, type, id, idlen);
	e->used = true;
	e->hash = h;
	e->type = type;
	e->len = (uint8) idlen;
	memcpy(e->id, id, idlen);
	e->answer = answer;
	m->seen_n++;
}

/* Is the scope <type>/<id> granted by the memo's decision state? */
static bool
rls_allowed(RlsMemo *m, MemoryContext cxt, uint8 type, const char *id, size_t idlen)
{
	RbacChain	chain;
	bool		answer;
	uint32		h;

	if (m->all)
		return true;
	if (m->nids == 0 || idlen > RBAC_SCOPE_ID_MAXLEN)
		return false;
	if (m->last_valid && m->last_type == type && m->last_len == idlen &&
		memcmp(m->last_id, id, idlen) == 0)
		return m->last_answer;

	h = hash_bytes((const unsigned char *) id, (int) idlen) ^ type;
	if (m->seen != NULL && idlen <= RLS_SEEN_IDLEN)
	{
		RlsSeen    *e = rls_seen_slot(m->seen, m->seen_mask, h, type, id, idlen);

		if (e->used)
		{
			answer = e->answer;
			goto done;
		}
	}
	rbac_tree_chain(type, id, idlen, &chain);
	answer = rbac_nodeset_covers(m->ids, m->nids, &chain);
	rls_seen_add(m, cxt, h, type, id, idlen, answer);
done:

	m->last_type = type;
	m->last_len = (uint8) idlen;
	memcpy(m->last_id, id, idlen);
	m->last_answer = answer;
	m->last_valid = true;
	return answer;
}

/* runai_internal.rls_check(scope, resource, action): STRICT, so the scope is not NULL. */
Datum
rbac_rls_check_scope(PG_FUNCTION_ARGS)
{
	RlsMemo    *m = rls_memo(fcinfo, 1, false);
	struct varlena *s;

	if (m->all)
		PG_RETURN_BOOL(true);
	if (m->nids == 0)
		PG_RETURN_BOOL(false);
	s = PG_GETARG_RBAC_SCOPE_PP(0);
	PG_RETURN_BOOL(rls_allowed(m, fcinfo->flinfo->fn_mcxt, rbac_scope_type_of(s), rbac_scope_id_of(s),
							   rbac_scope_idlen_of(s)));
}

/* runai_internal.rls_check(id text, scope_type, resource, action) */
Datum
rbac_rls_check_text(PG_FUNCTION_ARGS)
{
	RlsMemo    *m = rls_memo(fcinfo, 1, true);
	text	   *id;

	if (m->all)
		PG_RETURN_BOOL(true);
	if (m->nids == 0)
		PG_RETURN_BOOL(false);
	id = PG_GETARG_TEXT_PP(0);
	PG_RETURN_BOOL(rls_allowed(m, fcinfo->flinfo->fn_mcxt, m->scope_type, VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id)));
}

/* runai_internal.rls_check(id integer, scope_type, resource, action) */
Datum
rbac_rls_check_int4(PG_FUNCTION_ARGS)
{
	RlsMemo    *m = rls_memo(fcinfo, 1, true);
	char		buf[MAXINT8LEN + 1];
	int			len;

	if (m->all)
		PG_RETURN_BOOL(true);
	if (m->nids == 0)
		PG_RETURN_BOOL(false);
	len = pg_ltoa(PG_GETARG_INT32(0), buf);
	PG_RETURN_BOOL(rls_allowed(m, fcinfo->flinfo->fn_mcxt, m->scope_type, buf, len));
}

/* runai_internal.rls_check(id bigint, scope_type, resource, action) */
Datum
rbac_rls_check_int8(PG_FUNCTION_ARGS)
{
	RlsMemo    *m = rls_memo(fcinfo, 1, true);
	char		buf[MAXINT8LEN + 1];
	int			len;

	if (m->all)
		PG_RETURN_BOOL(true);
	if (m->nids == 0)
		PG_RETURN_BOOL(false);
	len = pg_lltoa(PG_GETARG_INT64(0), buf);
	PG_RETURN_BOOL(rls_allowed(m, fcinfo->flinfo->fn_mcxt, m->scope_type, buf, len));
}

/* Writes the canonical text form of a uuid (36 lower-case characters) to buf. */
static void
rls_uuid_text(const pg_uuid_t *u, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	char	   *p = buf;

	for (int i = 0; i < UUID_LEN; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[u->data[i] >> 4];
		*p++ = hex[u->data[i] & 0x0F];
	}
}

/* runai_internal.rls_check(id uuid, scope_type, resource, action) */
Datum
rbac_rls_check_uuid(PG_FUNCTION_ARGS)
{
	RlsMemo    *m = rls_memo(fcinfo, 1, true);
	char		buf[36];

	if (m->all)
		PG_RETURN_BOOL(true);
	if (m->nids == 0)
		PG_RETURN_BOOL(false);
	rls_uuid_text(PG_GETARG_UUID_P(0), buf);
	PG_RETURN_BOOL(rls_allowed(m, fcinfo->flinfo->fn_mcxt, m->scope_type, buf, sizeof(buf)));
}

/*
 * A plan made for one subject runs for another whose grants it cannot answer for
 * (a change of subject that did not invalidate it, see rls.h): reset the plan
 * cache, so that the statement is planned for the current subject next time, and
 * fail this execution rather than return wrong rows.
 */
static void
pg_attribute_noreturn()
rls_stale_plan(const text *resource, const text *action)
{
	ResetPlanCache();
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("the current subject changed since this statement was planned"),
			 errdetail("The plan was made for a subject granted %s on %s over a different part of the scope tree.",
					   text_to_cstring(action), text_to_cstring(resource)),
			 errhint("Run the statement again: it will be planned for the current subject.")));
}

/* ------------------------------------------------------------------------
 * Key arrays, computed once per scan for the index condition
 * ------------------------------------------------------------------------ */

/* Parses the canonical decimal form of an integer (what pg_lltoa writes). */
static bool
rls_parse_int64(const char *s, size_t len, int64 *out)
{
	bool		neg = false;
	uint64		v = 0;
	size_t		i = 0;

	if (len > 0 && s[0] == '-')
	{
		neg = true;
		i = 1;
	}
	if (i >= len || (s[i] == '0' && len - i > 1) || (neg && s[i] == '0'))
		return false;
	for (; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (PG_UINT64_MAX - (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (neg ? v > (uint64) PG_INT64_MAX + 1 : v > (uint64) PG_INT64_MAX)
		return false;
	*out = neg ? (int64) (0 - v) : (int64) v;
	return true;
}

/* Parses the canonical text form of a uuid (what rls_uuid_text writes). */
static bool
rls_parse_uuid(const char *s, size_t len, pg_uuid_t *out)
{
	int			j = 0;

	if (len != 36)
		return false;
	for (int i = 0; i < UUID_LEN; i++)
	{
		int			hi,
					lo;

		if (i == 4 || i == 6 || i == 8 || i == 10)
		{
			if (s[j++] != '-')
				return false;
		}
		hi = (s[j] >= '0' && s[j] <= '9') ? s[j] - '0' :
			(s[j] >= 'a' && s[j] <= 'f') ? s[j] - 'a' + 10 : -1;
		lo = (s[j + 1] >= '0' && s[j + 1] <= '9') ? s[j + 1] - '0' :
			(s[j + 1] >= 'a' && s[j + 1] <= 'f') ? s[j + 1] - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return false;
		out->data[i] = (unsigned char) (hi << 4 | lo);
		j += 2;
	}
	return true;
}

/*
 * The granting nodes of a slot that the statement sees and that no other granting
 * node is above (palloc'd): the roots of the granted subtrees.
 */
static uint32 *
rls_top_nodes(const uint32 *ids, size_t n, size_t *ntop)
{
	uint32	   *top = palloc(sizeof(uint32) * Max(n, 1));
	size_t		k = 0;

	for (size_t i = 0; i < n; i++)
	{
		RbacScopeKey key;
		RbacChain	c;

		if (!rbac_tree_node_key(ids[i], &key))
			continue;
		rbac_tree_chain(key.type, key.id, key.idlen, &c);
		/* not in the statement's tree (deleted, or not yet created) */
		if (c.depth == 0 || c.ids[0] != ids[i])
			continue;
		if (rbac_nodeset_covers_above(ids, n, &c))
			continue;
		top[k++] = ids[i];
	}
	*ntop = k;
	return top;
}

/* Collects the index keys of scopes (rbac_tree_walk's visitor). */
typedef struct RlsKeyCollector
{
	RlsKeyKind	kind;
	Datum	   *keys;
	int			n;
	int			cap;
} RlsKeyCollector;

static bool
rls_collect_key(const RbacScopeKey *k, void *arg)
{
	RlsKeyCollector *kc = arg;
	Datum		key;

	switch (kc->kind)
	{
		case RLS_KEY_SCOPE:
			key = rbac_scope_make((RbacScopeType) k->type, k->id, k->idlen);
			break;
		case RLS_KEY_TEXT:
			key = PointerGetDatum(cstring_to_text_with_len(k->id, (int) k->idlen));
			break;
		case RLS_KEY_INT4:
			{
				int64		v;

				if (!rls_parse_int64(k->id, k->idlen, &v) || v < PG_INT32_MIN || v > PG_INT32_MAX)
					return true;
				key = Int32GetDatum((int32) v);
				break;
			}
		case RLS_KEY_INT8:
			{
				int64		v;

				if (!rls_parse_int64(k->id, k->idlen, &v))
					return true;
				key = Int64GetDatum(v);
				break;
			}
		case RLS_KEY_UUID:
			{
				pg_uuid_t  *u = palloc(sizeof(pg_uuid_t));

				if (!rls_parse_uuid(k->id, k->idlen, u))
					return true;
				key = UUIDPGetDatum(u);
				break;
			}
		default:
			elog(ERROR, "unexpected key kind %d", (int) kc->kind);
	}
	if (kc->n == kc->cap)
	{
		kc->cap *= 2;
		kc->keys = repalloc_huge(kc->keys, kc->cap * sizeof(Datum));
	}
	kc->keys[kc->n++] = key;
	return true;
}

/* Element type information of a key array function's result, kept in fn_extra. */
typedef struct RlsKeysInfo
{
	RlsKeyKind	kind;
	Oid			elemtype;
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
} RlsKeysInfo;

/*
 * runai_internal.rls_scope_keys(resource, action) -> runai.scope[]
 * runai_internal.rls_id_keys_{text,integer,bigint,uuid}(scope_type, resource, action) -> T[]
 *
 * The keys of every scope where the current subject may do the action: for a
 * runai.scope column every scope of the granted subtrees, for a plain id column
 * the ids of the scopes of scope_type among them that the column type can hold.
 * STABLE: the executor calls it once per scan to build the index condition.
 *
 * The support function offers that index condition only to a subject not granted
 * the action at the root: such a grant also covers rows whose scope is not in the
 * tree, which no list of keys finds.  Meeting such a subject here means a plan
 * made for another subject is running: see rls_stale_plan.
 */
Datum
rbac_rls_keys(PG_FUNCTION_ARGS)
{
	RlsKeysInfo *info = (RlsKeysInfo *) fcinfo->flinfo->fn_extra;
	bool		by_id;
	int			rt,
				action;
	uint8		scope_type = 0;
	RbacGrants *g;
	const uint32 *ids = NULL;
	size_t		nids = 0;
	RlsKeyCollector kc;

	if (info == NULL)
	{
		Oid			rettype = get_func_rettype(fcinfo->flinfo->fn_oid);

		info = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RlsKeysInfo));
		info->elemtype = get_element_type(rettype);
		switch (info->elemtype)
		{
			case TEXTOID:
				info->kind = RLS_KEY_TEXT;
				break;
			case INT4OID:
				info->kind = RLS_KEY_INT4;
				break;
			case INT8OID:
				info->kind = RLS_KEY_INT8;
				break;
			case UUIDOID:
				info->kind = RLS_KEY_UUID;
				break;
			default:
				info->kind = RLS_KEY_SCOPE;
				break;
		}
		get_typlenbyvalalign(info->elemtype, &info->elmlen, &info->elmbyval,
							 &info->elmalign);
		fcinfo->flinfo->fn_extra = info;
	}
	by_id = info->kind != RLS_KEY_SCOPE;

	rbac_cache_begin();
	if (by_id)
		scope_type = rls_scope_type_or_error(PG_GETARG_TEXT_PP(0));
	rt = rls_resource_or_error(PG_GETARG_TEXT_PP(by_id ? 1 : 0));
	action = rls_action_or_error(PG_GETARG_TEXT_PP(by_id ? 2 : 1));

	g = rbac_statement_grants();
	if (g != NULL && rbac_grants_cover_all(g, rt, action))
		rls_stale_plan(PG_GETARG_TEXT_PP(by_id ? 1 : 0), PG_GETARG_TEXT_PP(by_id ? 2 : 1));
	if (g != NULL)
		ids = rbac_grants_nodes(g, rt, action, &nids);

	kc.kind = info->kind;
	kc.n = 0;
	kc.cap = 16;
	kc.keys = palloc(kc.cap * sizeof(Datum));
	if (nids > 0)
	{
		size_t		ntop;
		uint32	   *top = rls_top_nodes(ids, nids, &ntop);

		for (size_t i = 0; i < ntop; i++)
			rbac_tree_walk(top[i], by_id ? scope_type : -1, rls_collect_key, &kc);
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(kc.keys, kc.n, info->elemtype, info->elmlen,
										  info->elmbyval, info->elmalign));
}

/* ------------------------------------------------------------------------
 * Planner support
 * ------------------------------------------------------------------------ */

/* The text value of a constant, non-NULL text argument, or NULL. */
static text *
rls_const_text(Node *n)
{
	if (n == NULL || !IsA(n, Const) || ((Const *) n)->constisnull ||
		((Const *) n)->consttype != TEXTOID)
		return NULL;
	return DatumGetTextPP(((Const *) n)->constvalue);
}

/*
 * Recognises a call of one of the checks with constant resource, action (and scope
 * type) arguments that name existing things.  Never raises an error: a call it
 * does not recognise gets no special treatment, and fails at run time if it must.
 */
static bool
rls_parse_call(List *args, RlsCall *call)
{
	int			nargs = list_length(args);
	int			first;
	text	   *t;

	if (nargs == 3)
	{
		call->kind = RLS_KEY_SCOPE;
		first = 1;
	}
	else if (nargs == 4)
	{
		switch (exprType(linitial(args)))
		{
			case TEXTOID:
				call->kind = RLS_KEY_TEXT;
				break;
			case INT4OID:
				call->kind = RLS_KEY_INT4;
				break;
			case INT8OID:
				call->kind = RLS_KEY_INT8;
				break;
			case UUIDOID:
				call->kind = RLS_KEY_UUID;
				break;
			default:
				return false;
		}
		if ((t = rls_const_text(lsecond(args))) == NULL)
			return false;
		if (rls_lookup_scope_type(t) < 0)
			return false;
		call->scope_type = (uint8) rls_lookup_scope_type(t);
		first = 2;
	}
	else
		return false;

	call->key = linitial(args);
	call->name_args = list_copy_tail(args, 1);
	if ((t = rls_const_text(list_nth(args, first))) == NULL ||
		(call->rt = rls_lookup_resource(t)) < 0)
		return false;
	if ((t = rls_const_text(list_nth(args, first + 1))) == NULL ||
		(call->action = rls_lookup_action(t)) == 0)
		return false;
	return true;
}

/* What the planner is told about a check for the current subject. */
typedef struct RlsEstimate
{
	bool		all;			/* granted at the root: every row */
	double		nkeys;			/* scopes in the key array (an estimate) */
	Selectivity sel;			/* fraction of the table's rows it may see */
} RlsEstimate;

/* Is the value of the key column (a runai.scope, or an id) granted by ids? */
static bool
rls_value_allowed(const RlsCall *call, Datum v, const uint32 *ids, size_t n)
{
	RbacChain	chain;
	char		buf[Max(MAXINT8LEN + 1, 36)];
	int			len;

	switch (call->kind)
	{
		case RLS_KEY_SCOPE:
			{
				struct varlena *s = DatumGetRbacScopePP(v);

				rbac_tree_chain(rbac_scope_type_of(s), rbac_scope_id_of(s),
								rbac_scope_idlen_of(s), &chain);
				break;
			}
		case RLS_KEY_TEXT:
			{
				text	   *t = DatumGetTextPP(v);

				rbac_tree_chain(call->scope_type, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &chain);
				break;
			}
		case RLS_KEY_INT4:
			len = pg_ltoa(DatumGetInt32(v), buf);
			rbac_tree_chain(call->scope_type, buf, len, &chain);
			break;
		case RLS_KEY_INT8:
			len = pg_lltoa(DatumGetInt64(v), buf);
			rbac_tree_chain(call->scope_type, buf, len, &chain);
			break;
		case RLS_KEY_UUID:
			rls_uuid_text(DatumGetUUIDP(v), buf);
			rbac_tree_chain(call->scope_type, buf, 36, &chain);
			break;
		default:
			return false;
	}
	return rbac_nodeset_covers(ids, n, &chain);
}

/*
 * Estimates, from the table's statistics, how many rows the current subject may
 * see through the check: what PostgreSQL would estimate for
 * `key = ANY(<the subject's keys>)` (scalararraysel summing var_eq_const over
 * distinct keys), computed without building the array: the most common values
 * the subject is granted count with their frequency, every other key it is
 * granted with the frequency of an average value outside that list.  The number
 * of keys comes from the tree's counts of scopes below each granted scope.
 */
static void
rls_estimate(PlannerInfo *root, const RlsCall *call, int varRelid, RlsEstimate *est)
{
	RbacGrants *g;
	const uint32 *ids;
	size_t		nids,
				ntop;
	uint32	   *top;
	VariableStatData vardata;
	double		nd;
	bool		isdefault;
	Selectivity sel = 0,
				other;
	double		nmatched = 0;

	memset(est, 0, sizeof(*est));
	rbac_cache_begin();
	g = rbac_statement_grants();
	if (g == NULL)
		return;
	if (rbac_grants_cover_all(g, call->rt, call->action))
	{
		est->all = true;
		est->sel = 1.0;
		return;
	}
	ids = rbac_grants_nodes(g, call->rt, call->action, &nids);
	if (nids == 0)
		return;
	top = rls_top_nodes(ids, nids, &ntop);
	for (size_t i = 0; i < ntop; i++)
		est->nkeys += rbac_tree_count_below(top[i],
											call->kind == RLS_KEY_SCOPE ? -1 : call->scope_type);
	if (est->nkeys <= 0 || root == NULL)
		return;

	examine_variable(root, call->key, varRelid, &vardata);
	nd = get_variable_numdistinct(&vardata, &isdefault);
	other = nd > 0 ? 1.0 / nd : DEFAULT_EQ_SEL;
	if (HeapTupleIsValid(vardata.statsTuple))
	{
		Form_pg_statistic stats = (Form_pg_statistic) GETSTRUCT(vardata.statsTuple);
		AttStatsSlot sslot;
		double		sumcommon = 0,
					nullfrac = stats->stanullfrac;

		if (get_attstatsslot(&sslot, vardata.statsTuple, STATISTIC_KIND_MCV, InvalidOid,
							 ATTSTATSSLOT_VALUES | ATTSTATSSLOT_NUMBERS))
		{
			double		least = 1.0;

			for (int i = 0; i < sslot.nvalues; i++)
			{
				sumcommon += sslot.numbers[i];
				least = Min(least, sslot.numbers[i]);
				if (rls_value_allowed(call, sslot.values[i], ids, nids))
				{
					sel += sslot.numbers[i];
					nmatched++;
				}
			}
			/* as var_eq_const: the rest shared by the other distinct values */
			other = 1.0 - sumcommon - nullfrac;
			CLAMP_PROBABILITY(other);
			if (nd > sslot.nvalues)
				other /= nd - sslot.nvalues;
			else
				other = 0;
			if (sslot.nvalues > 0 && other > least)
				other = least;
			free_attstatsslot(&sslot);
		}
	}
	ReleaseVariableStats(vardata);
	sel += Max(0, est->nkeys - nmatched) * other;
	CLAMP_PROBABILITY(sel);
	est->sel = sel;
}

/* The key array function of each key kind. */
static const RbacFunction rls_keys_function[] = {
	[RLS_KEY_SCOPE] = RBAC_FN_RLS_SCOPE_KEYS,
	[RLS_KEY_TEXT] = RBAC_FN_RLS_ID_KEYS_TEXT,
	[RLS_KEY_INT4] = RBAC_FN_RLS_ID_KEYS_INTEGER,
	[RLS_KEY_INT8] = RBAC_FN_RLS_ID_KEYS_BIGINT,
	[RLS_KEY_UUID] = RBAC_FN_RLS_ID_KEYS_UUID,
};

/* The tables whose changes change a subject's grants: plans depend on their signals. */
static const RbacRelation rls_plan_depends[] = {
	RBAC_REL_ACCESS_RULES, RBAC_REL_GROUP_MEMBERS, RBAC_REL_DB_ROLE_BINDINGS,
	RBAC_REL_USERS, RBAC_REL_SESSIONS,
};

/*
 * relation_oids with what announces a change of each of the n tables rels --
 * its signal (catalog.h; at 0.1.0 the table itself), and on Citus its shell,
 * whose invalidation says that its placement moved -- and signal_subject added,
 * so that a plan depending on them is made again after any change of those
 * tables or of the token subject.
 */
static List *
rls_depend_on(List *relation_oids, const RbacRelation *rels, size_t n)
{
	const RbacCatalog *cat = rbac_catalog_lookup();

	for (size_t i = 0; i < n; i++)
	{
		RbacRelation r = rels[i];
		Oid			relid = rbac_catalog_announcer(cat, r);

		if (OidIsValid(relid))
			relation_oids = list_append_unique_oid(relation_oids, relid);
		if (OidIsValid(cat->logical[r]) && cat->logical[r] != cat->rel[r])
			relation_oids = list_append_unique_oid(relation_oids, cat->logical[r]);
	}
	if (OidIsValid(cat->signal[RBAC_SIG_SUBJECT]))
		relation_oids = list_append_unique_oid(relation_oids, cat->signal[RBAC_SIG_SUBJECT]);
	return relation_oids;
}

/*
 * Makes the plan being built depend on the signals of the tables that decide the
 * current subject's grants and on signal_subject, so that a change to any of them,
 * or of the token subject, invalidates it.
 */
static void
rls_add_plan_dependencies(PlannerInfo *root)
{
	if (root == NULL || root->glob == NULL)
		return;
	root->glob->relationOids = rls_depend_on(root->glob->relationOids, rls_plan_depends,
											 lengthof(rls_plan_depends));
}

/* The index condition `key = ANY(runai_internal.rls_..._keys(...))` for a check, or NIL. */
static List *
rls_index_condition(SupportRequestIndexCondition *req, const RlsCall *call)
{
	Oid			keytype = exprType(call->key);
	Oid			arraytype = get_array_type(keytype);
	Oid			eqop;
	Oid			keysfn;
	List	   *keysargs = NIL;
	FuncExpr   *keys;
	ScalarArrayOpExpr *saop;
	ListCell   *lc;

	/*
	 * Only a btree (whose scans take arrays of keys) on its first column: then
	 * the scan's order is still the index order, as the planner assumes.
	 */
	if (req->indexarg != 0 || req->indexcol != 0 || req->index->relam != BTREE_AM_OID ||
		!req->index->amsearcharray || !OidIsValid(arraytype))
		return NIL;
	eqop = get_opfamily_member(req->opfamily, keytype, keytype, BTEqualStrategyNumber);
	if (!OidIsValid(eqop))
		return NIL;
	keysfn = rbac_catalog_lookup()->fn[rls_keys_function[call->kind]];
	if (!OidIsValid(keysfn) || get_func_rettype(keysfn) != arraytype)
		return NIL;

	foreach(lc, call->name_args)
		keysargs = lappend(keysargs, copyObject(lfirst(lc)));
	keys = makeFuncExpr(keysfn, arraytype, keysargs,
						type_is_collatable(keytype) ? DEFAULT_COLLATION_OID : InvalidOid,
						DEFAULT_COLLATION_OID, COERCE_EXPLICIT_CALL);

	saop = makeNode(ScalarArrayOpExpr);
	saop->opno = eqop;
	saop->opfuncid = get_opcode(eqop);
	saop->hashfuncid = InvalidOid;
	saop->negfuncid = InvalidOid;
	saop->useOr = true;
	saop->inputcollid = req->indexcollation;
	saop->args = list_make2(copyObject(call->key), keys);
	saop->location = -1;

	req->lossy = true;			/* the check stays as a filter */
	return list_make1(saop);
}

/* Does the expression tree contain a node equal to target? */
static bool
rls_contains_walker(Node *node, void *target)
{
	if (node == NULL)
		return false;
	if (equal(node, target))
		return true;
	return expression_tree_walker(node, rls_contains_walker, target);
}

/* Does the query have an outer join (which could make a NOT NULL column NULL)? */
static bool
rls_has_outer_join(Query *parse)
{
	ListCell   *lc;

	foreach(lc, parse->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_JOIN && rte->jointype != JOIN_INNER)
			return true;
	}
	return false;
}

/* Is column attnum of relation relid declared NOT NULL? */
static bool
rls_column_not_null(Oid relid, AttrNumber attnum)
{
	HeapTuple	tup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(attnum));
	bool		notnull = false;

	if (HeapTupleIsValid(tup))
	{
		notnull = ((Form_pg_attribute) GETSTRUCT(tup))->attnotnull;
		ReleaseSysCache(tup);
	}
	return notnull;
}

/*
 * SupportRequestSimplify: for a subject granted the action at the root, a policy's
 * check is true on every row, so it becomes the one-time test
 * (SELECT runai_internal.rls_gate(resource, action)): an InitPlan that the leader evaluates
 * once, leaving the scan without a per-row filter -- the plan of the unprotected
 * table.  Only where that is the same answer on every row:
 *  - the call is one of a relation's row-level security quals (not a user's
 *    expression that happens to call the check), on a NOT NULL column of that
 *    relation, in a query without outer joins (which could make it NULL);
 *  - the current subject is granted the action at the root, by rules that do not
 *    expire (the plan would outlive them).
 * The plan depends on the subject: changes of rules, groups, bindings and sessions
 * invalidate it (rls_add_plan_dependencies), a change of database role makes
 * PostgreSQL plan again, a change of token subject invalidates it (rbac_rls_init).
 * Should it run for a subject granted less anyway, runai_internal.rls_gate refuses (see
 * there) rather than return wrong rows.
 */
static Node *
rls_gate_for(PlannerInfo *root, FuncExpr *fcall, const RlsCall *call)
{
	Node	   *key = call->key;
	Var		   *var;
	RangeTblEntry *rte;
	RbacGrants *g;
	Oid			gatefn;
	int			n = list_length(call->name_args);
	FuncExpr   *gate;
	Query	   *q;
	SubLink    *sublink;

	while (IsA(key, RelabelType))
		key = (Node *) ((RelabelType *) key)->arg;
	if (!IsA(key, Var))
		return NULL;
	var = (Var *) key;
	if (var->varlevelsup != 0 || var->varattno <= 0 ||
		var->varno < 1 || var->varno > list_length(root->parse->rtable))
		return NULL;
	rte = rt_fetch(var->varno, root->parse->rtable);
	if (rte->rtekind != RTE_RELATION || rte->securityQuals == NIL ||
		!rls_contains_walker((Node *) rte->securityQuals, fcall) ||
		!rls_column_not_null(rte->relid, var->varattno) ||
		rls_has_outer_join(root->parse))
		return NULL;

	g = rbac_current_grants(NULL, NULL);
	if (g == NULL || !rbac_grants_cover_all(g, call->rt, call->action) ||
		g->next_expiry != DT_NOEND)
		return NULL;

	gatefn = rbac_catalog_lookup()->fn[RBAC_FN_RLS_GATE];
	if (!OidIsValid(gatefn))
		return NULL;

	rls_add_plan_dependencies(root);
	gate = makeFuncExpr(gatefn, BOOLOID,
						list_make2(copyObject(list_nth(call->name_args, n - 2)),
								   copyObject(list_nth(call->name_args, n - 1))),
						InvalidOid, DEFAULT_COLLATION_OID, COERCE_EXPLICIT_CALL);
	q = makeNode(Query);
	q->commandType = CMD_SELECT;
	q->querySource = QSRC_ORIGINAL;
	q->canSetTag = true;
	q->jointree = makeFromExpr(NIL, NULL);
	q->targetList = list_make1(makeTargetEntry((Expr *) gate, 1, pstrdup("rls_gate"), false));
	q->stmt_location = -1;

	sublink = makeNode(SubLink);
	sublink->subLinkType = EXPR_SUBLINK;
	sublink->subLinkId = 0;
	sublink->testexpr = NULL;
	sublink->operName = NIL;
	sublink->subselect = (Node *) q;
	sublink->location = -1;
	/* the planner turns it into an InitPlan after simplification */
	root->parse->hasSubLinks = true;
	return (Node *) sublink;
}

/* See rls.h. */
Expr *
rbac_rls_route_qual(Node *qual, Index varno, AttrNumber attno, int max_keys)
{
	FuncExpr   *fcall;
	RlsCall		call;
	Var		   *var;
	RbacGrants *g;
	const uint32 *ids = NULL;
	size_t		nids = 0;
	RlsKeyCollector kc;
	Oid			arraytype,
				eqop;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	const RbacCatalog *cat;
	ScalarArrayOpExpr *saop;

	if (qual == NULL || !IsA(qual, FuncExpr))
		return NULL;
	fcall = (FuncExpr *) qual;
	cat = rbac_catalog_lookup();
	if (cat->layout == RBAC_LAYOUT_NONE)
		return NULL;
	rbac_cache_begin();			/* resolving the resource type reads the tree */
	if (get_func_namespace(fcall->funcid) != cat->internal_schema ||
		get_func_name(fcall->funcid) == NULL ||
		strcmp(get_func_name(fcall->funcid), "rls_check") != 0 ||
		!rls_parse_call(fcall->args, &call) || !IsA(call.key, Var))
		return NULL;
	var = (Var *) call.key;
	if (var->varno != (int) varno || var->varattno != attno || var->varlevelsup != 0)
		return NULL;

	g = rbac_statement_grants();
	if (g != NULL && rbac_grants_cover_all(g, call.rt, call.action))
		return NULL;
	/* the keys as rbac_rls_keys finds them */
	kc.kind = call.kind;
	kc.n = 0;
	kc.cap = 16;
	kc.keys = palloc(kc.cap * sizeof(Datum));
	if (g != NULL)
		ids = rbac_grants_nodes(g, call.rt, call.action, &nids);
	if (nids > 0)
	{
		size_t		ntop;
		uint32	   *top = rls_top_nodes(ids, nids, &ntop);

		for (size_t i = 0; i < ntop && kc.n <= max_keys; i++)
			rbac_tree_walk(top[i], call.kind != RLS_KEY_SCOPE ? call.scope_type : -1,
						   rls_collect_key, &kc);
	}
	if (kc.n > max_keys)
		return NULL;
	/* granted nowhere: Citus prunes every shard on a false condition, not on an empty array */
	if (kc.n == 0)
		return (Expr *) makeBoolConst(false, false);

	arraytype = get_array_type(var->vartype);
	eqop = lookup_type_cache(var->vartype, TYPECACHE_EQ_OPR)->eq_opr;
	if (!OidIsValid(arraytype) || !OidIsValid(eqop))
		return NULL;
	get_typlenbyvalalign(var->vartype, &typlen, &typbyval, &typalign);
	saop = makeNode(ScalarArrayOpExpr);
	saop->opno = eqop;
	saop->opfuncid = get_opcode(eqop);
	saop->hashfuncid = InvalidOid;
	saop->negfuncid = InvalidOid;
	saop->useOr = true;
	saop->inputcollid = var->varcollid;
	saop->args = list_make2(copyObject(var),
							makeConst(arraytype, -1, var->varcollid, -1,
									  PointerGetDatum(construct_array(kc.keys, kc.n, var->vartype, typlen,
																	  typbyval, typalign)),
									  false, false));
	saop->location = -1;
	return (Expr *) saop;
}

/* See rls.h. */
List *
rbac_rls_plan_dependencies(List *relation_oids)
{
	static const RbacRelation depends[] = {
		RBAC_REL_ACCESS_RULES, RBAC_REL_GROUP_MEMBERS, RBAC_REL_DB_ROLE_BINDINGS,
		RBAC_REL_USERS, RBAC_REL_SESSIONS, RBAC_REL_SCOPES,
	};

	return rls_depend_on(relation_oids, depends, lengthof(depends));
}

/*
 * runai_internal.rls_gate(resource, action): the one-time test of plans made for a subject
 * granted the action at the root.  True when the current subject still is; false
 * when it is granted nothing (no row is visible, as the per-row check would say);
 * for a subject granted part of the tree the plan is stale (rls_stale_plan).
 */
Datum
rbac_rls_gate(PG_FUNCTION_ARGS)
{
	int			rt,
				action;
	RbacGrants *g;
	size_t		nids = 0;

	rbac_cache_begin();
	rt = rls_resource_or_error(PG_GETARG_TEXT_PP(0));
	action = rls_action_or_error(PG_GETARG_TEXT_PP(1));
	g = rbac_statement_grants();
	if (g == NULL)
		PG_RETURN_BOOL(false);
	if (rbac_grants_cover_all(g, rt, action))
		PG_RETURN_BOOL(true);
	(void) rbac_grants_nodes(g, rt, action, &nids);
	if (nids == 0)
		PG_RETURN_BOOL(false);
	rls_stale_plan(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1));
}

/*
 * runai_internal.rls_support(internal): the planner support function of the checks.
 */
Datum
rbac_rls_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	RlsCall		call;
	RlsEstimate est;

	rbac_cache_begin();
	if (IsA(rawreq, SupportRequestSimplify))
	{
		SupportRequestSimplify *req = (SupportRequestSimplify *) rawreq;
		Node	   *gate;

		if (req->root == NULL || req->root->parse == NULL ||
			!rls_parse_call(req->fcall->args, &call))
			PG_RETURN_POINTER(NULL);
		gate = rls_gate_for(req->root, req->fcall, &call);
		PG_RETURN_POINTER(gate);
	}
	else if (IsA(rawreq, SupportRequestSelectivity))
	{
		SupportRequestSelectivity *req = (SupportRequestSelectivity *) rawreq;

		if (req->is_join || !rls_parse_call(req->args, &call))
			PG_RETURN_POINTER(NULL);
		rls_add_plan_dependencies(req->root);
		rls_estimate(req->root, &call, req->varRelid, &est);
		req->selectivity = est.sel;
		CLAMP_PROBABILITY(req->selectivity);
		PG_RETURN_POINTER(req);
	}
	else if (IsA(rawreq, SupportRequestCost))
	{
		SupportRequestCost *req = (SupportRequestCost *) rawreq;

		if (req->node == NULL || !IsA(req->node, FuncExpr) ||
			!rls_parse_call(((FuncExpr *) req->node)->args, &call))
			PG_RETURN_POINTER(NULL);
		/* (asked many times per plan: the selectivity request added the dependencies) */
		{
			RbacGrants *g = rbac_statement_grants();
			bool		all = g != NULL && rbac_grants_cover_all(g, call.rt, call.action);

			/* a grant at the root: one memo test; else a lookup and a search */
			req->startup = 0;
			req->per_tuple = cpu_operator_cost * (all ? 1 : 2);
		}
		PG_RETURN_POINTER(req);
	}
	else if (IsA(rawreq, SupportRequestIndexCondition))
	{
		SupportRequestIndexCondition *req = (SupportRequestIndexCondition *) rawreq;
		List	   *cond;

		if (!IsA(req->node, FuncExpr) ||
			!rls_parse_call(((FuncExpr *) req->node)->args, &call))
			PG_RETURN_POINTER(NULL);
		rls_add_plan_dependencies(req->root);
		rls_estimate(req->root, &call, req->index->rel->relid, &est);
		if (est.all || est.nkeys > RLS_INDEX_MAX_KEYS)
			PG_RETURN_POINTER(NULL);
		cond = rls_index_condition(req, &call);
		PG_RETURN_POINTER(cond);
	}

	PG_RETURN_POINTER(NULL);
}

/* ------------------------------------------------------------------------
 * runai.workloads
 * ------------------------------------------------------------------------ */

/*
 * BEFORE INSERT OR UPDATE row trigger of runai.workloads: a row inserted by a
 * subject records that subject as created_by, at the current time; an update keeps
 * created_by and created_at and sets updated_at.  Without a subject (only roles
 * that bypass row-level security can write then, e.g. a bulk load by a superuser)
 * the inserted values are kept.
 */
Datum
rbac_rls_workloads_stamp(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	int			cols[3];
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	int			a_by,
				a_at,
				a_upd;
	Datum		now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	HeapTuple	tuple;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || TRIGGER_FIRED_BY_DELETE(td->tg_event))
		elog(ERROR, "rbac_rls_workloads_stamp: not called as a BEFORE INSERT OR UPDATE row trigger");

	desc = RelationGetDescr(td->tg_relation);
	a_by = SPI_fnumber(desc, "created_by");
	a_at = SPI_fnumber(desc, "created_at");
	a_upd = SPI_fnumber(desc, "updated_at");
	if (a_by <= 0 || a_at <= 0 || a_upd <= 0)
		elog(ERROR, "rbac_rls_workloads_stamp: table %s lacks created_by, created_at or updated_at",
			 RelationGetRelationName(td->tg_relation));

	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
	{
		RbacSubjectKind kind;
		const char *name;

		tuple = td->tg_trigtuple;
		/*
		 * Roles that bypass row-level security (superusers, BYPASSRLS, such as
		 * pg_restore's) write the row as given, so a restore keeps who created it.
		 */
		if (superuser() || has_bypassrls_privilege(GetUserId()))
			return PointerGetDatum(tuple);
		rbac_cache_begin();
		if (rbac_current_grants(&kind, &name) == NULL)
			return PointerGetDatum(tuple);
		cols[0] = a_by;
		values[0] = CStringGetTextDatum(rbac_subject_text(kind, name));
		cols[1] = a_at;
		values[1] = now;
		cols[2] = a_upd;
		values[2] = now;
	}
	else
	{
		HeapTuple	old = td->tg_trigtuple;

		tuple = td->tg_newtuple;
		cols[0] = a_by;
		values[0] = heap_getattr(old, a_by, desc, &nulls[0]);
		cols[1] = a_at;
		values[1] = heap_getattr(old, a_at, desc, &nulls[1]);
		cols[2] = a_upd;
		values[2] = now;
	}
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, 3, cols, values, nulls));
}

/*
 * runai_internal.rls_validate(resource text, scope_type text): raises the error that
 * runai.protect reports for an unknown resource type or, unless scope_type is
 * NULL (a runai.scope column), an invalid scope type.
 */
Datum
rbac_rls_validate(PG_FUNCTION_ARGS)
{
	rbac_cache_begin();
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("resource must not be NULL"),
				 errdetail("The rows of a protected table are checked against a permission on one resource type."),
				 errhint("Name the resource type whose permissions protect the rows, for example \"workloads\".")));
	(void) rls_resource_or_error(PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(1))
		(void) rls_scope_type_or_error(PG_GETARG_TEXT_PP(1));
	PG_RETURN_VOID();
}

/*
 * The token subject changed (session.h): plans made for the previous subject must
 * be planned again.  Called from a GUC's assign hook, so it reads no catalog and
 * raises no error: a relcache invalidation of signal_subject, executed in this
 * backend only, invalidates the plans that depend on it (rls_add_plan_dependencies)
 * and nothing else (no unit keeps anything about that relation, and no backend
 * opens it); without the signal's OID at hand (0.1.0, or the catalog may have
 * changed since it was looked up) the whole plan cache is reset.
 */
static void
rls_subject_changed(void)
{
	Oid			relid = rbac_catalog_cached_signal(RBAC_SIG_SUBJECT);
	SharedInvalidationMessage msg;

	if (!OidIsValid(relid))
	{
		ResetPlanCache();
		return;
	}
	msg.rc.id = SHAREDINVALRELCACHE_ID;
	msg.rc.dbId = MyDatabaseId;
	msg.rc.relId = relid;
	LocalExecuteInvalidationMessage(&msg);
}

/* See rls.h. */
void
rbac_rls_init(void)
{
	rbac_session_register_callback(rls_subject_changed);
}
