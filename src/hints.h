/*
 * hints.h
 *    Hints for errors that PostgreSQL itself raises about the extension's objects.
 *
 * runai.sso_sign_in is executable only by the roles the administrator grants it
 * to (the identity-provider bridge).  Anyone else gets PostgreSQL's own "permission
 * denied for function sso_sign_in", raised before the function runs, which says
 * nothing of how to grant it.  An emit_log_hook adds a detail and a hint to
 * exactly that error: it matches the untranslated message and the function's
 * name, and changes nothing else.
 *
 * The hook is installed when the library is loaded: in every backend when
 * runai_rbac is in shared_preload_libraries (as the README asks), else once a
 * function of the extension has run in the backend.  PostgreSQL calls it only for
 * messages that go to the server log (log_min_messages at ERROR or below, the
 * default).
 */
#ifndef RUNAI_RBAC_HINTS_H
#define RUNAI_RBAC_HINTS_H

/* Installs the hook; once per backend, from _PG_init. */
extern void rbac_hints_init(void);

#endif							/* RUNAI_RBAC_HINTS_H */
