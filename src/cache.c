/*
 * cache.c
 *    The per-backend decision cache.
 *
 * What is cached (under CacheMemoryContext):
 *  - per subject used in this backend, its RbacGrants: per (resource type,
 *    action) slot a sorted set of granting node ids of the scope tree.  Slots
 *    granted by the same set of roles share one set, so a subject with 1,000
 *    rules of one role costs one set of 1,000 ids;
 *  - database role bindings.
 * The scope tree, resource types, roles and the permission matrix are the
 * scope tree module's (scopetree.h): in shared memory, built once per change.
 *
 * Invalidation protocol:
 *  - Every change to the extension's tables sends a relcache invalidation for that
 *    table's signal (statement triggers, rbac_cache_changed; catalog.h: a relation
 *    that no plan reads, so that the plans that read the table are kept; a database
 *    still at 0.1.0 invalidates the table itself).  PostgreSQL delivers it to this
 *    backend at its own next command (own changes), at abort (undoing them), and to
 *    other backends once committed, at their next AcceptInvalidationMessages().  A
 *    transaction's invalidations are sent after its commit is visible and after the
 *    scope tree applied its changes (scopetree.c), whatever relation they name.
 *  - rbac_relcache_callback only sets flags and bumps generations.
 *  - rbac_cache_begin(), at the top of every SQL-callable entry point, calls
 *    AcceptInvalidationMessages() once per statement (so READ COMMITTED sees a
 *    committed revoke at its next statement even if nothing else takes a lock),
 *    pins the statement's version of the scope tree, and frees what is stale.
 *    Grants are rebuilt lazily, reading the tables with a fresh MVCC snapshot, so
 *    they see committed changes and this transaction's own.
 *  - A change of runai.scopes does not touch grants: node ids are stable, and
 *    the tree follows the change by itself (scopetree.c).
 *  - A rebuild records the generation it started from; if an invalidation arrives
 *    while it runs, the result is used for the current call but is stale for the
 *    next one.
 *  - Subject entries remember the earliest expires_at of the rules they used and are
 *    rebuilt once the statement time reaches it, so expired rules stop granting
 *    with a warm cache.
 *  - The tables are found through catalog.h; when its generation changes (the
 *    extension was dropped and created again, or updated), everything is rebuilt.
 *  - Grants are immutable: a rebuild makes a new object.  One that the current
 *    statement holds (rbac_cache_hold: row-level security and parallel workers
 *    judge a statement with the grants of its start) is freed when the next
 *    statement begins, any other at once.
 *
 * Memory: at most runai.cache_max_subjects subject entries; the least recently
 * used one that the current statement does not use is evicted first.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/itup.h"
#include "access/visibilitymap.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_collation_d.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/proc.h"
#include "utils/acl.h"
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

/* A subject's entry: the hash key and its current grants. */
typedef struct SubjectEnt
{
	char		key[RBAC_SUBJECT_NAME_MAX + 3]; /* "u:<email>": hash key, first */
	RbacGrants *g;
} SubjectEnt;

static MemoryContext rbac_cxt = NULL;
static MemoryContext subj_cxt = NULL;	/* the hash tables and bindings */
static HTAB *subjects = NULL;	/* "k:name" -> SubjectEnt */
static HTAB *bindings = NULL;	/* role oid -> email; NULL: reload on demand */
static List *retired = NIL;		/* grants held by the statement, freed at the next */

