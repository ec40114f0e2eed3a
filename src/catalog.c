/*
 * catalog.c
 *    The OIDs of the extension's tables, indexes and planner functions (see
 *    catalog.h for the layouts and the caching protocol).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_class_d.h"
#include "catalog/pg_type_d.h"
#include "commands/extension.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "citus.h"

#define RBAC_EXTENSION_NAME		"runai_rbac"
#define RBAC_API_SCHEMA			"runai"
#define RBAC_INTERNAL_SCHEMA	"runai_internal"

/* Names of the relations, by RbacRelation; the same in every layout. */
static const char *const relation_names[RBAC_NRELATIONS] = {
	[RBAC_REL_RESOURCE_TYPES] = "resource_types",
	[RBAC_REL_ROLES] = "roles",
	[RBAC_REL_ROLE_PERMISSIONS] = "role_permissions",
	[RBAC_REL_SCOPES] = "scopes",
	[RBAC_REL_ACCESS_RULES] = "access_rules",
	[RBAC_REL_USERS] = "users",
	[RBAC_REL_GROUP_MEMBERS] = "group_members",
	[RBAC_REL_APPLICATIONS] = "applications",
	[RBAC_REL_DB_ROLE_BINDINGS] = "db_role_bindings",
	[RBAC_REL_SESSIONS] = "sessions",
	[RBAC_IDX_ACCESS_RULES_SUBJECT] = "access_rules_unique",
	[RBAC_IDX_USERS_PKEY] = "users_pkey",
	[RBAC_IDX_USERS_EMAIL] = "users_email_key",
	[RBAC_IDX_GROUP_MEMBERS_PKEY] = "group_members_pkey",
	[RBAC_IDX_SESSIONS_TOKEN] = "sessions_token_hash_key",
	[RBAC_IDX_SESSIONS_PKEY] = "sessions_pkey",
};

/* The table of each index (its placement holds the index's placement). */
static const RbacRelation index_table[RBAC_NRELATIONS] = {
	[RBAC_IDX_ACCESS_RULES_SUBJECT] = RBAC_REL_ACCESS_RULES,
	[RBAC_IDX_USERS_PKEY] = RBAC_REL_USERS,
	[RBAC_IDX_USERS_EMAIL] = RBAC_REL_USERS,
	[RBAC_IDX_GROUP_MEMBERS_PKEY] = RBAC_REL_GROUP_MEMBERS,
	[RBAC_IDX_SESSIONS_TOKEN] = RBAC_REL_SESSIONS,
	[RBAC_IDX_SESSIONS_PKEY] = RBAC_REL_SESSIONS,
};

#define IS_INDEX(r)		((r) >= RBAC_IDX_ACCESS_RULES_SUBJECT)

/* Tables that 0.2.0 moved out of schema runai, and those it kept there. */
static const bool relation_internal[RBAC_NRELATIONS] = {
	[RBAC_REL_RESOURCE_TYPES] = false,
	[RBAC_REL_ROLES] = true,
	[RBAC_REL_ROLE_PERMISSIONS] = true,
	[RBAC_REL_SCOPES] = true,
	[RBAC_REL_ACCESS_RULES] = true,
	[RBAC_REL_USERS] = true,
	[RBAC_REL_GROUP_MEMBERS] = true,
	[RBAC_REL_APPLICATIONS] = true,
	[RBAC_REL_DB_ROLE_BINDINGS] = true,
	[RBAC_REL_SESSIONS] = true,
	[RBAC_IDX_ACCESS_RULES_SUBJECT] = true,
	[RBAC_IDX_USERS_PKEY] = true,
	[RBAC_IDX_USERS_EMAIL] = true,
	[RBAC_IDX_GROUP_MEMBERS_PKEY] = true,
	[RBAC_IDX_SESSIONS_TOKEN] = true,
	[RBAC_IDX_SESSIONS_PKEY] = true,
};

