/*
 * identity.h
 *    Who is asking: the current subject of SPEC section 3.
 *
 * Precedence: the subject established by runai.authenticate(token) (session-wide
 * or until the end of the transaction, session.h), else the Run:ai user bound to
 * the current database role (runai.bind_db_role, read from the cache), else nobody.
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

#endif							/* RUNAI_RBAC_IDENTITY_H */
