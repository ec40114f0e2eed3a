/*
 * cache.c
 *    The per-backend decision cache.
 *
 * What is cached (all under CacheMemoryContext):
 *  - the "tree" context: resource types, roles, the permission matrix and the scope
 *    tree numbered by a depth-first walk (node n's subtree is n..end[n]), with an
 *    open-addressing hash from scope to node;
 *  - the "subjects" context: database role bindings and, per subject used in this
 *    backend, its RbacGrants: per (resource type, action) slot a sorted set of
 *    granted node intervals.  Slots granted by the same set of roles share one
 *    interval set, so a subject with 1,000 rules of one role costs one set.
 *
 * Invalidation protocol:
 *  - Every change to the extension's tables sends a relcache invalidation for that
 *    table (statement triggers, rbac_cache_changed).  PostgreSQL delivers it to this
 *    backend at its own next command (own changes), at abort (undoing them), and to
 *    other backends once committed, at their next AcceptInvalidationMessages().
 *  - rbac_relcache_callback only sets flags and bumps generations.
 *  - rbac_cache_begin(), at the top of every SQL-callable entry point, calls
 *    AcceptInvalidationMessages() once per statement (so READ COMMITTED sees a
 *    committed revoke at its next statement even if nothing else takes a lock) and
 *    frees what is stale.  Rebuilds happen lazily, reading the tables with a fresh
 *    MVCC snapshot, so they see committed changes and this transaction's own.
 *  - A rebuild records the generation it started from; if an invalidation arrives
 *    while it runs, the result is used for the current call but is stale for the
 *    next one.
 *  - Subject entries remember the earliest expires_at of the rules they used and are
 *    rebuilt once the statement time reaches it, so expired rules stop granting
 *    with a warm cache.
 *  - The tables are found through catalog.h; when its generation changes (the
 *    extension was dropped and created again, or updated), everything is rebuilt.
 *
 * Memory: at most runai.cache_max_subjects subject entries; the least recently
 * used one that the current statement does not hold is evicted first.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_collation_d.h"
#include "common/hashfn.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "storage/sinval.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "cache.h"
#include "catalog.h"
#include "types.h"

int			rbac_cache_max_subjects = 1000;

/* ---------------------------------------------------------------------------
 * State
 * ---------------------------------------------------------------------------
 */

typedef struct RbacNode
{
	uint32		hash;
	uint8		type;
	uint8		idlen;
	const char *id;
	int32		parent;			/* node number of the parent, -1 for the root */
	int32		end;			/* last node number of the subtree */
} RbacNode;

typedef struct RbacTree
{
	int			nresource_types;
	char	   *resource_type_names[RBAC_MAX_RESOURCE_TYPES];
	int			nroles;
	char	   *role_names[RBAC_MAX_ROLES];
	uint8		matrix[RBAC_MAX_ROLES][RBAC_MAX_RESOURCE_TYPES];
	int			nnodes;
	RbacNode   *nodes;			/* in depth-first order: nodes[n] is node n */
	int32	   *slots;			/* hash: node + 1, 0 empty */
	uint32		mask;			/* number of hash slots - 1 */
} RbacTree;

static MemoryContext rbac_cxt = NULL;
static MemoryContext tree_cxt = NULL;
static MemoryContext subj_cxt = NULL;
static RbacTree *tree = NULL;	/* NULL: rebuild on demand */
static HTAB *subjects = NULL;	/* "k:name" -> RbacGrants */
static HTAB *bindings = NULL;	/* role oid -> email; NULL: reload on demand */

static bool tree_stale = true;	/* set by the callback */
static bool subjects_stale = true;
static uint64 data_generation = 1;	/* bumped by every invalidation */
static uint64 ptr_generation = 1;	/* bumped whenever a pointer may dangle */
static uint64 use_epoch = 0;		/* bumped at every rbac_cache_begin() */
static long nsubjects = 0;

static uint64 catalog_generation = 0;	/* of the catalog the cache was read from */
static TimestampTz stmt_ts = 0;
static LocalTransactionId stmt_lxid = InvalidLocalTransactionId;

typedef struct BindingEnt
{
	Oid			role;
	char	   *email;
	char	   *role_name;		/* the role's name when bound; NULL if not recorded */
} BindingEnt;

/* ---------------------------------------------------------------------------
 * Invalidation
 * ---------------------------------------------------------------------------
 */

/* Relcache callback: only flags, see the file header. */
static void
rbac_relcache_callback(Datum arg, Oid relid)
{
	int			r = relid == InvalidOid ? -1 : rbac_catalog_relation_of(relid);

	if (relid == InvalidOid || r == RBAC_REL_SCOPES || r == RBAC_REL_ROLES ||
		r == RBAC_REL_ROLE_PERMISSIONS || r == RBAC_REL_RESOURCE_TYPES)
	{
		tree_stale = true;
		subjects_stale = true;
		data_generation++;
		ptr_generation++;
	}
	else if (r == RBAC_REL_ACCESS_RULES || r == RBAC_REL_USERS ||
			 r == RBAC_REL_GROUP_MEMBERS || r == RBAC_REL_DB_ROLE_BINDINGS ||
			 r == RBAC_REL_SESSIONS || r == RBAC_REL_APPLICATIONS)
	{
		subjects_stale = true;
		data_generation++;
		ptr_generation++;
	}
}

