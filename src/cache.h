/*
 * cache.h
 *    The per-backend decision cache: the scope tree, the permission matrix, database
 *    role bindings and, per subject, the granted scope intervals.
 *
 * Protocol (details in cache.c):
 *  - Every SQL-callable entry point calls rbac_cache_begin() first.  Once per
 *    statement it accepts pending invalidation messages, so that a change committed
 *    by another session is seen at this session's next statement; it then drops what
 *    invalidations made stale.  Pointers returned by the functions below stay valid
 *    until the next rbac_cache_begin().
 *  - Changes to the extension's tables send relcache invalidations for the changed
 *    table (statement triggers and the C write paths call rbac_cache_changed()); the
 *    callback only sets flags.  Everything is rebuilt lazily, reading the tables with
 *    a fresh MVCC snapshot, so a session sees its own uncommitted changes and an
 *    aborted change is never seen.
 *  - A rule whose expires_at has passed stops granting: each subject entry remembers
 *    its earliest expiry and is rebuilt once the statement time passes it.
 */
#ifndef RUNAI_RBAC_CACHE_H
#define RUNAI_RBAC_CACHE_H

#include "datatype/timestamp.h"

#include "intervals.h"
#include "parse.h"
#include "subject.h"

#define RBAC_MAX_RESOURCE_TYPES 64
#define RBAC_MAX_ROLES			32
#define RBAC_NACTIONS			4
#define RBAC_NSLOTS				(RBAC_MAX_RESOURCE_TYPES * RBAC_NACTIONS)

/* What one subject is granted: per (resource type, action) slot, an interval set. */
typedef struct RbacGrants
{
	char		key[RBAC_SUBJECT_NAME_MAX + 3]; /* "u:<email>": hash key, first */
	RbacSubjectKind kind;
	const char *name;			/* points into key */
	uint64		generation;		/* cache generation it was built in */
	TimestampTz next_expiry;	/* earliest expires_at of a rule used; DT_NOEND if none */
	uint32		nrules;			/* unexpired rules of the subject and its groups */
	int16		slot_list[RBAC_NSLOTS]; /* index into lists[], -1: nothing granted */
	uint32		nlists;
	struct
	{
		RbacInterval *iv;
		uint32		n;
	}		   *lists;
	uint64		covers_all[RBAC_NSLOTS / 64];	/* slot granted at the root */
	uint64		last_used;		/* for eviction */
	struct MemoryContextData *cxt;	/* owns lists */
} RbacGrants;

/* The action bit's slot index: view 0, edit 1, create 2, delete 3. */
static inline int
rbac_action_index(int action_bit)
{
	return action_bit == RBAC_ACT_VIEW ? 0 :
		action_bit == RBAC_ACT_EDIT ? 1 :
		action_bit == RBAC_ACT_CREATE ? 2 : 3;
}

/* Is (resource type, action) granted at the scope-tree node?  node -1: unknown scope. */
static inline bool
rbac_grants_allow(const RbacGrants *g, int rt, int action_bit, int node)
{
	int			slot = rt * RBAC_NACTIONS + rbac_action_index(action_bit);
	int			l = g->slot_list[slot];

	if (l < 0)
		return false;
	/* a grant at the root covers every scope, known or not yet known */
	if (g->covers_all[slot / 64] & (UINT64_C(1) << (slot % 64)))
		return true;
	return node >= 0 && rbac_intervals_contain(g->lists[l].iv, g->lists[l].n, (uint32) node);
}

/* Does the grant cover the whole tree (a rule at system)? */
static inline bool
rbac_grants_cover_all(const RbacGrants *g, int rt, int action_bit)
{
	int			slot = rt * RBAC_NACTIONS + rbac_action_index(action_bit);

	return (g->covers_all[slot / 64] & (UINT64_C(1) << (slot % 64))) != 0;
}

/* The sorted interval set of a slot (NULL, *n = 0 if nothing is granted). */
extern const RbacInterval *rbac_grants_intervals(const RbacGrants *g, int rt,
												 int action_bit, size_t *n);

extern void rbac_cache_init(void);
extern void rbac_cache_begin(void);
extern uint64 rbac_cache_generation(void);
extern TimestampTz rbac_cache_now(void);

/* Grants of a subject; name is normalised by the caller (emails lower-case). */
extern RbacGrants *rbac_cache_grants(RbacSubjectKind kind, const char *name, size_t len);

/* The user bound to a database role (palloc'd email), or NULL. */
extern char *rbac_cache_bound_user(Oid roleid);

/* Resource types, roles and the permission matrix. */
extern int	rbac_cache_resource_type(const char *name, size_t len);
extern const char *rbac_cache_resource_type_name(int rt);
extern int	rbac_cache_resource_type_count(void);
extern int	rbac_cache_role(const char *name, size_t len);
extern const char *rbac_cache_role_name(int role);
extern uint8 rbac_cache_role_actions(int role, int rt);

/*
 * Arguments of SQL-callable functions that name a resource type or an action:
 * the id or action bit, or 22023 when unknown.
 */
extern int	rbac_resource_type_arg(text *t);
extern int	rbac_action_arg(text *t);

/* The scope tree. */
extern int	rbac_cache_scope_node(uint8 type, const char *id, size_t idlen);
extern int	rbac_cache_node_count(void);
extern void rbac_cache_node(int node, uint8 *type, const char **id, size_t *idlen,
							int *parent, int *end);

/*
 * Is the scope anc the scope s or one of its ancestors in the tree?  system is an
 * ancestor of every scope, in the tree or not; any other scope only of scopes in
 * the tree.  So rbac_cache_scope_covers(s, s) says whether s is in the tree (a
 * rule there grants anything).
 */
extern bool rbac_cache_scope_covers(const struct varlena *anc, const struct varlena *s);

/* Sizes of this backend's cache. */
typedef struct RbacCacheStats
{
	int64		subjects;
	int64		max_subjects;
	int64		scopes;
	int64		tree_bytes;
	int64		subject_bytes;
	int64		largest_subject_bytes;
} RbacCacheStats;

extern void rbac_cache_stats(RbacCacheStats *st);

/* Called after the extension itself changed one of its tables. */
extern void rbac_cache_changed(Oid relid);

#endif							/* RUNAI_RBAC_CACHE_H */
