/*
 * actor.c
 *    The actor of a dispatched call and its permissions (see actor.h).
 *
 * The stack lives on the C stacks of the dispatched calls: rbac_actor_push links a
 * caller-owned RbacActor in, rbac_actor_pop unlinks it in the caller's PG_FINALLY,
 * so an error (caught by a savepoint or not) never leaves a stale actor behind.
 */
#include "postgres.h"

#include "miscadmin.h"

#include "actor.h"
#include "subject.h"
#include "types.h"

static RbacActor *actor_top = NULL;

/* See actor.h. */
void
rbac_actor_push(RbacActor *actor)
{
	actor->outer = actor_top;
	actor_top = actor;
}

/* See actor.h. */
void
rbac_actor_pop(RbacActor *actor)
{
	Assert(actor_top == actor);
	actor_top = actor->outer;
}

/* The innermost actor; see actor.h. */
const RbacActor *
rbac_actor(void)
{
	if (actor_top == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("this internal function of runai_rbac can only run inside the extension's own functions"),
				 errdetail("Functions of schema runai_internal act for the caller of a function of schema runai, and there is none."),
				 errhint("Call the function of schema runai of the same name.")));
	return actor_top;
}

/* See actor.h. */
const RbacActor *
rbac_actor_innermost(void)
{
	return actor_top;
}

/* The actor's grants, or NULL when it has no subject. */
static RbacGrants *
actor_grants(const RbacActor *actor)
{
	if (!actor->has_subject)
		return NULL;
	return rbac_cache_grants(actor->kind, actor->name, strlen(actor->name));
}

/* See actor.h. */
bool
rbac_actor_can(const RbacActor *actor, int rt, int action_bit, const RbacChain *chain)
{
	RbacGrants *g;

	if (actor->superuser)
		return true;
	g = actor_grants(actor);
	return g != NULL && rbac_grants_allow(g, rt, action_bit, chain);
}

/*
 * See actor.h.  Used for tenant-wide entities (users, applications, settings),
 * which belong to no scope below a tenant.
 */
bool
rbac_actor_can_tenant_wide(const RbacActor *actor, int rt, int action_bit)
{
	RbacGrants *g;
	const uint32 *ids;
	size_t		n;

	if (actor->superuser)
		return true;
	g = actor_grants(actor);
	if (g == NULL)
		return false;
	if (rbac_grants_cover_all(g, rt, action_bit))
		return true;
	/* a granting scope that is a tenant (or system) and in the tree */
	ids = rbac_grants_nodes(g, rt, action_bit, &n);
	for (size_t i = 0; i < n; i++)
	{
		RbacScopeKey key;
		RbacChain	c;

		if (!rbac_tree_node_key(ids[i], &key) || key.type > RBAC_SCOPE_TENANT)
			continue;
		rbac_tree_chain(key.type, key.id, key.idlen, &c);
		if (c.depth > 0 && c.ids[0] == ids[i])
			return true;
	}
	return false;
}

/* See actor.h. */
void
rbac_actor_deny(const RbacActor *actor, int rt, int action_bit, const char *where)
{
	const char *rtname = rbac_cache_resource_type_name(rt);
	const char *action = rbac_action_name(action_bit);
	char	   *who;

	if (!actor->has_subject)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied: no Run:ai subject may %s %s at %s",
						action, rtname, where),
				 errdetail("Database role \"%s\" is not bound to a Run:ai user and the session has not authenticated, so it has no permissions.",
						   GetUserNameFromId(actor->db_role, true)),
				 errhint("Authenticate with runai.authenticate(token), or have an administrator bind this role with runai.bind_db_role(email, role).")));
	who = rbac_subject_text(actor->kind, actor->name);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied: %s may not %s %s at %s",
					who, action, rtname, where),
			 errdetail("No unexpired access rule of %s%s grants %s on %s at %s or at a scope above it.",
					   who, actor->kind == RBAC_SUBJECT_USER ? " or of its groups" : "",
					   action, rtname, where),
			 errhint("Ask an administrator for an access rule whose role grants it; runai.explain() shows what is searched.")));
}

/* See actor.h. */
void
rbac_actor_require(const RbacActor *actor, int rt, int action_bit, const struct varlena *scope)
{
	RbacChain	chain;

	rbac_cache_scope_chain(scope, &chain);
	if (!rbac_actor_can(actor, rt, action_bit, &chain))
		rbac_actor_deny(actor, rt, action_bit, rbac_scope_to_cstring(scope));
}
