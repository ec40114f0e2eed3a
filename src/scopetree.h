/*
 * scopetree.h
 *    The scope tree, built once per change in shared memory and read by every
 *    backend of the database, and the small catalog every check needs (resource
 *    types, roles, the permission matrix).
 *
 * Every scope has a stable node id (nodeset.h): a rule's grants, kept per backend
 * by cache.c, are sets of node ids that stay right while scopes come and go.  The
 * tree lives in a dynamic shared memory area when runai_rbac is in
 * shared_preload_libraries, one tree per database; without preloading (or in a
 * database still at 0.1.0, whose scopes table has no triggers for the tree) each
 * backend keeps its own, private tree (the same code on a private area), read
 * again whenever the scopes change.  The protocol -- versions, the
 * commit-time update, the private overlay of a transaction's own uncommitted
 * changes, standbys -- is described in scopetree.c.
 *
 * Use: rbac_tree_begin_statement() once per statement, after accepting
 * invalidation messages (rbac_cache_begin does it); every lookup of the statement
 * then answers as of the version it pinned, plus this transaction's own changes.
 */
#ifndef RUNAI_RBAC_SCOPETREE_H
#define RUNAI_RBAC_SCOPETREE_H

#include "nodeset.h"
#include "parse.h"

#define RBAC_MAX_RESOURCE_TYPES 64
#define RBAC_MAX_ROLES			32
#define RBAC_CATALOG_NAME_MAX	64

/* The relations the tree is read from. */
typedef struct RbacTreeRelids
{
	Oid			scopes;
	Oid			resource_types;
	Oid			roles;
	Oid			role_permissions;

	/*
	 * The scopes table has the tree's row triggers (0.2.0 on).  A database still
	 * at 0.1.0 has none: its backends keep private trees, read again (with the
	 * transaction's own rows) at every change of the table.
	 */
	bool		triggers;
} RbacTreeRelids;

/* Resource types, roles and the permission matrix (immutable catalog tables). */
typedef struct RbacMatrix
{
	int			nresource_types;	/* highest id + 1 */
	int			nroles;			/* highest id + 1 */
	char		resource_type_names[RBAC_MAX_RESOURCE_TYPES][RBAC_CATALOG_NAME_MAX];
	char		role_names[RBAC_MAX_ROLES][RBAC_CATALOG_NAME_MAX];
	uint8		matrix[RBAC_MAX_ROLES][RBAC_MAX_RESOURCE_TYPES];	/* action bits */
} RbacMatrix;

/*
 * Registers the shared memory request (when called while shared_preload_libraries
 * is processed) and the transaction callbacks.  Once, from _PG_init.
 */
extern void rbac_tree_init(void);

/*
 * Start of a statement: brings the tree up to date where it must be (a change it
 * did not apply itself: a standby's replay, a TRUNCATE, a prepared transaction,
 * an extension created again, a failed update) and pins the version the
 * statement reads.  pin: the version to read (a parallel worker reads its
 * leader's), 0 for the newest.  Returns true when node chains looked up before
 * may have changed (a scope was deleted or created since), so that callers drop
 * what they derived from them.
 */
extern bool rbac_tree_begin_statement(const RbacTreeRelids *relids, uint64 pin);

/* The version the current statement reads. */
extern uint64 rbac_tree_pinned_version(void);

/* Relcache callback of runai.scopes (or a reset): only sets a flag. */
extern void rbac_tree_scopes_invalidated(void);

/* Relcache callback of the catalog tables: only sets a flag (read them again). */
extern void rbac_tree_matrix_invalidated(void);

/*
 * The chain of a scope (the scope, then its ancestors up to system) at the pinned
 * version, this transaction's own changes included; depth 0 if it is not in the
 * tree.
 */
extern void rbac_tree_chain(uint8 type, const char *id, size_t idlen, RbacChain *chain);

/*
 * Node ids of many scopes at once, as the newest committed tree and this
 * transaction's own changes have them (to build a subject's grants from its
 * rules): ids[i] is RBAC_NO_NODE when scope i is not in the tree.
 */
typedef struct RbacScopeKey
{
	uint8		type;
	uint8		idlen;
	char		id[RBAC_SCOPE_ID_MAXLEN];
} RbacScopeKey;

extern void rbac_tree_resolve(const RbacScopeKey *keys, int n, uint32 *ids);

/* The scope of a node id (one that was looked up); false if there is none. */
extern bool rbac_tree_node_key(uint32 node, RbacScopeKey *key);

/*
 * Calls visit for every scope at and below node (of type only_type, or of every
 * type when only_type < 0), at the pinned version with this transaction's own
 * changes; visit returns false to stop.
 */
typedef bool (*RbacTreeVisit) (const RbacScopeKey *key, void *arg);
extern void rbac_tree_walk(uint32 node, int only_type, RbacTreeVisit visit, void *arg);

/*
 * Estimated number of scopes at and below node, of type only_type (every type
 * when < 0).  Kept up to date with the committed tree; an estimate, for the
 * planner.
 */
extern double rbac_tree_count_below(uint32 node, int only_type);

/*
 * This transaction's own uncommitted changes of the tree, to give them to
 * parallel workers: export in the leader (palloc'd), import in a worker (before
 * its first statement begins).
 */
typedef struct RbacOverlayEntry
{
	RbacScopeKey key;
	RbacScopeKey parent;
	bool		has_parent;
	bool		deleted;		/* else created, as node */
	uint32		node;
} RbacOverlayEntry;

extern int	rbac_tree_overlay_export(RbacOverlayEntry **entries, bool *truncated);
extern void rbac_tree_overlay_import(const RbacOverlayEntry *entries, int n, bool truncated);

/* The catalog (this backend's copy, valid until the next begin_statement). */
extern const RbacMatrix *rbac_tree_matrix(void);

/* Sizes, for runai.cache_stats(). */
typedef struct RbacTreeStats
{
	bool		shared;			/* the tree is in shared memory */
	int64		scopes;			/* live scopes of the committed tree */
	int64		shared_bytes;	/* shared memory of this database's tree */
	int64		private_bytes;	/* this backend's memory for the tree */
	int64		syncs;			/* full reads of the scopes table so far */
} RbacTreeStats;

extern void rbac_tree_stats(RbacTreeStats *st);

#endif							/* RUNAI_RBAC_SCOPETREE_H */