/*
 * Syscache callback for pg_authid: a role was created, renamed, changed or
 * dropped.  Only flags: memos of the current subject are judged again, and
 * rbac_cache_bound_user compares the binding with the role as it is now.
 */
static void
rbac_authid_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	ptr_generation++;
}

/* Registers the callbacks; called once per backend from _PG_init. */
void
rbac_cache_init(void)
{
	CacheRegisterRelcacheCallback(rbac_relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, rbac_authid_callback, (Datum) 0);
}

/*
 * The extension changed one of its tables from C: tell every backend at commit,
 * and this one at once.
 */
void
rbac_cache_changed(Oid relid)
{
	CacheInvalidateRelcacheByRelid(relid);
	rbac_relcache_callback((Datum) 0, relid);
}

/*
 * Start of an SQL-callable entry point: accept invalidations once per statement and
 * free what they made stale.  Pointers from earlier calls are invalid afterwards.
 */
void
rbac_cache_begin(void)
{
	TimestampTz ts = GetCurrentStatementStartTimestamp();
	const RbacCatalog *cat;

	if (ts != stmt_ts || MyProc->lxid != stmt_lxid)
	{
		stmt_ts = ts;
		stmt_lxid = MyProc->lxid;
		AcceptInvalidationMessages();
	}
	use_epoch++;

	/* the extension's tables were dropped, created or moved: nothing cached holds */
	cat = rbac_catalog_lookup();
	if (cat->generation != catalog_generation)
	{
		catalog_generation = cat->generation;
		tree_stale = true;
		subjects_stale = true;
		data_generation++;
		ptr_generation++;
	}

	if (rbac_cxt == NULL)
	{
		rbac_cxt = AllocSetContextCreate(CacheMemoryContext, "runai_rbac cache",
										 ALLOCSET_SMALL_SIZES);
		tree_cxt = AllocSetContextCreate(rbac_cxt, "runai_rbac scope tree",
										 ALLOCSET_DEFAULT_SIZES);
		subj_cxt = AllocSetContextCreate(rbac_cxt, "runai_rbac subjects",
										 ALLOCSET_DEFAULT_SIZES);
	}
	if (tree_stale && tree != NULL)
	{
		MemoryContextReset(tree_cxt);
		tree = NULL;
		ptr_generation++;
	}
	if (subjects_stale && (subjects != NULL || bindings != NULL))
	{
		MemoryContextReset(subj_cxt);
		subjects = NULL;
		bindings = NULL;
		nsubjects = 0;
		ptr_generation++;
	}
	subjects_stale = false;
}

/* Changes whenever a pointer returned by this module may have become invalid. */
uint64
rbac_cache_generation(void)
{
	return ptr_generation;
}

/* The time rules are judged at: the current statement's start. */
TimestampTz
rbac_cache_now(void)
{
	return stmt_ts;
}

/* ---------------------------------------------------------------------------
 * Reading the extension's tables
 * ---------------------------------------------------------------------------
 */

/* OID of one of the extension's relations; raises an error if it is missing. */
static Oid
rel_oid(RbacRelation r)
{
	return rbac_catalog()->rel[r];
}

/*
 * A snapshot that sees every committed change and this transaction's own: a fresh
 * catalog snapshot (GetLatestSnapshot is not allowed in parallel mode).
 */
static Snapshot
fresh_snapshot(void)
{
	InvalidateCatalogSnapshot();
	return RegisterSnapshot(GetCatalogSnapshot(rel_oid(RBAC_REL_SCOPES)));
}

static AttrNumber
attnum_of(Relation rel, const char *name)
{
	AttrNumber	a = get_attnum(RelationGetRelid(rel), name);

	if (a == InvalidAttrNumber)
		elog(ERROR, "runai_rbac: column %s.%s is missing", RelationGetRelationName(rel), name);
	return a;
}

/* A text equality scan key on a heap column, in the index's collation. */
static void
text_key(ScanKey key, Relation index, AttrNumber heap_attno, int index_col, const char *value)
{
	ScanKeyEntryInitialize(key, 0, heap_attno, BTEqualStrategyNumber, InvalidOid,
						   index->rd_indcollation[index_col], F_TEXTEQ,
						   CStringGetTextDatum(value));
}

/* ---------------------------------------------------------------------------
 * The tree: resource types, roles, matrix, scopes
 * ---------------------------------------------------------------------------
 */

static uint32
scope_hash(uint8 type, const char *id, size_t idlen)
{
	return hash_bytes((const unsigned char *) id, (int) idlen) ^ ((uint32) type * 0x9e3779b9U);
}