static bool subjects_stale = true;
static bool bindings_stale = true;
static uint64 data_generation = 1;	/* bumped by every invalidation */
static uint64 ptr_generation = 1;	/* bumped whenever a pointer may dangle */
static uint64 use_epoch = 0;		/* bumped at every rbac_cache_begin() */
static uint64 stmt_serial = 0;		/* bumped at every statement */
static long nsubjects = 0;
static uint64 worker_pin = 0;
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
	int			r = relid == InvalidOid ? -1 : rbac_catalog_changed_relation(relid);

	if (relid == InvalidOid)
	{
		rbac_tree_scopes_invalidated();
		rbac_tree_matrix_invalidated();
		subjects_stale = true;
		bindings_stale = true;
		data_generation++;
		ptr_generation++;
	}
	else if (r == RBAC_REL_SCOPES)
		rbac_tree_scopes_invalidated();
	else if (r == RBAC_REL_ROLES || r == RBAC_REL_ROLE_PERMISSIONS ||
			 r == RBAC_REL_RESOURCE_TYPES)
	{
		rbac_tree_matrix_invalidated();
		subjects_stale = true;
		data_generation++;
		ptr_generation++;
	}
	else if (r == RBAC_REL_ACCESS_RULES || r == RBAC_REL_USERS ||
			 r == RBAC_REL_GROUP_MEMBERS || r == RBAC_REL_DB_ROLE_BINDINGS ||
			 r == RBAC_REL_APPLICATIONS)
	{
		/* (runai_internal.sessions decides no grants: session.c follows it itself) */
		subjects_stale = true;
		if (r == RBAC_REL_USERS || r == RBAC_REL_DB_ROLE_BINDINGS)
			bindings_stale = true;
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

/* The catalog unit's relcache listener (catalog.h). */
static void
rbac_relcache_listener(Oid relid)
{
	rbac_relcache_callback((Datum) 0, relid);
}

/* Registers the callbacks; called once per backend from _PG_init. */
void
rbac_cache_init(void)
{
	rbac_catalog_on_relcache(rbac_relcache_listener);
	CacheRegisterSyscacheCallback(AUTHOID, rbac_authid_callback, (Datum) 0);
}

/*
 * One of the extension's tables changed: tell every backend at commit, and this
 * one at once, with an invalidation of the table's signal (catalog.h).
 */
void
rbac_cache_changed(Oid relid)
{
	const RbacCatalog *cat = rbac_catalog_lookup();
	int			r = rbac_catalog_relation_of(relid);
	Oid			target = r >= 0 ? rbac_catalog_announcer(cat, (RbacRelation) r) : relid;

	CacheInvalidateRelcacheByRelid(target);
	rbac_relcache_callback((Datum) 0, target);
}

/* OID of one of the extension's relations; raises an error if it is missing. */
static Oid
rel_oid(RbacRelation r)
{
	return rbac_catalog()->rel[r];
}

/* See cache.h. */
bool
rbac_cache_extension_present(void)
{
	return rbac_catalog_lookup()->layout != RBAC_LAYOUT_NONE;
}

/* ---------------------------------------------------------------------------
 * Statements
 * ---------------------------------------------------------------------------
 */

/* Frees grants (their context holds everything). */
static void
grants_free(RbacGrants *g)
{
	MemoryContextDelete(g->cxt);
}

/* Drops grants from the cache: at once, or at the next statement if held. */
static void
grants_retire(RbacGrants *g)
{
	if (g->held_by == stmt_serial)
	{
		MemoryContext old = MemoryContextSwitchTo(rbac_cxt);

		retired = lappend(retired, g);
		MemoryContextSwitchTo(old);
	}
	else
		grants_free(g);
}

/* Retires every subject (the tables changed), and the bindings if they changed. */
static void
drop_subjects(void)
{
	if (subjects != NULL)
	{
		HASH_SEQ_STATUS seq;
		SubjectEnt *e;

		hash_seq_init(&seq, subjects);
		while ((e = hash_seq_search(&seq)) != NULL)
			grants_retire(e->g);
	}
	if (subjects != NULL)
		hash_destroy(subjects);
	subjects = NULL;
	nsubjects = 0;
	if (bindings_stale)
	{
		MemoryContextReset(subj_cxt);
		bindings = NULL;
		bindings_stale = false;
	}
	ptr_generation++;
}

/*
 * Start of an SQL-callable entry point: accept invalidations once per statement,
 * pin the statement's scope tree, and free what invalidations made stale.
 * Pointers from earlier calls are invalid afterwards.
 */
void
rbac_cache_begin(void)
{
	TimestampTz ts = GetCurrentStatementStartTimestamp();

	if (rbac_cxt == NULL)
	{
		rbac_cxt = AllocSetContextCreate(CacheMemoryContext, "runai_rbac cache",
										 ALLOCSET_SMALL_SIZES);
		subj_cxt = AllocSetContextCreate(rbac_cxt, "runai_rbac subjects",
										 ALLOCSET_DEFAULT_SIZES);
	}
	/* the extension's tables were dropped, created or moved: nothing cached holds */
	if (rbac_catalog_lookup()->generation != catalog_generation)
	{
		catalog_generation = rbac_catalog_lookup()->generation;
		rbac_tree_scopes_invalidated();
		rbac_tree_matrix_invalidated();
		subjects_stale = true;
		bindings_stale = true;
		data_generation++;
		ptr_generation++;
	}
	if (ts != stmt_ts || MyProc->lxid != stmt_lxid)
	{
		const RbacCatalog *cat;
		RbacTreeRelids tr;

		stmt_ts = ts;
		stmt_lxid = MyProc->lxid;
		stmt_serial++;
		AcceptInvalidationMessages();
		if (retired != NIL)
		{
			ListCell   *lc;

			foreach(lc, retired)
				grants_free((RbacGrants *) lfirst(lc));
			list_free(retired);
			retired = NIL;
		}
		cat = rbac_catalog();	/* fails closed when the extension is incomplete */
		if (cat->generation != catalog_generation)
		{
			catalog_generation = cat->generation;
			subjects_stale = true;
			bindings_stale = true;
			data_generation++;
			ptr_generation++;
		}
		tr.scopes = cat->rel[RBAC_REL_SCOPES];
		tr.resource_types = cat->rel[RBAC_REL_RESOURCE_TYPES];
		tr.roles = cat->rel[RBAC_REL_ROLES];
		tr.role_permissions = cat->rel[RBAC_REL_ROLE_PERMISSIONS];
		/* the tree's row triggers on runai_internal.scopes came with 0.2.0 */
		tr.triggers = cat->layout >= RBAC_LAYOUT_0_2;
		if (rbac_tree_begin_statement(&tr, worker_pin))
			ptr_generation++;
		worker_pin = 0;
	}
	use_epoch++;

	if ((subjects_stale && subjects != NULL) || (bindings_stale && bindings != NULL))
		drop_subjects();
	subjects_stale = false;
}

/* Changes whenever a pointer returned by this module may have become invalid. */
uint64
rbac_cache_generation(void)
{
	return ptr_generation;
}

/* See cache.h. */
uint64
rbac_cache_statement(void)
{
	return stmt_serial;
}

/* The time rules are judged at: the current statement's start. */
TimestampTz
rbac_cache_now(void)
{
	return stmt_ts;
}

/* See cache.h. */
void
rbac_cache_worker_pin(uint64 version)
{
	worker_pin = version;
}

/* See cache.h. */
void
rbac_cache_hold(RbacGrants *g)
{
	g->held_by = stmt_serial;
}

/* ---------------------------------------------------------------------------
 * Reading the extension's tables
 * ---------------------------------------------------------------------------
 */

/*
 * A snapshot that sees every committed change and this transaction's own: a fresh
 * catalog snapshot (GetLatestSnapshot is not allowed in parallel mode).
 */
static Snapshot
fresh_snapshot(void)
{
	InvalidateCatalogSnapshot();
	return RegisterSnapshot(GetCatalogSnapshot(rel_oid(RBAC_REL_ACCESS_RULES)));
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
 * The catalog and the tree
 * ---------------------------------------------------------------------------
 */

/* Resource type id by API name, -1 if unknown. */
int
rbac_cache_resource_type(const char *name, size_t len)
{
	const RbacMatrix *c = rbac_tree_matrix();

	if (len >= RBAC_CATALOG_NAME_MAX)
		return -1;
	for (int i = 0; i < c->nresource_types; i++)
	{
		const char *n = c->resource_type_names[i];

		if (n[0] != '\0' && strncmp(n, name, len) == 0 && n[len] == '\0')
			return i;
	}
	return -1;
}

const char *
rbac_cache_resource_type_name(int rt)
{
	const RbacMatrix *c = rbac_tree_matrix();

	return (rt >= 0 && rt < c->nresource_types && c->resource_type_names[rt][0] != '\0') ?
		c->resource_type_names[rt] : NULL;
}

int
rbac_cache_resource_type_count(void)
{
	return rbac_tree_matrix()->nresource_types;
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
	const RbacMatrix *c = rbac_tree_matrix();

	if (len >= RBAC_CATALOG_NAME_MAX)
		return -1;
	for (int i = 0; i < c->nroles; i++)
	{
		const char *n = c->role_names[i];

		if (n[0] != '\0' && strncmp(n, name, len) == 0 && n[len] == '\0')
			return i;
	}
	return -1;
}

const char *
rbac_cache_role_name(int role)
{
	const RbacMatrix *c = rbac_tree_matrix();

	return (role >= 0 && role < c->nroles && c->role_names[role][0] != '\0') ?
		c->role_names[role] : NULL;
}

uint8
rbac_cache_role_actions(int role, int rt)
{
	if (role < 0 || role >= RBAC_MAX_ROLES || rt < 0 || rt >= RBAC_MAX_RESOURCE_TYPES)
		return 0;
	return rbac_tree_matrix()->matrix[role][rt];
}

/* See cache.h. */
void
rbac_cache_scope_chain(const struct varlena *scope, RbacChain *chain)
{
	rbac_tree_chain(rbac_scope_type_of(scope), rbac_scope_id_of(scope),
					rbac_scope_idlen_of(scope), chain);
}

/* See cache.h: anc's node is on s's chain. */
bool
rbac_cache_scope_covers(const struct varlena *anc, const struct varlena *s)
{
	RbacChain	ac,
				sc;

	if (rbac_scope_type_of(anc) == RBAC_SCOPE_SYSTEM)
		return true;
	rbac_cache_scope_chain(anc, &ac);
	if (ac.depth == 0)
		return false;
	rbac_cache_scope_chain(s, &sc);
	for (uint32 i = 0; i < sc.depth; i++)
		if (sc.ids[i] == ac.ids[0])
			return true;
	return false;
}

/* ---------------------------------------------------------------------------
 * Subjects
 * ---------------------------------------------------------------------------
 */

typedef struct RuleRef
{
	int			role;
	RbacScopeKey scope;
} RuleRef;

typedef struct RuleSet
{
	RuleRef    *rules;
	int			n;
	int			cap;
	TimestampTz next_expiry;
} RuleSet;

/*
 * Appends the unexpired rules of (subject_type, subject) to rs, read from the
 * index on (subject_type, subject, role_id, scope) INCLUDE (expires_at) alone
 * where the visibility map says the heap page is all-visible (an index-only
 * scan, as nodeIndexonlyscan.c does); other entries are checked in the heap.  A
 * database still at 0.1.0 has the index without expires_at: the heap is read.
 */
static void
collect_rules(Relation rules, Relation idx, Snapshot snap,
			  const char *subject_type, const char *subject, RuleSet *rs,
			  Buffer *vmbuf, TupleTableSlot *heapslot)
{
	ScanKeyData keys[2];
	IndexScanDesc scan;
	ItemPointer tid;
	TimestampTz now = rbac_cache_now();
	bool		expiry_in_index = IndexRelationGetNumberOfAttributes(idx) >= 5;
	AttrNumber	a_exp = rbac_catalog_attnum(rules, "expires_at");

	/* index columns: subject_type, subject, role_id, scope[, expires_at] */
	ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
						   idx->rd_indcollation[0], F_TEXTEQ, CStringGetTextDatum(subject_type));
	ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
						   idx->rd_indcollation[1], F_TEXTEQ, CStringGetTextDatum(subject));
	scan = index_beginscan(rules, idx, snap, 2, 0);
	scan->xs_want_itup = true;
	index_rescan(scan, keys, 2, NULL, 0);
	while ((tid = index_getnext_tid(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		d;
		struct varlena *s;
		RuleRef    *r;
		size_t		idlen;

		if (!expiry_in_index || !VM_ALL_VISIBLE(rules, ItemPointerGetBlockNumber(tid), vmbuf))
		{
			if (!index_fetch_heap(scan, heapslot))
				continue;		/* not visible to the snapshot */
			d = expiry_in_index ? index_getattr(scan->xs_itup, 5, scan->xs_itupdesc, &isnull) :
				slot_getattr(heapslot, a_exp, &isnull);
			ExecClearTuple(heapslot);
		}
		else
			d = index_getattr(scan->xs_itup, 5, scan->xs_itupdesc, &isnull);
		if (!isnull)
		{
			TimestampTz exp = DatumGetTimestampTz(d);

			if (exp <= now)
				continue;
			if (exp < rs->next_expiry)
				rs->next_expiry = exp;
		}
		s = DatumGetRbacScopePP(index_getattr(scan->xs_itup, 4, scan->xs_itupdesc, &isnull));
		idlen = rbac_scope_idlen_of(s);
		if (idlen > RBAC_SCOPE_ID_MAXLEN)
			continue;
		if (rs->n == rs->cap)
		{
			rs->cap *= 2;
			rs->rules = repalloc_huge(rs->rules, sizeof(RuleRef) * rs->cap);
		}
		r = &rs->rules[rs->n++];
		r->role = DatumGetInt16(index_getattr(scan->xs_itup, 3, scan->xs_itupdesc, &isnull));
		memset(&r->scope, 0, sizeof(RbacScopeKey));
		r->scope.type = rbac_scope_type_of(s);
		r->scope.idlen = (uint8) idlen;
		memcpy(r->scope.id, rbac_scope_id_of(s), idlen);
	}
	index_endscan(scan);
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
	text_key(&key, uidx, rbac_catalog_attnum(users, "email"), 0, email);
	scan = systable_beginscan(users, rel_oid(RBAC_IDX_USERS_EMAIL), true, snap, 1, &key);
	if (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;

		uid = *DatumGetUUIDP(heap_getattr(tup, rbac_catalog_attnum(users, "id"),
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
	ScanKeyInit(&key, rbac_catalog_attnum(members, "user_id"), BTEqualStrategyNumber, F_UUID_EQ,
				UUIDPGetDatum(&uid));
	scan = systable_beginscan(members, rel_oid(RBAC_IDX_GROUP_MEMBERS_PKEY), true, snap, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;

		groups = lappend(groups,
						 TextDatumGetCString(heap_getattr(tup, rbac_catalog_attnum(members, "group_name"),
														  RelationGetDescr(members), &isnull)));
	}
	systable_endscan(scan);
	index_close(midx, AccessShareLock);
	table_close(members, AccessShareLock);
	return groups;
}

/* A new, empty grants object in its own context under parent. */
static RbacGrants *
grants_new(MemoryContext parent, RbacSubjectKind kind, const char *name, size_t len)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "runai_rbac subject",
											  ALLOCSET_SMALL_SIZES);
	RbacGrants *g = MemoryContextAllocZero(cxt, sizeof(RbacGrants));

	g->cxt = cxt;
	g->kind = kind;
	memcpy(g->name, name, Min(len, RBAC_SUBJECT_NAME_MAX));
	memset(g->slot_list, 0xff, sizeof(g->slot_list));
	g->next_expiry = DT_NOEND;
	return g;
}

/*
 * Fills g's lists from rules: per slot, the nodes of the rules whose role grants
 * it; slots granted by the same roles share a list.  ids[i] is rule i's node.
 */
static void
fill_lists(RbacGrants *g, const RuleRef *rules, const uint32 *ids, int n)
{
	const RbacMatrix *cat = rbac_tree_matrix();
	uint32		role_mask_of_slot[RBAC_NSLOTS];
	uint32		masks[RBAC_NSLOTS];
	uint32		root_mask = 0;
	int			nmasks = 0;
	uint32		present = 0;
	int			nslots = cat->nresource_types * RBAC_NACTIONS;
	MemoryContext old;

	for (int i = 0; i < n; i++)
	{
		present |= UINT32_C(1) << rules[i].role;
		if (rules[i].scope.type == RBAC_SCOPE_SYSTEM)
			root_mask |= UINT32_C(1) << rules[i].role;
	}
	for (int rt = 0; rt < cat->nresource_types; rt++)
		for (int a = 0; a < RBAC_NACTIONS; a++)
		{
			uint32		m = 0;

			for (int r = 0; r < cat->nroles; r++)
				if ((present & (UINT32_C(1) << r)) && (cat->matrix[r][rt] & (1 << a)))
					m |= UINT32_C(1) << r;
			role_mask_of_slot[rt * RBAC_NACTIONS + a] = m;
		}

	old = MemoryContextSwitchTo(g->cxt);
	g->lists = palloc(sizeof(RbacGrantList) * Max(1, nslots));
	g->nlists = 0;
	for (int s = 0; s < nslots; s++)
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
			uint32	   *list = palloc(sizeof(uint32) * Max(1, n));
			size_t		k = 0;

			for (int i = 0; i < n; i++)
				if ((m & (UINT32_C(1) << rules[i].role)) && ids[i] != RBAC_NO_NODE)
					list[k++] = ids[i];
			k = rbac_nodeset_normalize(list, k);
			g->lists[l].ids = k > 0 ? repalloc(list, sizeof(uint32) * k) : list;
			g->lists[l].n = (uint32) k;
			masks[nmasks++] = m;
			g->nlists = nmasks;
		}
		g->slot_list[s] = (int16) l;
		if (m & root_mask)
			g->covers_all[s / 64] |= UINT64_C(1) << (s % 64);
	}
	MemoryContextSwitchTo(old);
}

/* Fills g (kind and name already set) from the tables. */
static void
build_grants(RbacGrants *g)
{
	Snapshot	snap;
	Relation	rules,
				idx;
	RuleSet		rs;
	MemoryContext scratch,
				old;
	uint32	   *ids;
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
	{
		Buffer		vmbuf = InvalidBuffer;
		TupleTableSlot *heapslot = table_slot_create(rules, NULL);

		collect_rules(rules, idx, snap, stype, g->name, &rs, &vmbuf, heapslot);
		if (g->kind == RBAC_SUBJECT_USER)
		{
			ListCell   *lc;

			foreach(lc, user_groups(snap, g->name))
				collect_rules(rules, idx, snap, "group", lfirst(lc), &rs, &vmbuf, heapslot);
		}
		if (BufferIsValid(vmbuf))
			ReleaseBuffer(vmbuf);
		ExecDropSingleTupleTableSlot(heapslot);
	}
	index_close(idx, AccessShareLock);
	table_close(rules, AccessShareLock);
	UnregisterSnapshot(snap);

	/* the rules' scopes as nodes, under one lock of the tree */
	{
		RbacScopeKey *keys = palloc(sizeof(RbacScopeKey) * Max(1, rs.n));

		for (int i = 0; i < rs.n; i++)
			keys[i] = rs.rules[i].scope;
		ids = palloc(sizeof(uint32) * Max(1, rs.n));
		rbac_tree_resolve(keys, rs.n, ids);
	}
	fill_lists(g, rs.rules, ids, rs.n);
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
	SubjectEnt *e,
			   *victim = NULL;

	hash_seq_init(&st, subjects);
	while ((e = hash_seq_search(&st)) != NULL)
		if (e->g->last_used != use_epoch &&
			(victim == NULL || e->g->last_used < victim->g->last_used))
			victim = e;
	if (victim == NULL)
		return;
	grants_retire(victim->g);
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
	SubjectEnt *e;
	RbacGrants *g;
	bool		found;

	if (len > RBAC_SUBJECT_NAME_MAX)
		len = RBAC_SUBJECT_NAME_MAX;	/* longer names cannot exist in the catalog */
	if (subjects == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(key);
		ctl.entrysize = sizeof(SubjectEnt);
		ctl.hcxt = subj_cxt;
		subjects = hash_create("runai_rbac subjects", 64, &ctl,
							   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	memset(key, 0, sizeof(key));
	key[0] = (char) kind;
	key[1] = ':';
	memcpy(key + 2, name, len);

	e = hash_search(subjects, key, HASH_FIND, NULL);
	if (e != NULL)
	{
		e->g->last_used = use_epoch;
		if (e->g->generation == data_generation && rbac_cache_now() < e->g->next_expiry)
			return e->g;
		/* stale: a new object replaces it (what callers derived from it is stale) */
		g = grants_new(rbac_cxt, kind, name, len);
		PG_TRY();
		{
			build_grants(g);
		}
		PG_CATCH();
		{
			grants_free(g);
			PG_RE_THROW();
		}
		PG_END_TRY();
		g->last_used = use_epoch;
		grants_retire(e->g);
		e->g = g;
		ptr_generation++;
		return g;
	}

	if (nsubjects >= rbac_cache_max_subjects)
		evict_one();
	g = grants_new(rbac_cxt, kind, name, len);
	g->last_used = use_epoch;
	PG_TRY();
	{
		build_grants(g);
	}
	PG_CATCH();
	{
		grants_free(g);
		PG_RE_THROW();
	}
	PG_END_TRY();
	e = hash_search(subjects, key, HASH_ENTER, &found);
	e->g = g;
	nsubjects++;
	return g;
}

/* The granting nodes of a slot. */
const uint32 *
rbac_grants_nodes(const RbacGrants *g, int rt, int action_bit, size_t *n)
{
	int			l = g->slot_list[rt * RBAC_NACTIONS + rbac_action_index(action_bit)];

	if (l < 0)
	{
		*n = 0;
		return NULL;
	}
	*n = g->lists[l].n;
	return g->lists[l].ids;
}

/* ---------------------------------------------------------------------------
 * Grants for parallel workers
 * ---------------------------------------------------------------------------
 */

/* Encoding: a header, then per list its length and either ids or scope keys. */
typedef struct GrantsWire
{
	char		kind;
	bool		by_id;			/* node ids (a shared tree), else scope keys */
	int64		next_expiry;
	uint32		nrules;
	uint32		nlists;
	int16		slot_list[RBAC_NSLOTS];
	uint64		covers_all[RBAC_NSLOTS / 64];
	char		name[RBAC_SUBJECT_NAME_MAX + 1];
} GrantsWire;

/* See cache.h. */
void
rbac_grants_encode(const RbacGrants *g, StringInfo buf)
{
	GrantsWire	w;
	RbacTreeStats st;

	rbac_tree_stats(&st);
	memset(&w, 0, sizeof(w));
	w.kind = (char) g->kind;
	w.by_id = st.shared;
	w.next_expiry = g->next_expiry;
	w.nrules = g->nrules;
	w.nlists = g->nlists;
	memcpy(w.slot_list, g->slot_list, sizeof(w.slot_list));
	memcpy(w.covers_all, g->covers_all, sizeof(w.covers_all));
	memcpy(w.name, g->name, sizeof(w.name));
	appendBinaryStringInfo(buf, (const char *) &w, sizeof(w));
	for (uint32 l = 0; l < g->nlists; l++)
	{
		uint32		n = g->lists[l].n;

		appendBinaryStringInfo(buf, (const char *) &n, sizeof(n));
		if (w.by_id)
			appendBinaryStringInfo(buf, (const char *) g->lists[l].ids, sizeof(uint32) * n);
		else
			for (uint32 i = 0; i < n; i++)
			{
				RbacScopeKey k;

				if (!rbac_tree_node_key(g->lists[l].ids[i], &k))
					memset(&k, 0, sizeof(k));
				appendBinaryStringInfo(buf, (const char *) &k, sizeof(k));
			}
	}
}

/* See cache.h. */
RbacGrants *
rbac_grants_decode(const char *data, size_t len)
{
	GrantsWire	w;
	RbacGrants *g;
	size_t		off = sizeof(GrantsWire);
	MemoryContext old;

	if (len < sizeof(GrantsWire))
		return NULL;
	memcpy(&w, data, sizeof(w));
	if (w.nlists > RBAC_NSLOTS || w.name[RBAC_SUBJECT_NAME_MAX] != '\0')
		return NULL;
	g = grants_new(TopMemoryContext, (RbacSubjectKind) w.kind, w.name, strlen(w.name));
	g->next_expiry = w.next_expiry;
	g->nrules = w.nrules;
	memcpy(g->slot_list, w.slot_list, sizeof(w.slot_list));
	memcpy(g->covers_all, w.covers_all, sizeof(w.covers_all));
	old = MemoryContextSwitchTo(g->cxt);
	g->lists = palloc0(sizeof(RbacGrantList) * Max(1, w.nlists));
	g->nlists = w.nlists;
	for (uint32 l = 0; l < w.nlists; l++)
	{
		uint32		n;
		size_t		each = w.by_id ? sizeof(uint32) : sizeof(RbacScopeKey);

		if (len - off < sizeof(uint32))
			goto bad;
		memcpy(&n, data + off, sizeof(n));
		off += sizeof(n);
		if (n > (len - off) / each)
			goto bad;
		g->lists[l].ids = palloc(sizeof(uint32) * Max(1, n));
		if (w.by_id)
			memcpy(g->lists[l].ids, data + off, sizeof(uint32) * n);
		else
		{
			RbacScopeKey *keys = palloc(sizeof(RbacScopeKey) * Max(1, n));

			memcpy(keys, data + off, sizeof(RbacScopeKey) * n);
			rbac_tree_resolve(keys, (int) n, g->lists[l].ids);
			pfree(keys);
		}
		off += each * n;
		g->lists[l].n = (uint32) rbac_nodeset_normalize(g->lists[l].ids, n);
		/* a scope that is not in this tree grants nothing */
		while (g->lists[l].n > 0 && g->lists[l].ids[0] == RBAC_NO_NODE)
		{
			memmove(g->lists[l].ids, g->lists[l].ids + 1, sizeof(uint32) * (g->lists[l].n - 1));
			g->lists[l].n--;
		}
	}
	for (int s = 0; s < RBAC_NSLOTS; s++)
		if (g->slot_list[s] >= (int) w.nlists)
			goto bad;
	MemoryContextSwitchTo(old);
	g->generation = 0;
	return g;

bad:
	MemoryContextSwitchTo(old);
	grants_free(g);
	return NULL;
}

/* See cache.h. */
void
rbac_grants_free(RbacGrants *g)
{
	grants_free(g);
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

	/* an invalidation that arrives while reading makes it stale again */
	bindings_stale = false;
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(BindingEnt);
	ctl.hcxt = subj_cxt;
	h = hash_create("runai_rbac bindings", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	snap = fresh_snapshot();
	b = table_open(rel_oid(RBAC_REL_DB_ROLE_BINDINGS), AccessShareLock);
	users = table_open(rel_oid(RBAC_REL_USERS), AccessShareLock);
	a_role = rbac_catalog_attnum(b, "db_role");
	/*
	 * 0.1.0 did not record the role's name; on a Citus cluster the name is what
	 * finds the role on this node
	 */
	a_name = get_attnum(RelationGetRelid(b), "db_role_name");
	a_user = rbac_catalog_attnum(b, "user_id");
	a_uid = rbac_catalog_attnum(users, "id");
	a_email = rbac_catalog_attnum(users, "email");
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

		/*
		 * On a Citus cluster the OID may be the coordinator's (Citus copies rows
		 * in binary when it distributes the table or adds a node): the role is
		 * the one of that name on this node, if any.
		 */
		if (rbac_catalog()->distributed && a_name != InvalidAttrNumber)
		{
			Datum		name = slot_getattr(slot, a_name, &isnull);

			role = isnull ? InvalidOid : get_role_oid(TextDatumGetCString(name), true);
			if (!OidIsValid(role))
				continue;
		}
		ScanKeyInit(&key, a_uid, BTEqualStrategyNumber, F_UUID_EQ, uid);
		uscan = systable_beginscan(users, rel_oid(RBAC_IDX_USERS_PKEY), true, snap, 1, &key);
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
	RbacTreeStats ts;

	memset(st, 0, sizeof(*st));
	st->max_subjects = rbac_cache_max_subjects;
	st->subjects = nsubjects;
	rbac_tree_stats(&ts);
	st->scopes = ts.scopes;
	st->tree_bytes = ts.private_bytes;
	st->shared_tree_bytes = ts.shared_bytes;
	st->shared_tree = ts.shared;
	if (subjects != NULL)
	{
		HASH_SEQ_STATUS seq;
		SubjectEnt *e;

		hash_seq_init(&seq, subjects);
		while ((e = hash_seq_search(&seq)) != NULL)
		{
			int64		b = MemoryContextMemAllocated(e->g->cxt, true);

			st->subject_bytes += b;
			if (b > st->largest_subject_bytes)
				st->largest_subject_bytes = b;
		}
	}
	if (subj_cxt != NULL)
		st->subject_bytes += MemoryContextMemAllocated(subj_cxt, true);
	st->private_bytes = st->tree_bytes + st->subject_bytes;
}
