/*
 * dominance.c
 *    Dominance of the actor over a subject, and the time limit of the rules it
 *    grants (see dominance.h).
 *
 * Locking: the subject lock is an advisory lock of this extension's own kind
 * (field 4 of the lock tag is RBAC_SUBJECT_LOCK_KIND, which user advisory locks
 * never use) on a 64-bit hash of "<kind>:<name>" in the current database, held
 * until the end of the transaction.  Two names with one hash only wait for each
 * other.  Rules are read after the lock is granted, with a fresh snapshot.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "cache.h"
#include "catalog.h"
#include "dominance.h"
#include "types.h"

#define RBAC_SUBJECT_LOCK_KIND	0x5252	/* lock tag field 4: "RR" */

/* ---------------------------------------------------------------------------
 * Reading rules
 * ---------------------------------------------------------------------------
 */

static AttrNumber
column(Relation rel, const char *name)
{
	AttrNumber	a = get_attnum(RelationGetRelid(rel), name);

	if (a == InvalidAttrNumber)
		elog(ERROR, "runai_rbac: column %s.%s is missing", RelationGetRelationName(rel), name);
	return a;
}

/* A text equality key on a heap column, in the collation of the index column. */
static void
text_key(ScanKey key, Relation index, AttrNumber heap_attno, int index_col, const char *value)
{
	ScanKeyEntryInitialize(key, 0, heap_attno, BTEqualStrategyNumber, InvalidOid,
						   index->rd_indcollation[index_col], F_TEXTEQ,
						   CStringGetTextDatum(value));
}

/* Appends the unexpired rules of (subject_type, subject) to *rules. */
static void
read_rules(Relation rel, Relation idx, Snapshot snap, const char *subject_type,
		   const char *subject, const char *group, List **rules)
{
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tup;
	TupleDesc	desc = RelationGetDescr(rel);
	AttrNumber	a_id = column(rel, "id"),
				a_type = column(rel, "subject_type"),
				a_subject = column(rel, "subject"),
				a_role = column(rel, "role_id"),
				a_scope = column(rel, "scope"),
				a_exp = column(rel, "expires_at");
	TimestampTz now = rbac_cache_now();

	text_key(&keys[0], idx, a_type, 0, subject_type);
	text_key(&keys[1], idx, a_subject, 1, subject);
	scan = systable_beginscan(rel, RelationGetRelid(idx), true, snap, 2, keys);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, a_exp, desc, &isnull);
		TimestampTz exp = isnull ? DT_NOEND : DatumGetTimestampTz(d);
		RbacRule   *r;

		if (exp <= now)
			continue;			/* expired: grants nothing */
		r = palloc(sizeof(RbacRule));
		r->id = DatumGetInt64(heap_getattr(tup, a_id, desc, &isnull));
		r->role = DatumGetInt16(heap_getattr(tup, a_role, desc, &isnull));
		r->scope = (struct varlena *) PG_DETOAST_DATUM_COPY(heap_getattr(tup, a_scope, desc, &isnull));
		r->expires = exp;
		r->group = group ? pstrdup(group) : NULL;
		*rules = lappend(*rules, r);
	}
	systable_endscan(scan);
}