static int32 *
tree_probe(RbacTree *t, uint8 type, const char *id, size_t idlen, uint32 h)
{
	uint32		i = h & t->mask;

	for (;;)
	{
		int32		v = t->slots[i];

		if (v == 0)
			return &t->slots[i];
		else
		{
			RbacNode   *n = &t->nodes[v - 1];

			if (n->hash == h && n->type == type && n->idlen == idlen &&
				memcmp(n->id, id, idlen) == 0)
				return &t->slots[i];
		}
		i = (i + 1) & t->mask;
	}
}

/* Loads resource types, roles and the matrix into t. */
static void
load_matrix(RbacTree *t, Snapshot snap)
{
	Relation	rel;
	TableScanDesc scan;
	TupleTableSlot *slot;
	bool		isnull;

	rel = table_open(rel_oid(RBAC_REL_RESOURCE_TYPES), AccessShareLock);
	slot = table_slot_create(rel, NULL);
	scan = table_beginscan(rel, snap, 0, NULL);
	{
		AttrNumber	a_id = attnum_of(rel, "id"),
					a_name = attnum_of(rel, "name");

		while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		{
			int			id = DatumGetInt16(slot_getattr(slot, a_id, &isnull));

			if (id < 0 || id >= RBAC_MAX_RESOURCE_TYPES)
				elog(ERROR, "runai_rbac: resource type id %d out of range", id);
			t->resource_type_names[id] =
				MemoryContextStrdup(tree_cxt, TextDatumGetCString(slot_getattr(slot, a_name, &isnull)));
			t->nresource_types = Max(t->nresource_types, id + 1);
		}
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);

	rel = table_open(rel_oid(RBAC_REL_ROLES), AccessShareLock);
	slot = table_slot_create(rel, NULL);
	scan = table_beginscan(rel, snap, 0, NULL);
	{
		AttrNumber	a_id = attnum_of(rel, "id"),
					a_name = attnum_of(rel, "name");

		while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		{
			int			id = DatumGetInt16(slot_getattr(slot, a_id, &isnull));

			if (id < 0 || id >= RBAC_MAX_ROLES)
				elog(ERROR, "runai_rbac: role id %d out of range", id);
			t->role_names[id] =
				MemoryContextStrdup(tree_cxt, TextDatumGetCString(slot_getattr(slot, a_name, &isnull)));
			t->nroles = Max(t->nroles, id + 1);
		}
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);

	rel = table_open(rel_oid(RBAC_REL_ROLE_PERMISSIONS), AccessShareLock);
	slot = table_slot_create(rel, NULL);
	scan = table_beginscan(rel, snap, 0, NULL);
	{
		AttrNumber	a_role = attnum_of(rel, "role_id"),
					a_rt = attnum_of(rel, "resource_type_id"),
					a_act = attnum_of(rel, "actions");

		while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		{
			int			role = DatumGetInt16(slot_getattr(slot, a_role, &isnull));
			int			rt = DatumGetInt16(slot_getattr(slot, a_rt, &isnull));
			uint8		act = DatumGetRbacActionset(slot_getattr(slot, a_act, &isnull));

			if (role < 0 || role >= RBAC_MAX_ROLES || rt < 0 || rt >= RBAC_MAX_RESOURCE_TYPES)
				elog(ERROR, "runai_rbac: permission matrix entry out of range");
			t->matrix[role][rt] = act & RBAC_ACT_ALL;
		}
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);
}

