/*
 * runai_rbac.c
 *    Module entry point: GUCs and per-backend registration of every unit, bottom
 *    layer first.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "bindings.h"
#include "cache.h"
#include "catalog.h"
#include "decision.h"
#include "forward.h"
#include "hints.h"
#include "identity.h"
#include "lockout.h"
#include "rls.h"
#include "route.h"
#include "scopetree.h"
#include "session.h"

PG_MODULE_MAGIC;

extern int	rbac_cache_max_subjects;

void		_PG_init(void);

/*
 * Registers the GUCs, the shared scope tree (its shared memory when preloaded, in
 * the postmaster, where the lockout also requests its shared memory; its
 * transaction callbacks), the invalidation callbacks and the hooks, once per
 * backend.
 */
void
_PG_init(void)
{
	DefineCustomIntVariable("runai.cache_max_subjects",
							"Most subjects whose permissions one backend keeps cached.",
							"The least recently used subject is evicted beyond this.",
							&rbac_cache_max_subjects,
							1000, 1, 1000000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	rbac_catalog_init();
	rbac_tree_init();
	rbac_cache_init();
	rbac_session_init();
	rbac_forward_init();
	rbac_lockout_init();
	rbac_decision_init();
	rbac_identity_init();
	rbac_rls_init();
	rbac_route_init();
	rbac_hints_init();
	rbac_bindings_init();
	MarkGUCPrefixReserved("runai");
}