/* The groups of the user with this email (a List of C strings; NIL if none). */
static List *
groups_of(const RbacCatalog *cat, Snapshot snap, const char *email)
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

	users = table_open(cat->rel[RBAC_REL_USERS], AccessShareLock);
	uidx = index_open(cat->rel[RBAC_IDX_USERS_EMAIL], AccessShareLock);
	text_key(&key, uidx, column(users, "email"), 0, email);
	scan = systable_beginscan(users, RelationGetRelid(uidx), true, snap, 1, &key);
	if (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;

		uid = *DatumGetUUIDP(heap_getattr(tup, column(users, "id"), RelationGetDescr(users), &isnull));
		found = true;
	}
	systable_endscan(scan);
	index_close(uidx, AccessShareLock);
	table_close(users, AccessShareLock);
	if (!found)
		return NIL;

	members = table_open(cat->rel[RBAC_REL_GROUP_MEMBERS], AccessShareLock);
	midx = index_open(cat->rel[RBAC_IDX_GROUP_MEMBERS_PKEY], AccessShareLock);
	ScanKeyInit(&key, column(members, "user_id"), BTEqualStrategyNumber, F_UUID_EQ,
				UUIDPGetDatum(&uid));
	scan = systable_beginscan(members, RelationGetRelid(midx), true, snap, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;

		groups = lappend(groups,
						 TextDatumGetCString(heap_getattr(tup, column(members, "group_name"),
														  RelationGetDescr(members), &isnull)));
	}
	systable_endscan(scan);
	index_close(midx, AccessShareLock);
	table_close(members, AccessShareLock);
	return groups;
}

static bool
has_string(List *l, const char *s)
{
	ListCell   *lc;

	foreach(lc, l)
		if (strcmp(lfirst(lc), s) == 0)
			return true;
	return false;
}

static int
rule_id_cmp(const ListCell *a, const ListCell *b)
{
	int64		x = ((RbacRule *) lfirst(a))->id,
				y = ((RbacRule *) lfirst(b))->id;

	return x < y ? -1 : x > y ? 1 : 0;
}

static const char *
kind_word(RbacSubjectKind kind)
{
	return kind == RBAC_SUBJECT_USER ? "user" : kind == RBAC_SUBJECT_GROUP ? "group" : "app";
}

/* The groups whose rules count for the subject: a user's own, then the extra ones. */
static List *
groups_for(const RbacCatalog *cat, Snapshot snap, RbacSubjectKind kind, const char *name,
		   List *extra_groups)
{
	List	   *groups = kind == RBAC_SUBJECT_USER ? groups_of(cat, snap, name) : NIL;
	ListCell   *lc;

	foreach(lc, extra_groups)
		if (!has_string(groups, lfirst(lc)))
			groups = lappend(groups, lfirst(lc));
	return groups;
}

/* See dominance.h. */
List *
rbac_rules_of(RbacSubjectKind kind, const char *name, List *extra_groups)
{
	const RbacCatalog *cat = rbac_catalog();
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	Relation	rel,
				idx;
	List	   *rules = NIL;
	ListCell   *lc;

	rel = table_open(cat->rel[RBAC_REL_ACCESS_RULES], AccessShareLock);
	idx = index_open(cat->rel[RBAC_IDX_ACCESS_RULES_SUBJECT], AccessShareLock);
	read_rules(rel, idx, snap, kind_word(kind), name, NULL, &rules);
	foreach(lc, groups_for(cat, snap, kind, name, extra_groups))
		read_rules(rel, idx, snap, "group", lfirst(lc), lfirst(lc), &rules);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);
	UnregisterSnapshot(snap);
	list_sort(rules, rule_id_cmp);
	return rules;
}

/* ---------------------------------------------------------------------------
 * The subject lock
 * ---------------------------------------------------------------------------
 */

/* See dominance.h and the file header. */
void
rbac_subject_lock(RbacSubjectKind kind, const char *name, bool exclusive)
{
	LOCKTAG		tag;
	char	   *key = psprintf("%c:%s", (char) kind, name);
	uint64		h = hash_bytes_extended((const unsigned char *) key, (int) strlen(key), 0);

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) (h >> 32), (uint32) h,
						 RBAC_SUBJECT_LOCK_KIND);
	(void) LockAcquire(&tag, exclusive ? ExclusiveLock : ShareLock, false, false);
	pfree(key);
}

/* ---------------------------------------------------------------------------
 * What the actor holds where, and until when
 * ---------------------------------------------------------------------------
 */