/* Loads the scope tree into t and numbers it depth-first from system. */
static void
load_scopes(RbacTree *t, Snapshot snap)
{
	Relation	rel;
	TableScanDesc scan;
	TupleTableSlot *slot;
	AttrNumber	a_scope,
				a_parent;
	int			cap = 1024,
				n = 0;
	RbacNode   *raw;			/* in table order */
	struct varlena **parents;
	int32	   *parent_idx,
			   *first_child,
			   *next_sibling,
			   *order,
			   *stack;
	int			root = -1;
	uint32		nslots;
	MemoryContext scratch,
				old;

	scratch = AllocSetContextCreate(CurrentMemoryContext, "runai_rbac tree build",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(scratch);

	raw = palloc(sizeof(RbacNode) * cap);
	parents = palloc(sizeof(struct varlena *) * cap);

	rel = table_open(rel_oid(RBAC_REL_SCOPES), AccessShareLock);
	a_scope = attnum_of(rel, "scope");
	a_parent = attnum_of(rel, "parent");
	slot = table_slot_create(rel, NULL);
	scan = table_beginscan(rel, snap, 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		struct varlena *s;
		Datum		p;
		char	   *id;

		if (n == cap)
		{
			cap *= 2;
			raw = repalloc(raw, sizeof(RbacNode) * cap);
			parents = repalloc(parents, sizeof(struct varlena *) * cap);
		}
		s = DatumGetRbacScopePP(slot_getattr(slot, a_scope, &isnull));
		raw[n].type = rbac_scope_type_of(s);
		raw[n].idlen = (uint8) rbac_scope_idlen_of(s);
		id = MemoryContextAlloc(tree_cxt, raw[n].idlen + 1);
		memcpy(id, rbac_scope_id_of(s), raw[n].idlen);
		id[raw[n].idlen] = '\0';
		raw[n].id = id;
		raw[n].hash = scope_hash(raw[n].type, id, raw[n].idlen);
		p = slot_getattr(slot, a_parent, &isnull);
		parents[n] = isnull ? NULL : (struct varlena *) PG_DETOAST_DATUM_COPY(p);
		if (isnull && raw[n].type == RBAC_SCOPE_SYSTEM)
			root = n;
		n++;
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);

	/* Temporary hash over raw order to resolve parents. */
	for (nslots = 16; nslots < (uint32) n * 2; nslots <<= 1)
		;
	t->nodes = raw;
	t->mask = nslots - 1;
	t->slots = palloc0(sizeof(int32) * nslots);
	for (int i = 0; i < n; i++)
		*tree_probe(t, raw[i].type, raw[i].id, raw[i].idlen, raw[i].hash) = i + 1;

	parent_idx = palloc(sizeof(int32) * n);
	first_child = palloc(sizeof(int32) * n);
	next_sibling = palloc(sizeof(int32) * n);
	for (int i = 0; i < n; i++)
		first_child[i] = next_sibling[i] = -1;
	for (int i = n - 1; i >= 0; i--)
	{
		int32		v = 0;

		if (parents[i] != NULL)
		{
			const char *pid = rbac_scope_id_of(parents[i]);
			size_t		plen = rbac_scope_idlen_of(parents[i]);
			uint8		ptype = rbac_scope_type_of(parents[i]);

			v = *tree_probe(t, ptype, pid, plen, scope_hash(ptype, pid, plen));
		}
		parent_idx[i] = v - 1;
		if (v > 0)
		{
			next_sibling[i] = first_child[v - 1];
			first_child[v - 1] = i;
		}
	}

	/* Depth-first numbering from the root; unreachable rows are left out. */
	order = palloc(sizeof(int32) * n);	/* raw index -> node number */
	stack = palloc(sizeof(int32) * (n + 1));
	for (int i = 0; i < n; i++)
		order[i] = -1;
	MemoryContextSwitchTo(tree_cxt);
	t->nodes = palloc(sizeof(RbacNode) * Max(n, 1));
	t->nnodes = 0;
	if (root >= 0)
	{
		int			sp = 0;

		stack[sp++] = root;
		while (sp > 0)
		{
			int			i = stack[--sp];
			int			num = t->nnodes++;

			order[i] = num;
			t->nodes[num] = raw[i];
			t->nodes[num].parent = parent_idx[i] >= 0 ? order[parent_idx[i]] : -1;
			/* push children in reverse so that the first child is numbered first */
			for (int c = first_child[i]; c >= 0; c = next_sibling[c])
				stack[sp++] = c;
		}
		/* subtree ends: walk backwards, each node extends its parent's end */
		for (int num = t->nnodes - 1; num >= 0; num--)
			t->nodes[num].end = num;
		for (int num = t->nnodes - 1; num > 0; num--)
		{
			int			p = t->nodes[num].parent;

			if (t->nodes[num].end > t->nodes[p].end)
				t->nodes[p].end = t->nodes[num].end;
		}
	}

	/* The final hash, over node numbers. */
	t->slots = palloc0(sizeof(int32) * nslots);
	for (int num = 0; num < t->nnodes; num++)
		*tree_probe(t, t->nodes[num].type, t->nodes[num].id, t->nodes[num].idlen,
					t->nodes[num].hash) = num + 1;

	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);
}

/* The tree, rebuilt if an invalidation made it stale. */
static RbacTree *
get_tree(void)
{
	RbacTree   *t;
	Snapshot	snap;
	MemoryContext old;

	if (tree != NULL)
		return tree;
	if (rbac_cxt == NULL)
		rbac_cache_begin();

	(void) rbac_catalog();		/* fails closed when the extension is incomplete */
	tree_stale = false;
	snap = fresh_snapshot();
	old = MemoryContextSwitchTo(tree_cxt);
	t = palloc0(sizeof(RbacTree));
	MemoryContextSwitchTo(old);
	load_matrix(t, snap);
	load_scopes(t, snap);
	UnregisterSnapshot(snap);
	tree = t;
	return t;
}

/* Node number of a scope, -1 if it is not in the tree. */
int
rbac_cache_scope_node(uint8 type, const char *id, size_t idlen)
{
	RbacTree   *t = get_tree();
	int32		v;

	if (idlen > RBAC_SCOPE_ID_MAXLEN)
		return -1;
	v = *tree_probe(t, type, id, idlen, scope_hash(type, id, idlen));
	return v - 1;
}

