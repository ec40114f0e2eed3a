/*
 * runai_rbac.c
 *    Module entry point: GUCs and per-backend registration.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "cache.h"
#include "identity.h"

PG_MODULE_MAGIC;

extern int	rbac_cache_max_subjects;

void		_PG_init(void);

/* Registers GUCs and the cache's invalidation callback, once per backend. */
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
	rbac_cache_init();
	rbac_identity_init();
	MarkGUCPrefixReserved("runai");
}
