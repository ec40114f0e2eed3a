/*
 * scopetree.c
 *    The scope tree of a database, shared by its backends (see scopetree.h).
 *
 * Where it lives.  With runai_rbac in shared_preload_libraries, one dynamic
 * shared memory area (DSA) holds a tree per database; a fixed slot per database
 * (TreeSlot, in the main shared memory) has its lock, its published version and
 * the other atomics below.  Without preloading (or when every slot is taken by
 * other databases) a backend keeps a private tree: the same structures in a
 * private area, read again from runai.scopes whenever that table changes.
 *
 * What it holds.  Nodes in chunks of 1024, indexed by node id (ids start at 1,
 * are taken from an atomic counter and never reused); an open-addressing hash of
 * node ids by (type, id); per node its parent, a list of children, the number of
 * live scopes of each type below it (for the planner's estimates), and the
 * versions that created and deleted it.  Resource types, roles and the
 * permission matrix are loaded with the tree, once.
 *
 * Versions.  A change of the tree creates and deletes nodes at version V + 1 and
 * then publishes V + 1.  A statement pins the published version at its start
 * (lock-free: the pin is written, then the version read again) and sees exactly
 * the nodes with created <= pin < deleted, so it answers the same for its whole
 * length even while the tree changes, and its parallel workers pin the same
 * version (parallel.c passes it).  Deleted nodes stay until no pin can see them
 * (tree_reclaim compares them with the smallest pin of the database).
 *
 * Locking.  The slot's LWLock: shared for lookups (a lookup copies what it needs
 * and releases it), exclusive for changes.  Every change is short except a full
 * read of runai.scopes ("sync"), which takes its relation locks before the
 * LWLock (never the other way round: a TRUNCATE holding runai.scopes exclusively
 * must be able to reach its commit, which takes the LWLock).
 *
 * Changes made by the extension's own code (coherence).  Row triggers on
 * runai.scopes (ENABLE ALWAYS, so also under session_replication_role = replica)
 * record the transaction's changes in a private overlay, which this backend's
 * lookups see at once (its own uncommitted changes) and which follows
 * subtransactions (dropped with a rolled back savepoint, with the transaction at
 * abort).  At PRE_COMMIT the memory the changes need is reserved (an error there
 * aborts the transaction cleanly).  At COMMIT -- after the commit is visible to
 * every snapshot and before the transaction's invalidation messages are sent --
 * the committing backend applies them to the shared tree and publishes a
 * version.  So a backend that receives the invalidation finds the tree already
 * changed, and every committed change is seen at the next statement (also inside
 * a READ COMMITTED transaction); nobody else ever sees a rolled back one.
 * Nothing at COMMIT may raise an error: any failure (or anything unexpected)
 * marks the tree "needs_sync" instead.
 *
 * Changes it does not apply itself: TRUNCATE, a prepared transaction (its commit
 * may come from another backend), an extension dropped and created again (the
 * slot remembers which runai.scopes it mirrors), a failed update, a server start,
 * and everything on a hot standby, where changes arrive by WAL replay.  They are
 * read in full by the first backend that needs the tree ("sync", a reconcile of
 * the tree with the table that keeps the ids of unchanged scopes).  On a standby
 * the tree remembers the replay position it was read at; a backend that received
 * an invalidation of runai.scopes, or runs its first statement, needs a tree read
 * at or after the replay position it saw then.  A prepared transaction that
 * changed scopes is remembered by its xid: once it is no longer in progress (its
 * COMMIT PREPARED removes it from the proc array before sending invalidations),
 * the tree is read again.
 *
 * Per-backend memo.  A direct-mapped cache of the chains of recently looked up
 * scopes, so that per-row checks rarely touch shared memory; its entries are
 * dropped when a scope is deleted (positive entries) or created (negative ones).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/twophase.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlogrecovery.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/dsa.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "scopetree.h"
#include "types.h"

#define CHUNK_SHIFT			10
#define CHUNK_NODES			(1 << CHUNK_SHIFT)
#define CHUNK_MASK			(CHUNK_NODES - 1)
#define TREE_MAX_DATABASES	64
#define TREE_MAX_PREPARED	64
#define MEMO_SIZE			2048	/* entries, a power of two */
#define RECLAIM_BATCH		64		/* reclaim once this many nodes are deleted */
#define LIVE				PG_UINT64_MAX	/* "version" of the newest state, unpublished included */

/* A pin: the slot (+ 1) in the top byte, the version below. */
#define PIN(slotno, v)		((((uint64) (slotno) + 1) << 56) | (v))
#define PIN_SLOT(p)			((int) ((p) >> 56) - 1)
#define PIN_VERSION(p)		((p) & ((UINT64CONST(1) << 56) - 1))

/* ---------------------------------------------------------------------------
 * Structures
 * ---------------------------------------------------------------------------
 */

typedef struct TreeNode
{
	uint64		created_v;
	uint64		deleted_v;		/* 0: not deleted */
	uint32		parent;			/* RBAC_NO_NODE for the root */
	uint32		first_child;
	uint32		next_sibling;
	uint32		hash;
	uint32		ndesc[RBAC_SCOPE_TYPE_MAX + 1]; /* live scopes below, per type */
	uint8		type;
	uint8		idlen;
	uint8		in_use;
	char		id[RBAC_SCOPE_ID_MAXLEN];
} TreeNode;

/* One database's tree, in the area. */
typedef struct TreeHeader
{
	dsa_pointer chunk_dir;		/* dsa_pointer[chunk_cap] */
	uint32		chunk_cap;
	uint32		nchunks;
	uint32		nlive;
	uint32		hash_mask;
	dsa_pointer hash;			/* uint32[hash_mask + 1]: node ids, 0 empty */
	uint32		hash_used;
	uint32		hash_reserved;	/* promised to transactions between PRE_COMMIT and COMMIT */
	dsa_pointer dead;			/* uint32[dead_cap]: deleted, not yet reclaimed */
	uint32		dead_cap;
	uint32		ndead;
	uint32		dead_reserved;
	bool		orphans;		/* rows left out: their parent was missing */
	bool		catalog_valid;
	int			nprepared;
	TransactionId prepared[TREE_MAX_PREPARED];
	uint64		catalog_gen;
	int64		bytes;
	int64		syncs;
	RbacMatrix catalog;
} TreeHeader;

/* Fixed per-database state (main shared memory, or private). */
typedef struct TreeSlot
{
	LWLock		lock;
	Oid			dboid;			/* under TreeShared.lock */
	dsa_pointer header;			/* under lock */
	pg_atomic_uint32 scopes_relid;	/* the runai.scopes the tree mirrors */
	pg_atomic_uint32 needs_sync;
	pg_atomic_uint32 nprepared;
	pg_atomic_uint32 recovery_synced;	/* last read during recovery */
	pg_atomic_uint32 next_id;
	pg_atomic_uint64 version;	/* published */
	pg_atomic_uint64 last_create;	/* version of the last creation */
	pg_atomic_uint64 last_delete;	/* version of the last deletion */
	pg_atomic_uint64 synced_lsn;	/* replay position of the last read (standby) */
} TreeSlot;

typedef struct TreeShared
{
	LWLock		lock;			/* slot assignment and the area's creation */
	int			tranche;
	int			area_tranche;
	dsa_handle	area;
	bool		overflowed;		/* a database had to use private trees */
	int			npins;
	TreeSlot	slots[TREE_MAX_DATABASES];
	pg_atomic_uint64 pins[FLEXIBLE_ARRAY_MEMBER];	/* by pgprocno */
} TreeShared;

/* The per-backend memo of chains. */
typedef struct MemoEnt
{
	uint64		stamp;			/* memo_epoch when filled */
	uint64		neg_create;		/* for an absent scope: last_create seen then */
	uint32		hash;
	uint8		type;
	uint8		idlen;
	bool		valid;
	RbacChain	chain;
	char		id[RBAC_SCOPE_ID_MAXLEN];
} MemoEnt;

/* This backend's view of its database's tree. */
typedef struct TreeLocal
{
	bool		ready;
	bool		shared;
	bool		no_slot;		/* every shared slot was taken: private for good */
	bool		own_rows;		/* private and without triggers: read own changes */
	void	   *private_place;	/* the private area's memory */
	int			slotno;
	TreeSlot   *slot;
	dsa_area   *area;
	/* address caches, valid for hdr_dp */
	dsa_pointer hdr_dp;
	TreeHeader *hdr;
	TreeNode  **chunks;
	uint32		nchunks;
	uint32		chunks_cap;
	dsa_pointer hash_dp;
	uint32	   *hash;
	/* the statement */
	uint64		pinned;
	bool		pin_published;
	uint64		seen_create;
	uint64		seen_delete;
	bool		started;		/* a statement began since the backend started */
	XLogRecPtr	need_lsn;		/* standby: the tree must be read at or after this */
	/* copies */
	uint64		catalog_gen;
	bool		catalog_valid;
	RbacMatrix catalog;
	MemoEnt    *memo;
	uint64		memo_epoch;
} TreeLocal;

static TreeShared *tree_shared = NULL;
static TreeLocal tl;
static TreeSlot private_slot;
static bool scopes_flag = false;	/* runai.scopes invalidated since the last statement */
static bool catalog_flag = false;	/* the catalog tables invalidated since then */

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* ---------------------------------------------------------------------------
 * The overlay: this transaction's own changes
 * ---------------------------------------------------------------------------
 */

typedef enum OverlayOpKind
{
	OV_INSERT,
	OV_DELETE,
	OV_TRUNCATE
} OverlayOpKind;

typedef struct OverlayOp
{
	OverlayOpKind kind;
	SubTransactionId subid;
	uint32		node;			/* insert: the id it was given */
	RbacScopeKey key;
	RbacScopeKey parent;		/* insert: type 0 and idlen 0 for none (system) */
	bool		has_parent;
} OverlayOp;

typedef enum OverlayState
{
	OVS_CREATED,
	OVS_DELETED
} OverlayState;

typedef struct OverlayEnt
{
	RbacScopeKey key;			/* hash key, first (zero-padded) */
	OverlayState state;
	uint32		node;
	RbacScopeKey parent;
	bool		has_parent;
	bool		replaces;		/* created after this transaction deleted it */
} OverlayEnt;

typedef struct OverlayIdEnt
{
	uint32		node;			/* hash key */
	RbacScopeKey key;
} OverlayIdEnt;

/* What COMMIT applies, prepared at PRE_COMMIT. */
typedef struct ApplyPlan
{
	bool		ready;
	bool		resync;			/* a change that only a full read can apply */
	bool		reserved;		/* hash and dead-list room reserved in the header */
	dsa_pointer reserved_hdr;
	int			ndel;
	RbacScopeKey *del;			/* deepest first */
	int			ncreate;
	OverlayEnt *create;			/* root first */
} ApplyPlan;

