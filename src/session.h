/*
 * session.h
 *    Token sessions (runai.authenticate): the subject a token establishes.
 *
 * The subject lives in a hidden superuser-only GUC that only runai.authenticate,
 * runai.sign_out, runai.clear_subject and DISCARD ALL change (see session.c), so a
 * successful authenticate is transactional like SET (local => true is SET LOCAL),
 * survives SET ROLE, RESET ROLE and RESET ALL, ends at DISCARD ALL, and is copied
 * into parallel workers.  A failed authenticate, clear_subject, sign_out and
 * DISCARD ALL disown every value set before them, in plain C state that no
 * rollback restores: the connection then has no token subject until the next
 * successful authenticate.
 */
#ifndef RUNAI_RBAC_SESSION_H
#define RUNAI_RBAC_SESSION_H

#include "subject.h"

/*
 * The subject established by runai.authenticate in this backend, if one is in
 * force, not disowned, and its session is still valid: kind and normalised name
 * (valid until the next call).  False otherwise.  The one place that decides
 * whether this backend has a token subject: a leader that hands its decision to
 * parallel workers must take it from here (or from rbac_session_version(), which
 * applies the same rule), never from the GUC.  Raises 28000, once, when it finds
 * that the session of the subject in force has expired or was ended; from then on
 * the answer is false.
 */
extern bool rbac_session_subject(RbacSubjectKind *kind, const char **name);

/*
 * Changes whenever the token subject is established, changed or dropped; brings
 * the state up to date first, so it may raise the 28000 described above.
 */
extern uint64 rbac_session_version(void);

/*
 * The session of the token subject in force (as rbac_session_subject): its id and
 * token digest, from which forward.c makes the proofs it sends to the other nodes
 * of a Citus cluster.  False if there is none.
 */
extern bool rbac_session_token(int64 *id, uint8 *digest);

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
