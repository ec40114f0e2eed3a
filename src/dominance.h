/*
 * dominance.h
 *    Who may act on whom (SPEC section 3.1): a subject's rules as dominance judges
 *    them, the dominance of the actor over a subject, and the rule that nobody
 *    grants longer than they hold.
 *
 * A rule is (role, scope, expires_at).  The actor dominates a subject when, for
 * each unexpired rule t of the subject (a user's groups' rules included) and each
 * (resource type, action) that t's role grants, some unexpired rule r of the
 * actor grants it at t's scope or above it, and r does not expire before t (a rule
 * without expiry outlasts every other).  Superusers dominate everyone.  Without
 * the time condition an administrator with one hour left could take over a
 * permanent one and keep its power for ever.
 *
 * Rules are read from the tables with a fresh snapshot (committed changes and this
 * transaction's own), through catalog.h; the decision cache is used only for the
 * permission matrix and for the question whether one scope is above another
 * (rbac_cache_scope_covers).  Before a subject's rules are read, the subject lock
 * (a transaction-level lock on the subject's name) is taken: exclusive to judge
 * dominance over it, shared to add a rule for it, so that a rule committed for the
 * target while the actor is judged is either seen or waits for the actor's
 * transaction to end.
 *
 * This unit sits above the cache and the actor and below the SQL entry points
 * (dispatch.c exposes it to the twins).
 */
#ifndef RUNAI_RBAC_DOMINANCE_H
#define RUNAI_RBAC_DOMINANCE_H

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

#include "actor.h"
#include "subject.h"

/* One unexpired access rule. */
typedef struct RbacRule
{
	int64		id;
	int			role;
	struct varlena *scope;		/* a copy */
	TimestampTz expires;		/* DT_NOEND: never */
	char	   *group;			/* the group it is for; NULL for the subject's own */
} RbacRule;

/*
 * The unexpired rules (RbacRule *) of a subject, and for a user those of its
 * groups, then those of the groups in extra_groups (a List of C strings; may be
 * NIL) that were not already read; sorted by id.  Read with a fresh snapshot.
 */
extern List *rbac_rules_of(RbacSubjectKind kind, const char *name, List *extra_groups);

/*
 * Raises 42501 unless the actor dominates the subject, its groups' rules and the
 * rules of extra_groups included (set_user_groups: the groups a user is about to
 * join); the detail names the first permission (resource type, action, scope) the
 * actor lacks, or does not hold for as long.  Takes the subject lock of the
 * subject and of each of its groups exclusively first.
 */
extern void rbac_require_dominates(const RbacActor *actor, RbacSubjectKind kind,
								   const char *name, List *extra_groups);

/*
 * Raises 42501 when the actor's access_rules create at the scope, or a permission
 * of the role there, comes only from rules that expire before expires (DT_NOEND:
 * a rule without expiry): nobody grants longer than they hold.  The detail says
 * until when the actor holds it.
 */
extern void rbac_require_grant_within(const RbacActor *actor, int role,
									  const struct varlena *scope, TimestampTz expires);

/* Does the actor hold (resource type, action) at some scope of the tree? */
extern bool rbac_actor_holds_somewhere(const RbacActor *actor, int rt, int action_bit);

/*
 * Takes the subject lock of a subject until the end of the transaction:
 * exclusive to judge dominance over it, shared to add a rule for it.
 */
extern void rbac_subject_lock(RbacSubjectKind kind, const char *name, bool exclusive);

#endif							/* RUNAI_RBAC_DOMINANCE_H */
