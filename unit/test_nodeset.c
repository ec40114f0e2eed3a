/*
 * test_nodeset.c
 *    Unit tests of the node sets of src/nodeset.c, outside the server.
 *
 * Random scope trees of at most five levels get random, non-contiguous node ids
 * (as the shared tree gives them); random sets of granting nodes, with
 * duplicates, are normalised, and every node's membership -- through its chain of
 * ancestors -- is compared with a brute-force walk up the tree.  The tree then
 * grows and shrinks without renumbering, and the same sets must still answer
 * right.  Prints one line per failure and a final "N passed, M failed"; exits 1
 * on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodeset.h"

static int	passed;
static int	failed;

#define MAXN 3000

static void
check(int cond, const char *what, unsigned a, unsigned b)
{
	if (cond)
		passed++;
	else
	{
		failed++;
		printf("FAIL: %s (%u, %u)\n", what, a, b);
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

/* The tree: slot i holds node id[i] with parent slot parent[i] (-1: root), level lvl[i]. */
static int	n;
static int	parent[MAXN];
static int	lvl[MAXN];
static int	alive[MAXN];
static uint32_t id[MAXN];
static uint32_t next_id;

/* Adds a node below a random live node of level < 4; returns its slot. */
static int
add_node(void)
{
	int			p;

	do
		p = (int) rnd((unsigned) n);
	while (!alive[p] || lvl[p] >= 4);
	parent[n] = p;
	lvl[n] = lvl[p] + 1;
	alive[n] = 1;
	next_id += 1 + rnd(3);		/* ids have gaps, like ids of rolled back scopes */
	id[n] = next_id;
	return n++;
}

static void
make_chain(int slot, RbacChain *c)
{
	c->depth = 0;
	for (int x = slot; x >= 0; x = parent[x])
		c->ids[c->depth++] = id[x];
}

/* Is slot granted by one of the granting slots, walking up the tree? */
static int
granted_brute(int slot, const char *is_rule)
{
	for (int x = slot; x >= 0; x = parent[x])
		if (is_rule[x])
			return 1;
	return 0;
}

/* Checks every live node against the set built from is_rule. */
static void
check_all(const char *is_rule, const uint32_t *set, size_t len)
{
	for (int i = 0; i < n; i++)
	{
		RbacChain	c;
		int			above = 0;

		if (!alive[i])
			continue;
		make_chain(i, &c);
		check(c.depth == (uint32_t) lvl[i] + 1, "chain depth is the level + 1", id[i], c.depth);
		check(rbac_nodeset_covers(set, len, &c) == granted_brute(i, is_rule),
			  "covers matches the ancestor walk", id[i], (unsigned) len);
		for (int x = parent[i]; x >= 0; x = parent[x])
			above |= is_rule[x];
		check(rbac_nodeset_covers_above(set, len, &c) == above,
			  "covers_above matches the walk from the parent", id[i], (unsigned) len);
		check(rbac_nodeset_contains(set, len, id[i]) == is_rule[i],
			  "contains matches membership", id[i], (unsigned) len);
	}
}

int
main(void)
{
	static char is_rule[MAXN];
	static uint32_t set[MAXN * 2];

	for (int round = 0; round < 40; round++)
	{
		int			size = 1 + (int) rnd(MAXN / 2);
		size_t		len = 0;
		int			nrules = (int) rnd(60) + (round % 5 == 0 ? (int) rnd(size) : 0);

		n = 0;
		next_id = rnd(100);
		memset(is_rule, 0, sizeof(is_rule));
		parent[0] = -1;
		lvl[0] = 0;
		alive[0] = 1;
		id[0] = ++next_id;
		n = 1;
		while (n < size)
			add_node();

		/* rules, with duplicates, in random order */
		for (int r = 0; r < nrules; r++)
		{
			int			s = (int) rnd((unsigned) n);

			is_rule[s] = 1;
			set[len++] = id[s];
			if (rnd(4) == 0)
				set[len++] = id[s];
		}
		len = rbac_nodeset_normalize(set, len);
		for (size_t i = 1; i < len; i++)
			check(set[i - 1] < set[i], "normalised sets are strictly increasing", set[i - 1], set[i]);
		check_all(is_rule, set, len);

		/* The tree changes under the set: new scopes appear below granted ones ... */
		for (int k = 0; k < 200 && n < MAXN; k++)
			add_node();
		check_all(is_rule, set, len);
		/* ... and leaves disappear (a leaf that is a rule stays: its rule would go with it) */
		for (int k = 0; k < 100; k++)
		{
			int			s = 1 + (int) rnd((unsigned) (n - 1));
			int			has_child = 0;

			for (int j = 0; j < n; j++)
				has_child |= alive[j] && parent[j] == s;
			if (alive[s] && !has_child && !is_rule[s])
				alive[s] = 0;
		}
		check_all(is_rule, set, len);
	}

	/* Edge cases: the empty set, a chain of depth 0 (a scope not in the tree). */
	{
		RbacChain	none = {0, {0}};
		uint32_t	one[1] = {7};

		check(!rbac_nodeset_covers(NULL, 0, &none), "empty set, no chain", 0, 0);
		check(!rbac_nodeset_covers(one, 1, &none), "a scope not in the tree is not covered", 7, 0);
		check(rbac_nodeset_normalize(NULL, 0) == 0, "normalising nothing", 0, 0);
	}

	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