/* See cache.h: over the depth-first numbering, anc's subtree is anc..end[anc]. */
bool
rbac_cache_scope_covers(const struct varlena *anc, const struct varlena *s)
{
	RbacTree   *t;
	int			a,
				n;

	if (rbac_scope_type_of(anc) == RBAC_SCOPE_SYSTEM)
		return true;
	t = get_tree();
	a = rbac_cache_scope_node(rbac_scope_type_of(anc), rbac_scope_id_of(anc), rbac_scope_idlen_of(anc));
	n = rbac_cache_scope_node(rbac_scope_type_of(s), rbac_scope_id_of(s), rbac_scope_idlen_of(s));
	return a >= 0 && n >= 0 && n >= a && n <= t->nodes[a].end;
}

int
rbac_cache_node_count(void)
{
	return get_tree()->nnodes;
}

/* Describes node n (0 <= n < rbac_cache_node_count()). */
void
rbac_cache_node(int node, uint8 *type, const char **id, size_t *idlen,
				int *parent, int *end)
{
	RbacTree   *t = get_tree();
	RbacNode   *n;

	Assert(node >= 0 && node < t->nnodes);
	n = &t->nodes[node];
	if (type)
		*type = n->type;
	if (id)
		*id = n->id;
	if (idlen)
		*idlen = n->idlen;
	if (parent)
		*parent = n->parent;
	if (end)
		*end = n->end;
}

/* Resource type id by API name, -1 if unknown. */
int
rbac_cache_resource_type(const char *name, size_t len)
{
	RbacTree   *t = get_tree();

	for (int i = 0; i < t->nresource_types; i++)
	{
		const char *n = t->resource_type_names[i];

		if (n != NULL && strncmp(n, name, len) == 0 && n[len] == '\0')
			return i;
	}
	return -1;
}

const char *
rbac_cache_resource_type_name(int rt)
{
	RbacTree   *t = get_tree();

	return (rt >= 0 && rt < t->nresource_types) ? t->resource_type_names[rt] : NULL;
}

int
rbac_cache_resource_type_count(void)
{
	return get_tree()->nresource_types;
}

/* Parses a resource type name or raises 22023; see cache.h. */
int
rbac_resource_type_arg(text *t)
{
	int			rt = rbac_cache_resource_type(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));

	if (rt < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown resource type \"%.*s\"", (int) Min(VARSIZE_ANY_EXHDR(t), 100),
						VARDATA_ANY(t)),
				 errdetail("Resource types are the API names listed in runai.resource_types, such as workloads, project or access_rules."),
				 errhint("SELECT name FROM runai.resource_types lists them.")));
	return rt;
}

/* Parses an action name (view, edit, create, delete; read, update) or raises 22023. */
int
rbac_action_arg(text *t)
{
	int			a = rbac_action_from_name(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));

	if (a == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown action \"%.*s\"", (int) Min(VARSIZE_ANY_EXHDR(t), 100),
						VARDATA_ANY(t)),
				 errdetail("Actions are view, edit, create and delete; read and update are accepted for view and edit."),
				 errhint("Use one of view, edit, create or delete.")));
	return a;
}

/* Role id by name, -1 if unknown. */
int
rbac_cache_role(const char *name, size_t len)
{
	RbacTree   *t = get_tree();

	for (int i = 0; i < t->nroles; i++)
	{
		const char *n = t->role_names[i];

		if (n != NULL && strncmp(n, name, len) == 0 && n[len] == '\0')
			return i;
	}
	return -1;
}

const char *
rbac_cache_role_name(int role)
{
	RbacTree   *t = get_tree();

	return (role >= 0 && role < t->nroles) ? t->role_names[role] : NULL;
}

uint8
rbac_cache_role_actions(int role, int rt)
{
	RbacTree   *t = get_tree();

	if (role < 0 || role >= RBAC_MAX_ROLES || rt < 0 || rt >= RBAC_MAX_RESOURCE_TYPES)
		return 0;
	return t->matrix[role][rt];
}

/* ---------------------------------------------------------------------------
 * Subjects
 * ---------------------------------------------------------------------------
 */

typedef struct RuleRef
{
	int			role;
	RbacInterval iv;
} RuleRef;

typedef struct RuleSet
{
	RuleRef    *rules;
	int			n;
	int			cap;
	TimestampTz next_expiry;
} RuleSet;