static MemoryContext ov_cxt = NULL;
static OverlayOp *ov_ops = NULL;
static int	ov_nops = 0;
static int	ov_cap = 0;
static HTAB *ov_keys = NULL;
static HTAB *ov_ids = NULL;
static bool ov_truncated = false;
static bool ov_resync = false;	/* e.g. the table changed identity mid-transaction */
static Oid	ov_relid = InvalidOid;
static TransactionId ov_prepare_xid = InvalidTransactionId;
static ApplyPlan plan;

/* A parallel worker's copy of its leader's overlay, until the tree is attached. */
static RbacOverlayEntry *pending_import = NULL;
static int	pending_import_n = 0;
static bool pending_import_truncated = false;

static void overlay_import_pending(TreeLocal *t);

/* ---------------------------------------------------------------------------
 * Shared memory
 * ---------------------------------------------------------------------------
 */

static int
tree_npins(void)
{
	return MaxBackends + NUM_AUXILIARY_PROCS + max_prepared_xacts;
}

static Size
tree_shmem_size(void)
{
	return add_size(offsetof(TreeShared, pins),
					mul_size(sizeof(pg_atomic_uint64), tree_npins()));
}

/* shmem_request_hook: reserve the fixed part (postmaster, at start). */
static void
tree_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(tree_shmem_size());
}

static void
slot_init(TreeSlot *s, int tranche)
{
	LWLockInitialize(&s->lock, tranche);
	s->dboid = InvalidOid;
	s->header = InvalidDsaPointer;
	pg_atomic_init_u32(&s->scopes_relid, InvalidOid);
	pg_atomic_init_u32(&s->needs_sync, 1);
	pg_atomic_init_u32(&s->nprepared, 0);
	pg_atomic_init_u32(&s->recovery_synced, 0);
	pg_atomic_init_u32(&s->next_id, 1);
	pg_atomic_init_u64(&s->version, 0);
	pg_atomic_init_u64(&s->last_create, 0);
	pg_atomic_init_u64(&s->last_delete, 0);
	pg_atomic_init_u64(&s->synced_lsn, 0);
}

/* shmem_startup_hook: create the fixed part; the area is created on first use. */
static void
tree_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	tree_shared = ShmemInitStruct("runai_rbac scope tree", tree_shmem_size(), &found);
	if (!found)
	{
		tree_shared->tranche = LWLockNewTrancheId();
		tree_shared->area_tranche = LWLockNewTrancheId();
		LWLockInitialize(&tree_shared->lock, tree_shared->tranche);
		tree_shared->area = DSM_HANDLE_INVALID;
		tree_shared->overflowed = false;
		tree_shared->npins = tree_npins();
		for (int i = 0; i < TREE_MAX_DATABASES; i++)
			slot_init(&tree_shared->slots[i], tree_shared->tranche);
		for (int i = 0; i < tree_shared->npins; i++)
			pg_atomic_init_u64(&tree_shared->pins[i], 0);
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * Finds or claims this database's slot; -1 when every slot belongs to another
 * database that still exists.  Slots of dropped databases are reused, unless a
 * database already had to fall back to private trees (its backends' changes do
 * not reach shared memory, so it must never get a slot while they live).
 */
static int
claim_slot(void)
{
	int			free_slot = -1;

	LWLockAcquire(&tree_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < TREE_MAX_DATABASES; i++)
	{
		if (tree_shared->slots[i].dboid == MyDatabaseId)
		{
			LWLockRelease(&tree_shared->lock);
			return i;
		}
		if (free_slot < 0 && tree_shared->slots[i].dboid == InvalidOid)
			free_slot = i;
	}
	if (free_slot < 0 && !tree_shared->overflowed)
	{
		for (int i = 0; i < TREE_MAX_DATABASES && free_slot < 0; i++)
			if (!SearchSysCacheExists1(DATABASEOID,
									   ObjectIdGetDatum(tree_shared->slots[i].dboid)))
				free_slot = i;
	}
	if (free_slot < 0)
	{
		tree_shared->overflowed = true;
		LWLockRelease(&tree_shared->lock);
		ereport(LOG,
				(errmsg("runai_rbac: no shared scope tree is left for database %u; its backends keep private trees",
						MyDatabaseId)));
		return -1;
	}
	/* a dropped database's tree: forget it (the area keeps nothing else of it) */
	{
		TreeSlot   *s = &tree_shared->slots[free_slot];

		if (DsaPointerIsValid(s->header))
		{
			/* freed lazily: the next sync of this slot resets it */
			pg_atomic_write_u32(&s->scopes_relid, InvalidOid);
		}
		s->dboid = MyDatabaseId;
		pg_atomic_write_u32(&s->needs_sync, 1);
	}
	LWLockRelease(&tree_shared->lock);
	return free_slot;
}

/* Attaches to the area (creating it the first time). */
static dsa_area *
attach_area(void)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	dsa_area   *area;

	LWLockRegisterTranche(tree_shared->tranche, "runai_rbac scope tree");
	LWLockRegisterTranche(tree_shared->area_tranche, "runai_rbac scope tree area");
	LWLockAcquire(&tree_shared->lock, LW_EXCLUSIVE);
	if (tree_shared->area == DSM_HANDLE_INVALID)
	{
		area = dsa_create(tree_shared->area_tranche);
		dsa_pin(area);
		tree_shared->area = dsa_get_handle(area);
	}
	else
		area = dsa_attach(tree_shared->area);
	LWLockRelease(&tree_shared->lock);
	dsa_pin_mapping(area);
	MemoryContextSwitchTo(old);
	return area;
}

/*
 * This backend's tree, set up on first use: shared if it can be (preloaded, a
 * slot left, want_shared: the database has the tree's triggers), else private.
 * A private tree becomes shared when the database gets the triggers (ALTER
 * EXTENSION UPDATE from 0.1.0).
 */
static TreeLocal *
tree_attach(bool want_shared)
{
	if (tl.ready &&
		(tl.shared || !want_shared || tl.no_slot || tree_shared == NULL ||
		 IsBootstrapProcessingMode()))
		return &tl;
	if (tl.ready)
	{
		/* leave the private tree for the shared one */
		dsa_detach(tl.area);
		dsa_release_in_place(tl.private_place);
		pfree(tl.private_place);
		if (tl.chunks)
			pfree(tl.chunks);
		if (tl.memo)
			pfree(tl.memo);
	}
	memset(&tl, 0, sizeof(tl));
	tl.hdr_dp = InvalidDsaPointer;
	tl.hash_dp = InvalidDsaPointer;
	tl.memo_epoch = 1;
	if (tree_shared != NULL && want_shared && !IsBootstrapProcessingMode())
	{
		int			slotno = claim_slot();

		if (slotno >= 0)
		{
			tl.area = attach_area();
			tl.shared = true;
			tl.slotno = slotno;
			tl.slot = &tree_shared->slots[slotno];
		}
		else
			tl.no_slot = true;
	}
	if (!tl.shared)
	{
		/* a private area: the same code, read by this backend only */
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		int			tranche = LWLockNewTrancheId();
		size_t		size = Max(dsa_minimum_size(), 64 * 1024);

		tl.private_place = MemoryContextAlloc(TopMemoryContext, size);
		LWLockRegisterTranche(tranche, "runai_rbac private scope tree");
		tl.area = dsa_create_in_place(tl.private_place, size, tranche, NULL);
		/* its segments live as long as the backend, not a transaction */
		dsa_pin_mapping(tl.area);
		MemoryContextSwitchTo(old);
		slot_init(&private_slot, tranche);
		tl.slot = &private_slot;
		tl.slotno = -1;
	}
	tl.ready = true;
	return &tl;
}

/* ---------------------------------------------------------------------------
 * Addresses
 * ---------------------------------------------------------------------------
 */

/* Maps the slot's header (under the slot lock); resets the caches if it moved. */
static void
map_header(TreeLocal *t)
{
	dsa_pointer dp = t->slot->header;

	if (dp == t->hdr_dp)
		return;
	t->hdr_dp = dp;
	t->hdr = DsaPointerIsValid(dp) ? dsa_get_address(t->area, dp) : NULL;
	t->nchunks = 0;
	t->hash_dp = InvalidDsaPointer;
	t->hash = NULL;
}

/*
 * Maps every chunk of the header (NULL where the directory has none).  The
 * directory may have gained chunks below the mapped count since: force re-reads
 * it (every loop over all chunks does, under the lock).
 */
static void
map_chunks(TreeLocal *t, bool force)
{
	dsa_pointer *dir;

	if (!force && t->nchunks == t->hdr->nchunks)
		return;
	if (t->hdr->nchunks > t->chunks_cap)
	{
		uint32		cap = Max(16, t->hdr->chunk_cap);

		t->chunks = t->chunks == NULL ?
			MemoryContextAlloc(TopMemoryContext, sizeof(TreeNode *) * cap) :
			repalloc(t->chunks, sizeof(TreeNode *) * cap);
		t->chunks_cap = cap;
	}
	dir = dsa_get_address(t->area, t->hdr->chunk_dir);
	for (uint32 i = 0; i < t->hdr->nchunks; i++)
		t->chunks[i] = DsaPointerIsValid(dir[i]) ? dsa_get_address(t->area, dir[i]) : NULL;
	t->nchunks = t->hdr->nchunks;
}

/* Is there a node (in use) with this id?  Under the slot lock. */
static bool
node_exists(TreeLocal *t, uint32 id)
{
	uint32		c = id >> CHUNK_SHIFT;

	if (t->hdr == NULL || c >= t->hdr->nchunks)
		return false;
	if (c >= t->nchunks || t->chunks[c] == NULL)
		map_chunks(t, true);
	if (t->chunks[c] == NULL)
		return false;
	return t->chunks[c][id & CHUNK_MASK].in_use;
}

/* The node with this id (its chunk exists: under the slot lock). */
static inline TreeNode *
node_at(TreeLocal *t, uint32 id)
{
	uint32		c = id >> CHUNK_SHIFT;

	if (unlikely(c >= t->nchunks || t->chunks[c] == NULL))
	{
		if (c >= t->hdr->nchunks)
			elog(ERROR, "runai_rbac: scope tree node %u does not exist", id);
		map_chunks(t, true);	/* a chunk was added: map again */
		if (t->chunks[c] == NULL)
			elog(ERROR, "runai_rbac: scope tree node %u does not exist", id);
	}
	return &t->chunks[c][id & CHUNK_MASK];
}

static inline uint32 *
hash_slots(TreeLocal *t)
{
	if (t->hash_dp != t->hdr->hash)
	{
		t->hash_dp = t->hdr->hash;
		t->hash = dsa_get_address(t->area, t->hash_dp);
	}
	return t->hash;
}

