/*
 * dispatch.h
 *    Public functions that change something run their SQL body as the extension's
 *    owner while their permission checks use the caller.
 *
 * A public function such as runai.add_access_rule(...) is declared in SQL as
 *     LANGUAGE C AS 'MODULE_PATHNAME', 'rbac_dispatch'
 * and has a twin runai._add_access_rule(...) with the same arguments and result,
 * written in PL/pgSQL, owned by the extension owner and executable by nobody else.
 * rbac_dispatch records the caller (its database role, whether it is a superuser,
 * and its current Run:ai subject) as the "actor", switches to the owner, runs the
 * twin through SPI and switches back, on error too.  Inside the twin, the helper
 * functions runai._actor(), runai._require(...) etc. read the actor.  Nothing a
 * caller can set changes the actor: it is taken from the session's state in C.
 */
#ifndef RUNAI_RBAC_DISPATCH_H
#define RUNAI_RBAC_DISPATCH_H

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

/* The actor of the innermost dispatched call; raises an error outside one. */
extern const RbacActor *rbac_actor(void);

/* Does the actor hold (resource type, action) at the scope node?  Superusers do. */
extern bool rbac_actor_can(const RbacActor *actor, int rt, int action_bit, int node);

/* Raises 42501 naming the actor, resource type, action and scope unless it may. */
extern void rbac_actor_require(const RbacActor *actor, int rt, int action_bit,
							   const struct varlena *scope);

/* Argument parsers shared by the SQL-callable functions: raise 22023 when unknown. */
extern int	rbac_resource_type_arg(text *t);
extern int	rbac_action_arg(text *t);

#endif							/* RUNAI_RBAC_DISPATCH_H */
