/*
 * citus.c
 *    Citus, found at run time (see citus.h).
 *
 * Metadata.  Citus keeps its metadata in tables of pg_catalog on every node with
 * synced metadata: pg_dist_partition (one row per Citus table: how it is
 * distributed), pg_dist_shard (its shards), pg_dist_placement (which group holds
 * a copy of each shard) and pg_dist_local_group (this node's group).  They are
 * read here with index scans and the catalog snapshot, by column name, so that a
 * column moved by a later Citus version is found or reported, never misread.
 * Nothing is cached: the callers (catalog.c, rls.c) cache what they derive and
 * look again after a relcache invalidation of the Citus table, which Citus sends
 * whenever its metadata changes.
 *
 * Forwarding.  A token subject is forwarded to shard queries with a SET LOCAL
 * that Citus sends after BEGIN (forward.c).  That needs four things of Citus's
 * library, looked up by name once per backend: UseCoordinatedTransaction and
 * InCoordinatedTransaction (remote transaction blocks), activeSetStmts (the SET
 * LOCAL commands of the current transaction), PostprocessVariableSetStmt (sends
 * one to the blocks already open), and GetCurrentDistributedTransactionId, whose
 * result's layout is compared field by field with Citus's SQL function
 * get_current_transaction_id() the first time a distributed transaction exists,
 * before anything relies on it.  The citus extension must be at major version
 * RBAC_CITUS_MAJOR.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/skey.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace_d.h"
#include "catalog/pg_type_d.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "nodes/primnodes.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "citus.h"

/* ---------------------------------------------------------------------------
 * Metadata
 * ---------------------------------------------------------------------------
 */

/* A relation of pg_catalog by name, InvalidOid if absent. */
static Oid
pgcat_relid(const char *name)
{
	return get_relname_relid(name, PG_CATALOG_NAMESPACE);
}

/* The number of a column of a Citus catalog table; an error if it is missing. */
static AttrNumber
citus_attnum(Relation rel, const char *column, Oid type)
{
	AttrNumber	a = get_attnum(RelationGetRelid(rel), column);

	if (a == InvalidAttrNumber || get_atttype(RelationGetRelid(rel), a) != type)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the Citus metadata table %s has no column %s of the expected type",
						RelationGetRelationName(rel), column),
				 errdetail("runai_rbac reads Citus's metadata to find the local copy of its catalog; this version of Citus lays it out differently."),
				 errhint("Use runai_rbac with Citus %d, or a version of runai_rbac written for this version of Citus.",
						 RBAC_CITUS_MAJOR)));
	return a;
}

/* See citus.h. */
bool
rbac_citus_present(void)
{
	return OidIsValid(pgcat_relid("pg_dist_partition")) &&
		OidIsValid(pgcat_relid("pg_dist_shard")) &&
		OidIsValid(pgcat_relid("pg_dist_placement")) &&
		OidIsValid(pgcat_relid("pg_dist_local_group"));
}