static inline bool
node_visible(const TreeNode *n, uint64 v)
{
	return n->in_use && n->created_v <= v && (n->deleted_v == 0 || n->deleted_v > v);
}

static inline uint32
key_hash(uint8 type, const char *id, size_t idlen)
{
	return hash_bytes((const unsigned char *) id, (int) idlen) ^ ((uint32) type * 0x9e3779b9U);
}

/* The node of (type, id) visible at version v, or RBAC_NO_NODE (under the lock). */
static uint32
hash_find(TreeLocal *t, uint8 type, const char *id, size_t idlen, uint32 h, uint64 v)
{
	uint32	   *slots;
	uint32		mask;

	if (t->hdr == NULL || !DsaPointerIsValid(t->hdr->hash))
		return RBAC_NO_NODE;
	slots = hash_slots(t);
	mask = t->hdr->hash_mask;
	for (uint32 i = h & mask;; i = (i + 1) & mask)
	{
		uint32		x = slots[i];
		TreeNode   *n;

		if (x == RBAC_NO_NODE)
			return RBAC_NO_NODE;
		n = node_at(t, x);
		if (n->hash == h && n->type == type && n->idlen == idlen &&
			memcmp(n->id, id, idlen) == 0 && node_visible(n, v))
			return x;
	}
}

/* ---------------------------------------------------------------------------
 * Changing the tree (exclusive lock)
 * ---------------------------------------------------------------------------
 */

static dsa_pointer
tree_alloc(TreeLocal *t, size_t size)
{
	dsa_pointer dp = dsa_allocate_extended(t->area, size, DSA_ALLOC_ZERO | DSA_ALLOC_HUGE);

	if (t->hdr)
		t->hdr->bytes += size;
	return dp;
}

static void
tree_free(TreeLocal *t, dsa_pointer dp, size_t size)
{
	dsa_free(t->area, dp);
	if (t->hdr)
		t->hdr->bytes -= size;
}

/*
 * Makes sure the chunk that holds node id exists.  The directory is sparse:
 * ranges of ids that no node of the tree took (ids of rolled back creations,
 * or of creations that a full read made again) cost no chunk.
 */
static void
chunk_ensure(TreeLocal *t, uint32 id)
{
	TreeHeader *h = t->hdr;
	uint32		c = id >> CHUNK_SHIFT;
	dsa_pointer *dir;

	if (c >= h->chunk_cap)
	{
		uint32		cap = Max(16, h->chunk_cap);
		dsa_pointer ndp;
		dsa_pointer *ndir;

		while (cap <= c)
			cap *= 2;
		ndp = tree_alloc(t, sizeof(dsa_pointer) * cap);
		ndir = dsa_get_address(t->area, ndp);
		for (uint32 i = 0; i < cap; i++)
			ndir[i] = InvalidDsaPointer;
		if (h->chunk_cap > 0)
		{
			memcpy(ndir, dsa_get_address(t->area, h->chunk_dir), sizeof(dsa_pointer) * h->nchunks);
			tree_free(t, h->chunk_dir, sizeof(dsa_pointer) * h->chunk_cap);
		}
		h->chunk_dir = ndp;
		h->chunk_cap = cap;
	}
	dir = dsa_get_address(t->area, h->chunk_dir);
	if (c >= h->nchunks)
		h->nchunks = c + 1;		/* entries in between are invalid already */
	if (!DsaPointerIsValid(dir[c]))
		dir[c] = tree_alloc(t, sizeof(TreeNode) * CHUNK_NODES);
}

/* Puts node id in the hash; room was reserved. */
static void
hash_insert(TreeLocal *t, uint32 id)
{
	uint32	   *slots = hash_slots(t);
	uint32		mask = t->hdr->hash_mask;
	uint32		i;

	for (i = node_at(t, id)->hash & mask; slots[i] != RBAC_NO_NODE; i = (i + 1) & mask)
		;
	slots[i] = id;
	t->hdr->hash_used++;
}

