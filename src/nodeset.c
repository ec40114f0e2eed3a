/*
 * nodeset.c
 *    Normalisation of node sets (see nodeset.h).
 */
#include <stdlib.h>

#include "nodeset.h"

/* qsort order of node ids. */
static int
id_cmp(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *) a;
	uint32_t	y = *(const uint32_t *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* Sorts and drops duplicates; see nodeset.h. */
size_t
rbac_nodeset_normalize(uint32_t *ids, size_t n)
{
	size_t		out = 0;

	if (n == 0)
		return 0;
	qsort(ids, n, sizeof(uint32_t), id_cmp);
	for (size_t i = 1; i < n; i++)
		if (ids[i] != ids[out])
			ids[++out] = ids[i];
	return out + 1;
}
