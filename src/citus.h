/*
 * citus.h
 *    What runai_rbac needs to know about Citus, found at run time: whether the
 *    database is part of a Citus cluster, which node this is, where the local
 *    placement of a reference table is, how a table is distributed, and -- for
 *    forwarding a token subject to shard queries -- the distributed transaction
 *    and the few Citus functions that open remote transaction blocks.
 *
 * Nothing here links against Citus.  Metadata comes from Citus's catalog tables
 * (pg_dist_partition, pg_dist_shard, pg_dist_placement, pg_dist_local_group),
 * read with the catalog snapshot and checked for the columns this unit uses; a
 * database without them is "not Citus" and every function answers so.  The
 * functions used for forwarding are looked up in Citus's library once per
 * backend, only when the citus extension of this database is at a major version
 * this unit was written against (RBAC_CITUS_MAJOR), and the layout of the
 * distributed transaction id is checked against Citus's own SQL function before
 * it is trusted.  When any of that fails, rbac_citus_forwarding() is false and
 * says why: token subjects then fail closed on remote shards (they are nobody
 * there), they never fail open.
 *
 * Layer: below catalog.c; reads PostgreSQL's catalogs and Citus's, nothing of
 * runai_rbac.
 */
#ifndef RUNAI_RBAC_CITUS_H
#define RUNAI_RBAC_CITUS_H

#include "datatype/timestamp.h"

/* The Citus major version whose symbols and layouts this unit relies on. */
#define RBAC_CITUS_MAJOR	13

/* How a Citus table is distributed (pg_dist_partition). */
typedef struct RbacCitusTable
{
	char		method;			/* 'h' hash, 'n' none (reference, citus local), ... */
	char		repmodel;		/* 't' for reference tables */
	AttrNumber	distcol;		/* the distribution column, 0 if none */
} RbacCitusTable;

/* A distributed transaction id (Citus's DistributedTransactionId). */
typedef struct RbacCitusDtx
{
	int32		initiator;		/* node identifier of the initiating node */
	bool		originator;		/* this backend started it */
	uint64		number;			/* 0: no distributed transaction */
	TimestampTz stamp;
} RbacCitusDtx;

/* Are Citus's catalog tables in this database (is it part of a cluster)? */
extern bool rbac_citus_present(void);

/* This node's group (pg_dist_local_group): 0 on the coordinator, -1 without Citus. */
extern int32 rbac_citus_local_group(void);

/* Is relid a Citus table?  If so, how it is distributed. */
extern bool rbac_citus_table(Oid relid, RbacCitusTable *info);

/*
 * The shard of a Citus table with exactly one shard (a reference table) whose
 * placement is in group: its shard id; 0 if it has no placement there; -1 if the
 * table does not have exactly one shard.
 */
extern int64 rbac_citus_local_shard(Oid relid, int32 group);

/*
 * Forwarding support: true when the Citus functions and layouts it needs were
 * found and checked in this backend.  Otherwise false, and *why (if not NULL)
 * says what was missing.
 */
extern bool rbac_citus_forwarding(const char **why);

/* The distributed transaction of this backend (number 0: none).  False if unknown. */
extern bool rbac_citus_dtx(RbacCitusDtx *dtx);

/* Makes the current transaction a coordinated one (remote transaction blocks). */
extern void rbac_citus_use_coordinated_transaction(void);

/* Is the current transaction a coordinated one already? */
extern bool rbac_citus_in_coordinated_transaction(void);

/*
 * The SET LOCAL commands Citus sends after BEGIN to every remote transaction
 * block it opens in this (sub)transaction, or NULL when there are none.
 */
extern const char *rbac_citus_set_local_commands(void);

/*
 * Adds a SET LOCAL command to what Citus sends to remote transaction blocks:
 * to those it opens from now on, and (send_now) to those already open.
 */
extern void rbac_citus_add_set_local(const char *command, bool send_now);

#endif							/* RUNAI_RBAC_CITUS_H */
