/*
 * checks.c
 *    The SQL-callable permission checks and lookups answered from the cache:
 *    can, has_permission, permitted_scopes, my_permissions, and the trigger that
 *    invalidates every backend's cache when the extension's tables change.
 *
 * can() and has_permission() keep a small memo in fn_extra (the parsed resource
 * type and action, the subject's grants) validated by the cache generation, so a
 * check in a loop costs a hash-free interval search.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "cache.h"
#include "identity.h"
#include "session.h"
#include "subject.h"
#include "types.h"

typedef struct CheckMemo
{
	uint64		generation;
	int			rlen;
	char		rbuf[64];
	int			rt;
	int			alen;
	char		abuf[16];
	int			act;
	/* has_permission: the subject asked about */
	int			slen;
	char		sbuf[RBAC_SUBJECT_NAME_MAX + 8];
	RbacGrants *grants;
	bool		caller_is_subject;
	int			access_rules_rt;	/* resolved once per generation; -1 until then */
	Oid			caller_role;	/* who caller_is_subject was computed for */
	uint64		caller_session;
	/* scope memo */
	int			scope_len;
	char		scope_buf[RBAC_SCOPE_TEXT_MAX + 1];
	RbacChain	chain;
} CheckMemo;

static CheckMemo *
get_memo(FunctionCallInfo fcinfo)
{
	CheckMemo  *m = fcinfo->flinfo->fn_extra;

	if (m == NULL)
	{
		m = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CheckMemo));
		fcinfo->flinfo->fn_extra = m;
	}
	if (m->generation != rbac_cache_generation())
	{
		m->generation = rbac_cache_generation();
		m->rlen = m->alen = m->slen = m->scope_len = -1;
		m->access_rules_rt = -1;
		m->grants = NULL;
	}
	return m;
}

/* Resource type and action of the call, parsed once per distinct value. */
static void
memo_resource_action(CheckMemo *m, text *r, text *a)
{
	int			rlen = VARSIZE_ANY_EXHDR(r);
	int			alen = VARSIZE_ANY_EXHDR(a);

	if (rlen != m->rlen || memcmp(VARDATA_ANY(r), m->rbuf, rlen) != 0)
	{
		m->rt = rbac_resource_type_arg(r);
		if (rlen <= (int) sizeof(m->rbuf))
		{
			memcpy(m->rbuf, VARDATA_ANY(r), rlen);
			m->rlen = rlen;
		}
	}
	if (alen != m->alen || memcmp(VARDATA_ANY(a), m->abuf, alen) != 0)
	{
		m->act = rbac_action_arg(a);
		if (alen <= (int) sizeof(m->abuf))
		{
			memcpy(m->abuf, VARDATA_ANY(a), alen);
			m->alen = alen;
		}
	}
}

/* Chain of the scope argument (depth 0: unknown), remembering the last one. */
static const RbacChain *
memo_scope(CheckMemo *m, struct varlena *s)
{
	int			len = VARSIZE_ANY_EXHDR(s);

	if (len == m->scope_len && memcmp(VARDATA_ANY(s), m->scope_buf, len) == 0)
		return &m->chain;
	rbac_cache_scope_chain(s, &m->chain);
	if (len <= (int) sizeof(m->scope_buf))
	{
		memcpy(m->scope_buf, VARDATA_ANY(s), len);
		m->scope_len = len;
	}
	else
		m->scope_len = -1;
	return &m->chain;
}

PG_FUNCTION_INFO_V1(rbac_can);
/* runai.can(resource, action, scope): may the current subject? False if none. */
Datum
rbac_can(PG_FUNCTION_ARGS)
{
	CheckMemo  *m;
	RbacGrants *g;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_BOOL(false);
	rbac_cache_begin();
	m = get_memo(fcinfo);
	memo_resource_action(m, PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1));
	g = rbac_current_grants(NULL, NULL);
	if (g == NULL)
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(rbac_grants_allow(g, m->rt, m->act, memo_scope(m, PG_GETARG_RBAC_SCOPE_PP(2))));
}

/*
 * Raises 42501 unless the caller may ask about subject: it is that subject, a
 * superuser, or holds access_rules view at the scope.
 */
