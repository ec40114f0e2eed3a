/*
 * identity.h
 *    Who is asking: the current subject of SPEC section 3.
 *
 * Precedence: the subject established by runai.authenticate(token) (session-wide
 * or until the end of the transaction, session.h), else -- in a shard query of a
 * Citus cluster -- the token subject forwarded by the node that runs the statement
 * and verified here (forward.h), else the Run:ai user bound to the current
 * database role (runai.bind_db_role, read from the cache), else nobody.
 */
#ifndef RUNAI_RBAC_IDENTITY_H
#define RUNAI_RBAC_IDENTITY_H

#include "cache.h"
#include "subject.h"

/*
 * The current subject's grants, or NULL for nobody.  Also returns the subject's
 * kind and name when the pointers are not NULL (name valid until the next
 * rbac_cache_begin()).
 */
extern RbacGrants *rbac_current_grants(RbacSubjectKind *kind, const char **name);

/*
 * The current subject's grants as of the current statement: the first call of a
 * statement decides (for a given database role and token subject), later calls
 * of the same statement get the same grants even if a change commits meanwhile,
 * and they stay valid until the statement ends.  In a parallel worker, the
 * leader's.  Row-level security judges with these: one judgement per statement.
 */
extern RbacGrants *rbac_statement_grants(void);

/*
 * Installs the ExecutorStart hook that hands a parallel statement's judgement to
 * its workers (decision.h); once per backend, from _PG_init.
 */
extern void rbac_identity_init(void);

/*
 * Is the current subject one forwarded from another Citus node (forward.h), i.e.
 * neither this connection's token subject nor its role's binding?
 */
extern bool rbac_identity_forwarded(void);

/*
 * Changes whenever the token subject or the forwarded subject changes: what a
 * memo of the current subject keys on, with the cache generation and the role.
 */
extern uint64 rbac_identity_version(void);

#endif							/* RUNAI_RBAC_IDENTITY_H */
