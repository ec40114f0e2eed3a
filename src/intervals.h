/*
 * intervals.h
 *    Sets of scope-tree intervals, the representation of "granted here and below".
 *
 * The scope tree is numbered by a depth-first walk: a scope gets the number `pre`
 * and its subtree is exactly the numbers pre..end.  "X is at or below Y" is then the
 * test Y.pre <= X.pre <= Y.end, and a set of granting rules is a sorted array of
 * disjoint intervals.  Tree intervals are either nested or disjoint, so merging
 * never has to split one.
 *
 * Pure C: no PostgreSQL headers, so it is unit-tested outside the server.
 */
#ifndef RUNAI_RBAC_INTERVALS_H
#define RUNAI_RBAC_INTERVALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct RbacInterval
{
	uint32_t	lo;				/* pre number of the granting scope */
	uint32_t	hi;				/* last pre number of its subtree */
} RbacInterval;

/*
 * Sorts iv[0..n) and removes intervals contained in another one, in place.  Returns
 * the new length.  Intervals must come from one tree (nested or disjoint).
 */
extern size_t rbac_intervals_normalize(RbacInterval *iv, size_t n);

/* Is node inside one of the n sorted, disjoint intervals? O(log n). */
static inline bool
rbac_intervals_contain(const RbacInterval *iv, size_t n, uint32_t node)
{
	size_t		lo = 0,
				hi = n;

	/* find the last interval whose lo <= node */
	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (iv[mid].lo <= node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && node <= iv[lo - 1].hi;
}

#endif							/* RUNAI_RBAC_INTERVALS_H */