/* See citus.h. */
int32
rbac_citus_local_group(void)
{
	Oid			relid = pgcat_relid("pg_dist_local_group");
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;
	int32		group = -1;

	if (!OidIsValid(relid))
		return -1;
	rel = table_open(relid, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	if (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, citus_attnum(rel, "groupid", INT4OID),
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
			group = DatumGetInt32(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return group;
}

/* See citus.h. */
bool
rbac_citus_table(Oid relid, RbacCitusTable *info)
{
	Oid			catid = pgcat_relid("pg_dist_partition");
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	bool		found = false;

	if (!OidIsValid(catid) || !OidIsValid(relid))
		return false;
	rel = table_open(catid, AccessShareLock);
	ScanKeyInit(&key, citus_attnum(rel, "logicalrelid", REGCLASSOID),
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, pgcat_relid("pg_dist_partition_logical_relid_index"),
							  OidIsValid(pgcat_relid("pg_dist_partition_logical_relid_index")),
							  NULL, 1, &key);
	if (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		TupleDesc	desc = RelationGetDescr(rel);
		bool		isnull;
		Datum		d;

		found = true;
		memset(info, 0, sizeof(*info));
		d = heap_getattr(tup, citus_attnum(rel, "partmethod", CHAROID), desc, &isnull);
		info->method = isnull ? '\0' : DatumGetChar(d);
		d = heap_getattr(tup, citus_attnum(rel, "repmodel", CHAROID), desc, &isnull);
		info->repmodel = isnull ? '\0' : DatumGetChar(d);
		d = heap_getattr(tup, citus_attnum(rel, "partkey", TEXTOID), desc, &isnull);
		if (!isnull)
		{
			/* the distribution column, as Citus stores it: a serialised Var */
			Node	   *n = stringToNode(TextDatumGetCString(d));

			if (n != NULL && IsA(n, Var))
				info->distcol = ((Var *) n)->varattno;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/* See citus.h. */
int64
rbac_citus_local_shard(Oid relid, int32 group)
{
	Oid			shardcat = pgcat_relid("pg_dist_shard"),
				placecat = pgcat_relid("pg_dist_placement"),
				shardidx = pgcat_relid("pg_dist_shard_logical_relid_index"),
				placeidx = pgcat_relid("pg_dist_placement_shardid_index");
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	int64		shardid = 0;
	int			nshards = 0;
	bool		local = false;

	if (!OidIsValid(shardcat) || !OidIsValid(placecat))
		return -1;

	rel = table_open(shardcat, AccessShareLock);
	ScanKeyInit(&key, citus_attnum(rel, "logicalrelid", REGCLASSOID),
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, shardidx, OidIsValid(shardidx), NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, citus_attnum(rel, "shardid", INT8OID),
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
			shardid = DatumGetInt64(d);
		nshards++;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (nshards != 1)
		return -1;

	rel = table_open(placecat, AccessShareLock);
	ScanKeyInit(&key, citus_attnum(rel, "shardid", INT8OID),
				BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(shardid));
	scan = systable_beginscan(rel, placeidx, OidIsValid(placeidx), NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, citus_attnum(rel, "groupid", INT4OID),
									 RelationGetDescr(rel), &isnull);

		if (!isnull && DatumGetInt32(d) == group)
			local = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return local ? shardid : 0;
}

/* ---------------------------------------------------------------------------
 * Forwarding support
 * ---------------------------------------------------------------------------
 */

/* Citus's DistributedTransactionId, as transaction_identifier.h of 13.x lays it out. */
typedef struct CitusDistributedTransactionId
{
	int			initiatorNodeIdentifier;
	bool		transactionOriginator;
	uint64		transactionNumber;
	TimestampTz timestamp;
} CitusDistributedTransactionId;

static enum
{
	FWD_UNKNOWN,				/* not looked up yet */
	FWD_SYMBOLS,				/* symbols found; the layout not checked yet */
	FWD_READY,					/* symbols found and layout checked */
	FWD_UNAVAILABLE
}			fwd_state = FWD_UNKNOWN;
static const char *fwd_why = NULL;

static void (*citus_use_coordinated) (void) = NULL;
static bool (*citus_in_coordinated) (void) = NULL;
static StringInfo *citus_active_set_stmts = NULL;
static void (*citus_postprocess_set) (VariableSetStmt *, const char *) = NULL;
static CitusDistributedTransactionId *(*citus_get_dtx) (void) = NULL;

/* A symbol of Citus's library, or NULL. */
static void *
citus_symbol(const char *name)
{
	return (void *) load_external_function("$libdir/citus", name, false, NULL);
}

/* The version of the citus extension in this database (palloc'd), or NULL. */
static char *
citus_extension_version(void)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	char	   *version = NULL;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("citus"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	if (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
			version = TextDatumGetCString(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return version;
}

/* Looks the symbols up, once per backend. */
static void
forwarding_lookup(void)
{
	char	   *version;
	char	   *end;
	long		major;

	if (fwd_state != FWD_UNKNOWN)
		return;
	fwd_state = FWD_UNAVAILABLE;
	if (!rbac_citus_present())
	{
		fwd_why = "the citus extension is not installed in this database";
		return;
	}
	version = citus_extension_version();
	major = version ? strtol(version, &end, 10) : 0;
	if (version == NULL || major != RBAC_CITUS_MAJOR)
	{
		fwd_why = psprintf("the citus extension is at version %s, not %d",
						   version ? version : "(none)", RBAC_CITUS_MAJOR);
		return;
	}
	citus_use_coordinated = (void (*) (void)) citus_symbol("UseCoordinatedTransaction");
	citus_in_coordinated = (bool (*) (void)) citus_symbol("InCoordinatedTransaction");
	citus_active_set_stmts = (StringInfo *) citus_symbol("activeSetStmts");
	citus_postprocess_set = (void (*) (VariableSetStmt *, const char *))
		citus_symbol("PostprocessVariableSetStmt");
	citus_get_dtx = (CitusDistributedTransactionId * (*) (void))
		citus_symbol("GetCurrentDistributedTransactionId");
	if (citus_use_coordinated == NULL || citus_in_coordinated == NULL ||
		citus_active_set_stmts == NULL || citus_postprocess_set == NULL ||
		citus_get_dtx == NULL)
	{
		fwd_why = "a function runai_rbac uses is missing from Citus's library";
		return;
	}
	fwd_state = FWD_SYMBOLS;
}

/*
 * Compares the distributed transaction id read through the struct with what
 * Citus's SQL function get_current_transaction_id() reports; called once a
 * distributed transaction exists.  Disables forwarding if they differ.
 */
static void
forwarding_check_layout(const CitusDistributedTransactionId *d)
{
	List	   *name = list_make2(makeString("pg_catalog"), makeString("get_current_transaction_id"));
	Oid			fn = LookupFuncName(name, 0, NULL, true);
	TupleDesc	desc;
	Datum		result;
	HeapTupleHeader th;
	HeapTupleData tuple;
	Datum		values[8];
	bool		nulls[8];
	int			a_node = -1,
				a_number = -1,
				a_stamp = -1;

	fwd_state = FWD_UNAVAILABLE;
	fwd_why = "Citus's distributed transaction id is not laid out as runai_rbac expects";
	if (!OidIsValid(fn) || get_func_result_type(fn, NULL, &desc) != TYPEFUNC_COMPOSITE ||
		desc->natts > (int) lengthof(values))
		return;
	for (int i = 0; i < desc->natts; i++)
	{
		const char *n = NameStr(TupleDescAttr(desc, i)->attname);

		if (strcmp(n, "initiator_node_identifier") == 0)
			a_node = i;
		else if (strcmp(n, "transaction_number") == 0)
			a_number = i;
		else if (strcmp(n, "transaction_stamp") == 0)
			a_stamp = i;
	}
	if (a_node < 0 || a_number < 0 || a_stamp < 0)
		return;
	result = OidFunctionCall0(fn);
	th = DatumGetHeapTupleHeader(result);
	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	heap_deform_tuple(&tuple, desc, values, nulls);
	if (nulls[a_node] || nulls[a_number] || nulls[a_stamp] ||
		DatumGetInt32(values[a_node]) != d->initiatorNodeIdentifier ||
		(uint64) DatumGetInt64(values[a_number]) != d->transactionNumber ||
		DatumGetTimestampTz(values[a_stamp]) != d->timestamp)
		return;
	fwd_state = FWD_READY;
	fwd_why = NULL;
}

/* See citus.h. */
bool
rbac_citus_forwarding(const char **why)
{
	forwarding_lookup();
	if (why)
		*why = fwd_why;
	return fwd_state == FWD_SYMBOLS || fwd_state == FWD_READY;
}

/* See citus.h. */
bool
rbac_citus_dtx(RbacCitusDtx *dtx)
{
	CitusDistributedTransactionId *d;

	memset(dtx, 0, sizeof(*dtx));
	if (!rbac_citus_forwarding(NULL))
		return false;
	d = citus_get_dtx();
	if (d->transactionNumber == 0)
	{
		pfree(d);
		return true;
	}
	if (fwd_state == FWD_SYMBOLS)
		forwarding_check_layout(d);
	if (fwd_state != FWD_READY)
	{
		pfree(d);
		return false;
	}
	dtx->initiator = d->initiatorNodeIdentifier;
	dtx->originator = d->transactionOriginator;
	dtx->number = d->transactionNumber;
	dtx->stamp = d->timestamp;
	pfree(d);
	return true;
}

/* See citus.h. */
void
rbac_citus_use_coordinated_transaction(void)
{
	if (rbac_citus_forwarding(NULL))
		citus_use_coordinated();
}

/* See citus.h. */
bool
rbac_citus_in_coordinated_transaction(void)
{
	return rbac_citus_forwarding(NULL) && citus_in_coordinated();
}

/* See citus.h. */
const char *
rbac_citus_set_local_commands(void)
{
	if (!rbac_citus_forwarding(NULL) || *citus_active_set_stmts == NULL)
		return NULL;
	return (*citus_active_set_stmts)->data;
}

/* See citus.h. */
void
rbac_citus_add_set_local(const char *command, bool send_now)
{
	StringInfo	s;

	if (!rbac_citus_forwarding(NULL))
		return;
	if (send_now)
	{
		VariableSetStmt *stmt = makeNode(VariableSetStmt);

		stmt->kind = VAR_SET_VALUE;
		stmt->name = "runai.forwarded_subject";
		stmt->is_local = true;
		/* sends it to every open remote transaction block and keeps it for new ones */
		citus_postprocess_set(stmt, command);
		return;
	}
	if (*citus_active_set_stmts == NULL)
	{
		/* as Citus does: the list lives as long as the transaction */
		MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

		*citus_active_set_stmts = makeStringInfo();
		MemoryContextSwitchTo(old);
	}
	s = *citus_active_set_stmts;
	appendStringInfoString(s, command);
	if (s->len == 0 || s->data[s->len - 1] != ';')
		appendStringInfoChar(s, ';');
}
