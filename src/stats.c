/*
 * stats.c
 *    runai.cache_stats(): what this backend's decision cache holds, for operators
 *    and for the tests that bound its memory.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "cache.h"

PG_FUNCTION_INFO_V1(rbac_cache_stats_sql);

/*
 * One row: subjects cached, their bound, scopes, bytes used by each part: this
 * backend's (the tree's memo, the subjects) and the scope tree's in shared memory.
 */
Datum
rbac_cache_stats_sql(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	RbacCacheStats st;
	Datum		values[9];
	bool		nulls[9] = {false, false, false, false, false, false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	rbac_cache_begin();
	rbac_cache_stats(&st);
	values[0] = Int64GetDatum(st.subjects);
	values[1] = Int64GetDatum(st.max_subjects);
	values[2] = Int64GetDatum(st.scopes);
	values[3] = Int64GetDatum(st.tree_bytes);
	values[4] = Int64GetDatum(st.subject_bytes);
	values[5] = Int64GetDatum(st.largest_subject_bytes);
	values[6] = BoolGetDatum(st.shared_tree);
	values[7] = Int64GetDatum(st.shared_tree_bytes);
	values[8] = Int64GetDatum(st.private_bytes);
	/* a database still at 0.1.0 declares the first six columns only */
	if (desc->natts > (int) lengthof(values))
		elog(ERROR, "runai.cache_stats() declares more columns than this library returns");
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