/* Names of the signals (schema runai_internal, from 0.2.0), and the table each announces. */
static const struct
{
	const char *name;
	int			table;			/* an RbacRelation; -1: none */
}			signal_names[RBAC_NSIGNALS] = {
	[RBAC_SIG_SCOPES] = {"signal_scopes", RBAC_REL_SCOPES},
	[RBAC_SIG_ACCESS_RULES] = {"signal_access_rules", RBAC_REL_ACCESS_RULES},
	[RBAC_SIG_USERS] = {"signal_users", RBAC_REL_USERS},
	[RBAC_SIG_GROUP_MEMBERS] = {"signal_group_members", RBAC_REL_GROUP_MEMBERS},
	[RBAC_SIG_APPLICATIONS] = {"signal_applications", RBAC_REL_APPLICATIONS},
	[RBAC_SIG_DB_ROLE_BINDINGS] = {"signal_db_role_bindings", RBAC_REL_DB_ROLE_BINDINGS},
	[RBAC_SIG_SESSIONS] = {"signal_sessions", RBAC_REL_SESSIONS},
	[RBAC_SIG_SUBJECT] = {"signal_subject", -1},
};

/* Names and text argument counts of the functions, by RbacFunction. */
static const struct
{
	const char *name;
	int			ntext_args;
}			function_names[RBAC_NFUNCTIONS] = {
	[RBAC_FN_RLS_SCOPE_KEYS] = {"rls_scope_keys", 2},
	[RBAC_FN_RLS_ID_KEYS_TEXT] = {"rls_id_keys_text", 3},
	[RBAC_FN_RLS_ID_KEYS_INTEGER] = {"rls_id_keys_integer", 3},
	[RBAC_FN_RLS_ID_KEYS_BIGINT] = {"rls_id_keys_bigint", 3},
	[RBAC_FN_RLS_ID_KEYS_UUID] = {"rls_id_keys_uuid", 3},
	[RBAC_FN_RLS_GATE] = {"rls_gate", 2},
};

/* The relations that every check reads: without them the catalog fails closed. */
static const RbacRelation required[] = {
	RBAC_REL_RESOURCE_TYPES, RBAC_REL_ROLES, RBAC_REL_ROLE_PERMISSIONS, RBAC_REL_SCOPES,
	RBAC_REL_ACCESS_RULES, RBAC_REL_USERS, RBAC_REL_GROUP_MEMBERS, RBAC_REL_DB_ROLE_BINDINGS,
	RBAC_IDX_ACCESS_RULES_SUBJECT, RBAC_IDX_USERS_PKEY, RBAC_IDX_USERS_EMAIL,
	RBAC_IDX_GROUP_MEMBERS_PKEY,
};

static RbacCatalog catalog;		/* the last lookup, also while stale */
static uint32 function_hash[RBAC_NFUNCTIONS];	/* PROCOID hash values of catalog.fn */
static bool catalog_valid = false;
static uint64 invalidations = 0;	/* bumped by every callback that matters */

/* ---------------------------------------------------------------------------
 * Invalidation: flags only
 * ---------------------------------------------------------------------------
 */

static void
catalog_invalidate(void)
{
	catalog_valid = false;
	invalidations++;
}

#define MAX_RELCACHE_LISTENERS 8
static RbacRelcacheListener relcache_listeners[MAX_RELCACHE_LISTENERS];
static int	nrelcache_listeners = 0;

/* See catalog.h. */
void
rbac_catalog_on_relcache(RbacRelcacheListener listener)
{
	if (nrelcache_listeners >= MAX_RELCACHE_LISTENERS)
		elog(FATAL, "runai_rbac: too many relcache listeners");
	relcache_listeners[nrelcache_listeners++] = listener;
}

/*
 * Relcache callback: one of the relations changed, or everything; then the
 * listeners of the units above.  A signal's invalidation says nothing about
 * where the objects are (see catalog.h).
 */
static void
catalog_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || rbac_catalog_relation_of(relid) >= 0)
		catalog_invalidate();
	for (int i = 0; i < nrelcache_listeners; i++)
		relcache_listeners[i] (relid);
}

