/*
 * dispatch.c
 *    Runs the SQL body of a public function as the extension owner, with the caller
 *    recorded as the actor (see dispatch.h), and the SQL helpers that read the actor.
 *
 * Prepared SPI plans are kept per function OID for the life of the backend and
 * prepared again when the catalog's generation changes (catalog.h: the twins may
 * have moved); SPI plans are revalidated by PostgreSQL's plan cache when the twin
 * changes.  The actor (actor.h) lives on the C stack of rbac_dispatch and is
 * unlinked in PG_FINALLY, so an error (caught by a savepoint or not) never leaves
 * a stale actor behind; the user id is restored the same way.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/regproc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "catalog.h"
#include "dispatch.h"
#include "dominance.h"
#include "identity.h"
#include "subject.h"
#include "types.h"

typedef struct DispatchPlan
{
	Oid			fn;				/* hash key: the public function */
	uint64		catalog_generation; /* of the catalog the twin was found in */
	SPIPlanPtr	plan;
	Oid			owner;
	bool		writes;			/* the twin is VOLATILE: it changes the catalog */
	bool		retset;
	bool		retvoid;
	int16		typlen;
	bool		typbyval;
} DispatchPlan;

static HTAB *plans = NULL;

/*
 * Prepares "SELECT [* FROM] runai_internal.<name>($1, ...)" for the public function
 * fn (runai._<name> at 0.1.0, catalog.h), once per function and catalog generation.
 */