/* Appends the unexpired rules of (subject_type, subject) to rs. */
static void
collect_rules(RbacTree *t, Relation rules, Relation idx, Snapshot snap,
			  const char *subject_type, const char *subject, RuleSet *rs)
{
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tup;
	TupleDesc	desc = RelationGetDescr(rules);
	AttrNumber	a_type = attnum_of(rules, "subject_type"),
				a_subject = attnum_of(rules, "subject"),
				a_role = attnum_of(rules, "role_id"),
				a_scope = attnum_of(rules, "scope"),
				a_exp = attnum_of(rules, "expires_at");
	TimestampTz now = rbac_cache_now();

	text_key(&keys[0], idx, a_type, 0, subject_type);
	text_key(&keys[1], idx, a_subject, 1, subject);
	scan = systable_beginscan(rules, RelationGetRelid(idx), true, snap, 2, keys);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		d;
		struct varlena *s;
		int			node;

		d = heap_getattr(tup, a_exp, desc, &isnull);
		if (!isnull)
		{
			TimestampTz exp = DatumGetTimestampTz(d);

			if (exp <= now)
				continue;
			if (exp < rs->next_expiry)
				rs->next_expiry = exp;
		}
		s = DatumGetRbacScopePP(heap_getattr(tup, a_scope, desc, &isnull));
		node = -1;
		{
			uint8		type = rbac_scope_type_of(s);
			const char *id = rbac_scope_id_of(s);
			size_t		idlen = rbac_scope_idlen_of(s);
			int32		v = *tree_probe(t, type, id, idlen, scope_hash(type, id, idlen));

			node = v - 1;
		}
		if (node < 0)
			continue;			/* scope not reachable from the root: grants nothing */
		if (rs->n == rs->cap)
		{
			rs->cap *= 2;
			rs->rules = repalloc(rs->rules, sizeof(RuleRef) * rs->cap);
		}
		rs->rules[rs->n].role = DatumGetInt16(heap_getattr(tup, a_role, desc, &isnull));
		rs->rules[rs->n].iv.lo = (uint32) node;
		rs->rules[rs->n].iv.hi = (uint32) t->nodes[node].end;
		rs->n++;
	}
	systable_endscan(scan);
}

/* The groups of the user with this email (palloc'd list of C strings). */
static List *
user_groups(Snapshot snap, const char *email)
{
	Relation	users,
				uidx,
				members,
				midx;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *groups = NIL;
	bool		found = false;
	pg_uuid_t	uid;

	users = table_open(rel_oid(RBAC_REL_USERS), AccessShareLock);
	uidx = index_open(rel_oid(RBAC_IDX_USERS_EMAIL), AccessShareLock);
	text_key(&key, uidx, attnum_of(users, "email"), 0, email);
	scan = systable_beginscan(users, rel_oid(RBAC_IDX_USERS_EMAIL), true, snap, 1, &key);
	if (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;

		uid = *DatumGetUUIDP(heap_getattr(tup, attnum_of(users, "id"),
										  RelationGetDescr(users), &isnull));
		found = true;
	}
	systable_endscan(scan);
	index_close(uidx, AccessShareLock);
	table_close(users, AccessShareLock);
	if (!found)
		return NIL;

	members = table_open(rel_oid(RBAC_REL_GROUP_MEMBERS), AccessShareLock);
	midx = index_open(rel_oid(RBAC_IDX_GROUP_MEMBERS_PKEY), AccessShareLock);
	ScanKeyInit(&key, attnum_of(members, "user_id"), BTEqualStrategyNumber, F_UUID_EQ,
				UUIDPGetDatum(&uid));
	scan = systable_beginscan(members, rel_oid(RBAC_IDX_GROUP_MEMBERS_PKEY), true, snap, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;

		groups = lappend(groups,
						 TextDatumGetCString(heap_getattr(tup, attnum_of(members, "group_name"),
														  RelationGetDescr(members), &isnull)));
	}
	systable_endscan(scan);
	index_close(midx, AccessShareLock);
	table_close(members, AccessShareLock);
	return groups;
}

