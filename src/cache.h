/*
 * cache.h
 *    The per-backend decision cache: per subject, the granted scopes; database role
 *    bindings; and access to the shared scope tree and catalog (scopetree.h).
 *
 * Protocol (details in cache.c):
 *  - Every SQL-callable entry point calls rbac_cache_begin() first.  Once per
 *    statement it accepts pending invalidation messages, so that a change committed
 *    by another session is seen at this session's next statement, and pins the
 *    version of the scope tree that the statement reads; it then drops what
 *    invalidations made stale.  Pointers returned by the functions below stay valid
 *    until the next rbac_cache_begin(), and grants held with rbac_cache_hold() until
 *    the statement ends.
 *  - Changes to the extension's tables send relcache invalidations for the changed
 *    table's signal (catalog.h; statement triggers and the C write paths call
 *    rbac_cache_changed()); the callback only sets flags.  Grants are rebuilt
 *    lazily, reading the tables with a fresh MVCC snapshot, so a session sees its
 *    own uncommitted changes and an aborted change is never seen.  Scope changes
 *    do not touch grants: they are sets of stable node ids, and the tree itself
 *    follows every change.
 *  - A rule whose expires_at has passed stops granting: each subject entry remembers
 *    its earliest expiry and is rebuilt once the statement time passes it.
 */
#ifndef RUNAI_RBAC_CACHE_H
#define RUNAI_RBAC_CACHE_H

#include "datatype/timestamp.h"

#include "nodeset.h"
#include "parse.h"
#include "scopetree.h"
#include "subject.h"

#define RBAC_NACTIONS			4
#define RBAC_NSLOTS				(RBAC_MAX_RESOURCE_TYPES * RBAC_NACTIONS)

/* A sorted set of granting node ids. */
typedef struct RbacGrantList
{
	uint32	   *ids;
	uint32		n;
} RbacGrantList;

/*
 * What one subject is granted: per (resource type, action) slot, a set of
 * granting nodes (slots granted by the same roles share one set), and whether a
 * rule at system grants the slot everywhere.  Immutable once built; a rebuild
 * makes a new one.
 */
typedef struct RbacGrants
{
	RbacSubjectKind kind;
	char		name[RBAC_SUBJECT_NAME_MAX + 1];
	uint64		generation;		/* cache generation it was built in */
	TimestampTz next_expiry;	/* earliest expires_at of a rule used; DT_NOEND if none */
	uint32		nrules;			/* unexpired rules of the subject and its groups */
	int16		slot_list[RBAC_NSLOTS]; /* index into lists[], -1: nothing granted */
	uint32		nlists;
	RbacGrantList *lists;
	uint64		covers_all[RBAC_NSLOTS / 64];	/* slot granted at the root */
	uint64		last_used;		/* for eviction */
	uint64		held_by;		/* statement that holds it (rbac_cache_hold), 0 none */
	struct MemoryContextData *cxt;	/* owns this struct and its lists */
} RbacGrants;

/* The action bit's slot index: view 0, edit 1, create 2, delete 3. */
static inline int
rbac_action_index(int action_bit)
{
	return action_bit == RBAC_ACT_VIEW ? 0 :
		action_bit == RBAC_ACT_EDIT ? 1 :
		action_bit == RBAC_ACT_CREATE ? 2 : 3;
}

/* Does the grant cover the whole tree (a rule at system)? */
static inline bool
rbac_grants_cover_all(const RbacGrants *g, int rt, int action_bit)
{
	int			slot = rt * RBAC_NACTIONS + rbac_action_index(action_bit);

	return (g->covers_all[slot / 64] & (UINT64_C(1) << (slot % 64))) != 0;
}

/* Is (resource type, action) granted at the chain's scope (depth 0: unknown scope)? */
static inline bool
rbac_grants_allow(const RbacGrants *g, int rt, int action_bit, const RbacChain *chain)
{
	int			slot = rt * RBAC_NACTIONS + rbac_action_index(action_bit);
	int			l = g->slot_list[slot];

	if (l < 0)
		return false;
	/* a grant at the root covers every scope, known or not yet known */
	if (g->covers_all[slot / 64] & (UINT64_C(1) << (slot % 64)))
		return true;
	return rbac_nodeset_covers(g->lists[l].ids, g->lists[l].n, chain);
}

/* The sorted granting nodes of a slot (NULL, *n = 0 if nothing is granted). */
extern const uint32 *rbac_grants_nodes(const RbacGrants *g, int rt, int action_bit,
									   size_t *n);

extern void rbac_cache_init(void);
extern void rbac_cache_begin(void);
extern uint64 rbac_cache_generation(void);
extern TimestampTz rbac_cache_now(void);

/* A number that changes at every statement (rbac_cache_begin of a new one). */
extern uint64 rbac_cache_statement(void);

/*
 * Is the extension installed in this database?  Never raises an error (for hooks
 * that run for every statement of every database).
 */
extern bool rbac_cache_extension_present(void);

/*
 * The version of the scope tree the next statement of this parallel worker must
 * read (its leader's); set before the worker's first statement begins.
 */
extern void rbac_cache_worker_pin(uint64 version);

/* Grants of a subject; name is normalised by the caller (emails lower-case). */
extern RbacGrants *rbac_cache_grants(RbacSubjectKind kind, const char *name, size_t len);

/* Keeps g (and its lists) valid until the current statement ends. */
extern void rbac_cache_hold(RbacGrants *g);

/*
 * Grants passed to parallel workers (decision.c).  rbac_grants_encode appends g
 * to buf: node ids when the tree is shared (leader and workers number scopes
 * alike), else the scopes themselves.  rbac_grants_decode builds grants from
 * such bytes in the worker (within a transaction: scopes are looked up); they are
 * not in the cache and live until rbac_grants_free.  NULL if malformed.
 */
struct StringInfoData;
extern void rbac_grants_encode(const RbacGrants *g, struct StringInfoData *buf);
extern RbacGrants *rbac_grants_decode(const char *data, size_t len);
extern void rbac_grants_free(RbacGrants *g);

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

/* The chain of a scope datum (depth 0 if it is not in the tree). */
extern void rbac_cache_scope_chain(const struct varlena *scope, RbacChain *chain);

/*
 * Is the scope anc the scope s or one of its ancestors in the tree?  system is an
 * ancestor of every scope, in the tree or not; any other scope only of scopes in
 * the tree.  So rbac_cache_scope_covers(s, s) says whether s is in the tree (a
 * rule there grants anything).
 */
extern bool rbac_cache_scope_covers(const struct varlena *anc, const struct varlena *s);

/* Sizes of this backend's cache and of the scope tree. */
typedef struct RbacCacheStats
{
	int64		subjects;
	int64		max_subjects;
	int64		scopes;
	int64		tree_bytes;		/* this backend's memory for the tree */
	int64		subject_bytes;
	int64		largest_subject_bytes;
	int64		shared_tree_bytes;	/* the tree in shared memory (0: private) */
	int64		private_bytes;	/* everything this backend keeps */
	bool		shared_tree;
} RbacCacheStats;

extern void rbac_cache_stats(RbacCacheStats *st);

/* Called after the extension itself changed one of its tables. */
extern void rbac_cache_changed(Oid relid);

#endif							/* RUNAI_RBAC_CACHE_H */