static DispatchPlan *
get_plan(Oid fn)
{
	DispatchPlan *dp;
	bool		found;
	HeapTuple	tup;
	Form_pg_proc proc;
	StringInfoData q;
	SPIPlanPtr	plan;
	const RbacCatalog *cat = rbac_catalog();

	if (plans == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(DispatchPlan);
		ctl.hcxt = TopMemoryContext;
		plans = hash_create("runai_rbac dispatch plans", 64, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	dp = hash_search(plans, &fn, HASH_FIND, NULL);
	if (dp != NULL && dp->catalog_generation == cat->generation)
		return dp;
	if (dp != NULL)
	{
		/* the extension was updated: the twin may have moved */
		SPI_freeplan(dp->plan);
		hash_search(plans, &fn, HASH_REMOVE, NULL);
	}

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fn);
	proc = (Form_pg_proc) GETSTRUCT(tup);

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT %s%s(", proc->proretset ? "* FROM " : "",
					 rbac_catalog_internal_function(cat, NameStr(proc->proname)));
	for (int i = 0; i < proc->pronargs; i++)
		appendStringInfo(&q, "%s$%d", i ? ", " : "", i + 1);
	appendStringInfoChar(&q, ')');

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(q.data, proc->pronargs, proc->proargtypes.values);
	if (plan == NULL)
		elog(ERROR, "runai_rbac: could not prepare \"%s\": %s", q.data,
			 SPI_result_code_string(SPI_result));
	SPI_keepplan(plan);
	SPI_finish();

	dp = hash_search(plans, &fn, HASH_ENTER, &found);
	dp->catalog_generation = cat->generation;
	dp->plan = plan;
	dp->owner = proc->proowner;
	{
		char	   *nspname = get_namespace_name(cat->internal_schema);
		char	   *twin = cat->layout == RBAC_LAYOUT_0_1 ?
			psprintf("_%s", NameStr(proc->proname)) : pstrdup(NameStr(proc->proname));
		Oid			twinoid = LookupFuncName(list_make2(makeString(nspname), makeString(twin)),
											 proc->pronargs, proc->proargtypes.values, true);

		dp->writes = !OidIsValid(twinoid) || func_volatile(twinoid) == PROVOLATILE_VOLATILE;
	}
	dp->retset = proc->proretset;
	dp->retvoid = proc->prorettype == VOIDOID;
	get_typlenbyval(proc->prorettype, &dp->typlen, &dp->typbyval);
	ReleaseSysCache(tup);
	return dp;
}

PG_FUNCTION_INFO_V1(rbac_dispatch);

/* The body of every dispatched public function; see the file header. */
Datum
rbac_dispatch(PG_FUNCTION_ARGS)
{
	DispatchPlan *volatile dp;
	RbacActor	actor;
	Oid			save_user;
	int			save_sec;
	Datum		values[FUNC_MAX_ARGS];
	char		nulls[FUNC_MAX_ARGS];
	volatile Datum result = (Datum) 0;
	volatile bool result_null = true;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RbacGrants *g;
	RbacSubjectKind kind;
	const char *name;

	rbac_cache_begin();
	dp = get_plan(fcinfo->flinfo->fn_oid);
	if (dp->writes && !rbac_catalog_writable_here(rbac_catalog()))
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("%s changes the catalog of runai_rbac, which only the Citus coordinator does",
						format_procedure(fcinfo->flinfo->fn_oid)),
				 errdetail("This node is a Citus worker (group %d): its copy of the catalog is kept by the coordinator, and failed sign-ins are counted on each node.",
						   rbac_catalog()->citus_group),
				 errhint("Run changes and sign-ins on the coordinator; checks, runai.authenticate and protected tables work on every node.")));

	memset(&actor, 0, sizeof(actor));
	actor.fn = fcinfo->flinfo->fn_oid;
	actor.db_role = GetUserId();
	actor.superuser = superuser_arg(actor.db_role);
	g = rbac_current_grants(&kind, &name);

	/*
	 * A forwarded subject judges the rows of shard queries, nothing else: no
	 * shard query changes the catalog, and whoever replays a proof it read must
	 * not be able to act for its subject through the API.
	 */
	if (dp->writes && g != NULL && rbac_identity_forwarded())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s cannot act for a token subject forwarded from another Citus node",
						format_procedure(fcinfo->flinfo->fn_oid)),
				 errdetail("A token subject reaches the node that runs a shard query only to judge its rows; changes and sign-ins need the connection's own subject."),
				 errhint("Call runai.authenticate(token) on the coordinator, or use a database role bound to the user.")));
	if (g != NULL)
	{
		actor.has_subject = true;
		actor.kind = kind;
		strlcpy(actor.name, name, sizeof(actor.name));
	}

	for (int i = 0; i < PG_NARGS(); i++)
	{
		values[i] = PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	if (dp->retset)
		InitMaterializedSRF(fcinfo, 0);

	GetUserIdAndSecContext(&save_user, &save_sec);
	rbac_actor_push(&actor);
	PG_TRY();
	{
		int			rc;

		SetUserIdAndSecContext(dp->owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		rc = SPI_execute_plan(dp->plan, values, nulls, false, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "runai_rbac: dispatched call failed: %s", SPI_result_code_string(rc));
		if (dp->retset)
		{
			for (uint64 i = 0; i < SPI_processed; i++)
				tuplestore_puttuple(rsinfo->setResult, SPI_tuptable->vals[i]);
		}
		else if (!dp->retvoid && SPI_processed > 0)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

			if (!isnull)
			{
				result = SPI_datumTransfer(d, dp->typbyval, dp->typlen);
				result_null = false;
			}
		}
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_user, save_sec);
		rbac_actor_pop(&actor);
	}
	PG_END_TRY();

	if (dp->retset)
		return (Datum) 0;
	if (dp->retvoid)
		PG_RETURN_VOID();
	if (result_null)
		PG_RETURN_NULL();
	return result;
}

/* ---------------------------------------------------------------------------
 * SQL helpers for the twins (not executable by PUBLIC)
 * ---------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(rbac_actor_subject);
/* runai_internal.actor(): the actor's subject text, or NULL. */
Datum
rbac_actor_subject(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor();

	if (!a->has_subject)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(rbac_subject_text(a->kind, a->name)));
}

PG_FUNCTION_INFO_V1(rbac_actor_name);
/* runai_internal.actor_name(): email or name of the subject, else the database role name. */
Datum
rbac_actor_name(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor();

	if (a->has_subject)
		PG_RETURN_TEXT_P(cstring_to_text(a->name));
	PG_RETURN_TEXT_P(cstring_to_text(GetUserNameFromId(a->db_role, false)));
}

