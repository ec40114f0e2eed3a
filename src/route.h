/*
 * route.h
 *    Shard pruning for protected tables on a Citus cluster (see route.c).
 */
#ifndef RUNAI_RBAC_ROUTE_H
#define RUNAI_RBAC_ROUTE_H

/* Installs the planner hook; once, from _PG_init. */
extern void rbac_route_init(void);

#endif							/* RUNAI_RBAC_ROUTE_H */
