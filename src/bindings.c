/*
 * bindings.c
 *    The rules for binding database roles, and the removal of the bindings of
 *    dropped roles (see bindings.h).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_auth_members.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "actor.h"
#include "bindings.h"
#include "catalog.h"

static ProcessUtility_hook_type prev_utility_hook = NULL;

/* The owner of the extension (InvalidOid if it is not installed). */
static Oid
extension_owner(const RbacCatalog *cat)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			owner = InvalidOid;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(cat->extension));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	if (HeapTupleIsValid(tup = systable_getnext(scan)))
		owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return owner;
}

/* Raises the 22023 of a role that cannot be bound. */
static void
refuse_role(const char *rolname, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("database role %s cannot be bound to a Run:ai user", quote_identifier(rolname)),
			 errdetail("%s", why),
			 errhint("Bind a role of its own to each user: a role that logs in, is neither a superuser nor BYPASSRLS nor CREATEROLE, and is granted to no role and granted no role.")));
}

PG_FUNCTION_INFO_V1(rbac_check_bindable);
/*
 * runai_internal.check_bindable(role regrole): raises 22023 unless the role may be
 * bound to a Run:ai user, and 42501 unless the actor's database role controls it
 * (bindings.h).
 */
Datum
rbac_check_bindable(PG_FUNCTION_ARGS)
{
	const RbacActor *a = rbac_actor();
	Oid			role = PG_GETARG_OID(0);
	HeapTuple	tup;
	Form_pg_authid form;
	char	   *rolname;
	CatCList   *list;
	Oid			caller = a->db_role;

	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(role));
	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("database role with OID %u does not exist", role),
				 errdetail("It was dropped after the call named it."),
				 errhint("Create the role, then bind it.")));
	form = (Form_pg_authid) GETSTRUCT(tup);
	rolname = pstrdup(NameStr(form->rolname));
	if (form->rolsuper)
		refuse_role(rolname, "It is a superuser: its sessions bypass every check and row-level security, whatever user they act as.");
	if (form->rolbypassrls)
		refuse_role(rolname, "It has BYPASSRLS: its sessions see every row of protected tables, whatever user they act as.");
	if (form->rolcreaterole)
		refuse_role(rolname, "It has CREATEROLE: it can grant itself to other roles, whose sessions would then act as the user.");
	ReleaseSysCache(tup);

	list = SearchSysCacheList1(AUTHMEMMEMROLE, ObjectIdGetDatum(role));
	if (list->n_members > 0)
	{
		Oid			other = ((Form_pg_auth_members) GETSTRUCT(&list->members[0]->tuple))->roleid;

		ReleaseSysCacheList(list);
		refuse_role(rolname, psprintf("It is a member of role %s, so its sessions have that role's privileges too.",
									  quote_identifier(GetUserNameFromId(other, false))));
	}
	ReleaseSysCacheList(list);
	list = SearchSysCacheList1(AUTHMEMROLEMEM, ObjectIdGetDatum(role));
	if (list->n_members > 0)
	{
		Oid			other = ((Form_pg_auth_members) GETSTRUCT(&list->members[0]->tuple))->member;

		ReleaseSysCacheList(list);
		refuse_role(rolname, psprintf("Role %s is a member of it, so every session of that role could act as the user with SET ROLE.",
									  quote_identifier(GetUserNameFromId(other, false))));
	}
	ReleaseSysCacheList(list);
	if (role == extension_owner(rbac_catalog()))
		refuse_role(rolname, "It owns extension runai_rbac: its sessions can change the extension's tables directly.");

	if (!a->superuser && (role == caller || role == GetSessionUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied: database role %s may not bind the role it is running as",
						quote_identifier(GetUserNameFromId(caller, false))),
				 errdetail("Role %s is the %s of this session; a binding would give every session of it a Run:ai user's permissions.",
						   quote_identifier(rolname), role == caller ? "current user" : "session user"),
				 errhint("Ask a database administrator who controls role %s to bind it.", quote_identifier(rolname))));
	if (!(superuser_arg(caller) || has_createrole_privilege(caller) || is_admin_of_role(caller, role)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied: database role %s may not bind role %s",
						quote_identifier(GetUserNameFromId(caller, false)), quote_identifier(rolname)),
				 errdetail("A binding decides what every session of a database role may do, so only a role that controls it may make or remove one: a superuser, a role with CREATEROLE, or a role that holds it WITH ADMIN OPTION."),
				 errhint("Ask a database administrator to bind role %s, or call runai.bind_db_role from a role that administers it.",
						 quote_identifier(rolname))));
	PG_RETURN_VOID();
}

/* ---------------------------------------------------------------------------
 * DROP ROLE
 * ---------------------------------------------------------------------------
 */

/*
 * Removes the bindings of the roles (OIDs, with their names) in this database, as
 * the owner of the bindings table, and records each removal.  Nothing when the
 * extension is not installed here.
 */
