/*
 * test_intervals.c
 *    Unit tests of the interval sets of src/intervals.c, outside the server.
 *
 * Random trees are numbered depth-first the way the cache numbers the scope tree;
 * random sets of granting nodes are turned into interval sets, and every node's
 * membership is compared with a brute-force walk up its ancestors.  Prints one
 * line per failure and a final "N passed, M failed"; exits 1 on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intervals.h"

static int	passed;
static int	failed;

#define MAXN 2000

static void
check(int cond, const char *what, int a, int b)
{
	if (cond)
		passed++;
	else
	{
		failed++;
		printf("FAIL: %s (%d, %d)\n", what, a, b);
	}
}

/* A deterministic generator, so that a failure can be replayed. */
static unsigned long long rng_state = 88172645463325252ULL;

static unsigned
rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned) (rng_state % n);
}

/*
 * A random tree of n nodes in depth-first order: node 0 is the root, and the parent
 * of node i is a node on the path from the root to node i-1 (which keeps the
 * numbering depth-first).  end[i] is the last node of i's subtree.
 */
static void
random_tree(int n, int *parent, int *end)
{
	int			path[MAXN];
	int			depth = 0;

	parent[0] = -1;
	path[depth++] = 0;
	for (int i = 1; i < n; i++)
	{
		/* pop to a random ancestor of i-1 (depth at most 5 levels, like the scopes) */
		int			keep = 1 + (int) rnd((unsigned) depth);

		if (keep > 4)
			keep = 4;
		depth = keep;
		parent[i] = path[depth - 1];
		path[depth++] = i;
	}
	for (int i = n - 1; i >= 0; i--)
		end[i] = i;
	for (int i = n - 1; i > 0; i--)
		if (end[i] > end[parent[i]])
			end[parent[i]] = end[i];
}

static int
granted_brute(int node, const int *parent, const char *is_rule)
{
	for (int x = node; x >= 0; x = parent[x])
		if (is_rule[x])
			return 1;
	return 0;
}

static void
test_fixed_cases(void)
{
	RbacInterval iv[8];
	size_t		n;

	n = rbac_intervals_normalize(iv, 0);
	check(n == 0, "empty set normalises to empty", (int) n, 0);
	check(!rbac_intervals_contain(iv, 0, 0), "empty set contains nothing", 0, 0);

	/* nested, duplicated and disjoint intervals, given out of order */
	iv[0] = (RbacInterval) {10, 20};
	iv[1] = (RbacInterval) {12, 15};
	iv[2] = (RbacInterval) {3, 5};
	iv[3] = (RbacInterval) {10, 20};
	iv[4] = (RbacInterval) {21, 21};
	n = rbac_intervals_normalize(iv, 5);
	check(n == 3, "nested and duplicate intervals are merged", (int) n, 3);
	check(iv[0].lo == 3 && iv[0].hi == 5, "first interval", (int) iv[0].lo, (int) iv[0].hi);
	check(iv[1].lo == 10 && iv[1].hi == 20, "second interval", (int) iv[1].lo, (int) iv[1].hi);
	check(iv[2].lo == 21 && iv[2].hi == 21, "single-node interval", (int) iv[2].lo, (int) iv[2].hi);
	for (int x = 0; x < 25; x++)
	{
		int			want = (x >= 3 && x <= 5) || (x >= 10 && x <= 21);

		check(rbac_intervals_contain(iv, n, (uint32_t) x) == want, "membership", x, want);
	}
	/* the root interval covers everything */
	iv[0] = (RbacInterval) {0, 4294967294U};
	check(rbac_intervals_contain(iv, 1, 4294967294U), "root interval covers the last node", 0, 0);
}

static void
test_random_trees(void)
{
	static int	parent[MAXN],
				end[MAXN];
	static char is_rule[MAXN];
	static RbacInterval iv[MAXN];

	for (int round = 0; round < 300; round++)
	{
		int			n = 1 + (int) rnd(MAXN);
		int			nrules = (int) rnd(40);
		size_t		k = 0;

		random_tree(n, parent, end);
		memset(is_rule, 0, sizeof(is_rule));
		for (int r = 0; r < nrules; r++)
		{
			int			node = (int) rnd((unsigned) n);

			is_rule[node] = 1;
			iv[k++] = (RbacInterval) {(uint32_t) node, (uint32_t) end[node]};
			if (rnd(4) == 0)	/* the same rule twice, as two roles might give */
				iv[k++] = (RbacInterval) {(uint32_t) node, (uint32_t) end[node]};
		}
		k = rbac_intervals_normalize(iv, k);
		for (size_t i = 1; i < k; i++)
			check(iv[i - 1].hi < iv[i].lo, "intervals are sorted and disjoint", round, (int) i);
		for (int node = 0; node < n; node++)
			check(rbac_intervals_contain(iv, k, (uint32_t) node) == granted_brute(node, parent, is_rule),
				  "interval membership equals the ancestor walk", round, node);
	}
}

int
main(void)
{
	test_fixed_cases();
	test_random_trees();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