/* Removes node id from the hash (backward-shift deletion: no tombstones). */
static void
hash_remove(TreeLocal *t, uint32 id)
{
	uint32	   *slots = hash_slots(t);
	uint32		mask = t->hdr->hash_mask;
	uint32		i,
				j;

	for (i = node_at(t, id)->hash & mask; slots[i] != id; i = (i + 1) & mask)
		if (slots[i] == RBAC_NO_NODE)
			return;
	slots[i] = RBAC_NO_NODE;
	t->hdr->hash_used--;
	for (j = (i + 1) & mask; slots[j] != RBAC_NO_NODE; j = (j + 1) & mask)
	{
		uint32		k = node_at(t, slots[j])->hash & mask;

		/* leave it if its home k lies cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		slots[i] = slots[j];
		slots[j] = RBAC_NO_NODE;
		i = j;
	}
}

/* Makes room in the hash for extra more nodes (load factor at most 1/2). */
static void
hash_reserve(TreeLocal *t, uint32 extra)
{
	TreeHeader *h = t->hdr;
	uint64		need = ((uint64) h->hash_used + h->hash_reserved + extra) * 2;
	uint64		cap = DsaPointerIsValid(h->hash) ? (uint64) h->hash_mask + 1 : 0;
	dsa_pointer old = h->hash;
	uint64		ncap;

	if (need <= cap)
		return;
	for (ncap = Max(cap, 1024); ncap < need; ncap *= 2)
		;
	if (ncap > PG_UINT32_MAX / 2)
		elog(ERROR, "runai_rbac: the scope tree is too large");
	h->hash = tree_alloc(t, sizeof(uint32) * ncap);
	h->hash_mask = (uint32) ncap - 1;
	h->hash_used = 0;
	if (DsaPointerIsValid(old))
		tree_free(t, old, sizeof(uint32) * cap);
	map_chunks(t, true);
	for (uint32 c = 0; c < h->nchunks; c++)
	{
		if (t->chunks[c] == NULL)
			continue;
		for (uint32 k = 0; k < CHUNK_NODES; k++)
			if (t->chunks[c][k].in_use)
				hash_insert(t, (c << CHUNK_SHIFT) | k);
	}
}

/* Makes room in the list of deleted nodes for extra more. */
static void
dead_reserve(TreeLocal *t, uint32 extra)
{
	TreeHeader *h = t->hdr;
	uint64		need = (uint64) h->ndead + h->dead_reserved + extra;
	uint32		cap;
	dsa_pointer ndp;

	if (need <= h->dead_cap)
		return;
	for (cap = Max(h->dead_cap, 256); cap < need; cap *= 2)
		;
	ndp = tree_alloc(t, sizeof(uint32) * cap);
	if (h->ndead > 0)
		memcpy(dsa_get_address(t->area, ndp), dsa_get_address(t->area, h->dead),
			   sizeof(uint32) * h->ndead);
	if (DsaPointerIsValid(h->dead))
		tree_free(t, h->dead, sizeof(uint32) * h->dead_cap);
	h->dead = ndp;
	h->dead_cap = cap;
}

/* Adds delta to the counts of type-scopes of every ancestor from parent up. */
static void
count_adjust(TreeLocal *t, uint32 parent, uint8 type, int delta)
{
	for (uint32 p = parent; p != RBAC_NO_NODE; p = node_at(t, p)->parent)
		node_at(t, p)->ndesc[type] += delta;
}

/* Creates node id (its chunk and hash room exist) at version v. */
static void
node_create(TreeLocal *t, uint32 id, const RbacScopeKey *key, uint32 parent, uint64 v,
			bool count)
{
	TreeNode   *n = node_at(t, id);

	memset(n, 0, sizeof(TreeNode));
	n->created_v = v;
	n->parent = parent;
	n->type = key->type;
	n->idlen = key->idlen;
	memcpy(n->id, key->id, key->idlen);
	n->hash = key_hash(key->type, key->id, key->idlen);
	n->in_use = 1;
	if (parent != RBAC_NO_NODE)
	{
		TreeNode   *p = node_at(t, parent);

		n->next_sibling = p->first_child;
		p->first_child = id;
	}
	hash_insert(t, id);
	t->hdr->nlive++;
	if (count)
		count_adjust(t, parent, key->type, 1);
}

/* Marks node id deleted at version v (room in the dead list was reserved). */
static void
node_delete(TreeLocal *t, uint32 id, uint64 v, bool count)
{
	TreeNode   *n = node_at(t, id);
	uint32	   *dead = dsa_get_address(t->area, t->hdr->dead);

	n->deleted_v = v;
	dead[t->hdr->ndead++] = id;
	t->hdr->nlive--;
	if (count)
		count_adjust(t, n->parent, n->type, -1);
}

/* Does node id have a child that is not deleted? */
static bool
has_live_child(TreeLocal *t, uint32 id)
{
	for (uint32 c = node_at(t, id)->first_child; c != RBAC_NO_NODE; c = node_at(t, c)->next_sibling)
		if (node_at(t, c)->deleted_v == 0)
			return true;
	return false;
}

/* Publishes version v after a change (the last writes of a change). */
static void
tree_publish(TreeLocal *t, uint64 v, bool created, bool deleted)
{
	if (created)
		pg_atomic_write_u64(&t->slot->last_create, v);
	if (deleted)
		pg_atomic_write_u64(&t->slot->last_delete, v);
	pg_write_barrier();
	pg_atomic_write_u64(&t->slot->version, v);
	pg_memory_barrier();
}

/*
 * Frees deleted nodes that no pinned statement can see any more: those deleted at
 * or before the smallest pin of the database (the published version if none).
 * Called right after a publish, whose full barrier orders it with tree_pin.
 */
static void
tree_reclaim(TreeLocal *t)
{
	TreeHeader *h = t->hdr;
	uint64		horizon = pg_atomic_read_u64(&t->slot->version);
	uint32	   *dead;
	uint32		keep = 0;

	if (h->ndead == 0)
		return;
	/* the version is read before the pins (the other half of tree_pin) */
	pg_memory_barrier();
	if (t->shared)
	{
		for (int i = 0; i < tree_shared->npins; i++)
		{
			uint64		p = pg_atomic_read_u64(&tree_shared->pins[i]);

			if (p != 0 && PIN_SLOT(p) == t->slotno && PIN_VERSION(p) < horizon)
				horizon = PIN_VERSION(p);
		}
	}
	else if (t->pinned != 0 && t->pinned < horizon)
		horizon = t->pinned;

	dead = dsa_get_address(t->area, h->dead);
	for (uint32 i = 0; i < h->ndead; i++)
	{
		uint32		id = dead[i];
		TreeNode   *n = node_at(t, id);

		if (n->deleted_v > horizon)
		{
			dead[keep++] = id;
			continue;
		}
		if (n->parent != RBAC_NO_NODE && node_at(t, n->parent)->in_use)
		{
			TreeNode   *p = node_at(t, n->parent);
			uint32	   *link = &p->first_child;

			while (*link != RBAC_NO_NODE && *link != id)
				link = &node_at(t, *link)->next_sibling;
			if (*link == id)
				*link = n->next_sibling;
		}
		hash_remove(t, id);
		memset(n, 0, sizeof(TreeNode));
	}
	h->ndead = keep;
}

/* ---------------------------------------------------------------------------
 * Reading the tables: the catalog and the scopes ("sync")
 * ---------------------------------------------------------------------------
 */

/*
 * A snapshot of what is committed, without this transaction's own changes
 * (those are the overlay's): a fresh catalog snapshot whose command id hides
 * every change of this transaction.  GetLatestSnapshot is not allowed in
 * parallel mode; a catalog snapshot is.
 */
static Snapshot
committed_snapshot(Oid relid)
{
	Snapshot	snap;

	InvalidateCatalogSnapshot();
	snap = RegisterSnapshot(GetCatalogSnapshot(relid));
	snap->curcid = FirstCommandId;
	return snap;
}

/* Copies a text datum into a fixed name buffer. */
static void
copy_name(char *dst, Datum d)
{
	text	   *t = DatumGetTextPP(d);
	size_t		len = VARSIZE_ANY_EXHDR(t);

	if (len >= RBAC_CATALOG_NAME_MAX)
		elog(ERROR, "runai_rbac: catalog name longer than %d bytes", RBAC_CATALOG_NAME_MAX - 1);
	memcpy(dst, VARDATA_ANY(t), len);
	dst[len] = '\0';
}

/* Loads resource types, roles and the matrix into c. */
static void
load_catalog(RbacMatrix *c, Relation rt, Relation roles, Relation perms, Snapshot snap)
{
	TableScanDesc scan;
	TupleTableSlot *slot;
	bool		isnull;

	memset(c, 0, sizeof(RbacMatrix));

	slot = table_slot_create(rt, NULL);
	scan = table_beginscan(rt, snap, 0, NULL);
	{
		AttrNumber	a_id = rbac_catalog_attnum(rt, "id"),
					a_name = rbac_catalog_attnum(rt, "name");

		while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		{
			int			id = DatumGetInt16(slot_getattr(slot, a_id, &isnull));

			if (id < 0 || id >= RBAC_MAX_RESOURCE_TYPES)
				elog(ERROR, "runai_rbac: resource type id %d out of range", id);
			copy_name(c->resource_type_names[id], slot_getattr(slot, a_name, &isnull));
			c->nresource_types = Max(c->nresource_types, id + 1);
		}
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);

	slot = table_slot_create(roles, NULL);
	scan = table_beginscan(roles, snap, 0, NULL);
	{
		AttrNumber	a_id = rbac_catalog_attnum(roles, "id"),
					a_name = rbac_catalog_attnum(roles, "name");

		while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		{
			int			id = DatumGetInt16(slot_getattr(slot, a_id, &isnull));

			if (id < 0 || id >= RBAC_MAX_ROLES)
				elog(ERROR, "runai_rbac: role id %d out of range", id);
			copy_name(c->role_names[id], slot_getattr(slot, a_name, &isnull));
			c->nroles = Max(c->nroles, id + 1);
		}
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);

	slot = table_slot_create(perms, NULL);
	scan = table_beginscan(perms, snap, 0, NULL);
	{
		AttrNumber	a_role = rbac_catalog_attnum(perms, "role_id"),
					a_rt = rbac_catalog_attnum(perms, "resource_type_id"),
					a_act = rbac_catalog_attnum(perms, "actions");

		while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		{
			int			role = DatumGetInt16(slot_getattr(slot, a_role, &isnull));
			int			r = DatumGetInt16(slot_getattr(slot, a_rt, &isnull));
			uint8		act = DatumGetRbacActionset(slot_getattr(slot, a_act, &isnull));

			if (role < 0 || role >= RBAC_MAX_ROLES || r < 0 || r >= RBAC_MAX_RESOURCE_TYPES)
				elog(ERROR, "runai_rbac: permission matrix entry out of range");
			c->matrix[role][r] = act & RBAC_ACT_ALL;
		}
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
}

/* A row of runai.scopes. */
typedef struct SyncRow
{
	RbacScopeKey key;
	RbacScopeKey parent;
	bool		has_parent;
} SyncRow;

static void
key_from_scope(RbacScopeKey *k, Datum d)
{
	struct varlena *s = DatumGetRbacScopePP(d);
	size_t		idlen = rbac_scope_idlen_of(s);

	memset(k, 0, sizeof(RbacScopeKey));
	if (idlen > RBAC_SCOPE_ID_MAXLEN)
		elog(ERROR, "runai_rbac: scope id longer than %d bytes", RBAC_SCOPE_ID_MAXLEN);
	k->type = rbac_scope_type_of(s);
	k->idlen = (uint8) idlen;
	memcpy(k->id, rbac_scope_id_of(s), idlen);
}

/* Every row of runai.scopes, root level first. */
static SyncRow *
read_scopes(Relation rel, Snapshot snap, int *nrows)
{
	TableScanDesc scan;
	TupleTableSlot *slot;
	AttrNumber	a_scope = rbac_catalog_attnum(rel, "scope"),
				a_parent = rbac_catalog_attnum(rel, "parent");
	int			cap = 1024,
				n = 0;
	SyncRow    *rows = palloc(sizeof(SyncRow) * cap);
	SyncRow    *sorted;
	int			count[RBAC_SCOPE_TYPE_MAX + 2] = {0};

	slot = table_slot_create(rel, NULL);
	scan = table_beginscan(rel, snap, 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		p;

		if (n == cap)
		{
			cap *= 2;
			rows = repalloc_huge(rows, sizeof(SyncRow) * cap);
		}
		key_from_scope(&rows[n].key, slot_getattr(slot, a_scope, &isnull));
		p = slot_getattr(slot, a_parent, &isnull);
		rows[n].has_parent = !isnull;
		if (!isnull)
			key_from_scope(&rows[n].parent, p);
		else
			memset(&rows[n].parent, 0, sizeof(RbacScopeKey));
		if (rows[n].key.type > RBAC_SCOPE_TYPE_MAX)
			elog(ERROR, "runai_rbac: invalid scope type %d", rows[n].key.type);
		count[rows[n].key.type + 1]++;
		n++;
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);

	/* a counting sort by level */
	for (int i = 1; i <= RBAC_SCOPE_TYPE_MAX + 1; i++)
		count[i] += count[i - 1];
	sorted = palloc_extended(sizeof(SyncRow) * Max(n, 1), MCXT_ALLOC_HUGE);
	for (int i = 0; i < n; i++)
		sorted[count[rows[i].key.type]++] = rows[i];
	pfree(rows);
	*nrows = n;
	return sorted;
}

/* Frees a database's whole tree and starts an empty one (exclusive lock). */
static void
tree_reset(TreeLocal *t)
{
	dsa_pointer old = t->slot->header;
	dsa_pointer ndp = dsa_allocate_extended(t->area, sizeof(TreeHeader), DSA_ALLOC_ZERO);
	TreeHeader *nh = dsa_get_address(t->area, ndp);

	nh->chunk_dir = InvalidDsaPointer;
	nh->hash = InvalidDsaPointer;
	nh->dead = InvalidDsaPointer;
	nh->bytes = sizeof(TreeHeader);
	if (DsaPointerIsValid(old))
	{
		TreeHeader *oh = dsa_get_address(t->area, old);

		if (DsaPointerIsValid(oh->chunk_dir))
		{
			dsa_pointer *dir = dsa_get_address(t->area, oh->chunk_dir);

			for (uint32 i = 0; i < oh->nchunks; i++)
				if (DsaPointerIsValid(dir[i]))
					dsa_free(t->area, dir[i]);
			dsa_free(t->area, oh->chunk_dir);
		}
		if (DsaPointerIsValid(oh->hash))
			dsa_free(t->area, oh->hash);
		if (DsaPointerIsValid(oh->dead))
			dsa_free(t->area, oh->dead);
		nh->syncs = oh->syncs;
		dsa_free(t->area, old);
	}
	t->slot->header = ndp;
	map_header(t);
	/* every chain of the old tree is gone */
	pg_atomic_write_u64(&t->slot->last_delete, pg_atomic_read_u64(&t->slot->version) + 1);
}

/*
 * Reconciles the tree with the rows of runai.scopes (exclusive lock): scopes
 * whose row and parent are unchanged keep their node, the others are created
 * (new id) or deleted, all at version pub + 1, which is then published.
 */
static void
tree_apply_rows(TreeLocal *t, SyncRow *rows, int nrows)
{
	TreeHeader *h = t->hdr;
	uint64		v = pg_atomic_read_u64(&t->slot->version) + 1;
	uint32		idspan = pg_atomic_read_u32(&t->slot->next_id) + (uint32) nrows + 1024;
	bool	   *seen = palloc_extended(idspan, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	bool		created = false,
				deleted = false;

	h->orphans = false;
	hash_reserve(t, (uint32) nrows);
	dead_reserve(t, h->nlive + (uint32) nrows);
	for (int i = 0; i < nrows; i++)
	{
		SyncRow    *r = &rows[i];
		uint32		parent = RBAC_NO_NODE;
		uint32		n;

		if (r->has_parent)
		{
			parent = hash_find(t, r->parent.type, r->parent.id, r->parent.idlen,
							   key_hash(r->parent.type, r->parent.id, r->parent.idlen), LIVE);
			if (parent == RBAC_NO_NODE || parent >= idspan || !seen[parent])
			{
				h->orphans = true;	/* not reachable from the root: left out */
				continue;
			}
		}
		else if (r->key.type != RBAC_SCOPE_SYSTEM)
		{
			h->orphans = true;
			continue;
		}
		n = hash_find(t, r->key.type, r->key.id, r->key.idlen,
					  key_hash(r->key.type, r->key.id, r->key.idlen), LIVE);
		if (n != RBAC_NO_NODE && n < idspan && seen[n])
			continue;			/* a duplicate row cannot be */
		if (n != RBAC_NO_NODE && node_at(t, n)->parent == parent)
		{
			seen[n] = true;
			continue;
		}
		if (n != RBAC_NO_NODE)
		{
			node_delete(t, n, v, false);
			deleted = true;
		}
		n = pg_atomic_fetch_add_u32(&t->slot->next_id, 1);
		if (n >= idspan)
		{
			/* other transactions took ids meanwhile (for their own new scopes) */
			uint32		span = Max(n + 1024, idspan * 2);

			seen = repalloc_huge(seen, span);
			memset(seen + idspan, 0, span - idspan);
			idspan = span;
		}
		chunk_ensure(t, n);
		node_create(t, n, &r->key, parent, v, false);
		seen[n] = true;
		created = true;
	}
	/* nodes without a row are deleted, and every count is computed again */
	map_chunks(t, true);
	for (uint32 c = 0; c < h->nchunks; c++)
	{
		if (t->chunks[c] == NULL)
			continue;
		for (uint32 k = 0; k < CHUNK_NODES; k++)
		{
			TreeNode   *n = &t->chunks[c][k];
			uint32		id = (c << CHUNK_SHIFT) | k;

			if (!n->in_use)
				continue;
			memset(n->ndesc, 0, sizeof(n->ndesc));
			if (n->deleted_v == 0 && (id >= idspan || !seen[id]))
			{
				node_delete(t, id, v, false);
				deleted = true;
			}
		}
	}
	for (uint32 c = 0; c < h->nchunks; c++)
	{
		if (t->chunks[c] == NULL)
			continue;
		for (uint32 k = 0; k < CHUNK_NODES; k++)
		{
			TreeNode   *n = &t->chunks[c][k];

			if (n->in_use && n->deleted_v == 0)
				count_adjust(t, n->parent, n->type, 1);
		}
	}
	pfree(seen);
	if (created || deleted)
		tree_publish(t, v, created, deleted);
	tree_reclaim(t);
}

/*
 * Reads runai.scopes (and, when needed, the catalog) into the tree; see the file
 * header.  Takes the relation locks first, then the slot lock, and checks again
 * under it whether another backend did it meanwhile.
 */
static void
tree_sync(TreeLocal *t, const RbacTreeRelids *r, bool reload_catalog)
{
	Relation	scopes,
				rt,
				roles,
				perms;
	MemoryContext scratch,
				old;
	bool		with_catalog = OidIsValid(r->roles);

	scopes = table_open(r->scopes, AccessShareLock);
	rt = with_catalog ? table_open(r->resource_types, AccessShareLock) : NULL;
	roles = with_catalog ? table_open(r->roles, AccessShareLock) : NULL;
	perms = with_catalog ? table_open(r->role_permissions, AccessShareLock) : NULL;
	scratch = AllocSetContextCreate(CurrentMemoryContext, "runai_rbac scope tree read",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(scratch);

	LWLockAcquire(&t->slot->lock, LW_EXCLUSIVE);
	map_header(t);
	{
		bool		relid_changed = pg_atomic_read_u32(&t->slot->scopes_relid) != r->scopes;
		bool		recovery = RecoveryInProgress();
		bool		needed = t->hdr == NULL || relid_changed ||
			pg_atomic_read_u32(&t->slot->needs_sync) != 0 ||
			(recovery && pg_atomic_read_u64(&t->slot->synced_lsn) < t->need_lsn) ||
			(!recovery && pg_atomic_read_u32(&t->slot->recovery_synced) != 0);

		if (needed || reload_catalog || !t->hdr->catalog_valid)
		{
			/* read before the snapshot: every record replayed by then is in it */
			XLogRecPtr	lsn = recovery ? GetXLogReplayRecPtr(NULL) : InvalidXLogRecPtr;

			/*
			 * A runai.scopes created by this very transaction (CREATE EXTENSION):
			 * nothing of it is committed, so read it with this transaction's own
			 * rows -- nobody else can see this table -- and read it again once
			 * committed.
			 */
			bool		new_table = scopes->rd_createSubid != InvalidSubTransactionId;
			Snapshot	snap;

			if (t->hdr == NULL || relid_changed)
				tree_reset(t);
			if (relid_changed)
				t->hdr->catalog_valid = false;
			if (with_catalog && (reload_catalog || !t->hdr->catalog_valid))
			{
				/* immutable tables: read with this transaction's own rows */
				Snapshot	csnap;

				InvalidateCatalogSnapshot();
				csnap = RegisterSnapshot(GetCatalogSnapshot(r->roles));
				load_catalog(&t->hdr->catalog, rt, roles, perms, csnap);
				UnregisterSnapshot(csnap);
				t->hdr->catalog_valid = true;
				t->hdr->catalog_gen++;
			}
			if (needed)
			{
				int			nrows;
				SyncRow    *rows;

				if (new_table || t->own_rows)
				{
					InvalidateCatalogSnapshot();
					snap = RegisterSnapshot(GetCatalogSnapshot(r->scopes));
				}
				else
					snap = committed_snapshot(r->scopes);
				rows = read_scopes(scopes, snap, &nrows);
				UnregisterSnapshot(snap);
				tree_apply_rows(t, rows, nrows);
				t->hdr->syncs++;
				pg_atomic_write_u32(&t->slot->scopes_relid, r->scopes);
				pg_atomic_write_u64(&t->slot->synced_lsn, lsn);
				pg_atomic_write_u32(&t->slot->recovery_synced, recovery ? 1 : 0);
				pg_atomic_write_u32(&t->slot->needs_sync, new_table && t->shared ? 1 : 0);
			}
		}
	}
	LWLockRelease(&t->slot->lock);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);
	if (with_catalog)
	{
		table_close(perms, AccessShareLock);
		table_close(roles, AccessShareLock);
		table_close(rt, AccessShareLock);
	}
	table_close(scopes, AccessShareLock);
}

/*
 * Prepared transactions that changed scopes and are no longer in progress (their
 * COMMIT or ROLLBACK PREPARED happened): forget them and read the tree again.
 */
static void
check_prepared(TreeLocal *t)
{
	LWLockAcquire(&t->slot->lock, LW_EXCLUSIVE);
	map_header(t);
	if (t->hdr != NULL)
	{
		int			keep = 0;

		for (int i = 0; i < t->hdr->nprepared; i++)
		{
			if (TransactionIdIsInProgress(t->hdr->prepared[i]))
				t->hdr->prepared[keep++] = t->hdr->prepared[i];
			else
				pg_atomic_write_u32(&t->slot->needs_sync, 1);
		}
		t->hdr->nprepared = keep;
		pg_atomic_write_u32(&t->slot->nprepared, keep);
	}
	LWLockRelease(&t->slot->lock);
}

/* ---------------------------------------------------------------------------
 * Statements
 * ---------------------------------------------------------------------------
 */

/* See scopetree.h. */
void
rbac_tree_scopes_invalidated(void)
{
	scopes_flag = true;
}

/* See scopetree.h. */
void
rbac_tree_matrix_invalidated(void)
{
	catalog_flag = true;
}

/* Pins version pin (or the newest, 0) for this statement; see the file header. */
static void
tree_pin(TreeLocal *t, uint64 pin)
{
	if (t->shared && MyProc != NULL)
	{
		pg_atomic_uint64 *mine = &tree_shared->pins[MyProc->pgprocno];

		if (pin != 0)
		{
			/* a leader's version: the leader's own pin keeps it readable */
			pg_atomic_write_u64(mine, PIN(t->slotno, pin));
			pg_memory_barrier();
		}
		else
		{
			/* the pin is visible before the version is read again (tree_reclaim) */
			for (;;)
			{
				uint64		v = pg_atomic_read_u64(&t->slot->version);

				pg_atomic_write_u64(mine, PIN(t->slotno, v));
				pg_memory_barrier();
				if (pg_atomic_read_u64(&t->slot->version) == v)
				{
					pin = v;
					break;
				}
			}
		}
		t->pin_published = true;
	}
	else if (pin == 0)
		pin = pg_atomic_read_u64(&t->slot->version);
	t->pinned = pin;
}

/* Clears this backend's pin (end of transaction). */
static void
tree_unpin(void)
{
	if (tl.ready && tl.pin_published && tl.shared && MyProc != NULL)
		pg_atomic_write_u64(&tree_shared->pins[MyProc->pgprocno], 0);
	tl.pin_published = false;
}

/* See scopetree.h. */
bool
rbac_tree_begin_statement(const RbacTreeRelids *relids, uint64 pin)
{
	TreeLocal  *t = tree_attach(relids->triggers);
	bool		sync = false;
	bool		flag = scopes_flag || !t->started;
	bool		changed = false;
	uint64		lc,
				ld;

	scopes_flag = false;
	t->started = true;
	t->own_rows = !t->shared && !relids->triggers;
	if (pg_atomic_read_u32(&t->slot->scopes_relid) != relids->scopes ||
		pg_atomic_read_u32(&t->slot->needs_sync) != 0)
		sync = true;
	if (t->shared)
	{
		if (flag)
		{
			if (RecoveryInProgress())
			{
				XLogRecPtr	lsn = GetCurrentReplayRecPtr(NULL);

				if (lsn > t->need_lsn)
					t->need_lsn = lsn;
			}
			if (pg_atomic_read_u32(&t->slot->nprepared) > 0)
				check_prepared(t);
			if (pg_atomic_read_u32(&t->slot->needs_sync) != 0)
				sync = true;
		}
		if (RecoveryInProgress())
		{
			if (pg_atomic_read_u64(&t->slot->synced_lsn) < t->need_lsn)
				sync = true;
		}
		else if (pg_atomic_read_u32(&t->slot->recovery_synced) != 0)
			sync = true;		/* promoted: changes made since are not in it */
	}
	else if (flag)
	{
		/* private: every change elsewhere means a read */
		pg_atomic_write_u32(&t->slot->needs_sync, 1);
		sync = true;
	}

	/* a parallel worker reads its leader's version, which stays there */
	if (sync && (!IsParallelWorker() || t->hdr_dp == InvalidDsaPointer ||
				 pg_atomic_read_u32(&t->slot->scopes_relid) != relids->scopes))
		tree_sync(t, relids, false);
	else if (catalog_flag)
		tree_sync(t, relids, true);
	catalog_flag = false;

	/* a leader's version means nothing to a private tree: it reads its newest */
	tree_pin(t, t->shared ? pin : 0);
	if (pending_import != NULL)
		overlay_import_pending(t);

	/* what this backend derived from chains must go when scopes came or went */
	lc = pg_atomic_read_u64(&t->slot->last_create);
	ld = pg_atomic_read_u64(&t->slot->last_delete);
	if (ld != t->seen_delete)
	{
		t->seen_delete = ld;
		t->memo_epoch++;
		changed = true;
	}
	if (lc != t->seen_create)
	{
		t->seen_create = lc;
		changed = true;
	}

	/* the catalog copy (read first if a writer's read of the tree left it out) */
	LWLockAcquire(&t->slot->lock, LW_SHARED);
	map_header(t);
	if (t->hdr == NULL || !t->hdr->catalog_valid)
	{
		LWLockRelease(&t->slot->lock);
		tree_sync(t, relids, true);
		LWLockAcquire(&t->slot->lock, LW_SHARED);
		map_header(t);
	}
	if (t->hdr != NULL && (!t->catalog_valid || t->catalog_gen != t->hdr->catalog_gen))
	{
		memcpy(&t->catalog, &t->hdr->catalog, sizeof(RbacMatrix));
		t->catalog_gen = t->hdr->catalog_gen;
		t->catalog_valid = t->hdr->catalog_valid;
		changed = true;
	}
	LWLockRelease(&t->slot->lock);
	return changed;
}

/* See scopetree.h. */
uint64
rbac_tree_pinned_version(void)
{
	return tl.ready ? tl.pinned : 0;
}

/* See scopetree.h. */
const RbacMatrix *
rbac_tree_matrix(void)
{
	Assert(tl.ready && tl.catalog_valid);
	return &tl.catalog;
}

/* ---------------------------------------------------------------------------
 * Lookups
 * ---------------------------------------------------------------------------
 */

/* The chain of node id at version v (under the lock). */
static void
chain_of(TreeLocal *t, uint32 id, RbacChain *chain)
{
	chain->depth = 0;
	while (id != RBAC_NO_NODE && chain->depth < RBAC_TREE_MAX_DEPTH)
	{
		chain->ids[chain->depth++] = id;
		id = node_at(t, id)->parent;
	}
}

static OverlayEnt *
overlay_find(uint8 type, const char *id, size_t idlen)
{
	RbacScopeKey k;

	if (ov_keys == NULL)
		return NULL;
	memset(&k, 0, sizeof(k));
	k.type = type;
	k.idlen = (uint8) idlen;
	memcpy(k.id, id, idlen);
	return hash_search(ov_keys, &k, HASH_FIND, NULL);
}

static bool
overlay_active(void)
{
	return ov_truncated || (ov_keys != NULL && hash_get_num_entries(ov_keys) > 0);
}

static void shared_chain(TreeLocal *t, uint8 type, const char *id, size_t idlen, RbacChain *chain);

/*
 * The chain of a scope with the overlay: true when the overlay decides it
 * (created or deleted in this transaction, or everything truncated).
 */
static bool
overlay_chain(TreeLocal *t, uint8 type, const char *id, size_t idlen, RbacChain *chain)
{
	OverlayEnt *e = overlay_find(type, id, idlen);

	if (e == NULL)
	{
		if (!ov_truncated)
			return false;
		chain->depth = 0;
		return true;
	}
	if (e->state == OVS_DELETED)
	{
		chain->depth = 0;
		return true;
	}
	/* created here: the node, then its parent's chain */
	if (!e->has_parent)
	{
		chain->depth = 1;
		chain->ids[0] = e->node;
		return true;
	}
	{
		RbacChain	pc;

		if (!overlay_chain(t, e->parent.type, e->parent.id, e->parent.idlen, &pc))
			shared_chain(t, e->parent.type, e->parent.id, e->parent.idlen, &pc);
		if (pc.depth == 0 || pc.depth >= RBAC_TREE_MAX_DEPTH)
		{
			chain->depth = 0;	/* an orphan: not reachable from the root */
			return true;
		}
		chain->ids[0] = e->node;
		memcpy(&chain->ids[1], pc.ids, sizeof(uint32) * pc.depth);
		chain->depth = pc.depth + 1;
	}
	return true;
}

/* The chain of a scope in the shared part, through the memo. */
static void
shared_chain(TreeLocal *t, uint8 type, const char *id, size_t idlen, RbacChain *chain)
{
	uint32		h = key_hash(type, id, idlen);
	MemoEnt    *e;

	if (t->memo == NULL)
		t->memo = MemoryContextAllocZero(TopMemoryContext, sizeof(MemoEnt) * MEMO_SIZE);
	e = &t->memo[h & (MEMO_SIZE - 1)];
	if (e->valid && e->stamp == t->memo_epoch && e->hash == h && e->type == type &&
		e->idlen == idlen && memcmp(e->id, id, idlen) == 0 &&
		(e->chain.depth > 0 || e->neg_create == t->seen_create))
	{
		*chain = e->chain;
		return;
	}
	LWLockAcquire(&t->slot->lock, LW_SHARED);
	map_header(t);
	{
		uint32		n = hash_find(t, type, id, idlen, h, t->pinned);

		if (n != RBAC_NO_NODE)
			chain_of(t, n, chain);
		else
			chain->depth = 0;
	}
	LWLockRelease(&t->slot->lock);
	e->valid = true;
	e->stamp = t->memo_epoch;
	e->neg_create = t->seen_create;
	e->hash = h;
	e->type = type;
	e->idlen = (uint8) idlen;
	memcpy(e->id, id, idlen);
	e->chain = *chain;
}

/* See scopetree.h. */
void
rbac_tree_chain(uint8 type, const char *id, size_t idlen, RbacChain *chain)
{
	TreeLocal  *t = &tl;

	Assert(t->ready);
	chain->depth = 0;
	if (idlen > RBAC_SCOPE_ID_MAXLEN || type > RBAC_SCOPE_TYPE_MAX)
		return;
	if (overlay_active() && overlay_chain(t, type, id, idlen, chain))
		return;
	shared_chain(t, type, id, idlen, chain);
}

/* See scopetree.h. */
void
rbac_tree_resolve(const RbacScopeKey *keys, int n, uint32 *ids)
{
	TreeLocal  *t = &tl;
	bool		any = false;

	Assert(t->ready);
	for (int i = 0; i < n; i++)
	{
		OverlayEnt *e = overlay_active() ?
			overlay_find(keys[i].type, keys[i].id, keys[i].idlen) : NULL;

		ids[i] = RBAC_NO_NODE;
		if (e != NULL)
			ids[i] = e->state == OVS_CREATED ? e->node : RBAC_NO_NODE;
		else if (!ov_truncated)
			any = true;
	}
	if (!any)
		return;
	LWLockAcquire(&t->slot->lock, LW_SHARED);
	map_header(t);
	{
		uint64		pub = pg_atomic_read_u64(&t->slot->version);

		for (int i = 0; i < n; i++)
		{
			if (ids[i] != RBAC_NO_NODE ||
				(overlay_active() && overlay_find(keys[i].type, keys[i].id, keys[i].idlen) != NULL))
				continue;
			ids[i] = hash_find(t, keys[i].type, keys[i].id, keys[i].idlen,
							   key_hash(keys[i].type, keys[i].id, keys[i].idlen), pub);
		}
	}
	LWLockRelease(&t->slot->lock);
}

/* See scopetree.h. */
bool
rbac_tree_node_key(uint32 node, RbacScopeKey *key)
{
	TreeLocal  *t = &tl;
	bool		found = false;

	Assert(t->ready);
	if (ov_ids != NULL)
	{
		OverlayIdEnt *e = hash_search(ov_ids, &node, HASH_FIND, NULL);

		if (e != NULL)
		{
			*key = e->key;
			return true;
		}
	}
	LWLockAcquire(&t->slot->lock, LW_SHARED);
	map_header(t);
	if (node_exists(t, node))
	{
		TreeNode   *n = node_at(t, node);

		{
			memset(key, 0, sizeof(RbacScopeKey));
			key->type = n->type;
			key->idlen = n->idlen;
			memcpy(key->id, n->id, n->idlen);
			found = true;
		}
	}
	LWLockRelease(&t->slot->lock);
	return found;
}

/* Is the chain's path through node? */
static bool
chain_has(const RbacChain *c, uint32 node)
{
	for (uint32 i = 0; i < c->depth; i++)
		if (c->ids[i] == node)
			return true;
	return false;
}

/* See scopetree.h. */
void
rbac_tree_walk(uint32 node, int only_type, RbacTreeVisit visit, void *arg)
{
	TreeLocal  *t = &tl;
	RbacScopeKey *found = NULL;
	int			nfound = 0,
				cap = 0;
	bool		overlay = overlay_active();

	Assert(t->ready);
	/* the committed part, collected under the lock */
	if (!ov_truncated)
	{
		LWLockAcquire(&t->slot->lock, LW_SHARED);
		map_header(t);
		if (node_exists(t, node) && node_visible(node_at(t, node), t->pinned))
		{
			uint32	   *stack = palloc(sizeof(uint32) * 64);
			int			sp = 0,
						scap = 64;

			stack[sp++] = node;
			while (sp > 0)
			{
				uint32		id = stack[--sp];
				TreeNode   *n = node_at(t, id);

				if (!node_visible(n, t->pinned))
					continue;
				if (overlay && overlay_find(n->type, n->id, n->idlen) != NULL)
					continue;	/* deleted (or created again) in this transaction */
				if (only_type < 0 || n->type == only_type)
				{
					if (nfound == cap)
					{
						cap = cap ? cap * 2 : 64;
						found = found ? repalloc_huge(found, sizeof(RbacScopeKey) * cap) :
							palloc(sizeof(RbacScopeKey) * cap);
					}
					memset(&found[nfound], 0, sizeof(RbacScopeKey));
					found[nfound].type = n->type;
					found[nfound].idlen = n->idlen;
					memcpy(found[nfound].id, n->id, n->idlen);
					nfound++;
				}
				if (only_type >= 0 && n->type >= only_type)
					continue;	/* nothing of that type below */
				for (uint32 c = n->first_child; c != RBAC_NO_NODE; c = node_at(t, c)->next_sibling)
				{
					if (sp == scap)
					{
						scap *= 2;
						stack = repalloc(stack, sizeof(uint32) * scap);
					}
					stack[sp++] = c;
				}
			}
			pfree(stack);
		}
		LWLockRelease(&t->slot->lock);
	}
	/* scopes created in this transaction below node */
	if (overlay && ov_keys != NULL)
	{
		HASH_SEQ_STATUS seq;
		OverlayEnt *e;

		hash_seq_init(&seq, ov_keys);
		while ((e = hash_seq_search(&seq)) != NULL)
		{
			RbacChain	c;

			if (e->state != OVS_CREATED || (only_type >= 0 && e->key.type != only_type))
				continue;
			rbac_tree_chain(e->key.type, e->key.id, e->key.idlen, &c);
			if (!chain_has(&c, node))
				continue;
			if (nfound == cap)
			{
				cap = cap ? cap * 2 : 64;
				found = found ? repalloc_huge(found, sizeof(RbacScopeKey) * cap) :
					palloc(sizeof(RbacScopeKey) * cap);
			}
			found[nfound++] = e->key;
		}
	}
	for (int i = 0; i < nfound; i++)
		if (!visit(&found[i], arg))
			break;
	if (found)
		pfree(found);
}

/* See scopetree.h. */
double
rbac_tree_count_below(uint32 node, int only_type)
{
	TreeLocal  *t = &tl;
	double		count = 0;

	Assert(t->ready);
	if (ov_ids != NULL && hash_search(ov_ids, &node, HASH_FIND, NULL) != NULL)
		return 1;				/* created in this transaction: an estimate */
	LWLockAcquire(&t->slot->lock, LW_SHARED);
	map_header(t);
	if (node_exists(t, node))
	{
		TreeNode   *n = node_at(t, node);

		{
			if (only_type < 0)
			{
				count = 1;
				for (int i = 0; i <= RBAC_SCOPE_TYPE_MAX; i++)
					count += n->ndesc[i];
			}
			else if (only_type <= RBAC_SCOPE_TYPE_MAX)
				count = n->ndesc[only_type] + (n->type == only_type ? 1 : 0);
		}
	}
	LWLockRelease(&t->slot->lock);
	return count;
}

/* See scopetree.h. */
void
rbac_tree_stats(RbacTreeStats *st)
{
	TreeLocal  *t = &tl;

	memset(st, 0, sizeof(*st));
	if (!t->ready)
		return;
	st->shared = t->shared;
	st->private_bytes = sizeof(TreeLocal) + sizeof(TreeNode *) * t->chunks_cap +
		(t->memo ? sizeof(MemoEnt) * MEMO_SIZE : 0);
	LWLockAcquire(&t->slot->lock, LW_SHARED);
	map_header(t);
	if (t->hdr != NULL)
	{
		st->scopes = t->hdr->nlive;
		st->syncs = t->hdr->syncs;
		if (t->shared)
			st->shared_bytes = t->hdr->bytes;
		else
			st->private_bytes += t->hdr->bytes;
	}
	LWLockRelease(&t->slot->lock);
}

/* ---------------------------------------------------------------------------
 * The overlay: recording, subtransactions, commit
 * ---------------------------------------------------------------------------
 */

/* Applies one operation to the overlay's hashes. */
static void
overlay_apply_op(const OverlayOp *op)
{
	OverlayEnt *e;
	bool		found;

	if (op->kind == OV_TRUNCATE)
	{
		hash_destroy(ov_keys);
		hash_destroy(ov_ids);
		ov_keys = ov_ids = NULL;
		ov_truncated = true;
	}
	if (ov_keys == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(RbacScopeKey);
		ctl.entrysize = sizeof(OverlayEnt);
		ctl.hcxt = ov_cxt;
		ov_keys = hash_create("runai_rbac scope changes", 64, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		ctl.keysize = sizeof(uint32);
		ctl.entrysize = sizeof(OverlayIdEnt);
		ov_ids = hash_create("runai_rbac scope changes by id", 64, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	if (op->kind == OV_TRUNCATE)
		return;
	e = hash_search(ov_keys, &op->key, HASH_ENTER, &found);
	if (!found)
		e->replaces = false;
	if (found && e->state == OVS_CREATED)
		hash_search(ov_ids, &e->node, HASH_REMOVE, NULL);
	if (op->kind == OV_INSERT)
	{
		OverlayIdEnt *ie = hash_search(ov_ids, &op->node, HASH_ENTER, NULL);

		ie->key = op->key;
		if (found && e->state == OVS_DELETED)
			e->replaces = true;
		e->state = OVS_CREATED;
		e->node = op->node;
		e->parent = op->parent;
		e->has_parent = op->has_parent;
	}
	else
		e->state = OVS_DELETED;
}

/* Rebuilds the overlay's hashes from the list (after a rolled back savepoint). */
static void
overlay_rebuild(void)
{
	if (ov_keys)
		hash_destroy(ov_keys);
	if (ov_ids)
		hash_destroy(ov_ids);
	ov_keys = ov_ids = NULL;
	ov_truncated = false;
	for (int i = 0; i < ov_nops; i++)
		overlay_apply_op(&ov_ops[i]);
}

/* Forgets the transaction's changes. */
static void
overlay_clear(void)
{
	if (ov_cxt != NULL)
		MemoryContextReset(ov_cxt);
	ov_ops = NULL;
	ov_nops = ov_cap = 0;
	ov_keys = ov_ids = NULL;
	ov_truncated = false;
	ov_resync = false;
	ov_relid = InvalidOid;
	memset(&plan, 0, sizeof(plan));
}

/* Records one change of runai.scopes made by this transaction. */
static void
overlay_record(Oid relid, const OverlayOp *op)
{
	if (ov_cxt == NULL)
		ov_cxt = AllocSetContextCreate(TopMemoryContext, "runai_rbac scope changes",
									   ALLOCSET_DEFAULT_SIZES);
	if (OidIsValid(ov_relid) && ov_relid != relid)
	{
		/* the extension was created again in this transaction: start afresh */
		overlay_clear();
		ov_resync = true;
	}
	ov_relid = relid;
	if (ov_nops == ov_cap)
	{
		ov_cap = ov_cap ? ov_cap * 2 : 64;
		ov_ops = ov_ops ? repalloc_huge(ov_ops, sizeof(OverlayOp) * ov_cap) :
			MemoryContextAlloc(ov_cxt, sizeof(OverlayOp) * ov_cap);
	}
	ov_ops[ov_nops] = *op;
	ov_ops[ov_nops].subid = GetCurrentSubTransactionId();
	overlay_apply_op(&ov_ops[ov_nops]);
	ov_nops++;
}

/* Subtransaction callback: changes follow their savepoint. */
static void
tree_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					  SubTransactionId parentSubid, void *arg)
{
	int			i;

	if (ov_nops == 0)
		return;
	if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		for (i = ov_nops - 1; i >= 0 && ov_ops[i].subid == mySubid; i--)
			ov_ops[i].subid = parentSubid;
	}
	else if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		int			n = ov_nops;

		while (n > 0 && ov_ops[n - 1].subid >= mySubid)
			n--;
		if (n != ov_nops)
		{
			ov_nops = n;
			overlay_rebuild();
		}
	}
}

static int
key_level_desc(const void *a, const void *b)
{
	return (int) ((const RbacScopeKey *) b)->type - (int) ((const RbacScopeKey *) a)->type;
}

static int
ent_level_asc(const void *a, const void *b)
{
	return (int) ((const OverlayEnt *) a)->key.type - (int) ((const OverlayEnt *) b)->key.type;
}

/* PRE_COMMIT: what COMMIT will apply, and the shared memory it needs. */
static void
tree_pre_commit(void)
{
	TreeLocal  *t;
	HASH_SEQ_STATUS seq;
	OverlayEnt *e;
	MemoryContext old;
	int			n;

	if (ov_nops == 0 && !ov_resync)
		return;
	memset(&plan, 0, sizeof(plan));
	plan.ready = true;
	if (ov_truncated || ov_resync)
	{
		plan.resync = true;
		return;
	}
	t = tree_attach(true);
	if (!t->shared)
		return;					/* private: the tree is read again anyway */
	if (pg_atomic_read_u32(&t->slot->needs_sync) != 0 ||
		pg_atomic_read_u32(&t->slot->scopes_relid) != ov_relid)
	{
		/*
		 * The tree must be read again (say, the first change after CREATE
		 * EXTENSION): do it now, without this transaction's changes, so that
		 * they can be applied at commit rather than read again after it.
		 */
		Relation	rel = table_open(ov_relid, AccessShareLock);
		bool		new_table = rel->rd_createSubid != InvalidSubTransactionId;

		table_close(rel, AccessShareLock);
		if (!new_table)
		{
			RbacTreeRelids r;

			memset(&r, 0, sizeof(r));
			r.scopes = ov_relid;
			tree_sync(t, &r, false);
		}
	}
	old = MemoryContextSwitchTo(ov_cxt);
	n = (int) hash_get_num_entries(ov_keys);
	plan.del = palloc(sizeof(RbacScopeKey) * Max(n, 1));
	plan.create = palloc(sizeof(OverlayEnt) * Max(n, 1));
	hash_seq_init(&seq, ov_keys);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		/* deleted, or deleted and created again: the committed node goes */
		if (e->state == OVS_DELETED || e->replaces)
			plan.del[plan.ndel++] = e->key;
		if (e->state == OVS_CREATED)
			plan.create[plan.ncreate++] = *e;
	}
	MemoryContextSwitchTo(old);
	qsort(plan.del, plan.ndel, sizeof(RbacScopeKey), key_level_desc);
	qsort(plan.create, plan.ncreate, sizeof(OverlayEnt), ent_level_asc);

	LWLockAcquire(&t->slot->lock, LW_EXCLUSIVE);
	map_header(t);
	if (t->hdr != NULL && pg_atomic_read_u32(&t->slot->needs_sync) == 0 &&
		pg_atomic_read_u32(&t->slot->scopes_relid) == ov_relid)
	{
		for (int i = 0; i < plan.ncreate; i++)
			chunk_ensure(t, plan.create[i].node);
		/* the deleted nodes of the previous changes, while we are at it */
		tree_reclaim(t);
		hash_reserve(t, (uint32) plan.ncreate);
		dead_reserve(t, (uint32) plan.ndel);
		t->hdr->hash_reserved += plan.ncreate;
		t->hdr->dead_reserved += plan.ndel;
		plan.reserved = true;
		plan.reserved_hdr = t->slot->header;
		/* map every chunk now: COMMIT must not map segments */
		map_chunks(t, true);
		(void) hash_slots(t);
		(void) dsa_get_address(t->area, t->hdr->dead);
	}
	LWLockRelease(&t->slot->lock);
}

/* Gives back what PRE_COMMIT reserved (under the exclusive lock). */
static void
release_reservation(TreeLocal *t)
{
	if (plan.reserved && t->hdr != NULL && t->slot->header == plan.reserved_hdr)
	{
		t->hdr->hash_reserved -= plan.ncreate;
		t->hdr->dead_reserved -= plan.ndel;
	}
	plan.reserved = false;
}

/* Applies the plan (exclusive lock); false if something was not as expected. */
static bool
tree_apply_plan(TreeLocal *t)
{
	uint64		v = pg_atomic_read_u64(&t->slot->version) + 1;
	bool		created = false,
				deleted = false;

	release_reservation(t);
	for (int i = 0; i < plan.ndel; i++)
	{
		RbacScopeKey *k = &plan.del[i];
		uint32		n = hash_find(t, k->type, k->id, k->idlen,
								  key_hash(k->type, k->id, k->idlen), LIVE);

		if (n == RBAC_NO_NODE)
			continue;			/* a read of the table since our commit removed it */
		if (has_live_child(t, n))
			return false;		/* replaced while it has children: a full read moves them */
		node_delete(t, n, v, true);
		deleted = true;
	}
	for (int i = 0; i < plan.ncreate; i++)
	{
		OverlayEnt *e = &plan.create[i];
		uint32		parent = RBAC_NO_NODE;
		uint32		existing;

		if (e->has_parent)
		{
			parent = hash_find(t, e->parent.type, e->parent.id, e->parent.idlen,
							   key_hash(e->parent.type, e->parent.id, e->parent.idlen), LIVE);
			if (parent == RBAC_NO_NODE)
				return false;	/* an orphan: a full read leaves it out */
		}
		else if (e->key.type != RBAC_SCOPE_SYSTEM)
			return false;
		existing = hash_find(t, e->key.type, e->key.id, e->key.idlen,
							 key_hash(e->key.type, e->key.id, e->key.idlen), LIVE);
		if (existing != RBAC_NO_NODE)
		{
			/* a read of the table since our commit made it already */
			if (node_at(t, existing)->parent == parent)
				continue;
			return false;
		}
		if (t->hdr->orphans)
			return false;		/* it could adopt rows left out before */
		node_create(t, e->node, &e->key, parent, v, true);
		created = true;
	}
	if (created || deleted)
		tree_publish(t, v, created, deleted);
	if (t->hdr->ndead >= RECLAIM_BATCH)
		tree_reclaim(t);
	return true;
}

/*
 * COMMIT: apply the transaction's changes to the shared tree; see the file
 * header.  Raises no error: on any failure the tree is marked to be read again.
 */
static void
tree_commit(void)
{
	TreeLocal  *t = &tl;

	if (!plan.ready)
		return;
	if (!t->ready || !t->shared)
	{
		if (t->ready)
			pg_atomic_write_u32(&t->slot->needs_sync, 1);
		return;
	}
	PG_TRY();
	{
		LWLockAcquire(&t->slot->lock, LW_EXCLUSIVE);
		map_header(t);
		if (plan.resync || !plan.reserved || t->hdr == NULL ||
			t->slot->header != plan.reserved_hdr ||
			pg_atomic_read_u32(&t->slot->needs_sync) != 0 ||
			pg_atomic_read_u32(&t->slot->scopes_relid) != ov_relid ||
			!tree_apply_plan(t))
		{
			release_reservation(t);
			pg_atomic_write_u32(&t->slot->needs_sync, 1);
		}
		LWLockRelease(&t->slot->lock);
	}
	PG_CATCH();
	{
		/* after the commit nothing may fail: the tree is read again instead */
		FlushErrorState();
		LWLockReleaseAll();
		pg_atomic_write_u32(&t->slot->needs_sync, 1);
	}
	PG_END_TRY();
}

/* Transaction callback: see the file header. */
static void
tree_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			tree_pre_commit();
			break;
		case XACT_EVENT_COMMIT:
			tree_commit();
			overlay_clear();
			tree_unpin();
			break;
		case XACT_EVENT_ABORT:
			if (plan.reserved && tl.ready)
			{
				LWLockAcquire(&tl.slot->lock, LW_EXCLUSIVE);
				map_header(&tl);
				release_reservation(&tl);
				LWLockRelease(&tl.slot->lock);
			}
			overlay_clear();
			tree_unpin();
			break;
		case XACT_EVENT_PRE_PREPARE:
			if ((ov_nops > 0 || ov_resync) && tree_attach(true)->shared)
			{
				TreeLocal  *t = &tl;
				bool		full;

				LWLockAcquire(&t->slot->lock, LW_SHARED);
				map_header(t);
				full = t->hdr != NULL && t->hdr->nprepared >= TREE_MAX_PREPARED;
				LWLockRelease(&t->slot->lock);
				if (full)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("too many prepared transactions changed the scope tree"),
							 errdetail("At most %d prepared transactions that create or delete scopes can wait for COMMIT PREPARED at once.",
									   TREE_MAX_PREPARED),
							 errhint("Commit or roll back some prepared transactions first.")));
				ov_prepare_xid = GetTopTransactionId();
			}
			break;
		case XACT_EVENT_PREPARE:
			if (TransactionIdIsValid(ov_prepare_xid) && tl.ready && tl.shared)
			{
				TreeLocal  *t = &tl;

				LWLockAcquire(&t->slot->lock, LW_EXCLUSIVE);
				map_header(t);
				if (t->hdr != NULL && t->hdr->nprepared < TREE_MAX_PREPARED)
				{
					t->hdr->prepared[t->hdr->nprepared++] = ov_prepare_xid;
					pg_atomic_write_u32(&t->slot->nprepared, t->hdr->nprepared);
				}
				else
					pg_atomic_write_u32(&t->slot->needs_sync, 1);
				LWLockRelease(&t->slot->lock);
			}
			ov_prepare_xid = InvalidTransactionId;
			overlay_clear();
			tree_unpin();
			break;
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			overlay_clear();
			tree_unpin();
			break;
		default:
			break;
	}
}

