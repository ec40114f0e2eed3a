/*
 * forward.h
 *    Token subjects on a Citus cluster: the proof the node that runs a statement
 *    (the initiator) sends with the shard queries it sends to other nodes, and the
 *    subject the node that runs a shard query (the executing node) accepts from it
 *    after verifying the proof itself.
 *
 * A shard query runs on the node holding the shard, in a backend that Citus opened
 * as the client's database role: a role binding is resolved there from that node's
 * copy of the catalog, but a token subject lives only in the initiator's backend.
 * The initiator therefore adds, to the commands Citus sends after BEGIN to every
 * remote transaction block of the statement's transaction,
 *
 *     SET LOCAL runai.forwarded_subject TO 'v1:<session id>:<initiator node>:
 *         <transaction number>:<transaction stamp>:<proof stamp>:<hmac>'
 *
 * where hmac = HMAC-SHA256, keyed by the SHA-256 digest of the session's token
 * (which only the sessions table holds, and which never leaves a node), of the
 * session id, the current database role, the distributed transaction id
 * (initiator node, number, stamp) and the time the proof was made.  The executing
 * node accepts the subject only if
 *  - its own backend is in that distributed transaction, started by another
 *    backend (Citus assigned it the id right after the SET);
 *  - the proof arrived at most runai.forwarded_subject_max_age after it was made
 *    (clocks of the nodes agree to well within it);
 *  - its own copy of the sessions table has that session, unexpired, and the HMAC
 *    computed with its digest and the current role matches.
 * Anything else -- a value set by hand, a proof taken from another role's or
 * transaction's query, a proof older than the limit, a signed-out session -- is
 * no subject (the role's binding, if any, applies).  The proof is redacted from
 * this node's view of the query (pg_stat_activity) and from the server log.
 *
 * What remains: a proof is valid for any backend of the same database role that
 * joins the same distributed transaction id (assign_distributed_transaction_id is
 * callable by every role) within the age limit, so whoever can read it from a
 * node's memory, logs or network in that window could act as its subject there.
 * README "Running on Citus" says what an operator does about it.
 *
 * When Citus's functions or layouts are not what citus.h expects, nothing is
 * forwarded: token subjects are nobody on remote shards (fail closed), and a
 * WARNING says so once per backend.
 */
#ifndef RUNAI_RBAC_FORWARD_H
#define RUNAI_RBAC_FORWARD_H

#include "subject.h"

/*
 * The subject forwarded to this backend by the initiator of its distributed
 * transaction, verified (see above): kind and name (valid until the next call).
 * False if there is none.
 */
extern bool rbac_forward_subject(RbacSubjectKind *kind, const char **name);

/* Changes whenever the answer of rbac_forward_subject() may have changed. */
extern uint64 rbac_forward_version(void);

/* Defines the settings and installs the hooks; once, from _PG_init. */
extern void rbac_forward_init(void);

#endif							/* RUNAI_RBAC_FORWARD_H */
