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

#include "nodes/pg_list.h"
#include "nodes/primnodes.h"

/*
 * Plans of protected queries depend on the current subject (the planner support
 * function chooses an index path for a subject that sees little).  Changes of
 * access rules, group membership and role bindings invalidate those plans by
 * themselves (see rls.c); a change of the subject that no catalog change
 * announces -- runai.authenticate establishing or dropping a token subject -- is
 * reported by session.c through the callback this registers, which invalidates
 * the plans that depend on the subject and keeps every other plan.  Called once
 * from _PG_init.
 */
extern void rbac_rls_init(void);

/*
 * For shard pruning on a Citus cluster (route.c): if qual is the check of a
 * policy of runai.protect on column attno of range table entry varno, and the
 * current subject is granted the check's action on part of the scope tree only,
 * `column = ANY('<keys>')` with every key the check accepts written out (at most
 * max_keys of them), or false when it accepts none; else NULL.  For such a subject the two are true of the same
 * rows: the check accepts no scope outside the tree below the root.
 */
extern Expr *rbac_rls_route_qual(Node *qual, Index varno, AttrNumber attno, int max_keys);

/*
 * relation_oids with the signals (catalog.h) added of the tables whose changes
 * change what rbac_rls_route_qual answers (rules, groups, bindings, users,
 * sessions and the scope tree: a new scope below a granted one is a new key), and
 * signal_subject, for a plan's invalidation.
 */
extern List *rbac_rls_plan_dependencies(List *relation_oids);

#endif							/* RUNAI_RBAC_RLS_H */
