/*
 * session.c
 *    Token sessions.  Until runai.authenticate exists no backend has a token
 *    subject, so the current subject comes from database role bindings alone.
 */
#include "postgres.h"

#include "session.h"

/* No token subject is ever in force yet. */
bool
rbac_session_subject(RbacSubjectKind *kind, const char **name)
{
	return false;
}

/* Constant while no token subject can be established. */
uint64
rbac_session_version(void)
{
	return 0;
}

void
rbac_session_init(void)
{
}