/* ---------------------------------------------------------------------------
 * The overlay in parallel workers
 * ---------------------------------------------------------------------------
 */

/* See scopetree.h. */
int
rbac_tree_overlay_export(RbacOverlayEntry **entries, bool *truncated)
{
	HASH_SEQ_STATUS seq;
	OverlayEnt *e;
	int			n = 0;

	*truncated = ov_truncated;
	*entries = NULL;
	if (ov_keys == NULL || hash_get_num_entries(ov_keys) == 0)
		return 0;
	*entries = palloc(sizeof(RbacOverlayEntry) * hash_get_num_entries(ov_keys));
	hash_seq_init(&seq, ov_keys);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		RbacOverlayEntry *x = &(*entries)[n++];

		x->key = e->key;
		x->parent = e->parent;
		x->has_parent = e->has_parent;
		x->deleted = e->state == OVS_DELETED;
		x->node = e->node;
	}
	return n;
}

/* See scopetree.h: kept until the worker's first statement attaches the tree. */
void
rbac_tree_overlay_import(const RbacOverlayEntry *entries, int n, bool truncated)
{
	pending_import = MemoryContextAlloc(TopMemoryContext,
										sizeof(RbacOverlayEntry) * Max(n, 1));
	memcpy(pending_import, entries, sizeof(RbacOverlayEntry) * n);
	pending_import_n = n;
	pending_import_truncated = truncated;
}

