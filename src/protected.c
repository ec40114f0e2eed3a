/*
 * protected.c
 *    Rows of protected tables at a scope: what runai.delete_scope must find none
 *    of before it deletes the scope (SPEC section 4).
 *
 * runai_internal.protected_tables lists the tables runai.protect protected (kept
 * by protect, unprotect and an event trigger on DROP; 70_code_rls.sql).  For each
 * of them, runai_internal.protected_rows(tbl, scope) counts the rows at the scope.
 * Which column holds a row's scope, and of which scope type its ids are, is read
 * from the table's runai_select policy itself -- the check it calls and the
 * column it passes -- so renaming the table or the column changes nothing, and a
 * table whose policy is gone (unprotected, dropped, or an OID now used by another
 * table) counts as not protected: NULL.
 *
 * Locking.  The table and every table that inherits from it (partitions) are
 * locked in SHARE mode, which conflicts with INSERT, UPDATE and DELETE but not
 * with SELECT, until the end of the transaction; the rows are then counted with
 * a snapshot taken after the lock was granted.  So a write committed before the
 * count is counted, and one that comes later waits until delete_scope's
 * transaction ends, after which its policy check finds the scope gone (only a
 * subject holding the permission at system, which covers every scope whether it
 * exists or not, may still write a row there).
 *
 * The rows are read directly, without row-level security: through a btree index
 * whose first column is the scope column when there is one, else by a scan.  On a
 * Citus cluster a Citus table's rows are in its shards: they are locked and
 * counted through Citus (count_rows_citus).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_type_d.h"
#include "commands/defrem.h"
#include "executor/spi.h"
#include "nodes/primnodes.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "utils/uuid.h"

#include "catalog.h"
#include "citus.h"
#include "types.h"

/* What a runai_select policy checks: the column and, for id columns, the scope type. */
typedef struct PolicyKey
{
	AttrNumber	attno;
	char	   *scope_type;		/* NULL for a runai.scope column */
} PolicyKey;

/* The argument under binary-compatible casts (a varchar or a domain passed as its base). */
static Node *
strip_relabel(Node *n)
{
	while (n != NULL && IsA(n, RelabelType))
		n = (Node *) ((RelabelType *) n)->arg;
	return n;
}

/*
 * Reads the table's runai_select policy: true and *key filled if it is a call of
 * runai_internal.rls_check on a column, as runai.protect creates it.
 */
static bool
policy_key(const RbacCatalog *cat, Oid relid, PolicyKey *key)
{
	Relation	pol;
	ScanKeyData skey[2];
	SysScanDesc scan;
	HeapTuple	tup;
	bool		ok = false;

	pol = table_open(PolicyRelationId, AccessShareLock);
	ScanKeyInit(&skey[0], Anum_pg_policy_polrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	ScanKeyInit(&skey[1], Anum_pg_policy_polname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("runai_select"));
	scan = systable_beginscan(pol, PolicyPolrelidPolnameIndexId, true, NULL, 2, skey);
	if (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_policy_polqual, RelationGetDescr(pol), &isnull);
		Node	   *qual = isnull ? NULL : stringToNode(TextDatumGetCString(d));

		if (qual != NULL && IsA(qual, FuncExpr) &&
			get_func_namespace(((FuncExpr *) qual)->funcid) == cat->internal_schema &&
			strcmp(get_func_name(((FuncExpr *) qual)->funcid), "rls_check") == 0)
		{
			List	   *args = ((FuncExpr *) qual)->args;
			Node	   *col = strip_relabel(linitial(args));

			if (col != NULL && IsA(col, Var) && ((Var *) col)->varattno > 0)
			{
				key->attno = ((Var *) col)->varattno;
				key->scope_type = NULL;
				ok = list_length(args) == 3;
				if (list_length(args) == 4)
				{
					Node	   *t = strip_relabel(lsecond(args));

					if (t != NULL && IsA(t, Const) && !((Const *) t)->constisnull)
					{
						key->scope_type = TextDatumGetCString(((Const *) t)->constvalue);
						ok = true;
					}
				}
			}
		}
	}
	systable_endscan(scan);
	table_close(pol, AccessShareLock);
	return ok;
}

