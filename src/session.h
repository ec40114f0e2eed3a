/*
 * session.h
 *    Token sessions (runai.authenticate): the subject a token establishes.
 */
#ifndef RUNAI_RBAC_SESSION_H
#define RUNAI_RBAC_SESSION_H

#include "cache.h"

/*
 * The subject established by runai.authenticate in this backend, if one is in
 * force and its session is still valid: kind and normalised name (valid until the
 * next call).  False otherwise.
 */
extern bool rbac_session_subject(RbacSubjectKind *kind, const char **name);

/* Changes whenever the token subject is established, changed or dropped. */
extern uint64 rbac_session_version(void);

extern void rbac_session_init(void);

#endif							/* RUNAI_RBAC_SESSION_H */
