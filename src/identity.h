/*
 * identity.h
 *    Who is asking: the current subject of SPEC section 3.
 *
 * Precedence: the subject established by runai.authenticate(token) (session-wide
 * or until the end of the transaction), else the Run:ai user bound to the current
 * database role (runai.bind_db_role), else nobody.
 */
#ifndef RUNAI_RBAC_IDENTITY_H
#define RUNAI_RBAC_IDENTITY_H

#include "cache.h"

/*
 * The subject established by a token, if any: kind and normalised name (valid until
 * the next call).  Returns false when no token subject is in force.
 */
extern bool rbac_identity_token_subject(RbacSubjectKind *kind, const char **name);

/*
 * The current subject's grants, or NULL for nobody.  Also returns the subject's
 * kind and name when the pointers are not NULL (name valid until the next
 * rbac_cache_begin()).
 */
extern RbacGrants *rbac_current_grants(RbacSubjectKind *kind, const char **name);

/* "user:<email>", "group:<name>" or "app:<name>", palloc'd. */
extern char *rbac_subject_text(RbacSubjectKind kind, const char *name);

/*
 * Parses "user:<email>", "group:<name>", "app:<name>" or a bare email into a kind
 * and a palloc'd normalised name (emails lower-cased).  Raises 22023 on bad input.
 */
extern void rbac_subject_parse(const char *text, size_t len, RbacSubjectKind *kind,
							   char **name);

extern void rbac_identity_init(void);

#endif							/* RUNAI_RBAC_IDENTITY_H */