/*
 * The value a column of type typid holds for the scope's id, as rls_check reads
 * ids (an integer in decimal, a uuid in its canonical lower-case form); false if
 * no value of the type stands for it.
 */
static bool
id_value(Oid typid, const char *id, Datum *value)
{
	switch (typid)
	{
		case TEXTOID:
		case VARCHAROID:
			*value = CStringGetTextDatum(id);
			return true;
		case INT4OID:
		case INT8OID:
			{
				int64		v;
				char	   *end;

				errno = 0;
				v = strtoll(id, &end, 10);
				if (errno != 0 || *end != '\0' || strcmp(psprintf(INT64_FORMAT, v), id) != 0)
					return false;
				if (typid == INT4OID)
				{
					if (v < PG_INT32_MIN || v > PG_INT32_MAX)
						return false;
					*value = Int32GetDatum((int32) v);
				}
				else
					*value = Int64GetDatum(v);
				return true;
			}
		case UUIDOID:
			{
				Datum		u;

				if (strlen(id) != 36 || strspn(id, "0123456789abcdef-") != 36)
					return false;
				u = DirectFunctionCall1(uuid_in, CStringGetDatum(id));
				if (strcmp(DatumGetCString(DirectFunctionCall1(uuid_out, u)), id) != 0)
					return false;
				*value = u;
				return true;
			}
	}
	return false;
}

/* A btree index of rel whose first column is attno, usable with the type's equality. */
static Oid
usable_index(Relation rel, AttrNumber attno, Oid basetype, Oid collation)
{
	Oid			opclass = GetDefaultOpClass(basetype, BTREE_AM_OID);
	Oid			family = OidIsValid(opclass) ? get_opclass_family(opclass) : InvalidOid;
	ListCell   *lc;
	Oid			found = InvalidOid;

	if (!OidIsValid(family))
		return InvalidOid;
	foreach(lc, RelationGetIndexList(rel))
	{
		Relation	idx = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index ix = idx->rd_index;

		if (idx->rd_rel->relam == BTREE_AM_OID && ix->indisvalid && ix->indnatts >= 1 &&
			ix->indkey.values[0] == attno && heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, NULL) &&
			idx->rd_opfamily[0] == family && idx->rd_indcollation[0] == collation)
			found = lfirst_oid(lc);
		index_close(idx, AccessShareLock);
		if (OidIsValid(found))
			break;
	}
	return found;
}

/* Rows of one table (no inheritance) whose column equals value. */
static int64
count_rows(Relation rel, const char *attname, Datum value, Snapshot snap)
{
	AttrNumber	attno = get_attnum(RelationGetRelid(rel), attname);
	Form_pg_attribute att;
	Oid			basetype;
	TypeCacheEntry *tc;
	ScanKeyData key;
	Oid			idx;
	SysScanDesc scan;
	int64		n = 0;

	if (attno == InvalidAttrNumber)
		elog(ERROR, "runai_rbac: column \"%s\" of %s is missing", attname, RelationGetRelationName(rel));
	att = TupleDescAttr(RelationGetDescr(rel), attno - 1);
	basetype = getBaseType(att->atttypid);
	tc = lookup_type_cache(basetype, TYPECACHE_EQ_OPR);
	if (!OidIsValid(tc->eq_opr))
		elog(ERROR, "runai_rbac: type %s has no equality operator", format_type_be(basetype));
	ScanKeyEntryInitialize(&key, 0, attno, BTEqualStrategyNumber, InvalidOid,
						   att->attcollation, get_opcode(tc->eq_opr), value);
	idx = usable_index(rel, attno, basetype, att->attcollation);
	scan = systable_beginscan(rel, idx, OidIsValid(idx), snap, 1, &key);
	while (HeapTupleIsValid(systable_getnext(scan)))
		n++;
	systable_endscan(scan);
	return n;
}