static void
require_may_ask(CheckMemo *m, const RbacChain *chain, struct varlena *scope, const RbacGrants *subject)
{
	RbacGrants *caller;
	RbacSubjectKind kind;
	const char *name;
	int			rt;

	if (m->caller_is_subject || superuser())
		return;
	caller = rbac_current_grants(&kind, &name);
	if (m->access_rules_rt < 0)
		m->access_rules_rt = rbac_cache_resource_type("access_rules", strlen("access_rules"));
	rt = m->access_rules_rt;
	if (caller != NULL && rbac_grants_allow(caller, rt, RBAC_ACT_VIEW, chain))
		return;
	if (caller == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied: no Run:ai subject may view access_rules at %s",
						rbac_scope_to_cstring(scope)),
				 errdetail("Asking about the permissions of %s needs the view permission on access_rules at the scope, unless the caller is that subject.",
						   rbac_subject_text(subject->kind, subject->name)),
				 errhint("Use runai.can() to ask about the current subject.")));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied: %s may not view access_rules at %s",
					rbac_subject_text(kind, name), rbac_scope_to_cstring(scope)),
			 errdetail("Asking about the permissions of %s needs the view permission on access_rules at the scope, unless the caller is that subject.",
					   rbac_subject_text(subject->kind, subject->name)),
			 errhint("Use runai.can() to ask about the current subject.")));
}

PG_FUNCTION_INFO_V1(rbac_has_permission);
/* runai.has_permission(subject, resource, action, scope). */
Datum
rbac_has_permission(PG_FUNCTION_ARGS)
{
	CheckMemo  *m;
	text	   *st;
	int			slen;
	const RbacChain *chain;
	struct varlena *scope;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_BOOL(false);
	rbac_cache_begin();
	m = get_memo(fcinfo);
	memo_resource_action(m, PG_GETARG_TEXT_PP(1), PG_GETARG_TEXT_PP(2));

	st = PG_GETARG_TEXT_PP(0);
	slen = VARSIZE_ANY_EXHDR(st);
	if (m->grants == NULL || slen != m->slen || memcmp(VARDATA_ANY(st), m->sbuf, slen) != 0 ||
		rbac_cache_now() >= m->grants->next_expiry ||
		m->caller_role != GetUserId() || m->caller_session != rbac_identity_version())
	{
		RbacSubjectKind kind,
					ckind;
		char	   *name;
		const char *cname;
		RbacGrants *caller;

		rbac_subject_parse(VARDATA_ANY(st), slen, &kind, &name);
		caller = rbac_current_grants(&ckind, &cname);
		m->caller_is_subject = caller != NULL && ckind == kind && strcmp(cname, name) == 0;
		/* the caller may change between calls (SET ROLE in a loop, a token) */
		m->caller_role = GetUserId();
		m->caller_session = rbac_identity_version();
		m->grants = rbac_cache_grants(kind, name, strlen(name));
		/* the caller's lookup may have moved the generation; keep the memo coherent */
		m->generation = rbac_cache_generation();
		if (slen <= (int) sizeof(m->sbuf))
		{
			memcpy(m->sbuf, VARDATA_ANY(st), slen);
			m->slen = slen;
		}
		else
			m->slen = -1;
	}
	scope = PG_GETARG_RBAC_SCOPE_PP(3);
	chain = memo_scope(m, scope);
	require_may_ask(m, chain, scope, m->grants);
	PG_RETURN_BOOL(rbac_grants_allow(m->grants, m->rt, m->act, chain));
}

/* A node's place in the tree: the scopes on its path, root first. */
typedef struct TreePos
{
	uint32		node;
	int			depth;
	RbacScopeKey path[RBAC_TREE_MAX_DEPTH];
} TreePos;

/* Compares two scopes in runai.scope's order: level, then id bytes. */
static int
key_cmp(const RbacScopeKey *a, const RbacScopeKey *b)
{
	int			c;

	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	c = memcmp(a->id, b->id, Min(a->idlen, b->idlen));
	if (c != 0)
		return c;
	return (int) a->idlen - (int) b->idlen;
}

/* Tree order: a scope before its descendants, siblings in runai.scope's order. */
static int
tree_pos_cmp(const void *x, const void *y)
{
	const TreePos *a = x,
			   *b = y;

	for (int i = 0; i < Min(a->depth, b->depth); i++)
	{
		int			c = key_cmp(&a->path[i], &b->path[i]);

		if (c != 0)
			return c;
	}
	return a->depth - b->depth;
}

/*
 * The top-most of the granting nodes ids (none above it is granting), visible to
 * the statement, with their places in the tree, in tree order; palloc'd.
 */
