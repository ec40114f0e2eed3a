/*
 * subject.c
 *    The text forms of subjects (see subject.h).
 */
#include "postgres.h"

#include "catalog/pg_collation_d.h"
#include "utils/builtins.h"
#include "utils/formatting.h"

#include "subject.h"

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

/* Parses a subject; see subject.h. */
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
				 errmsg("invalid subject: it contains a NUL byte"),
				 errdetail("Emails and names never contain a NUL byte."),
				 errhint("Pass the subject as text, for example user:jane@example.com.")));
	if (*kind == RBAC_SUBJECT_USER)
	{
		/* emails compare case-insensitively: lower() of the database's collation */
		*name = str_tolower(n, nlen, DEFAULT_COLLATION_OID);
	}
	else
		*name = pnstrdup(n, nlen);
}