PG_FUNCTION_INFO_V1(rbac_actor_db_role);
/* runai_internal.actor_db_role(): the caller's database role. */
Datum
rbac_actor_db_role(PG_FUNCTION_ARGS)
{
	PG_RETURN_OID(rbac_actor()->db_role);
}

/* ---------------------------------------------------------------------------
 * The event history
 * ---------------------------------------------------------------------------
 */

/* The kept plan that appends an event, and the catalog generation it was made for. */
static SPIPlanPtr event_plan = NULL;
static uint64 event_plan_generation = 0;

/*
 * Appends one event: values are subject, subject_type, action, result,
 * entity_type, entity_name, entity_id (text) and details (jsonb; NULL: '{}').
 * Through SPI, so that the table's defaults, constraints, indexes and triggers
 * apply as to any INSERT; the plan is kept for the backend's life (PostgreSQL's
 * plan cache revalidates it) and prepared again when the catalog moved.
 */
static void
append_event(Datum *values, const char *nulls)
{
	static const Oid argtypes[8] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID};
	const RbacCatalog *cat = rbac_catalog();
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (event_plan == NULL || event_plan_generation != cat->generation)
	{
		SPIPlanPtr	plan;

		if (event_plan != NULL)
			SPI_freeplan(event_plan);
		event_plan = NULL;
		plan = SPI_prepare("INSERT INTO runai_internal.events (subject, subject_type, action, result, entity_type, "
						   "entity_name, entity_id, details) "
						   "VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, '{}'::pg_catalog.jsonb))",
						   lengthof(argtypes), (Oid *) argtypes);
		if (plan == NULL)
			elog(ERROR, "runai_rbac: could not prepare the event insert: %s",
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		event_plan = plan;
		event_plan_generation = cat->generation;
	}
	rc = SPI_execute_plan(event_plan, values, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "runai_rbac: appending an event failed: %s", SPI_result_code_string(rc));
	SPI_finish();
}

/*
 * Fills values/nulls 2..7 of an event from the arguments from (action, result,
 * entity_type, entity_name, entity_id, details).
 */
static void
event_arguments(FunctionCallInfo fcinfo, int from, Datum *values, char *nulls)
{
	for (int i = 0; i < 6; i++)
	{
		values[2 + i] = PG_ARGISNULL(from + i) ? (Datum) 0 : PG_GETARG_DATUM(from + i);
		nulls[2 + i] = PG_ARGISNULL(from + i) ? 'n' : ' ';
	}
}

/* The actor as an event's subject and subject_type. */
static void
event_actor(Datum *values, char *nulls)
{
	const RbacActor *a = rbac_actor();

	if (a->has_subject)
	{
		const char *text = rbac_subject_text(a->kind, a->name);
		const char *colon = strchr(text, ':');

		values[0] = CStringGetTextDatum(a->name);
		values[1] = PointerGetDatum(cstring_to_text_with_len(text, colon ? (int) (colon - text) : (int) strlen(text)));
	}
	else
	{
		values[0] = CStringGetTextDatum(GetUserNameFromId(a->db_role, false));
		values[1] = CStringGetTextDatum("db_role");
	}
	nulls[0] = nulls[1] = ' ';
}

PG_FUNCTION_INFO_V1(rbac_log_event_sql);
/*
 * runai_internal.log_event(action, result, entity_type, entity_name, entity_id,
 * details jsonb DEFAULT '{}'): appends an event whose subject is the actor (its
 * email or name and user or app), or its database role when it has no Run:ai
 * subject (subject_type db_role).
 */