/* The actor's unexpired rules; NIL for an actor without a subject. */
static List *
actor_rules(const RbacActor *actor)
{
	if (!actor->has_subject)
		return NIL;
	return rbac_rules_of(actor->kind, actor->name, NIL);
}

/*
 * For each (resource type, action) slot (rt * RBAC_NACTIONS + action index), the
 * latest expiry of the actor's rules that grant it at scope or above it
 * (DT_NOEND: a rule without expiry; DT_NOBEGIN: none grants it).
 */
static void
held_until(List *rules, const struct varlena *scope, TimestampTz *held, int nslots)
{
	int			nrt = nslots / RBAC_NACTIONS;
	ListCell   *lc;

	for (int s = 0; s < nslots; s++)
		held[s] = DT_NOBEGIN;
	foreach(lc, rules)
	{
		RbacRule   *r = lfirst(lc);

		if (!rbac_cache_scope_covers(r->scope, scope))
			continue;
		for (int rt = 0; rt < nrt; rt++)
		{
			uint8		acts = rbac_cache_role_actions(r->role, rt);

			for (int bit = RBAC_ACT_VIEW; bit <= RBAC_ACT_DELETE; bit <<= 1)
			{
				int			s = rt * RBAC_NACTIONS + rbac_action_index(bit);

				if ((acts & bit) && r->expires > held[s])
					held[s] = r->expires;
			}
		}
	}
}

/* How the actor is named in messages. */
static char *
actor_text(const RbacActor *actor)
{
	if (actor->has_subject)
		return rbac_subject_text(actor->kind, actor->name);
	return psprintf("database role %s (no Run:ai subject)",
					quote_identifier(GetUserNameFromId(actor->db_role, false)));
}

static const char *
time_text(TimestampTz t)
{
	return t == DT_NOEND ? "without expiry" : psprintf("until %s", timestamptz_to_str(t));
}

/* See dominance.h. */
void
rbac_require_dominates(const RbacActor *actor, RbacSubjectKind kind, const char *name,
					   List *extra_groups)
{
	const RbacCatalog *cat;
	List	   *targets,
			   *mine,
			   *locks;
	Snapshot	snap;
	ListCell   *lc;
	int			nslots;
	TimestampTz *held;

	if (actor->superuser)
		return;

	/*
	 * Lock the subject and every group whose rules count, then read: a rule
	 * committed for any of them meanwhile is seen, a later one waits.
	 */
	cat = rbac_catalog();
	rbac_subject_lock(kind, name, true);
	snap = RegisterSnapshot(GetLatestSnapshot());
	locks = groups_for(cat, snap, kind, name, extra_groups);
	UnregisterSnapshot(snap);
	foreach(lc, locks)
		rbac_subject_lock(RBAC_SUBJECT_GROUP, lfirst(lc), true);

	targets = rbac_rules_of(kind, name, extra_groups);
	if (targets == NIL)
		return;
	mine = actor_rules(actor);
	nslots = rbac_cache_resource_type_count() * RBAC_NACTIONS;
	held = palloc(sizeof(TimestampTz) * Max(nslots, 1));

	foreach(lc, targets)
	{
		RbacRule   *t = lfirst(lc);

		if (!rbac_cache_scope_covers(t->scope, t->scope))
			continue;			/* its scope is not in the tree: it grants nothing */
		held_until(mine, t->scope, held, nslots);
		for (int rt = 0; rt < nslots / RBAC_NACTIONS; rt++)
		{
			uint8		want = rbac_cache_role_actions(t->role, rt);

			for (int bit = RBAC_ACT_VIEW; bit <= RBAC_ACT_DELETE; bit <<= 1)
			{
				TimestampTz h = held[rt * RBAC_NACTIONS + rbac_action_index(bit)];
				char	   *who,
						   *target,
						   *where;

				if (!(want & bit) || h >= t->expires)
					continue;
				who = actor_text(actor);
				target = rbac_subject_text(kind, name);
				where = rbac_scope_to_cstring(t->scope);
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("permission denied: %s may not act on %s", who, target),
						 h == DT_NOBEGIN ?
						 errdetail("%s holds %s %s at %s%s, which %s does not hold there.",
								   target, rbac_cache_resource_type_name(rt),
								   rbac_action_name(bit), where,
								   t->group ? psprintf(" through group %s", t->group) : "",
								   who) :
						 errdetail("%s holds %s %s at %s %s%s, and %s holds it there only %s.",
								   target, rbac_cache_resource_type_name(rt),
								   rbac_action_name(bit), where, time_text(t->expires),
								   t->group ? psprintf(" through group %s", t->group) : "",
								   who, time_text(h)),
						 errhint("Acting on another subject's identity, credentials, groups, bindings or existence needs every permission it holds, at every scope where it holds it and for as long; ask an administrator who holds them.")));
			}
		}
	}
	pfree(held);
}

