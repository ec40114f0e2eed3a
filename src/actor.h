/*
 * actor.h
 *    The actor: who called the public function whose body is running.
 *
 * A public function that changes something runs its body as the extension's owner
 * (dispatch.c); before it switches, it records the caller -- its database role,
 * whether that role is a superuser, and its current Run:ai subject -- as the actor,
 * on a stack (a body may call another public function).  The internal functions
 * the bodies use (runai_internal.require, actor, log_event, ...) read the actor,
 * never the current role, which is the owner's there.  Nothing a caller can set
 * changes the actor: it is C state, pushed and popped by dispatch.c only.
 *
 * This unit knows only the cache (for the actor's permissions): units that need the
 * actor to guard their internal SQL functions (session.c, lockout.c) include it
 * without depending on dispatch.c.
 */
#ifndef RUNAI_RBAC_ACTOR_H
#define RUNAI_RBAC_ACTOR_H

#include "cache.h"

typedef struct RbacActor
{
	Oid			fn;				/* the public function called */
	Oid			db_role;		/* the caller's current database role */
	bool		superuser;		/* it is a superuser: permission checks pass */
	bool		has_subject;	/* a Run:ai subject is in force */
	RbacSubjectKind kind;
	char		name[RBAC_SUBJECT_NAME_MAX + 1];
	struct RbacActor *outer;	/* the actor of an enclosing dispatched call */
} RbacActor;

/*
 * Makes actor (filled in by the caller, living on its stack) the innermost actor;
 * rbac_actor_pop() must follow on every path, errors included (PG_FINALLY).
 */
extern void rbac_actor_push(RbacActor *actor);
extern void rbac_actor_pop(RbacActor *actor);

/*
 * The actor of the innermost dispatched call.  Raises 42501 outside one: the
 * internal functions that call it are meant for the bodies of public functions.
 */
extern const RbacActor *rbac_actor(void);

/* The innermost actor, or NULL outside a dispatched call. */
extern const RbacActor *rbac_actor_innermost(void);

/* Does the actor hold (resource type, action) at the chain's scope?  Superusers do. */
extern bool rbac_actor_can(const RbacActor *actor, int rt, int action_bit,
						   const RbacChain *chain);

/* Does the actor hold it at system or at some tenant?  Superusers do. */
extern bool rbac_actor_can_tenant_wide(const RbacActor *actor, int rt, int action_bit);

/* Raises 42501 naming the actor, resource type, action and scope unless it may. */
extern void rbac_actor_require(const RbacActor *actor, int rt, int action_bit,
							   const struct varlena *scope);

/* Raises the 42501 of a denied action; where names the scope(s) searched. */
extern void rbac_actor_deny(const RbacActor *actor, int rt, int action_bit,
							const char *where) pg_attribute_noreturn();

#endif							/* RUNAI_RBAC_ACTOR_H */