/* Syscache callback for pg_namespace: a schema was created, dropped or renamed. */
static void
catalog_namespace_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	catalog_invalidate();
}

/* Syscache callback for pg_proc: one of the functions changed, or everything. */
static void
catalog_proc_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	if (hashvalue == 0)
	{
		catalog_invalidate();
		return;
	}
	for (int i = 0; i < RBAC_NFUNCTIONS; i++)
		if (OidIsValid(catalog.fn[i]) && function_hash[i] == hashvalue)
		{
			catalog_invalidate();
			return;
		}
}

/* See catalog.h. */
void
rbac_catalog_init(void)
{
	CacheRegisterRelcacheCallback(catalog_relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, catalog_namespace_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(PROCOID, catalog_proc_callback, (Datum) 0);
}

/* See catalog.h. */
int
rbac_catalog_relation_of(Oid relid)
{
	if (!OidIsValid(relid))
		return -1;
	for (int i = 0; i < RBAC_NRELATIONS; i++)
		if (catalog.rel[i] == relid || catalog.logical[i] == relid)
			return i;
	return -1;
}

/* The signal that announces table r, or -1. */
static int
signal_of(RbacRelation r)
{
	for (int s = 0; s < RBAC_NSIGNALS; s++)
		if (signal_names[s].table == (int) r)
			return s;
	return -1;
}

/* See catalog.h. */
bool
rbac_catalog_relation_may_be(Oid relid, RbacRelation r)
{
	int			s = signal_of(r);

	return !OidIsValid(relid) || !OidIsValid(catalog.rel[r]) || catalog.rel[r] == relid ||
		catalog.logical[r] == relid || (s >= 0 && catalog.signal[s] == relid);
}

/* See catalog.h. */
int
rbac_catalog_changed_relation(Oid relid)
{
	int			r = rbac_catalog_relation_of(relid);

	if (r >= 0 || !OidIsValid(relid))
		return r;
	for (int s = 0; s < RBAC_NSIGNALS; s++)
		if (catalog.signal[s] == relid)
			return signal_names[s].table;
	return -1;
}

/* See catalog.h. */
Oid
rbac_catalog_announcer(const RbacCatalog *cat, RbacRelation r)
{
	int			s = signal_of(r);

	if (s >= 0 && OidIsValid(cat->signal[s]))
	{
		if (SearchSysCacheExists1(RELOID, ObjectIdGetDatum(cat->signal[s])))
			return cat->signal[s];
		/* dropped behind the extension's back: look again next time */
		catalog_invalidate();
	}
	return cat->rel[r];
}

/* See catalog.h. */
Oid
rbac_catalog_cached_signal(RbacSignal s)
{
	return catalog_valid ? catalog.signal[s] : InvalidOid;
}

/* ---------------------------------------------------------------------------
 * Lookup
 * ---------------------------------------------------------------------------
 */

/* A relation of the schema that holds it in this layout. */
static Oid
lookup_relation(const RbacCatalog *c, RbacRelation r)
{
	Oid			nsp = relation_internal[r] ? c->internal_schema : c->api_schema;

	return OidIsValid(nsp) ? get_relname_relid(relation_names[r], nsp) : InvalidOid;
}

/* A function of the internal schema with n text arguments, or InvalidOid. */
static Oid
lookup_function(const RbacCatalog *c, RbacFunction f)
{
	Oid			argtypes[3] = {TEXTOID, TEXTOID, TEXTOID};
	char	   *nspname = get_namespace_name(c->internal_schema);

	if (nspname == NULL)
		return InvalidOid;
	return LookupFuncName(list_make2(makeString(nspname), makeString(pstrdup(function_names[f].name))),
						  function_names[f].ntext_args, argtypes, true);
}

/*
 * On a Citus node: replaces the tables that are Citus tables, and their indexes,
 * by this node's placements (see catalog.h).  A table without a placement here is
 * recorded in c->unplaced and left without a data relation, so that the catalog
 * fails closed.
 */
static void
find_placements(RbacCatalog *c)
{
	int64		shard[RBAC_NRELATIONS];

	c->citus_group = rbac_citus_local_group();
	for (int r = 0; r < RBAC_NRELATIONS; r++)
	{
		RbacCitusTable info;
		char	   *name;
		Oid			placement;

		shard[r] = 0;
		if (IS_INDEX(r) || !OidIsValid(c->logical[r]) || !rbac_citus_table(c->logical[r], &info))
			continue;
		c->distributed = true;
		shard[r] = c->citus_group >= 0 ? rbac_citus_local_shard(c->logical[r], c->citus_group) : 0;
		placement = InvalidOid;
		if (shard[r] > 0)
		{
			name = psprintf("%s_" INT64_FORMAT, relation_names[r], shard[r]);
			placement = get_relname_relid(name, get_rel_namespace(c->logical[r]));
			if (OidIsValid(placement) && get_rel_relkind(placement) != RELKIND_RELATION)
				placement = InvalidOid;
		}
		c->rel[r] = placement;
		if (!OidIsValid(placement) && c->unplaced < 0)
			c->unplaced = r;
	}
	for (int r = 0; r < RBAC_NRELATIONS; r++)
	{
		RbacRelation t;
		char	   *name;
		Oid			idx;

		if (!IS_INDEX(r))
			continue;
		t = index_table[r];
		if (c->rel[t] == c->logical[t])
			continue;			/* not a Citus table: the index as named */
		idx = InvalidOid;
		if (OidIsValid(c->rel[t]) && OidIsValid(c->logical[r]))
		{
			name = psprintf("%s_" INT64_FORMAT, relation_names[r], shard[t]);
			idx = get_relname_relid(name, get_rel_namespace(c->logical[r]));
			if (OidIsValid(idx) && IndexGetRelation(idx, true) != c->rel[t])
				idx = InvalidOid;
		}
		c->rel[r] = idx;
	}
}

/* Fills c from the system catalogs. */
static void
catalog_build(RbacCatalog *c)
{
	Oid			internal;

	memset(c, 0, sizeof(*c));
	c->citus_group = -1;
	c->unplaced = -1;
	c->extension = get_extension_oid(RBAC_EXTENSION_NAME, true);
	if (!OidIsValid(c->extension))
		return;
	c->api_schema = get_namespace_oid(RBAC_API_SCHEMA, true);
	internal = get_namespace_oid(RBAC_INTERNAL_SCHEMA, true);
	if (OidIsValid(internal) &&
		OidIsValid(get_relname_relid(relation_names[RBAC_REL_ACCESS_RULES], internal)))
	{
		c->layout = RBAC_LAYOUT_0_2;
		c->internal_schema = internal;
	}
	else if (OidIsValid(c->api_schema) &&
			 OidIsValid(get_relname_relid(relation_names[RBAC_REL_ACCESS_RULES], c->api_schema)))
	{
		c->layout = RBAC_LAYOUT_0_1;
		c->internal_schema = c->api_schema;
	}
	else
	{
		/* installed, but neither layout: every table the checks need is missing */
		c->layout = OidIsValid(internal) ? RBAC_LAYOUT_0_2 : RBAC_LAYOUT_0_1;
		c->internal_schema = OidIsValid(internal) ? internal : c->api_schema;
	}
	for (int r = 0; r < RBAC_NRELATIONS; r++)
		c->rel[r] = c->logical[r] = lookup_relation(c, r);
	if (rbac_citus_present())
		find_placements(c);
	if (c->layout >= RBAC_LAYOUT_0_2)
		for (int s = 0; s < RBAC_NSIGNALS; s++)
			c->signal[s] = get_relname_relid(signal_names[s].name, c->internal_schema);
	for (int f = 0; f < RBAC_NFUNCTIONS; f++)
		c->fn[f] = lookup_function(c, f);
}

/* See catalog.h. */
const RbacCatalog *
rbac_catalog_lookup(void)
{
	RbacCatalog c;
	uint64		start;
	bool		complete;

	if (catalog_valid)
		return &catalog;
	Assert(IsTransactionState());
	start = invalidations;
	catalog_build(&c);
	c.generation = catalog.generation;
	if (memcmp(&c, &catalog, sizeof(c)) != 0)
		c.generation++;
	catalog = c;
	complete = c.layout != RBAC_LAYOUT_NONE;
	for (int r = 0; r < RBAC_NRELATIONS; r++)
		complete &= OidIsValid(c.rel[r]);
	if (c.layout >= RBAC_LAYOUT_0_2)
		for (int s = 0; s < RBAC_NSIGNALS; s++)
			complete &= OidIsValid(c.signal[s]);
	for (int f = 0; f < RBAC_NFUNCTIONS; f++)
	{
		function_hash[f] = OidIsValid(c.fn[f]) ?
			GetSysCacheHashValue1(PROCOID, ObjectIdGetDatum(c.fn[f])) : 0;
		complete &= OidIsValid(c.fn[f]);
	}

	/*
	 * An invalidation during the lookup: use it for this call, look again next
	 * time.  An incomplete catalog is looked up again at every call too: nothing
	 * would tell this backend when the missing object comes back (a rename undone
	 * by ROLLBACK invalidates an OID it no longer knows).
	 */
	catalog_valid = (invalidations == start) && complete;
	return &catalog;
}

/* See catalog.h. */
const RbacCatalog *
rbac_catalog(void)
{
	const RbacCatalog *c = rbac_catalog_lookup();

	if (c->layout == RBAC_LAYOUT_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"runai_rbac\" is not installed in this database"),
				 errdetail("The library runai_rbac was called in a database without the extension."),
				 errhint("Run CREATE EXTENSION runai_rbac.")));
	if (c->unplaced >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("this Citus node has no copy of the runai_rbac catalog"),
				 errdetail("Table %s.%s is a Citus reference table without a placement on this node (group %d), so no permission can be checked here.",
						   relation_internal[c->unplaced] ? RBAC_INTERNAL_SCHEMA : RBAC_API_SCHEMA,
						   relation_names[c->unplaced], c->citus_group),
				 errhint("On the coordinator, run SELECT replicate_reference_tables(); to copy the reference tables to every node.")));
	for (size_t i = 0; i < lengthof(required); i++)
		if (!OidIsValid(c->rel[required[i]]))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the catalog of extension \"runai_rbac\" is incomplete"),
					 errdetail("Relation %s.%s is missing, so no permission can be checked.",
							   relation_internal[required[i]] ?
							   (c->layout == RBAC_LAYOUT_0_1 ? RBAC_API_SCHEMA : RBAC_INTERNAL_SCHEMA) :
							   RBAC_API_SCHEMA,
							   relation_names[required[i]]),
					 errhint("Update the extension with ALTER EXTENSION runai_rbac UPDATE, or restore the database from a backup.")));
	return c;
}

/* See catalog.h. */
bool
rbac_catalog_writable_here(const RbacCatalog *cat)
{
	return !cat->distributed || cat->citus_group == 0;
}

/* See catalog.h. */
char *
rbac_catalog_internal_function(const RbacCatalog *cat, const char *name)
{
	if (cat->layout == RBAC_LAYOUT_0_1)
		return psprintf("%s.%s", RBAC_API_SCHEMA, quote_identifier(psprintf("_%s", name)));
	return psprintf("%s.%s", RBAC_INTERNAL_SCHEMA, quote_identifier(name));
}

/* See catalog.h. */
AttrNumber
rbac_catalog_attnum(Relation rel, const char *name)
{
	AttrNumber	a = get_attnum(RelationGetRelid(rel), name);

	if (a == InvalidAttrNumber)
		elog(ERROR, "runai_rbac: column %s.%s is missing", RelationGetRelationName(rel), name);
	return a;
}
