/*
 * rls.h
 *    Row-level security support (SPEC section 5): the per-row checks used by the
 *    policies that runai.protect creates, the per-scan arrays of permitted keys,
 *    and the planner support function that turns a check into an index condition.
 *
 * The SQL-callable functions are declared in src/sql/70_code_rls.sql; this header
 * exports what other modules must call.
 */
#ifndef RUNAI_RBAC_RLS_H
#define RUNAI_RBAC_RLS_H

/*
 * Plans of protected queries depend on the current subject (the planner support
 * function chooses an index path for a subject that sees little).  Changes of
 * access rules, group membership and role bindings invalidate those plans by
 * themselves (see rls.c); a change of the subject that no catalog change
 * announces -- runai.authenticate establishing or dropping a token subject -- is
 * reported by session.c through the callback this registers, which resets the
 * plan cache.  Called once from _PG_init.
 */
extern void rbac_rls_init(void);

#endif							/* RUNAI_RBAC_RLS_H */
