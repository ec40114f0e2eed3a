/*
 * dispatch.c
 *    Runs the SQL body of a public function as the extension owner, with the caller
 *    recorded as the actor (see dispatch.h), and the SQL helpers that read the actor.
 *
 * Prepared SPI plans are kept per function OID for the life of the backend; SPI
 * plans are revalidated by PostgreSQL's plan cache when the twin changes.  The
 * actor lives on the C stack of rbac_dispatch and is unlinked in PG_FINALLY, so an
 * error (caught by a savepoint or not) never leaves a stale actor behind; the user
 * id is restored the same way.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "dispatch.h"
#include "identity.h"
#include "types.h"

typedef struct DispatchPlan
{
	Oid			fn;				/* hash key: the public function */
	SPIPlanPtr	plan;
	Oid			owner;
	bool		retset;
	bool		retvoid;
	int16		typlen;
	bool		typbyval;
} DispatchPlan;

static HTAB *plans = NULL;
static RbacActor *actor_top = NULL;

/* Prepares "SELECT [* FROM] runai._<name>($1, ...)" for the public function fn. */
static DispatchPlan *
get_plan(Oid fn)
{
	DispatchPlan *dp;
	bool		found;
	HeapTuple	tup;
	Form_pg_proc proc;
	StringInfoData q;
	SPIPlanPtr	plan;

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
	if (dp != NULL)
		return dp;

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fn);
	proc = (Form_pg_proc) GETSTRUCT(tup);

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT %srunai.%s(", proc->proretset ? "* FROM " : "",
					 quote_identifier(psprintf("_%s", NameStr(proc->proname))));
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
	dp->plan = plan;
	dp->owner = proc->proowner;
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

	memset(&actor, 0, sizeof(actor));
	actor.fn = fcinfo->flinfo->fn_oid;
	actor.db_role = GetUserId();
	actor.superuser = superuser_arg(actor.db_role);
	g = rbac_current_grants(&kind, &name);
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
	actor.outer = actor_top;
	actor_top = &actor;
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
		actor_top = actor.outer;
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

/* The innermost actor; see dispatch.h. */
const RbacActor *
rbac_actor(void)
{
	if (actor_top == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("this internal function of runai_rbac can only run inside the extension's own functions"),
				 errhint("Call the public function without the leading underscore.")));
	return actor_top;
}

/* The actor's grants, or NULL when it has no subject. */
static RbacGrants *
actor_grants(const RbacActor *actor)
{
	if (!actor->has_subject)
		return NULL;
	return rbac_cache_grants(actor->kind, actor->name, strlen(actor->name));
}

/* See dispatch.h. */
bool
rbac_actor_can(const RbacActor *actor, int rt, int action_bit, int node)
{
	RbacGrants *g;

	if (actor->superuser)
		return true;
	g = actor_grants(actor);
	return g != NULL && rbac_grants_allow(g, rt, action_bit, node);
}

/* Name of an action bit. */
static const char *
action_name(int bit)
{
	return bit == RBAC_ACT_VIEW ? "view" : bit == RBAC_ACT_EDIT ? "edit" :
		bit == RBAC_ACT_CREATE ? "create" : "delete";
}

/* The actor as text: its subject, or its database role when it has none. */
static char *
actor_text(const RbacActor *actor)
{
	if (actor->has_subject)
		return rbac_subject_text(actor->kind, actor->name);
	return NULL;
}

/* Raises the spec's 42501 for a denied action. */
static void
deny(const RbacActor *actor, int rt, int action_bit, const char *scope_text)
{
	char	   *who = actor_text(actor);
	const char *rtname = rbac_cache_resource_type_name(rt);

	if (who == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied: no Run:ai subject may %s %s at %s",
						action_name(action_bit), rtname, scope_text),
				 errdetail("Database role \"%s\" is not bound to a Run:ai user and the session has not authenticated, so it has no permissions.",
						   GetUserNameFromId(actor->db_role, true)),
				 errhint("Authenticate with runai.authenticate(token), or have an administrator bind this role with runai.bind_db_role(email, role).")));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied: %s may not %s %s at %s",
					who, action_name(action_bit), rtname, scope_text),
			 errdetail("No unexpired access rule of %s%s grants %s on %s at %s or at a scope above it.",
					   who, actor->kind == RBAC_SUBJECT_USER ? " or of its groups" : "",
					   action_name(action_bit), rtname, scope_text),
			 errhint("Ask an administrator for an access rule whose role grants it; runai.explain() shows what is searched.")));
}

/* See dispatch.h. */
void
rbac_actor_require(const RbacActor *actor, int rt, int action_bit, const struct varlena *scope)
{
	int			node = rbac_cache_scope_node(rbac_scope_type_of(scope),
											 rbac_scope_id_of(scope),
											 rbac_scope_idlen_of(scope));

	if (!rbac_actor_can(actor, rt, action_bit, node))
		deny(actor, rt, action_bit, rbac_scope_to_cstring(scope));
}

/* ---------------------------------------------------------------------------
 * SQL helpers for the twins (not executable by PUBLIC)
 * ---------------------------------------------------------------------------
 */

/* Parses a resource type name or raises 22023. */
int
rbac_resource_type_arg(text *t)
{
	int			rt = rbac_cache_resource_type(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));

	if (rt < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown resource type \"%.*s\"", (int) Min(VARSIZE_ANY_EXHDR(t), 100),
						VARDATA_ANY(t)),
				 errdetail("Resource types are the API names listed in runai.resource_types, such as workloads, project or access_rules."),
				 errhint("SELECT name FROM runai.resource_types lists them.")));
	return rt;
}