/* Fills g (key, kind and name already set) from the tables. */
static void
build_grants(RbacGrants *g)
{
	RbacTree   *t = get_tree();
	Snapshot	snap;
	Relation	rules,
				idx;
	RuleSet		rs;
	MemoryContext scratch,
				old;
	uint32		role_mask_of_slot[RBAC_NSLOTS];
	uint32		masks[RBAC_NSLOTS];
	int			nmasks = 0;
	uint32		present = 0;
	const char *stype = g->kind == RBAC_SUBJECT_USER ? "user" :
		g->kind == RBAC_SUBJECT_GROUP ? "group" : "app";

	uint64		start_generation = data_generation;

	g->generation = 0;			/* not valid until built completely */
	scratch = AllocSetContextCreate(CurrentMemoryContext, "runai_rbac grants build",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(scratch);

	rs.cap = 64;
	rs.n = 0;
	rs.rules = palloc(sizeof(RuleRef) * rs.cap);
	rs.next_expiry = DT_NOEND;

	snap = fresh_snapshot();
	rules = table_open(rel_oid(RBAC_REL_ACCESS_RULES), AccessShareLock);
	idx = index_open(rel_oid(RBAC_IDX_ACCESS_RULES_SUBJECT), AccessShareLock);
	collect_rules(t, rules, idx, snap, stype, g->name, &rs);
	if (g->kind == RBAC_SUBJECT_USER)
	{
		ListCell   *lc;

		foreach(lc, user_groups(snap, g->name))
			collect_rules(t, rules, idx, snap, "group", lfirst(lc), &rs);
	}
	index_close(idx, AccessShareLock);
	table_close(rules, AccessShareLock);
	UnregisterSnapshot(snap);

	/* Which roles grant each slot; slots granted by the same roles share a list. */
	for (int i = 0; i < rs.n; i++)
		present |= UINT32_C(1) << rs.rules[i].role;
	for (int rt = 0; rt < t->nresource_types; rt++)
		for (int a = 0; a < RBAC_NACTIONS; a++)
		{
			uint32		m = 0;

			for (int r = 0; r < t->nroles; r++)
				if ((present & (UINT32_C(1) << r)) && (t->matrix[r][rt] & (1 << a)))
					m |= UINT32_C(1) << r;
			role_mask_of_slot[rt * RBAC_NACTIONS + a] = m;
		}

	MemoryContextSwitchTo(g->cxt);
	memset(g->slot_list, 0xff, sizeof(g->slot_list));
	memset(g->covers_all, 0, sizeof(g->covers_all));
	g->lists = palloc(sizeof(*g->lists) * Max(1, t->nresource_types * RBAC_NACTIONS));
	g->nlists = 0;
	for (int s = 0; s < t->nresource_types * RBAC_NACTIONS; s++)
	{
		uint32		m = role_mask_of_slot[s];
		int			l;

		if (m == 0)
			continue;
		for (l = 0; l < nmasks; l++)
			if (masks[l] == m)
				break;
		if (l == nmasks)
		{
			RbacInterval *iv = palloc(sizeof(RbacInterval) * Max(1, rs.n));
			size_t		n = 0;

			for (int i = 0; i < rs.n; i++)
				if (m & (UINT32_C(1) << rs.rules[i].role))
					iv[n++] = rs.rules[i].iv;
			n = rbac_intervals_normalize(iv, n);
			g->lists[l].iv = iv;
			g->lists[l].n = (uint32) n;
			masks[nmasks++] = m;
			g->nlists = nmasks;
		}
		g->slot_list[s] = (int16) l;
		if (g->lists[l].n > 0 && g->lists[l].iv[0].lo == 0)
			g->covers_all[s / 64] |= UINT64_C(1) << (s % 64);
	}
	g->nrules = rs.n;
	g->next_expiry = rs.next_expiry;
	g->generation = start_generation;

	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);
}

/* Evicts the least recently used entry not used by the current call. */
static void
evict_one(void)
{
	HASH_SEQ_STATUS st;
	RbacGrants *g,
			   *victim = NULL;

	hash_seq_init(&st, subjects);
	while ((g = hash_seq_search(&st)) != NULL)
		if (g->last_used != use_epoch && (victim == NULL || g->last_used < victim->last_used))
			victim = g;
	if (victim == NULL)
		return;
	MemoryContextDelete(victim->cxt);
	hash_search(subjects, victim->key, HASH_REMOVE, NULL);
	nsubjects--;
	ptr_generation++;
}

/*
 * The grants of a subject, built or rebuilt as needed.  name is the normalised
 * name (emails lower-case), len its length.
 */