static TreePos *
top_nodes_in_order(const uint32 *ids, size_t n, int *npos)
{
	TreePos    *pos = palloc(sizeof(TreePos) * Max(n, 1));
	int			k = 0;

	for (size_t i = 0; i < n; i++)
	{
		RbacScopeKey key;
		RbacChain	c;
		bool		ok = true;

		if (!rbac_tree_node_key(ids[i], &key))
			continue;
		rbac_tree_chain(key.type, key.id, key.idlen, &c);
		if (c.depth == 0 || c.ids[0] != ids[i] || rbac_nodeset_covers_above(ids, n, &c))
			continue;
		pos[k].node = ids[i];
		pos[k].depth = (int) c.depth;
		for (uint32 d = 0; d < c.depth && ok; d++)
			ok = rbac_tree_node_key(c.ids[d], &pos[k].path[c.depth - 1 - d]);
		if (ok)
			k++;
	}
	qsort(pos, k, sizeof(TreePos), tree_pos_cmp);
	*npos = k;
	return pos;
}

/* The scope datum of a tree position. */
static Datum
pos_scope(const TreePos *p)
{
	const RbacScopeKey *k = &p->path[p->depth - 1];

	return rbac_scope_make((RbacScopeType) k->type, k->id, k->idlen);
}

PG_FUNCTION_INFO_V1(rbac_permitted_scopes);
/* runai.permitted_scopes(resource, action): the top-most permitted scopes. */
Datum
rbac_permitted_scopes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RbacGrants *g;
	const uint32 *ids;
	size_t		n;
	int			rt,
				act,
				npos;
	TreePos    *pos;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return (Datum) 0;
	rbac_cache_begin();
	rt = rbac_resource_type_arg(PG_GETARG_TEXT_PP(0));
	act = rbac_action_arg(PG_GETARG_TEXT_PP(1));
	g = rbac_current_grants(NULL, NULL);
	if (g == NULL)
		return (Datum) 0;
	ids = rbac_grants_nodes(g, rt, act, &n);
	pos = top_nodes_in_order(ids, n, &npos);
	for (int i = 0; i < npos; i++)
	{
		Datum		v = pos_scope(&pos[i]);
		bool		isnull = false;

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &v, &isnull);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(rbac_my_permissions);
/*
 * runai.my_permissions(): for each resource type and each scope where some action
 * starts to be granted, the actions held there (inherited ones included), in tree
 * order.
 */
Datum
rbac_my_permissions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RbacGrants *g;
	int			nrt;

	InitMaterializedSRF(fcinfo, 0);
	rbac_cache_begin();
	g = rbac_current_grants(NULL, NULL);
	if (g == NULL)
		return (Datum) 0;
	nrt = rbac_cache_resource_type_count();
	for (int rt = 0; rt < nrt; rt++)
	{
		TreePos    *starts = NULL;
		int			nstarts = 0,
					cap = 0;

		if (rbac_cache_resource_type_name(rt) == NULL)
			continue;
		/* where each action starts: the top-most of its granting nodes */
		for (int bit = RBAC_ACT_VIEW; bit <= RBAC_ACT_DELETE; bit <<= 1)
		{
			size_t		n;
			const uint32 *ids = rbac_grants_nodes(g, rt, bit, &n);
			int			npos;
			TreePos    *pos = top_nodes_in_order(ids, n, &npos);

			for (int i = 0; i < npos; i++)
			{
				bool		dup = false;

				for (int j = 0; j < nstarts && !dup; j++)
					dup = starts[j].node == pos[i].node;
				if (dup)
					continue;
				if (nstarts == cap)
				{
					cap = cap ? cap * 2 : 16;
					starts = starts ? repalloc(starts, cap * sizeof(TreePos)) :
						palloc(cap * sizeof(TreePos));
				}
				starts[nstarts++] = pos[i];
			}
			pfree(pos);
		}
		if (nstarts > 1)
			qsort(starts, nstarts, sizeof(TreePos), tree_pos_cmp);
		for (int i = 0; i < nstarts; i++)
		{
			Datum		values[3];
			bool		nulls[3] = {false, false, false};
			uint8		set = 0;
			RbacChain	c;
			const RbacScopeKey *k = &starts[i].path[starts[i].depth - 1];

			rbac_tree_chain(k->type, k->id, k->idlen, &c);
			for (int bit = RBAC_ACT_VIEW; bit <= RBAC_ACT_DELETE; bit <<= 1)
				if (rbac_grants_allow(g, rt, bit, &c))
					set |= bit;
			values[0] = CStringGetTextDatum(rbac_cache_resource_type_name(rt));
			values[1] = RbacActionsetGetDatum(set);
			values[2] = pos_scope(&starts[i]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(rbac_current_subject_sql);
/* runai.current_subject(): the current subject's text or NULL. */
Datum
rbac_current_subject_sql(PG_FUNCTION_ARGS)
{
	RbacSubjectKind kind;
	const char *name;

	rbac_cache_begin();
	if (rbac_current_grants(&kind, &name) == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(rbac_subject_text(kind, name)));
}

PG_FUNCTION_INFO_V1(rbac_normalize_subject);
/* runai_internal.normalize_subject(text) → text: 'user:<lower email>' etc.; 22023 if bad. */
Datum
rbac_normalize_subject(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	RbacSubjectKind kind;
	char	   *name;

	rbac_subject_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &kind, &name);
	PG_RETURN_TEXT_P(cstring_to_text(rbac_subject_text(kind, name)));
}

PG_FUNCTION_INFO_V1(rbac_not_null_sql);
/*
 * runai_internal.not_null(value anyelement, argument text): 22023 naming the
 * argument when value is NULL.  In C, so that the bodies that check each argument
 * pay no interpreter and no search_path change per check.
 */
Datum
rbac_not_null_sql(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
	{
		const char *argument = PG_ARGISNULL(1) ? "<NULL>" : text_to_cstring(PG_GETARG_TEXT_PP(1));

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" must not be null", argument),
				 errdetail("The function was called with NULL for \"%s\".", PG_ARGISNULL(1) ? "" : argument),
				 errhint("Pass a value for every argument that has no default.")));
	}
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(rbac_group_names_sql);
/*
 * runai_internal.group_names(groups text[], argument text DEFAULT 'groups'): 22023
 * unless the array is a list of group names: not NULL, one dimension (or empty),
 * every element 1 to 255 characters.  Its lower bound does not matter: the
 * elements are only ever read with unnest and ANY.
 */
