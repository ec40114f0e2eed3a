/*
 * session.h
 *    Token sessions (runai.authenticate): the subject a token establishes.
 *
 * The subject lives in a hidden superuser-only GUC that only runai.authenticate,
 * runai.sign_out and DISCARD ALL change (see session.c), so it is transactional
 * like SET (local => true is SET LOCAL), survives SET ROLE, RESET ROLE and RESET
 * ALL, ends at DISCARD ALL, and is copied into parallel workers.
 */
#ifndef RUNAI_RBAC_SESSION_H
#define RUNAI_RBAC_SESSION_H

#include "subject.h"

/*
 * The subject established by runai.authenticate in this backend, if one is in
 * force and its session is still valid: kind and normalised name (valid until the
 * next call).  False otherwise.
 */
extern bool rbac_session_subject(RbacSubjectKind *kind, const char **name);

/* Changes whenever the token subject is established, changed or dropped. */
extern uint64 rbac_session_version(void);

/* runai.session_lifetime, in seconds. */
extern int	rbac_session_lifetime;

/*
 * Called whenever the token subject of this backend is established, changed or
 * dropped, including when a ROLLBACK undoes it.  The callback runs inside a GUC
 * assign hook or a lookup of the subject: it must not raise an error or read
 * tables.  Units above this one (row-level security) register what they must
 * forget then; this unit never calls up into them.
 */
typedef void (*RbacSubjectChangeCallback) (void);

/* Registers a callback, once per backend (from _PG_init); at most a few. */
extern void rbac_session_register_callback(RbacSubjectChangeCallback callback);

/*
 * Defines the GUCs of sessions, installs the DISCARD ALL hook and the invalidation
 * callback.  Called once from _PG_init.
 */
extern void rbac_session_init(void);

#endif							/* RUNAI_RBAC_SESSION_H */