/*
 * On a Citus cluster the rows of a Citus table are in its shards, on other nodes,
 * not in the relation this node has of it: the table is locked and its rows
 * counted through Citus, with SQL, as the caller (the extension's owner inside
 * runai.delete_scope, which bypasses row-level security).  Citus takes the lock
 * on every node and counts with a snapshot taken after it.
 */
static int64
count_rows_citus(Oid relid, const char *attname, Oid atttype, Datum value)
{
	char	   *rel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												 get_rel_name(relid));
	Datum		args[1] = {value};
	bool		isnull;
	int64		n;

	/*
	 * One connection per node for the rest of the transaction: runai.delete_scope
	 * then writes reference tables with foreign keys, which Citus refuses after a
	 * parallel access to a distributed table in the same transaction.
	 */
	(void) set_config_option("citus.multi_shard_modify_mode", "sequential", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(psprintf("LOCK TABLE %s IN SHARE MODE", rel), false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "runai_rbac: could not lock %s", rel);
	if (SPI_execute_with_args(psprintf("SELECT pg_catalog.count(*) FROM %s WHERE %s OPERATOR(pg_catalog.=) $1",
									   rel, quote_identifier(attname)),
							  1, &atttype, args, NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "runai_rbac: could not count the rows of %s", rel);
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return n;
}

PG_FUNCTION_INFO_V1(rbac_protected_rows);
/*
 * runai_internal.protected_rows(tbl regclass, scope runai.scope) → bigint: the rows
 * of a protected table (and of the tables that inherit from it) at the scope, or
 * NULL when the table is gone or no runai_select policy of runai.protect's making
 * protects it any more.  Locks the tables in SHARE mode; see the file header.
 */
Datum
rbac_protected_rows(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	struct varlena *scope = PG_GETARG_RBAC_SCOPE_PP(1);
	const RbacCatalog *cat = rbac_catalog();
	Relation	rel;
	PolicyKey	key;
	char	   *attname;
	Oid			atttype;
	Datum		value;
	List	   *rels;
	ListCell   *lc;
	Snapshot	snap;
	int64		total = 0;

	rel = try_relation_open(relid, ShareLock);
	if (rel == NULL)
		PG_RETURN_NULL();
	if (!policy_key(cat, relid, &key))
	{
		relation_close(rel, NoLock);
		PG_RETURN_NULL();
	}
	attname = get_attname(relid, key.attno, false);
	atttype = getBaseType(get_atttype(relid, key.attno));
	relation_close(rel, NoLock);

	if (key.scope_type == NULL)
		value = PointerGetDatum(scope);
	else
	{
		char	   *id = pnstrdup(rbac_scope_id_of(scope), rbac_scope_idlen_of(scope));

		/* rows of an id column are at scopes of its type only */
		if (strcmp(key.scope_type, rbac_scope_type_name((RbacScopeType) rbac_scope_type_of(scope))) != 0 ||
			!id_value(atttype, id, &value))
			PG_RETURN_INT64(0);
	}

	if (cat->citus_group >= 0)
	{
		RbacCitusTable info;

		if (rbac_citus_table(relid, &info))
			PG_RETURN_INT64(count_rows_citus(relid, attname, atttype, value));
	}

	rels = find_all_inheritors(relid, ShareLock, NULL);
	snap = RegisterSnapshot(GetLatestSnapshot());
	foreach(lc, rels)
	{
		Relation	r = relation_open(lfirst_oid(lc), NoLock);

		/* partitioned parents hold no rows; foreign tables are not read */
		if (r->rd_rel->relkind == RELKIND_RELATION)
			total += count_rows(r, attname, value, snap);
		relation_close(r, NoLock);
	}
	UnregisterSnapshot(snap);
	PG_RETURN_INT64(total);
}