static void
forget_bindings(List *roles, List *names)
{
	const RbacCatalog *cat = rbac_catalog_lookup();
	/* the tables as named: on a Citus cluster, Citus writes every node's copy */
	Oid			bindings = cat->logical[RBAC_REL_DB_ROLE_BINDINGS];
	Oid			users = cat->logical[RBAC_REL_USERS];
	Oid			events;
	Oid			owner;
	Oid			save_user;
	int			save_sec;
	Datum	   *elems,
			   *name_elems;
	ArrayType  *arr,
			   *name_arr;
	int			i = 0;
	ListCell   *lc,
			   *lc2;
	char	   *nsp;
	HeapTuple	tup;
	bool		by_name;

	if (cat->layout == RBAC_LAYOUT_NONE || !OidIsValid(bindings) || !OidIsValid(users))
		return;
	/* a Citus worker runs the DROP ROLE the coordinator sends: the coordinator does it */
	if (!rbac_catalog_writable_here(cat))
		return;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(bindings));
	if (!HeapTupleIsValid(tup))
		return;
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	nsp = get_namespace_name(get_rel_namespace(bindings));
	by_name = get_attnum(bindings, "db_role_name") != InvalidAttrNumber;
	events = get_relname_relid("events", get_rel_namespace(bindings));

	elems = palloc(sizeof(Datum) * list_length(roles));
	name_elems = palloc(sizeof(Datum) * list_length(roles));
	forboth(lc, roles, lc2, names)
	{
		elems[i] = ObjectIdGetDatum(lfirst_oid(lc));
		name_elems[i++] = CStringGetTextDatum(lfirst(lc2));
	}
	arr = construct_array(elems, i, OIDOID, sizeof(Oid), true, TYPALIGN_INT);
	name_arr = construct_array(name_elems, i, TEXTOID, -1, false, TYPALIGN_INT);

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		Oid			argtypes[3] = {OIDARRAYOID, TEXTOID, TEXTARRAYOID};
		Datum		args[3];
		char	   *q;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		args[0] = PointerGetDatum(arr);
		args[1] = CStringGetTextDatum(GetUserNameFromId(save_user, false));
		args[2] = PointerGetDatum(name_arr);
		/*
		 * By name too: on a Citus node a row may hold another node's OID of the
		 * role.  A database not yet updated from 0.1.0 has no names.
		 */
		q = psprintf("WITH gone AS (DELETE FROM %s.%s b WHERE b.db_role::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($1) "
					 "%s "
					 "RETURNING b.db_role::pg_catalog.oid AS role, %s AS name, b.user_id) "
					 "%s",
					 quote_identifier(nsp), quote_identifier(get_rel_name(bindings)),
					 by_name ? "OR b.db_role_name OPERATOR(pg_catalog.=) ANY ($3)" : "",
					 by_name ? "b.db_role_name" : "NULL::pg_catalog.text",
					 OidIsValid(events) ?
					 psprintf("INSERT INTO %s.events (subject, subject_type, action, result, entity_type, entity_name, entity_id, details) "
							  "SELECT $2, 'db_role', 'update', 'Succeeded', 'users', u.email, g.user_id::pg_catalog.text, "
							  "pg_catalog.jsonb_build_object('unbound_db_role', r.name, 'reason', 'database role dropped') "
							  "FROM gone g JOIN ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($3)) r(oid, name) "
							  "ON r.oid OPERATOR(pg_catalog.=) g.role OR r.name OPERATOR(pg_catalog.=) g.name "
							  "LEFT JOIN %s.%s u ON u.id OPERATOR(pg_catalog.=) g.user_id",
							  quote_identifier(nsp), quote_identifier(nsp),
							  quote_identifier(get_rel_name(users))) :
					 "SELECT 1 FROM gone");
		if (SPI_execute_with_args(q, 3, argtypes, args, NULL, false, 0) < 0)
			elog(ERROR, "runai_rbac: removing the bindings of dropped roles failed");
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_user, save_sec);
	}
	PG_END_TRY();
}

/*
 * ProcessUtility hook: after a DROP ROLE succeeded, the bindings of the roles it
 * dropped go too (bindings.h).  The roles are looked up before the drop.
 */
static void
bindings_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
				 ProcessUtilityContext context, ParamListInfo params,
				 QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	List	   *dropped = NIL,
			   *names = NIL;

	if (IsA(parsetree, DropRoleStmt))
	{
		ListCell   *lc;

		foreach(lc, ((DropRoleStmt *) parsetree)->roles)
		{
			RoleSpec   *rs = lfirst(lc);
			Oid			oid;

			if (rs->roletype != ROLESPEC_CSTRING)
				continue;
			oid = get_role_oid(rs->rolename, true);
			if (OidIsValid(oid))
			{
				dropped = lappend_oid(dropped, oid);
				names = lappend(names, pstrdup(rs->rolename));
			}
		}
	}

	if (prev_utility_hook)
		prev_utility_hook(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);

	if (dropped != NIL)
		forget_bindings(dropped, names);
}

/* See bindings.h. */
void
rbac_bindings_init(void)
{
	prev_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = bindings_utility;
}
