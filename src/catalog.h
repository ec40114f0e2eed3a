/*
 * catalog.h
 *    Where the extension's own objects are: the one place that finds the OIDs of
 *    its tables, their indexes and the functions the planner support uses.
 *
 * Layouts.  From 0.2.0 on, the tables and internal functions live in schema
 * runai_internal (the documented interface is in schema runai).  A database still
 * at 0.1.0 -- created by that version's script and not yet updated with ALTER
 * EXTENSION runai_rbac UPDATE -- keeps everything in schema runai, the internal
 * functions named with a leading underscore; this library serves it too, so that
 * installing a new library never makes an old database's checks fail open or
 * crash.  A database whose catalog is incomplete fails closed: rbac_catalog()
 * raises an error naming what is missing.
 *
 * Caching.  The OIDs are looked up once per backend and again after an
 * invalidation that may have changed them: a relcache invalidation of one of the
 * relations (dropped, moved to another schema), a syscache invalidation of a
 * schema (the extension created, dropped or updated) or of one of the functions.
 * The callbacks only set a flag; the lookup is lazy, and a result is kept as
 * valid only if no invalidation arrived while it was being made and it found
 * every object (an incomplete catalog is looked up again at every call, so that
 * a missing object that comes back is seen at once).  Pointers to the catalog
 * stay valid until the next call of rbac_catalog() or rbac_catalog_lookup().
 *
 * Citus.  On a Citus cluster whose catalog was distributed
 * (runai.distribute_catalog), every table of the catalog is a reference table:
 * the relation named runai_internal.<table> is Citus's "shell", which holds no
 * rows, and this node's copy of the data is the placement
 * runai_internal.<table>_<shard id>, with its indexes <index>_<shard id>.  rel[]
 * holds the relations that hold the data -- the placements -- and logical[] the
 * relations as named (the same OIDs without Citus).  A placement is accepted only
 * if Citus's metadata says that this node's group holds the table's one shard
 * (citus.h), not by its name alone, and an index only if it is an index of that
 * placement.  A Citus table without a placement here leaves rel[] invalid and
 * rbac_catalog() fails closed.  Citus sends a relcache invalidation of the shell
 * whenever its metadata of the table changes: the callback then looks everything
 * up again.
 *
 * Signals.  From 0.2.0 on, a change of one of the tables that decide grants,
 * sessions or the scope tree is announced by a relcache invalidation of its
 * signal, runai_internal.signal_<table>, a relation without columns or rows that
 * no plan reads, rather than of the table itself: an invalidation of a table
 * throws away every cached plan that reads it, in every backend, so the plans of
 * the extension's own functions would be made again after every write.  The
 * plans that must follow those changes -- row-level security's -- depend on the
 * signals instead (rls.c).  signal_subject is never sent to other backends: a
 * backend whose token subject changes executes its invalidation locally.  A
 * database still at 0.1.0 has no signals: its tables announce themselves.  The
 * signals are not part of the catalog's own validity (an invalidation of one says
 * nothing about where the objects are); a signal that went missing is noticed by
 * the sender (rbac_catalog_announcer), which then invalidates the table itself.
 * On Citus the signals stay ordinary tables of each node, never distributed: a
 * write of this node's placement is announced by this node's signal.
 *
 * Extending it: add an entry to RbacRelation, RbacSignal or RbacFunction and its
 * name to the tables in catalog.c; generation tells callers that cache derived
 * state (plans, placements) when any OID changed.
 */
#ifndef RUNAI_RBAC_CATALOG_H
#define RUNAI_RBAC_CATALOG_H

#include "utils/relcache.h"

/* How the installed version lays out its objects. */
typedef enum RbacLayout
{
	RBAC_LAYOUT_NONE = 0,		/* the extension is not installed in this database */
	RBAC_LAYOUT_0_1,			/* 0.1.0: schema runai only, internal names _<name> */
	RBAC_LAYOUT_0_2				/* 0.2.0 on: internal objects in runai_internal */
} RbacLayout;

/* The relations the C code reads: tables first, then indexes. */
typedef enum RbacRelation
{
	RBAC_REL_RESOURCE_TYPES,
	RBAC_REL_ROLES,
	RBAC_REL_ROLE_PERMISSIONS,
	RBAC_REL_SCOPES,
	RBAC_REL_ACCESS_RULES,
	RBAC_REL_USERS,
	RBAC_REL_GROUP_MEMBERS,
	RBAC_REL_APPLICATIONS,
	RBAC_REL_DB_ROLE_BINDINGS,
	RBAC_REL_SESSIONS,
	RBAC_IDX_ACCESS_RULES_SUBJECT,	/* (subject_type, subject, role_id, scope) */
	RBAC_IDX_USERS_PKEY,		/* (id) */
	RBAC_IDX_USERS_EMAIL,		/* (email) */
	RBAC_IDX_GROUP_MEMBERS_PKEY,	/* (user_id, group_name) */
	RBAC_IDX_SESSIONS_TOKEN,	/* (token_hash) */
	RBAC_IDX_SESSIONS_PKEY,		/* (id) */
	RBAC_NRELATIONS
} RbacRelation;