Datum
rbac_group_names_sql(PG_FUNCTION_ARGS)
{
	const char *argument = PG_ARGISNULL(1) ? "<NULL>" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" must not be null", argument),
				 errdetail("The function was called with NULL for \"%s\".", PG_ARGISNULL(1) ? "" : argument),
				 errhint("Pass a value for every argument that has no default.")));
	arr = PG_GETARG_ARRAYTYPE_P(0);
	if (ARR_NDIM(arr) > 1)
	{
		StringInfoData dims;

		initStringInfo(&dims);
		for (int d = 0; d < ARR_NDIM(arr); d++)
			appendStringInfo(&dims, "[%d:%d]", ARR_LBOUND(arr)[d],
							 ARR_LBOUND(arr)[d] + ARR_DIMS(arr)[d] - 1);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" must be a one-dimensional array", argument),
				 errdetail("It has %d dimensions: %s.", ARR_NDIM(arr), dims.data),
				 errhint("Pass a list of group names, for example ARRAY['ml-team', 'readers'].")));
	}
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		int			len = nulls[i] ? 0 :
			pg_mbstrlen_with_len(VARDATA_ANY(elems[i]), VARSIZE_ANY_EXHDR(elems[i]));

		if (len < 1 || len > 255)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid group name"),
					 errdetail("Group names have 1 to 255 characters and are not NULL."),
					 errhint("Remove empty or NULL elements from the array.")));
	}
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(rbac_email_sql);
/*
 * runai_internal.email(email text, argument text DEFAULT 'email') → text: the normal
 * form of a valid email (subject.h); 22023 naming the argument if it is NULL or not
 * a valid email.  Every SQL body that takes an email uses it.
 */
Datum
rbac_email_sql(PG_FUNCTION_ARGS)
{
	const char *argument = PG_ARGISNULL(1) ? "email" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	text	   *t;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" must not be null", argument),
				 errdetail("The function was called with NULL for \"%s\".", argument),
				 errhint("Pass a value for every argument that has no default.")));
	t = PG_GETARG_TEXT_PP(0);
	PG_RETURN_TEXT_P(cstring_to_text(rbac_email_arg(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), argument)));
}

PG_FUNCTION_INFO_V1(rbac_invalidate_trigger);
/*
 * Statement trigger on the extension's tables: every backend drops what it cached
 * from the table (this one at its next command, the others once committed).
 */
Datum
rbac_invalidate_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("runai_internal.invalidate_cache() must be called as a trigger"),
				 errdetail("It tells every backend that one of the extension's tables changed."),
				 errhint("Do not call it directly.")));
	rbac_cache_changed(RelationGetRelid(td->tg_relation));
	return PointerGetDatum(NULL);
}