Datum
rbac_log_event_sql(PG_FUNCTION_ARGS)
{
	Datum		values[8];
	char		nulls[8];

	event_actor(values, nulls);
	event_arguments(fcinfo, 0, values, nulls);
	append_event(values, nulls);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(rbac_log_subject_event_sql);
/*
 * runai_internal.log_subject_event(subject_type, subject, action, result,
 * entity_type, entity_name, entity_id, details jsonb DEFAULT '{}'): appends an
 * event on behalf of the subject given (a user or application signing in), or of
 * the actor as log_event does when subject is NULL.
 */
Datum
rbac_log_subject_event_sql(PG_FUNCTION_ARGS)
{
	Datum		values[8];
	char		nulls[8];

	if (PG_ARGISNULL(1))
		event_actor(values, nulls);
	else
	{
		(void) rbac_actor();	/* only inside the extension's own functions */
		values[0] = PG_GETARG_DATUM(1);
		nulls[0] = ' ';
		values[1] = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
		nulls[1] = PG_ARGISNULL(0) ? 'n' : ' ';
	}
	event_arguments(fcinfo, 2, values, nulls);
	append_event(values, nulls);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(rbac_actor_function);
/*
 * runai_internal.actor_function(): the public function of the innermost dispatched call, or
 * NULL outside one.  Lets a trigger allow a change only from one function's body.
 */
Datum
rbac_actor_function(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor_innermost();

	if (a == NULL)
		PG_RETURN_NULL();
	PG_RETURN_OID(a->fn);
}

PG_FUNCTION_INFO_V1(rbac_actor_superuser);
/* runai_internal.actor_superuser(): is the caller a database superuser? */
Datum
rbac_actor_superuser(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(rbac_actor()->superuser);
}

PG_FUNCTION_INFO_V1(rbac_require);
/* runai_internal.require(resource, action, scope): raises 42501 unless the actor may. */
Datum
rbac_require(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor();

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		elog(ERROR, "runai_internal.require called with NULL");
	rbac_cache_begin();
	rbac_actor_require(a, rbac_resource_type_arg(PG_GETARG_TEXT_PP(0)),
					   rbac_action_arg(PG_GETARG_TEXT_PP(1)),
					   PG_GETARG_RBAC_SCOPE_PP(2));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(rbac_actor_can_sql);
/* runai_internal.actor_can(resource, action, scope) → boolean. */
Datum
rbac_actor_can_sql(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor();
	RbacChain	chain;
	int			rt,
				act;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_BOOL(false);
	rbac_cache_begin();
	rt = rbac_resource_type_arg(PG_GETARG_TEXT_PP(0));
	act = rbac_action_arg(PG_GETARG_TEXT_PP(1));
	rbac_cache_scope_chain(PG_GETARG_RBAC_SCOPE_PP(2), &chain);
	PG_RETURN_BOOL(rbac_actor_can(a, rt, act, &chain));
}

PG_FUNCTION_INFO_V1(rbac_require_tenant_wide);
/* runai_internal.require_tenant_wide(resource, action): held at system or at a tenant. */
Datum
rbac_require_tenant_wide(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor();
	int			rt,
				act;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		elog(ERROR, "runai_internal.require_tenant_wide called with NULL");
	rbac_cache_begin();
	rt = rbac_resource_type_arg(PG_GETARG_TEXT_PP(0));
	act = rbac_action_arg(PG_GETARG_TEXT_PP(1));
	if (!rbac_actor_can_tenant_wide(a, rt, act))
		rbac_actor_deny(a, rt, act, "system or any tenant");
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(rbac_actor_holds_role);
/*
 * runai_internal.actor_holds_role(role_id smallint, scope) → boolean: does the actor hold
 * every permission of the role at the scope?  The rule against escalation.
 */
Datum
rbac_actor_holds_role(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor();
	int			role = PG_GETARG_INT16(0);
	struct varlena *scope = PG_GETARG_RBAC_SCOPE_PP(1);
	RbacChain	chain;
	int			nrt;

	rbac_cache_begin();
	if (a->superuser)
		PG_RETURN_BOOL(true);
	rbac_cache_scope_chain(scope, &chain);
	nrt = rbac_cache_resource_type_count();
	for (int rt = 0; rt < nrt; rt++)
	{
		uint8		want = rbac_cache_role_actions(role, rt);

		for (int bit = RBAC_ACT_VIEW; bit <= RBAC_ACT_DELETE; bit <<= 1)
			if ((want & bit) && !rbac_actor_can(a, rt, bit, &chain))
				PG_RETURN_BOOL(false);
	}
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(rbac_actor_is);
/* runai_internal.actor_is(subject text) → boolean: is the actor that subject? */
Datum
rbac_actor_is(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor();
	text	   *t = PG_GETARG_TEXT_PP(0);
	RbacSubjectKind kind;
	char	   *name;

	if (!a->has_subject)
		PG_RETURN_BOOL(false);
	rbac_subject_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &kind, &name);
	PG_RETURN_BOOL(kind == a->kind && strcmp(name, a->name) == 0);
}

/* ---------------------------------------------------------------------------
 * Dominance (dominance.h)
 * ---------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(rbac_require_dominates_sql);
/*
 * runai_internal.require_dominates(subject text, groups text[] DEFAULT NULL):
 * raises 42501 unless the actor dominates the subject (user:<email> or app:<name>),
 * counting also the rules of the groups given (those a user is about to join).
 */
Datum
rbac_require_dominates_sql(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor();
	text	   *t;
	RbacSubjectKind kind;
	char	   *name;
	List	   *groups = NIL;

	if (PG_ARGISNULL(0))
		elog(ERROR, "runai_internal.require_dominates called with NULL");
	rbac_cache_begin();
	t = PG_GETARG_TEXT_PP(0);
	rbac_subject_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &kind, &name);
	if (!PG_ARGISNULL(1))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		if (ARR_NDIM(arr) > 1)
			elog(ERROR, "runai_internal.require_dominates called with a multidimensional array");
		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		for (int i = 0; i < n; i++)
			if (!nulls[i])
				groups = lappend(groups, TextDatumGetCString(elems[i]));
	}
	rbac_require_dominates(a, kind, name, groups);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(rbac_require_grant_within_sql);
/*
 * runai_internal.require_grant_within(role_id smallint, scope, expires_at timestamptz):
 * raises 42501 when the actor holds what adding the rule needs only until before
 * expires_at (NULL: never).
 */
Datum
rbac_require_grant_within_sql(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor();

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		elog(ERROR, "runai_internal.require_grant_within called with NULL");
	rbac_cache_begin();
	rbac_require_grant_within(a, PG_GETARG_INT16(0), PG_GETARG_RBAC_SCOPE_PP(1),
							  PG_ARGISNULL(2) ? DT_NOEND : PG_GETARG_TIMESTAMPTZ(2));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(rbac_require_somewhere_sql);
/*
 * runai_internal.require_somewhere(resource, action): raises 42501 unless the actor
 * holds it at some scope.  Functions call it before they look an object up, so
 * that a caller with no permission on the resource type at all learns nothing
 * about which objects exist.
 */
Datum
rbac_require_somewhere_sql(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor();
	int			rt,
				act;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		elog(ERROR, "runai_internal.require_somewhere called with NULL");
	rbac_cache_begin();
	rt = rbac_resource_type_arg(PG_GETARG_TEXT_PP(0));
	act = rbac_action_arg(PG_GETARG_TEXT_PP(1));
	if (!rbac_actor_holds_somewhere(a, rt, act))
	{
		const char *who = a->has_subject ? rbac_subject_text(a->kind, a->name) :
			psprintf("database role %s (no Run:ai subject)",
					 quote_identifier(GetUserNameFromId(a->db_role, false)));

		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied: %s may not %s %s at any scope",
						who, rbac_action_name(act), rbac_cache_resource_type_name(rt)),
				 errdetail("No unexpired access rule of %s%s grants %s on %s anywhere.",
						   who, a->has_subject && a->kind == RBAC_SUBJECT_USER ? " or of its groups" : "",
						   rbac_action_name(act), rbac_cache_resource_type_name(rt)),
				 errhint("Ask an administrator for an access rule whose role grants it; runai.my_permissions() shows what you hold.")));
	}
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(rbac_subject_lock_sql);
/*
 * runai_internal.subject_lock(subject text): takes the subject lock of the subject
 * (dominance.h) in shared mode, as adding a rule for it does.
 */
Datum
rbac_subject_lock_sql(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	RbacSubjectKind kind;
	char	   *name;

	(void) rbac_actor();
	rbac_subject_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &kind, &name);
	rbac_subject_lock(kind, name, false);
	PG_RETURN_VOID();
}
