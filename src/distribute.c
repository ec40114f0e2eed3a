/*
 * distribute.c
 *    SQL-callable helpers of the Citus integration: what the body of
 *    runai.distribute_catalog and the catalog's triggers ask about the cluster
 *    (src/sql/85_code_citus.sql).  Both are owner-only (99_code_privileges.sql).
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/lsyscache.h"

#include "catalog.h"
#include "citus.h"

PG_FUNCTION_INFO_V1(rbac_catalog_distributed_sql);
/* runai_internal.catalog_distributed() → boolean: see catalog.h (distributed). */
Datum
rbac_catalog_distributed_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(rbac_catalog_lookup()->distributed);
}

PG_FUNCTION_INFO_V1(rbac_remote_shard_write_sql);
/*
 * runai_internal.remote_shard_write(rel, logical) → boolean: is rel a placement of
 * the Citus table logical (another relation) written in a backend that runs a
 * distributed transaction started by another backend -- a shard command sent by
 * the node that runs the statement, which writes its own placement in its own
 * backend and checks the change there?  False whenever that cannot be told
 * (forwarding support missing, no distributed transaction).
 */
Datum
rbac_remote_shard_write_sql(PG_FUNCTION_ARGS)
{
	Oid			rel = PG_GETARG_OID(0);
	Oid			logical = PG_GETARG_OID(1);
	RbacCitusDtx dtx;
	RbacCitusTable info;

	int64		shard;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || rel == logical ||
		!rbac_citus_table(logical, &info))
		PG_RETURN_BOOL(false);
	/* rel must be this node's placement of it */
	shard = rbac_citus_local_shard(logical, rbac_citus_local_group());
	if (shard <= 0 || get_rel_name(rel) == NULL ||
		strcmp(get_rel_name(rel), psprintf("%s_" INT64_FORMAT, get_rel_name(logical), shard)) != 0 ||
		get_rel_namespace(rel) != get_rel_namespace(logical))
		PG_RETURN_BOOL(false);
	if (!rbac_citus_dtx(&dtx) || dtx.number == 0 || dtx.originator)
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(true);
}