/* Makes the leader's changes this worker's overlay (none is committed here). */
static void
overlay_import_pending(TreeLocal *t)
{
	Oid			relid = pg_atomic_read_u32(&t->slot->scopes_relid);
	RbacOverlayEntry *entries = pending_import;

	pending_import = NULL;
	overlay_clear();
	if (pending_import_truncated)
	{
		OverlayOp	op;

		memset(&op, 0, sizeof(op));
		op.kind = OV_TRUNCATE;
		overlay_record(relid, &op);
	}
	for (int i = 0; i < pending_import_n; i++)
	{
		OverlayOp	op;

		memset(&op, 0, sizeof(op));
		op.kind = entries[i].deleted ? OV_DELETE : OV_INSERT;
		op.key = entries[i].key;
		op.parent = entries[i].parent;
		op.has_parent = entries[i].has_parent;
		/* private trees number their own nodes */
		op.node = t->shared ? entries[i].node : pg_atomic_fetch_add_u32(&t->slot->next_id, 1);
		overlay_record(relid, &op);
	}
	ov_nops = 0;
	pfree(entries);
}

/* ---------------------------------------------------------------------------
 * The trigger and initialisation
 * ---------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(rbac_tree_trigger);
/*
 * runai._scope_tree_trigger(): AFTER row trigger (INSERT, UPDATE, DELETE) and
 * AFTER TRUNCATE statement trigger of runai.scopes, ENABLE ALWAYS: records the
 * transaction's changes of the tree (see the file header).  A scope's key and
 * parent cannot change: the tree would have to move a whole subtree.
 */