/* Parses an action name (view, edit, create, delete; read, update) or raises 22023. */
int
rbac_action_arg(text *t)
{
	int			a = rbac_action_from_name(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));

	if (a == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown action \"%.*s\"", (int) Min(VARSIZE_ANY_EXHDR(t), 100),
						VARDATA_ANY(t)),
				 errdetail("Actions are view, edit, create and delete; read and update are accepted for view and edit."),
				 errhint("Use one of view, edit, create or delete.")));
	return a;
}

PG_FUNCTION_INFO_V1(rbac_actor_subject);
/* runai._actor(): the actor's subject text, or NULL. */
Datum
rbac_actor_subject(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor();

	if (!a->has_subject)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(rbac_subject_text(a->kind, a->name)));
}

PG_FUNCTION_INFO_V1(rbac_actor_name);
/* runai._actor_name(): email / name of the subject, else the database role name. */
Datum
rbac_actor_name(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor();

	if (a->has_subject)
		PG_RETURN_TEXT_P(cstring_to_text(a->name));
	PG_RETURN_TEXT_P(cstring_to_text(GetUserNameFromId(a->db_role, false)));
}

PG_FUNCTION_INFO_V1(rbac_actor_db_role);
/* runai._actor_db_role(): the caller's database role. */
Datum
rbac_actor_db_role(PG_FUNCTION_ARGS)
{
	PG_RETURN_OID(rbac_actor()->db_role);
}

PG_FUNCTION_INFO_V1(rbac_actor_function);
/*
 * runai._actor_function(): the public function of the innermost dispatched call, or
 * NULL outside one.  Lets a trigger allow a change only from one function's body.
 */
Datum
rbac_actor_function(PG_FUNCTION_ARGS)
{
	if (actor_top == NULL)
		PG_RETURN_NULL();
	PG_RETURN_OID(actor_top->fn);
}

PG_FUNCTION_INFO_V1(rbac_actor_superuser);
/* runai._actor_superuser(): is the caller a database superuser? */
Datum
rbac_actor_superuser(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(rbac_actor()->superuser);
}

PG_FUNCTION_INFO_V1(rbac_require);
/* runai._require(resource, action, scope): raises 42501 unless the actor may. */
Datum
rbac_require(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor();

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		elog(ERROR, "runai._require called with NULL");
	rbac_cache_begin();
	rbac_actor_require(a, rbac_resource_type_arg(PG_GETARG_TEXT_PP(0)),
					   rbac_action_arg(PG_GETARG_TEXT_PP(1)),
					   PG_GETARG_RBAC_SCOPE_PP(2));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(rbac_actor_can_sql);
/* runai._actor_can(resource, action, scope) → boolean. */
Datum
rbac_actor_can_sql(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor();
	struct varlena *scope;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_BOOL(false);
	rbac_cache_begin();
	scope = PG_GETARG_RBAC_SCOPE_PP(2);
	PG_RETURN_BOOL(rbac_actor_can(a, rbac_resource_type_arg(PG_GETARG_TEXT_PP(0)),
								  rbac_action_arg(PG_GETARG_TEXT_PP(1)),
								  rbac_cache_scope_node(rbac_scope_type_of(scope),
														rbac_scope_id_of(scope),
														rbac_scope_idlen_of(scope))));
}

/*
 * Does the actor hold (rt, action) at system or at some tenant?  Used for
 * tenant-wide entities (users, applications, settings).
 */
static bool
actor_can_tenant_wide(const RbacActor *a, int rt, int act)
{
	int			n;

	if (a->superuser)
		return true;
	n = rbac_cache_node_count();
	for (int node = 0; node < n; node++)
	{
		uint8		type;
		int			end;

		rbac_cache_node(node, &type, NULL, NULL, NULL, &end);
		if (type > RBAC_SCOPE_TENANT)
			continue;
		if (rbac_actor_can(a, rt, act, node))
			return true;
	}
	return false;
}

PG_FUNCTION_INFO_V1(rbac_require_tenant_wide);
/* runai._require_tenant_wide(resource, action): held at system or at a tenant. */
Datum
rbac_require_tenant_wide(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor();
	int			rt,
				act;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		elog(ERROR, "runai._require_tenant_wide called with NULL");
	rbac_cache_begin();
	rt = rbac_resource_type_arg(PG_GETARG_TEXT_PP(0));
	act = rbac_action_arg(PG_GETARG_TEXT_PP(1));
	if (!actor_can_tenant_wide(a, rt, act))
		deny(a, rt, act, "system or any tenant");
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(rbac_actor_holds_role);
/*
 * runai._actor_holds_role(role_id smallint, scope) → boolean: does the actor hold
 * every permission of the role at the scope?  The rule against escalation.
 */
Datum
rbac_actor_holds_role(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor();
	int			role = PG_GETARG_INT16(0);
	struct varlena *scope = PG_GETARG_RBAC_SCOPE_PP(1);
	int			node,
				nrt;

	rbac_cache_begin();
	if (a->superuser)
		PG_RETURN_BOOL(true);
	node = rbac_cache_scope_node(rbac_scope_type_of(scope), rbac_scope_id_of(scope),
								 rbac_scope_idlen_of(scope));
	nrt = rbac_cache_resource_type_count();
	for (int rt = 0; rt < nrt; rt++)
	{
		uint8		want = rbac_cache_role_actions(role, rt);

		for (int bit = RBAC_ACT_VIEW; bit <= RBAC_ACT_DELETE; bit <<= 1)
			if ((want & bit) && !rbac_actor_can(a, rt, bit, node))
				PG_RETURN_BOOL(false);
	}
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(rbac_actor_is);
/* runai._actor_is(subject text) → boolean: is the actor that subject? */
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