/* The signals (see above): each announces one table, but signal_subject. */
typedef enum RbacSignal
{
	RBAC_SIG_SCOPES,
	RBAC_SIG_ACCESS_RULES,
	RBAC_SIG_USERS,
	RBAC_SIG_GROUP_MEMBERS,
	RBAC_SIG_APPLICATIONS,
	RBAC_SIG_DB_ROLE_BINDINGS,
	RBAC_SIG_SESSIONS,
	RBAC_SIG_SUBJECT,			/* this backend's token subject; local only */
	RBAC_NSIGNALS
} RbacSignal;

/* The functions that C code puts into plans (the planner support of rls.c). */
typedef enum RbacFunction
{
	RBAC_FN_RLS_SCOPE_KEYS,		/* rls_scope_keys(text, text) */
	RBAC_FN_RLS_ID_KEYS_TEXT,	/* rls_id_keys_text(text, text, text) */
	RBAC_FN_RLS_ID_KEYS_INTEGER,	/* rls_id_keys_integer(text, text, text) */
	RBAC_FN_RLS_ID_KEYS_BIGINT, /* rls_id_keys_bigint(text, text, text) */
	RBAC_FN_RLS_ID_KEYS_UUID,	/* rls_id_keys_uuid(text, text, text) */
	RBAC_FN_RLS_GATE,			/* rls_gate(text, text) */
	RBAC_NFUNCTIONS
} RbacFunction;

typedef struct RbacCatalog
{
	RbacLayout	layout;
	uint64		generation;		/* changes whenever an OID below changed */
	Oid			extension;		/* pg_extension row of runai_rbac */
	Oid			api_schema;		/* runai */
	Oid			internal_schema;	/* runai_internal; runai at 0.1.0 */
	Oid			rel[RBAC_NRELATIONS];	/* the data: InvalidOid if missing */
	Oid			logical[RBAC_NRELATIONS];	/* as named (the shell on Citus) */
	Oid			signal[RBAC_NSIGNALS];	/* InvalidOid: missing (0.1.0) */
	Oid			fn[RBAC_NFUNCTIONS];	/* InvalidOid: missing */
	bool		distributed;	/* the tables are Citus reference tables */
	int32		citus_group;	/* this node's Citus group (0: coordinator), -1: no Citus */
	int			unplaced;		/* a Citus table with no placement here, or -1 */
} RbacCatalog;

/* Registers the invalidation callbacks; once per backend, from _PG_init. */
extern void rbac_catalog_init(void);

/*
 * The extension's one relcache invalidation callback is this unit's: PostgreSQL
 * has room for only ten in a backend, and Citus takes five.  Units above register
 * a listener here instead (once per backend, from _PG_init); it is called with
 * the relation's OID (InvalidOid: every relation), after this unit has flagged
 * its own lookup stale, and follows the rules of a relcache callback (flags only).
 */
typedef void (*RbacRelcacheListener) (Oid relid);
extern void rbac_catalog_on_relcache(RbacRelcacheListener listener);

/*
 * The catalog of this database, current; layout RBAC_LAYOUT_NONE when the
 * extension is not installed.  Needs a transaction.  Never raises an error for a
 * missing object: the caller decides whether it can do without.
 */
extern const RbacCatalog *rbac_catalog_lookup(void);

/*
 * The catalog, with every table and index the checks read present; raises 55000
 * when the extension is not installed or its catalog is incomplete.
 */
extern const RbacCatalog *rbac_catalog(void);

/*
 * For invalidation callbacks (reads no catalog): the relation relid was when last
 * looked up (its data or, on Citus, its shell), or -1 if it is none of them.
 */
extern int	rbac_catalog_relation_of(Oid relid);

/*
 * For invalidation callbacks: may a relcache invalidation of relid concern
 * relation r?  True for a full reset (InvalidOid), for r itself (its data or its
 * shell) and its signal, and while r has not been looked up yet.
 */
extern bool rbac_catalog_relation_may_be(Oid relid, RbacRelation r);

/*
 * For invalidation callbacks (reads no catalog): the table whose change a relcache
 * invalidation of relid announces -- relid is that table or its signal, as last
 * looked up -- or -1.
 */
extern int	rbac_catalog_changed_relation(Oid relid);

/*
 * The relation whose relcache invalidation announces a change of table r: its
 * signal, or the table itself where it has none (0.1.0, or the signal went
 * missing: then the catalog is looked up again at the next call).
 */
extern Oid	rbac_catalog_announcer(const RbacCatalog *cat, RbacRelation r);

/*
 * For callbacks that must not read the catalog (a GUC's assign hook): signal s as
 * last looked up, or InvalidOid if there is none or the lookup may be stale.
 */
extern Oid	rbac_catalog_cached_signal(RbacSignal s);

/*
 * The SQL name of the internal function that goes with a public one (the body
 * run by rbac_dispatch): runai_internal.<name>, or runai._<name> at 0.1.0; quoted
 * as needed, palloc'd.
 */
extern char *rbac_catalog_internal_function(const RbacCatalog *cat, const char *name);

/*
 * The number of the column NAME of REL, a table of the catalog; an error when the
 * column is missing (a catalog this library cannot read).
 */
extern AttrNumber rbac_catalog_attnum(Relation rel, const char *name);

/*
 * Does this node change the catalog?  True without Citus and on the coordinator
 * of a cluster whose catalog is distributed; false on its workers, which only
 * read their copy.
 */
extern bool rbac_catalog_writable_here(const RbacCatalog *cat);

#endif							/* RUNAI_RBAC_CATALOG_H */