Datum
rbac_tree_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	rel;
	OverlayOp	op;
	AttrNumber	a_scope,
				a_parent;
	bool		isnull;
	Datum		d;
	TreeLocal  *t;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("runai._scope_tree_trigger() must be called as an AFTER trigger")));
	rel = td->tg_relation;
	t = tree_attach(true);
	memset(&op, 0, sizeof(op));
	if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
	{
		op.kind = OV_TRUNCATE;
		overlay_record(RelationGetRelid(rel), &op);
		return PointerGetDatum(NULL);
	}
	if (!TRIGGER_FIRED_FOR_ROW(td->tg_event))
		return PointerGetDatum(NULL);
	a_scope = rbac_catalog_attnum(rel, "scope");
	a_parent = rbac_catalog_attnum(rel, "parent");
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		HeapTuple	o = td->tg_trigtuple,
					n = td->tg_newtuple;
		TupleDesc	desc = RelationGetDescr(rel);
		bool		on,
					nn;
		Datum		os = heap_getattr(o, a_scope, desc, &isnull),
					ns = heap_getattr(n, a_scope, desc, &isnull),
					op_ = heap_getattr(o, a_parent, desc, &on),
					np = heap_getattr(n, a_parent, desc, &nn);
		struct varlena *osv = DatumGetRbacScopePP(os),
				   *nsv = DatumGetRbacScopePP(ns);

		if (rbac_scope_cmp_internal(osv, nsv) != 0 || on != nn ||
			(!on && rbac_scope_cmp_internal(DatumGetRbacScopePP(op_), DatumGetRbacScopePP(np)) != 0))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("the scope or the parent of scope \"%s\" cannot be changed",
							rbac_scope_to_cstring(osv)),
					 errdetail("A scope keeps its place in the tree; only its name can change."),
					 errhint("Rename it with runai.rename_scope, or delete it with runai.delete_scope and create it again with runai.create_scope.")));
		return PointerGetDatum(NULL);
	}
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
	{
		HeapTuple	tup = td->tg_trigtuple;
		TupleDesc	desc = RelationGetDescr(rel);

		op.kind = OV_INSERT;
		key_from_scope(&op.key, heap_getattr(tup, a_scope, desc, &isnull));
		d = heap_getattr(tup, a_parent, desc, &isnull);
		op.has_parent = !isnull;
		if (!isnull)
			key_from_scope(&op.parent, d);
		op.node = pg_atomic_fetch_add_u32(&t->slot->next_id, 1);
		if (op.node == RBAC_NO_NODE || op.node > PG_UINT32_MAX - 1024)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the scope tree has run out of node ids"),
					 errdetail("Every scope ever created since the server started took one of 2^32 ids."),
					 errhint("Restart the server to number the scopes afresh.")));
	}
	else
	{
		op.kind = OV_DELETE;
		key_from_scope(&op.key, heap_getattr(td->tg_trigtuple, a_scope,
											 RelationGetDescr(rel), &isnull));
	}
	overlay_record(RelationGetRelid(rel), &op);
	return PointerGetDatum(NULL);
}

/* See scopetree.h. */
void
rbac_tree_init(void)
{
	if (process_shared_preload_libraries_in_progress)
	{
		prev_shmem_request_hook = shmem_request_hook;
		shmem_request_hook = tree_shmem_request;
		prev_shmem_startup_hook = shmem_startup_hook;
		shmem_startup_hook = tree_shmem_startup;
	}
	RegisterXactCallback(tree_xact_callback, NULL);
	RegisterSubXactCallback(tree_subxact_callback, NULL);
}
