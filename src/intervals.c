/*
 * intervals.c
 *    Normalisation of scope-tree interval sets (see intervals.h).
 */
#include <stdlib.h>

#include "intervals.h"

/* qsort order: by lo ascending, the wider interval first on a tie. */
static int
interval_cmp(const void *a, const void *b)
{
	const RbacInterval *x = a;
	const RbacInterval *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi > y->hi ? -1 : 1;
	return 0;
}

/* Sorts and drops contained intervals; see intervals.h. */
size_t
rbac_intervals_normalize(RbacInterval *iv, size_t n)
{
	size_t		out = 0;

	if (n == 0)
		return 0;
	qsort(iv, n, sizeof(RbacInterval), interval_cmp);
	for (size_t i = 1; i < n; i++)
	{
		if (iv[i].lo <= iv[out].hi)
		{
			/* nested (or, defensively, overlapping): widen the kept one */
			if (iv[i].hi > iv[out].hi)
				iv[out].hi = iv[i].hi;
			continue;
		}
		iv[++out] = iv[i];
	}
	return out + 1;
}
