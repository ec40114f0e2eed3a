/*
 * identity.c
 *    The current subject (SPEC section 3) and the text form of subjects.
 *
 * The subject is derived, never stored where SQL could write it: the token subject
 * kept by session.c in C state, else the binding of the current database role
 * (GetUserId(), so SET ROLE to a bound role acts as that user and RESET ROLE stops
 * it), else nobody.  The last answer is remembered while the cache generation, the
 * current role and the token subject are unchanged.
 */
#include "postgres.h"

#include "miscadmin.h"

#include "identity.h"
#include "session.h"

static struct
{
	uint64		generation;
	Oid			role;
	uint64		session_version;
	RbacGrants *grants;
	bool		valid;
}			current_memo;

/* The current subject's grants, or NULL for nobody; see identity.h. */
RbacGrants *
rbac_current_grants(RbacSubjectKind *kind, const char **name)
{
	RbacSubjectKind k;
	const char *n;
	RbacGrants *g;
	Oid			role = GetUserId();
	uint64		sv = rbac_session_version();

	if (current_memo.valid && current_memo.generation == rbac_cache_generation() &&
		current_memo.role == role && current_memo.session_version == sv &&
		(current_memo.grants == NULL || rbac_cache_now() < current_memo.grants->next_expiry))
	{
		g = current_memo.grants;
		if (g != NULL)
		{
			if (kind)
				*kind = g->kind;
			if (name)
				*name = g->name;
		}
		return g;
	}

	if (rbac_session_subject(&k, &n))
		g = rbac_cache_grants(k, n, strlen(n));
	else if ((n = rbac_cache_bound_user(role)) != NULL)
		g = rbac_cache_grants(RBAC_SUBJECT_USER, n, strlen(n));
	else
		g = NULL;

	current_memo.generation = rbac_cache_generation();
	current_memo.role = role;
	current_memo.session_version = sv;
	current_memo.grants = g;
	current_memo.valid = true;
	if (g != NULL)
	{
		if (kind)
			*kind = g->kind;
		if (name)
			*name = g->name;
	}
	return g;
}