/* See dominance.h. */
void
rbac_require_grant_within(const RbacActor *actor, int role, const struct varlena *scope,
						  TimestampTz expires)
{
	int			nslots;
	TimestampTz *held;
	TimestampTz limit = DT_NOEND;
	int			limit_rt = -1,
				limit_bit = 0;
	int			access_rules = rbac_cache_resource_type("access_rules", strlen("access_rules"));

	if (actor->superuser)
		return;
	nslots = rbac_cache_resource_type_count() * RBAC_NACTIONS;
	held = palloc(sizeof(TimestampTz) * Max(nslots, 1));
	held_until(actor_rules(actor), scope, held, nslots);
	for (int rt = 0; rt < nslots / RBAC_NACTIONS; rt++)
	{
		uint8		want = rbac_cache_role_actions(role, rt);

		if (rt == access_rules)
			want |= RBAC_ACT_CREATE;
		for (int bit = RBAC_ACT_VIEW; bit <= RBAC_ACT_DELETE; bit <<= 1)
		{
			TimestampTz h = held[rt * RBAC_NACTIONS + rbac_action_index(bit)];

			if ((want & bit) && h < limit)
			{
				limit = h;
				limit_rt = rt;
				limit_bit = bit;
			}
		}
	}
	if (expires > limit)
	{
		char	   *who = actor_text(actor);
		char	   *where = rbac_scope_to_cstring(scope);

		if (limit == DT_NOBEGIN)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied: %s may not grant the role %s at %s",
							who, rbac_cache_role_name(role), where),
					 errdetail("Nobody grants more than they hold: %s does not hold %s %s at %s.",
							   who, rbac_cache_resource_type_name(limit_rt),
							   rbac_action_name(limit_bit), where),
					 errhint("Grant a role whose permissions you hold, or ask an administrator who holds this one.")));
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied: %s may not grant the role %s at %s for longer than it holds it",
						who, rbac_cache_role_name(role), where),
				 errdetail("Nobody grants longer than they hold: %s holds %s %s at %s only until %s, and the new rule would %s.",
						   who, rbac_cache_resource_type_name(limit_rt), rbac_action_name(limit_bit),
						   where, timestamptz_to_str(limit),
						   expires == DT_NOEND ? "never expire" :
						   psprintf("expire at %s", timestamptz_to_str(expires))),
				 errhint("Pass expires_at => '%s' or earlier, or ask an administrator whose access lasts longer to grant it.",
						 timestamptz_to_str(limit))));
	}
	pfree(held);
}

/* See dominance.h. */
bool
rbac_actor_holds_somewhere(const RbacActor *actor, int rt, int action_bit)
{
	ListCell   *lc;

	if (actor->superuser)
		return true;
	foreach(lc, actor_rules(actor))
	{
		RbacRule   *r = lfirst(lc);

		if ((rbac_cache_role_actions(r->role, rt) & action_bit) &&
			rbac_cache_scope_covers(r->scope, r->scope))
			return true;
	}
	return false;
}
