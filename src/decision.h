/*
 * decision.h
 *    One judgement per statement, also in parallel workers: the leader's decision
 *    state -- its current subject, that subject's grants as of the statement, and
 *    the scope tree version the statement reads -- handed to the workers.
 *
 * The state travels in a hidden superuser-only setting that parallel workers
 * receive with the leader's other settings before they run anything; its check
 * hook refuses every value that this file did not set itself (session.c does the
 * same for the token subject).  The leader sets it just before a statement that
 * needs parallel mode starts (identity.c's ExecutorStart hook); a worker uses it
 * only for the statement it was set for and for the database role it was made
 * for, and then neither reads the catalog for its subject nor re-reads the token
 * session.
 */
#ifndef RUNAI_RBAC_DECISION_H
#define RUNAI_RBAC_DECISION_H

#include "cache.h"

/* Defines the setting; once, from _PG_init. */
extern void rbac_decision_init(void);

/*
 * Leader: the state for the workers of the statement about to start.  g is the
 * current subject's grants, NULL for nobody; version the pinned tree version.
 */
extern void rbac_decision_publish(Oid role, const RbacGrants *g, uint64 version);

/*
 * Leader: no state for the workers of the statement about to start, which the
 * executor does not start (a utility statement: a parallel CREATE INDEX runs
 * index expressions in workers); they find their subject themselves rather than
 * take an earlier statement's.
 */
extern void rbac_decision_clear(void);

/*
 * Worker: the leader's judgement for database role `role`: true, with *g the
 * leader's grants (NULL: nobody), when the leader passed one for this statement
 * and this role; false when the worker must find its subject itself.
 */
extern bool rbac_decision_worker(Oid role, RbacGrants **g);

#endif							/* RUNAI_RBAC_DECISION_H */
