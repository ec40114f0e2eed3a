/*
 * nodeset.h
 *    Sets of scope-tree nodes, the representation of "granted here and below".
 *
 * Every scope of the shared tree has a stable node id (scopetree.h): ids never
 * change while the scope exists and are never given to another scope, so a set of
 * granting scopes is a sorted array of ids that the tree can change under without
 * renumbering.  The tree is at most five levels deep (system > tenant > cluster >
 * department > project), so "X is at or below Y" is a test of X's chain -- X and
 * its ancestors up to the root, at most five ids -- against the set.
 *
 * Pure C: no PostgreSQL headers, so it is unit-tested outside the server.
 */
#ifndef RUNAI_RBAC_NODESET_H
#define RUNAI_RBAC_NODESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The deepest chain: a project, its department, cluster, tenant and system. */
#define RBAC_TREE_MAX_DEPTH 5

/* No node: ids start at 1. */
#define RBAC_NO_NODE 0

/*
 * A scope and its ancestors: ids[0] is the scope itself, ids[depth - 1] the root.
 * depth 0: the scope is not in the tree.
 */
typedef struct RbacChain
{
	uint32_t	depth;
	uint32_t	ids[RBAC_TREE_MAX_DEPTH];
} RbacChain;

/* Sorts ids[0..n) and removes duplicates, in place; returns the new length. */
extern size_t rbac_nodeset_normalize(uint32_t *ids, size_t n);

/* Is id in the n sorted ids?  A linear scan for short sets, else a binary search. */
static inline bool
rbac_nodeset_contains(const uint32_t *ids, size_t n, uint32_t id)
{
	size_t		lo = 0,
				hi = n;

	if (n <= 8)
	{
		for (size_t i = 0; i < n; i++)
			if (ids[i] >= id)
				return ids[i] == id;
		return false;
	}
	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ids[lo] == id;
}

/* Does the set grant at the chain's scope: is the scope or an ancestor in it? */
static inline bool
rbac_nodeset_covers(const uint32_t *ids, size_t n, const RbacChain *chain)
{
	for (uint32_t i = 0; i < chain->depth; i++)
		if (rbac_nodeset_contains(ids, n, chain->ids[i]))
			return true;
	return false;
}

/*
 * Is the chain's scope granted by the set through an ancestor only (not by
 * itself)?  The top-most granted scopes are those in the set for which this is
 * false.
 */
static inline bool
rbac_nodeset_covers_above(const uint32_t *ids, size_t n, const RbacChain *chain)
{
	for (uint32_t i = 1; i < chain->depth; i++)
		if (rbac_nodeset_contains(ids, n, chain->ids[i]))
			return true;
	return false;
}

#endif							/* RUNAI_RBAC_NODESET_H */