RbacGrants *
rbac_cache_grants(RbacSubjectKind kind, const char *name, size_t len)
{
	char		key[RBAC_SUBJECT_NAME_MAX + 3];
	RbacGrants *g;
	bool		found;

	if (len > RBAC_SUBJECT_NAME_MAX)
		len = RBAC_SUBJECT_NAME_MAX;	/* longer names cannot exist in the catalog */
	(void) get_tree();
	if (subjects == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(key);
		ctl.entrysize = sizeof(RbacGrants);
		ctl.hcxt = subj_cxt;
		subjects = hash_create("runai_rbac subjects", 64, &ctl,
							   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	memset(key, 0, sizeof(key));
	key[0] = (char) kind;
	key[1] = ':';
	memcpy(key + 2, name, len);

	g = hash_search(subjects, key, HASH_FIND, NULL);
	if (g != NULL)
	{
		g->last_used = use_epoch;
		if (g->generation == data_generation && rbac_cache_now() < g->next_expiry)
			return g;
		/* rebuilt in place: what callers derived from the old contents is stale */
		MemoryContextReset(g->cxt);
		ptr_generation++;
		build_grants(g);
		return g;
	}

	if (nsubjects >= rbac_cache_max_subjects)
		evict_one();
	g = hash_search(subjects, key, HASH_ENTER, &found);
	g->kind = kind;
	g->name = g->key + 2;
	g->last_used = use_epoch;
	g->cxt = AllocSetContextCreate(subj_cxt, "runai_rbac subject", ALLOCSET_SMALL_SIZES);
	nsubjects++;
	PG_TRY();
	{
		build_grants(g);
	}
	PG_CATCH();
	{
		MemoryContextDelete(g->cxt);
		hash_search(subjects, key, HASH_REMOVE, NULL);
		nsubjects--;
		PG_RE_THROW();
	}
	PG_END_TRY();
	return g;
}

/* The interval set of a slot. */
const RbacInterval *
rbac_grants_intervals(const RbacGrants *g, int rt, int action_bit, size_t *n)
{
	int			l = g->slot_list[rt * RBAC_NACTIONS + rbac_action_index(action_bit)];

	if (l < 0)
	{
		*n = 0;
		return NULL;
	}
	*n = g->lists[l].n;
	return g->lists[l].iv;
}

/* ---------------------------------------------------------------------------
 * Database role bindings
 * ---------------------------------------------------------------------------
 */

/* Loads every binding with its user's email. */
static void
load_bindings(void)
{
	Snapshot	snap;
	Relation	b,
				users;
	TableScanDesc scan;
	TupleTableSlot *slot;
	HASHCTL		ctl;
	HTAB	   *h;
	AttrNumber	a_role,
				a_name,
				a_user,
				a_uid,
				a_email;

	(void) get_tree();
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(BindingEnt);
	ctl.hcxt = subj_cxt;
	h = hash_create("runai_rbac bindings", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	snap = fresh_snapshot();
	b = table_open(rel_oid(RBAC_REL_DB_ROLE_BINDINGS), AccessShareLock);
	users = table_open(rel_oid(RBAC_REL_USERS), AccessShareLock);
	a_role = attnum_of(b, "db_role");
	/* 0.1.0 did not record the role's name */
	a_name = get_attnum(RelationGetRelid(b), "db_role_name");
	a_user = attnum_of(b, "user_id");
	a_uid = attnum_of(users, "id");
	a_email = attnum_of(users, "email");
	slot = table_slot_create(b, NULL);
	scan = table_beginscan(b, snap, 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Oid			role = DatumGetObjectId(slot_getattr(slot, a_role, &isnull));
		Datum		uid = slot_getattr(slot, a_user, &isnull);
		ScanKeyData key;
		SysScanDesc uscan;
		HeapTuple	tup;

		ScanKeyInit(&key, a_uid, BTEqualStrategyNumber, F_UUID_EQ, uid);
		uscan = systable_beginscan(users, rel_oid(RBAC_IDX_USERS_PKEY),
								   true, snap, 1, &key);
		if (HeapTupleIsValid(tup = systable_getnext(uscan)))
		{
			BindingEnt *e = hash_search(h, &role, HASH_ENTER, NULL);
			bool		name_null = true;
			Datum		name = a_name == InvalidAttrNumber ? (Datum) 0 :
				slot_getattr(slot, a_name, &name_null);

			e->email = MemoryContextStrdup(subj_cxt,
										   TextDatumGetCString(heap_getattr(tup, a_email,
																			RelationGetDescr(users), &isnull)));
			e->role_name = name_null ? NULL :
				MemoryContextStrdup(subj_cxt, TextDatumGetCString(name));
		}
		systable_endscan(uscan);
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(users, AccessShareLock);
	table_close(b, AccessShareLock);
	UnregisterSnapshot(snap);
	bindings = h;
}

/*
 * The email of the user bound to a database role, or NULL (not copied).  A
 * binding counts only while its role exists under the name it was bound with: a
 * role dropped in another database keeps its binding here until the next binding
 * change, and its OID may have been given to a new role since.
 */
char *
rbac_cache_bound_user(Oid roleid)
{
	BindingEnt *e;
	HeapTuple	tup;
	bool		same;

	if (bindings == NULL)
		load_bindings();
	e = hash_search(bindings, &roleid, HASH_FIND, NULL);
	if (e == NULL)
		return NULL;
	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(roleid));
	if (!HeapTupleIsValid(tup))
		return NULL;
	same = e->role_name == NULL ||
		strcmp(NameStr(((Form_pg_authid) GETSTRUCT(tup))->rolname), e->role_name) == 0;
	ReleaseSysCache(tup);
	return same ? e->email : NULL;
}

/* ---------------------------------------------------------------------------
 * Introspection
 * ---------------------------------------------------------------------------
 */

/* Sizes of the cache, for runai.cache_stats(). */
void
rbac_cache_stats(RbacCacheStats *st)
{
	memset(st, 0, sizeof(*st));
	st->max_subjects = rbac_cache_max_subjects;
	st->subjects = nsubjects;
	if (tree != NULL)
		st->scopes = tree->nnodes;
	if (tree_cxt != NULL)
		st->tree_bytes = MemoryContextMemAllocated(tree_cxt, true);
	if (subj_cxt != NULL)
		st->subject_bytes = MemoryContextMemAllocated(subj_cxt, true);
	if (subjects != NULL)
	{
		HASH_SEQ_STATUS seq;
		RbacGrants *g;

		hash_seq_init(&seq, subjects);
		while ((g = hash_seq_search(&seq)) != NULL)
		{
			size_t		b = MemoryContextMemAllocated(g->cxt, true) + sizeof(RbacGrants);

			if ((int64) b > st->largest_subject_bytes)
				st->largest_subject_bytes = b;
		}
	}
}
