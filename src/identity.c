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
#include "catalog/pg_collation_d.h"
#include "utils/builtins.h"
#include "utils/formatting.h"

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

/* "user:<email>", "group:<name>" or "app:<name>". */
char *
rbac_subject_text(RbacSubjectKind kind, const char *name)
{
	return psprintf("%s:%s", kind == RBAC_SUBJECT_USER ? "user" :
					kind == RBAC_SUBJECT_GROUP ? "group" : "app", name);
}

/* Does s[0..len) start with the prefix p? */
static bool
has_prefix(const char *s, size_t len, const char *p)
{
	size_t		plen = strlen(p);

	return len >= plen && memcmp(s, p, plen) == 0;
}

/* Parses a subject; see identity.h. */
void
rbac_subject_parse(const char *text, size_t len, RbacSubjectKind *kind, char **name)
{
	const char *n;
	size_t		nlen;

	if (has_prefix(text, len, "user:"))
	{
		*kind = RBAC_SUBJECT_USER;
		n = text + 5;
	}
	else if (has_prefix(text, len, "group:"))
	{
		*kind = RBAC_SUBJECT_GROUP;
		n = text + 6;
	}
	else if (has_prefix(text, len, "app:"))
	{
		*kind = RBAC_SUBJECT_APP;
		n = text + 4;
	}
	else if (memchr(text, '@', len) != NULL)
	{
		*kind = RBAC_SUBJECT_USER;
		n = text;
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid subject \"%.*s\"", (int) Min(len, 100), text),
				 errdetail("A subject is written user:<email>, group:<name>, app:<name>, or as a bare email."),
				 errhint("For example: user:jane@example.com or group:researchers.")));
	nlen = len - (n - text);
	if (nlen == 0 || nlen > RBAC_SUBJECT_NAME_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid subject \"%.*s\"", (int) Min(len, 100), text),
				 errdetail("The name after the prefix must have 1 to %d characters; it has %zu.",
						   RBAC_SUBJECT_NAME_MAX, nlen),
				 errhint("For example: user:jane@example.com or group:researchers.")));
	if (memchr(n, '\0', nlen) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid subject: it contains a NUL byte")));
	if (*kind == RBAC_SUBJECT_USER)
	{
		/* emails compare case-insensitively: lower() of the database's collation */
		*name = str_tolower(n, nlen, DEFAULT_COLLATION_OID);
	}
	else
		*name = pnstrdup(n, nlen);
}

void
rbac_identity_init(void)
{
	rbac_session_init();
}
