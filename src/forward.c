/*
 * forward.c
 *    Token subjects forwarded to Citus shard queries (see forward.h for the
 *    design and what it leaves to the operator).
 *
 * Initiator.  An ExecutorStart hook looks at each statement before Citus starts
 * it (and a ProcessUtility hook at COPY of a table TO the client or a file, which
 * Citus runs without the executor): when it reads or writes a Citus table with
 * row-level security, the proof
 * for the current token subject (or, once one was sent in this transaction and
 * the subject is gone, an empty value) is added to the SET LOCAL commands Citus
 * sends after BEGIN to each remote transaction block it opens; if the
 * transaction may have blocks open already, the command is also sent to those
 * (PostprocessVariableSetStmt, what Citus does for a SET LOCAL the client sends).
 * A token subject needs remote transaction blocks, so its statements are made
 * coordinated transactions (UseCoordinatedTransaction): Citus then sends BEGIN,
 * the SET LOCALs and the distributed transaction id before the shard queries.  A
 * proof is reused while it is younger than half the age limit, so a long
 * transaction sends a new one now and then.  What was last sent is remembered per
 * transaction; a subtransaction's abort forgets it (the remote blocks roll the
 * setting back), and a changed subject inside a running statement that may have
 * remote blocks open is an error rather than a stale subject there.  Statements
 * that touch no protected Citus table still run shard queries in those blocks:
 * before each statement of the client, and before a nested one on a Citus table
 * outside runai_internal, a subject sent that this backend no longer has (a failed
 * authenticate, clear_subject, another token or role) is taken back with an empty
 * value.
 *
 * Executing node.  runai.forwarded_subject is an ordinary setting (Citus sets it
 * as the client's role); its check hook only parses it and its assign hook records
 * when and in which transaction it arrived (a value set in an earlier transaction,
 * with SET rather than SET LOCAL, is no subject), and the subject is verified lazily, at the first check that asks for
 * it, once the distributed transaction id is assigned.  The verdict holds for the
 * transaction and the role; the session row is read again after an invalidation
 * of the sessions table (a sign-out on the coordinator reaches an open transaction
 * here at its next statement), and its expiry is judged at every statement.
 * Parallel workers never accept a forwarded subject: Citus gives them no
 * distributed transaction id to verify it against.
 *
 * Redaction.  The assign hook replaces the query text this backend shows in
 * pg_stat_activity with one whose proof is masked, and an emit_log_hook masks
 * proofs in messages and hides the statement of any message logged while such a
 * command runs.
 */
#include "postgres.h"

#include <limits.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "citus.h"
#include "forward.h"
#include "session.h"

#define FORWARD_GUC			"runai.forwarded_subject"
#define PROOF_PREFIX		"v1:"
#define PROOF_HEX_LEN		(PG_SHA256_DIGEST_LENGTH * 2)
#define PROOF_MAX_LEN		256

/* runai.forwarded_subject_max_age, in seconds. */
static int	forward_max_age = 60;

/* ---------------------------------------------------------------------------
 * Proofs
 * ---------------------------------------------------------------------------
 */

/* A parsed proof (the setting's "extra"). */
typedef struct ForwardProof
{
	int64		session_id;
	int32		initiator;
	uint64		number;
	TimestampTz dtx_stamp;
	TimestampTz stamp;
	char		mac[PROOF_HEX_LEN + 1];
} ForwardProof;

/* HMAC-SHA256 (hex) of the proof's fields and the role, keyed by the token digest. */
static void
proof_mac(const uint8 *digest, const ForwardProof *p, const char *role, char *hex)
{
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA256);
	uint8		mac[PG_SHA256_DIGEST_LENGTH];
	char	   *msg = psprintf("runai_rbac forwarded subject v1|" INT64_FORMAT "|%d|" UINT64_FORMAT
							   "|" INT64_FORMAT "|" INT64_FORMAT "|%zu:%s",
							   p->session_id, p->initiator, p->number,
							   (int64) p->dtx_stamp, (int64) p->stamp, strlen(role), role);

	if (ctx == NULL ||
		pg_hmac_init(ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) msg, strlen(msg)) < 0 ||
		pg_hmac_final(ctx, mac, sizeof(mac)) < 0)
	{
		pg_hmac_free(ctx);
		elog(ERROR, "runai_rbac: could not compute an HMAC");
	}
	pg_hmac_free(ctx);
	pfree(msg);
	hex[hex_encode((const char *) mac, sizeof(mac), hex)] = '\0';
}

/* The text form of a proof. */
static void
proof_format(const ForwardProof *p, char *out)
{
	snprintf(out, PROOF_MAX_LEN, PROOF_PREFIX INT64_FORMAT ":%d:" UINT64_FORMAT ":" INT64_FORMAT
			 ":" INT64_FORMAT ":%s",
			 p->session_id, p->initiator, p->number, (int64) p->dtx_stamp, (int64) p->stamp, p->mac);
}

/* Reads a decimal integer followed by ':' at *s; false if malformed. */
static bool
proof_int(const char **s, int64 *out)
{
	char	   *end;

	errno = 0;
	*out = strtoll(*s, &end, 10);
	if (errno != 0 || end == *s || *end != ':')
		return false;
	*s = end + 1;
	return true;
}

/* Parses the text form of a proof; false if malformed. */
static bool
proof_parse(const char *s, ForwardProof *p)
{
	int64		v;

	if (strncmp(s, PROOF_PREFIX, strlen(PROOF_PREFIX)) != 0)
		return false;
	s += strlen(PROOF_PREFIX);
	if (!proof_int(&s, &p->session_id) || p->session_id <= 0)
		return false;
	if (!proof_int(&s, &v) || v < INT_MIN || v > INT_MAX)
		return false;
	p->initiator = (int32) v;
	if (!proof_int(&s, &v) || v <= 0)
		return false;
	p->number = (uint64) v;
	if (!proof_int(&s, &v))
		return false;
	p->dtx_stamp = (TimestampTz) v;
	if (!proof_int(&s, &v))
		return false;
	p->stamp = (TimestampTz) v;
	if (strlen(s) != PROOF_HEX_LEN)
		return false;
	for (int i = 0; i < PROOF_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	memcpy(p->mac, s, PROOF_HEX_LEN + 1);
	return true;
}

/*
 * Where a proof starts in s and its length, or NULL: PROOF_PREFIX, then a run of
 * digits, lower-case hex letters, ':' and '-' that ends with ':' and the 64 hex
 * digits of the HMAC.
 */
static const char *
proof_find(const char *s, size_t *len)
{
	for (const char *p = strstr(s, PROOF_PREFIX); p != NULL; p = strstr(p + 1, PROOF_PREFIX))
	{
		const char *q = p + strlen(PROOF_PREFIX);
		size_t		run = 0;
		bool		hex = true;

		while ((q[run] >= '0' && q[run] <= '9') || (q[run] >= 'a' && q[run] <= 'f') ||
			   q[run] == ':' || q[run] == '-')
			run++;
		if (run <= PROOF_HEX_LEN || q[run - PROOF_HEX_LEN - 1] != ':')
			continue;
		for (size_t i = run - PROOF_HEX_LEN; i < run; i++)
			hex &= q[i] != ':' && q[i] != '-';
		if (hex)
		{
			*len = strlen(PROOF_PREFIX) + run;
			return p;
		}
	}
	return NULL;
}

/* A copy of s (palloc'd in the current context) with every proof masked. */
static char *
proof_redact(const char *s)
{
	StringInfoData b;
	const char *p;
	size_t		len;

	initStringInfo(&b);
	while ((p = proof_find(s, &len)) != NULL)
	{
		appendBinaryStringInfo(&b, s, p - s);
		appendStringInfoString(&b, PROOF_PREFIX "<redacted>");
		s = p + len;
	}
	appendStringInfoString(&b, s);
	return b.data;
}

/* ---------------------------------------------------------------------------
 * Executing node: the setting and its verification
 * ---------------------------------------------------------------------------
 */

static char *forward_guc_value = NULL;
static const ForwardProof *proof = NULL;	/* the setting's extra */
static TimestampTz proof_arrived = 0;
static LocalTransactionId proof_lxid = InvalidLocalTransactionId;	/* ... in this transaction */

static uint64 version = 1;
static bool checked = false;	/* a verdict exists for proof, lxid and role */
static LocalTransactionId checked_lxid = InvalidLocalTransactionId;
static Oid	checked_role = InvalidOid;
static bool verified = false;
static bool row_recheck = false;	/* the sessions table changed */
static TimestampTz row_expires = 0;
static RbacSubjectKind subject_kind;
static char subject_name[RBAC_SUBJECT_NAME_MAX + 1];

/* Check hook: any well-formed proof, or empty.  Nothing is trusted here. */
static bool
forward_check_hook(char **newval, void **extra, GucSource source)
{
	ForwardProof p;
	ForwardProof *copy;

	if (*newval == NULL || (*newval)[0] == '\0')
	{
		*extra = NULL;
		return true;
	}
	if (!proof_parse(*newval, &p))
	{
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errmsg("invalid value for parameter \"%s\"", FORWARD_GUC);
		GUC_check_errdetail("It carries a subject from the Citus node that runs a statement to the nodes that run its shard queries.");
		GUC_check_errhint("Leave it to runai_rbac: the node that runs the statement sets it.");
		return false;
	}
	/* PostgreSQL 15 frees a setting's extra with free() */
	copy = malloc(sizeof(ForwardProof));
	if (copy == NULL)
		return false;
	memcpy(copy, &p, sizeof(p));
	*extra = copy;
	return true;
}

/*
 * Assign hook (also at the end of the transaction and at ROLLBACK): records the
 * value and when it arrived, and masks it in this backend's pg_stat_activity.
 */
static void
forward_assign_hook(const char *newval, void *extra)
{
	size_t		len;

	proof = (const ForwardProof *) extra;
	proof_arrived = GetCurrentStatementStartTimestamp();
	proof_lxid = MyProc != NULL ? MyProc->lxid : InvalidLocalTransactionId;
	checked = false;
	verified = false;
	version++;
	/* plans made for another subject must not run for this one */
	ResetPlanCache();
	if (proof != NULL && !IsParallelWorker() && debug_query_string != NULL &&
		proof_find(debug_query_string, &len) != NULL)
	{
		char	   *masked = proof_redact(debug_query_string);

		pgstat_report_activity(STATE_RUNNING, masked);
		pfree(masked);
	}
}

static void forget_citus_rel(Oid relid);

/*
 * Relcache listener (catalog.h), flags only: the sessions table may have
 * changed; Citus's metadata of a table may have changed.
 */
static void
forward_relcache_listener(Oid relid)
{
	if (rbac_catalog_relation_may_be(relid, RBAC_REL_SESSIONS))
		row_recheck = true;
	forget_citus_rel(relid);
}

/* Reads the session row by id; false if none (or no sessions table). */
static bool
session_row(int64 id, uint8 *digest, RbacSubjectKind *kind, char *name, TimestampTz *expires)
{
	const RbacCatalog *cat = rbac_catalog_lookup();
	Oid			relid = cat->rel[RBAC_REL_SESSIONS],
				indexid = cat->rel[RBAC_IDX_SESSIONS_PKEY];
	Relation	rel;
	Snapshot	snap;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	bool		found = false;

	if (!OidIsValid(relid) || !OidIsValid(indexid))
		return false;
	rel = table_open(relid, AccessShareLock);
	ScanKeyInit(&key, get_attnum(relid, "id"), BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
	snap = RegisterSnapshot(GetCatalogSnapshot(relid));
	scan = systable_beginscan(rel, indexid, true, snap, 1, &key);
	if (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		TupleDesc	desc = RelationGetDescr(rel);
		bool		n1,
					n2,
					n3,
					n4;
		Datum		d_hash = heap_getattr(tup, get_attnum(relid, "token_hash"), desc, &n1);
		Datum		d_type = heap_getattr(tup, get_attnum(relid, "subject_type"), desc, &n2);
		Datum		d_subject = heap_getattr(tup, get_attnum(relid, "subject"), desc, &n3);
		Datum		d_expires = heap_getattr(tup, get_attnum(relid, "expires_at"), desc, &n4);

		if (!n1 && !n2 && !n3 && !n4)
		{
			bytea	   *h = DatumGetByteaPP(d_hash);
			text	   *ty = DatumGetTextPP(d_type);
			text	   *su = DatumGetTextPP(d_subject);
			size_t		slen = VARSIZE_ANY_EXHDR(su);

			if (VARSIZE_ANY_EXHDR(h) == PG_SHA256_DIGEST_LENGTH && slen >= 1 &&
				slen <= RBAC_SUBJECT_NAME_MAX && VARSIZE_ANY_EXHDR(ty) >= 1)
			{
				memcpy(digest, VARDATA_ANY(h), PG_SHA256_DIGEST_LENGTH);
				*kind = *VARDATA_ANY(ty) == 'u' ? RBAC_SUBJECT_USER : RBAC_SUBJECT_APP;
				memcpy(name, VARDATA_ANY(su), slen);
				name[slen] = '\0';
				*expires = DatumGetTimestampTz(d_expires);
				found = true;
			}
		}
	}
	systable_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return found;
}

/* The whole verification of forward.h; the reason for a refusal in *why. */
static bool
verify(const char **why)
{
	RbacCitusDtx dtx;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char		want[PROOF_HEX_LEN + 1];
	int64		age;

	if (IsParallelWorker())
	{
		*why = "parallel workers have no distributed transaction to check it against";
		return false;
	}
	if (!rbac_citus_dtx(&dtx))
	{
		(void) rbac_citus_forwarding(why);
		if (*why == NULL)
			*why = "Citus's distributed transaction id could not be read";
		return false;
	}
	/*
	 * Set in this transaction: the initiator sends SET LOCAL.  A value set for the
	 * session (SET) would stay after its transaction, with the time it arrived,
	 * and a client joining the same distributed transaction id again later would
	 * get the subject back, past runai.forwarded_subject_max_age.
	 */
	if (proof_lxid != MyProc->lxid)
	{
		*why = "it was set in an earlier transaction";
		return false;
	}
	if (dtx.number == 0 || dtx.originator)
	{
		*why = "this backend does not run a distributed transaction started by another node";
		return false;
	}
	if (dtx.initiator != proof->initiator || dtx.number != proof->number ||
		dtx.stamp != proof->dtx_stamp)
	{
		*why = "it was made for another distributed transaction";
		return false;
	}
	age = proof_arrived - proof->stamp;
	if (age > (int64) forward_max_age * USECS_PER_SEC || -age > (int64) forward_max_age * USECS_PER_SEC)
	{
		*why = "it is older than runai.forwarded_subject_max_age";
		return false;
	}
	if (!session_row(proof->session_id, digest, &subject_kind, subject_name, &row_expires))
	{
		*why = "its session does not exist on this node";
		return false;
	}
	proof_mac(digest, proof, GetUserNameFromId(GetUserId(), false), want);
	if (timingsafe_bcmp(want, proof->mac, PROOF_HEX_LEN) != 0)
	{
		*why = "it does not match its session and the current role";
		return false;
	}
	return true;
}

/* Brings the verdict up to date (see the file header). */
static void
forward_refresh(void)
{
	bool		was = verified;

	if (proof == NULL || !IsTransactionState())
		verified = false;
	else if (!checked || checked_lxid != MyProc->lxid || checked_role != GetUserId())
	{
		const char *why = NULL;

		row_recheck = false;
		verified = verify(&why);
		checked = true;
		checked_lxid = MyProc->lxid;
		checked_role = GetUserId();
		if (!verified)
			ereport(DEBUG1,
					(errmsg_internal("runai_rbac: forwarded subject refused: %s", why)));
	}
	else if (row_recheck && verified)
	{
		uint8		digest[PG_SHA256_DIGEST_LENGTH];
		RbacSubjectKind kind;
		char		name[RBAC_SUBJECT_NAME_MAX + 1];

		/* the session may have ended: only the row is read again */
		row_recheck = false;
		verified = session_row(proof->session_id, digest, &kind, name, &row_expires) &&
			kind == subject_kind && strcmp(name, subject_name) == 0;
	}
	if (verified && GetCurrentStatementStartTimestamp() >= row_expires)
		verified = false;
	if (verified != was)
		version++;
}

/* See forward.h. */
bool
rbac_forward_subject(RbacSubjectKind *kind, const char **name)
{
	forward_refresh();
	if (!verified)
		return false;
	*kind = subject_kind;
	*name = subject_name;
	return true;
}

/* See forward.h. */
uint64
rbac_forward_version(void)
{
	forward_refresh();
	return version;
}

/* ---------------------------------------------------------------------------
 * Initiator
 * ---------------------------------------------------------------------------
 */

static ExecutorStart_hook_type prev_executor_start = NULL;
static ExecutorRun_hook_type prev_executor_run = NULL;
static ExecutorFinish_hook_type prev_executor_finish = NULL;
static int	nesting = 0;		/* executors running in this backend */

/* What this transaction last sent: "" nothing (or an empty value); unknown after a subabort. */
static bool sent_known = true;
static char sent_value[PROOF_MAX_LEN] = "";
static Oid	sent_role = InvalidOid;
static ForwardProof sent_proof;
static bool sent_any = false;	/* a subject was sent in this transaction */
static bool warned = false;

/* Citus tables with row-level security seen by this backend: relid -> is one. */
typedef struct CitusRelEntry
{
	Oid			relid;
	bool		is_citus;
} CitusRelEntry;
static HTAB *citus_rels = NULL;

/* Forgets what is_citus_table() remembered of relid (or of every relation). */
static void
forget_citus_rel(Oid relid)
{
	if (citus_rels == NULL)
		return;
	if (!OidIsValid(relid))
	{
		HASH_SEQ_STATUS st;
		CitusRelEntry *e;

		hash_seq_init(&st, citus_rels);
		while ((e = hash_seq_search(&st)) != NULL)
			hash_search(citus_rels, &e->relid, HASH_REMOVE, NULL);
	}
	else
		hash_search(citus_rels, &relid, HASH_REMOVE, NULL);
}

/* Is relid a Citus table (remembered until an invalidation of it)? */
static bool
is_citus_table(Oid relid)
{
	CitusRelEntry *e;
	bool		found;
	RbacCitusTable info;
	bool		is_citus;

	if (citus_rels == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(CitusRelEntry);
		ctl.hcxt = TopMemoryContext;
		citus_rels = hash_create("runai_rbac Citus tables", 32, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	e = hash_search(citus_rels, &relid, HASH_FIND, NULL);
	if (e != NULL)
		return e->is_citus;
	is_citus = rbac_citus_present() && rbac_citus_table(relid, &info);
	e = hash_search(citus_rels, &relid, HASH_ENTER, &found);
	e->is_citus = is_citus;
	return is_citus;
}

/* Is relid a Citus table with row-level security? */
static bool
protected_citus_table(Oid relid)
{
	HeapTuple	tup;
	bool		rls = false;

	if (!OidIsValid(relid))
		return false;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tup))
	{
		rls = ((Form_pg_class) GETSTRUCT(tup))->relrowsecurity;
		ReleaseSysCache(tup);
	}
	return rls && is_citus_table(relid);
}

/* What a statement asks of forward_statement. */
typedef enum ForwardNeed
{
	FORWARD_NONE,				/* nothing */
	FORWARD_TAKE_BACK,			/* take back a subject sent that no longer holds */
	FORWARD_PROTECTED			/* forward the current subject */
} ForwardNeed;

/*
 * What a statement about to start needs: FORWARD_PROTECTED if it reads or writes
 * a Citus table with row-level security.  Otherwise its shard queries (of other
 * Citus tables) still run in the remote blocks of the transaction, where what
 * they call -- checks, functions, shards read by name -- is judged with the
 * subject sent last: FORWARD_TAKE_BACK for a statement of the client (nesting 0)
 * and for one that reads or writes a Citus table outside runai_internal (the
 * extension's own statements, e.g. sign_out's, only touch the catalog there).
 */
static ForwardNeed
statement_need(PlannedStmt *pstmt)
{
	ListCell   *lc;
	bool		other = nesting == 0;

	foreach(lc, pstmt->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind != RTE_RELATION)
			continue;
		if (protected_citus_table(rte->relid))
			return FORWARD_PROTECTED;
		if (!other && is_citus_table(rte->relid))
		{
			char	   *nsp = get_namespace_name(get_rel_namespace(rte->relid));

			other = nsp == NULL || strcmp(nsp, "runai_internal") != 0;
		}
	}
	return other ? FORWARD_TAKE_BACK : FORWARD_NONE;
}

/* Makes sure Citus will send value to the blocks it opens (and, send_now, to open ones). */
static void
send_value(const char *value, bool send_now)
{
	char	   *command = psprintf("SET LOCAL " FORWARD_GUC " TO '%s'", value);

	rbac_citus_add_set_local(command, send_now);
	pfree(command);
}

/*
 * Before a statement that touches a protected Citus table starts: the proof of
 * the current token subject, or the end of one sent before (see the file header).
 * Before another statement (FORWARD_TAKE_BACK): the end of a subject sent before
 * that this backend no longer has (a failed authenticate, clear_subject, another
 * token or role), so that no shard query runs with it.
 */
static void
forward_statement(ForwardNeed need)
{
	int64		session_id;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	bool		token;
	bool		was_coordinated;
	char		desired[PROOF_MAX_LEN] = "";
	const char *why = NULL;
	RbacCitusDtx dtx;

	if (need == FORWARD_NONE)
		return;
	if (need == FORWARD_TAKE_BACK && (!sent_any || (sent_known && sent_value[0] == '\0')))
		return;					/* nothing was sent, or it was taken back */
	token = rbac_session_token(&session_id, digest);
	if (need == FORWARD_TAKE_BACK && token && sent_known && sent_role == GetUserId() &&
		sent_proof.session_id == session_id)
		return;					/* what was sent still holds */
	if (!token && sent_known && sent_value[0] == '\0')
		return;					/* nothing to send, nothing to take back */
	if (!rbac_citus_forwarding(&why))
	{
		if (token && !warned)
		{
			warned = true;
			ereport(WARNING,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("runai_rbac cannot forward the token subject to the Citus workers"),
					 errdetail("%s; the shard queries on other nodes run with no Run:ai subject and show no rows.", why),
					 errhint("Use Citus %d, or bind the database role to the user with runai.bind_db_role.",
							 RBAC_CITUS_MAJOR)));
		}
		return;
	}
	/* a shard query of another node's transaction: nothing of ours to forward */
	if (rbac_citus_dtx(&dtx) && dtx.number != 0 && !dtx.originator)
		return;

	was_coordinated = rbac_citus_in_coordinated_transaction();
	if (token && need == FORWARD_PROTECTED)
	{
		ForwardProof p;
		TimestampTz now = GetCurrentTimestamp();

		rbac_citus_use_coordinated_transaction();
		if (!rbac_citus_dtx(&dtx) || dtx.number == 0)
			return;				/* fails closed on the workers */
		if (sent_known && sent_value[0] != '\0' && sent_role == GetUserId() &&
			sent_proof.session_id == session_id && sent_proof.initiator == dtx.initiator &&
			sent_proof.number == dtx.number && sent_proof.dtx_stamp == dtx.stamp &&
			now - sent_proof.stamp < (int64) forward_max_age * USECS_PER_SEC / 2)
			strlcpy(desired, sent_value, sizeof(desired));
		else
		{
			p.session_id = session_id;
			p.initiator = dtx.initiator;
			p.number = dtx.number;
			p.dtx_stamp = dtx.stamp;
			p.stamp = now;
			proof_mac(digest, &p, GetUserNameFromId(GetUserId(), false), p.mac);
			proof_format(&p, desired);
			sent_proof = p;
		}
	}

	if (sent_known && strcmp(desired, sent_value) == 0)
	{
		/* a subtransaction's end may have dropped it from Citus's list */
		const char *active = rbac_citus_set_local_commands();

		if (desired[0] != '\0' && (active == NULL || strstr(active, desired) == NULL))
			send_value(desired, false);
		return;
	}
	if (was_coordinated && nesting > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the Run:ai subject changed inside a statement that runs distributed queries"),
				 errdetail("runai_rbac sends the token subject to the Citus workers before a query starts; connections that this statement has opened already cannot get the change."),
				 errhint("Change the subject (runai.authenticate, runai.sign_out, SET ROLE) in a statement of its own.")));
	send_value(desired, was_coordinated);
	sent_any |= desired[0] != '\0';
	strlcpy(sent_value, desired, sizeof(sent_value));
	sent_role = GetUserId();
	sent_known = true;
}

/* ExecutorStart hook: forward_statement, then the executor. */
static void
forward_executor_start(QueryDesc *queryDesc, int eflags)
{
	if (IsTransactionState() && !IsParallelWorker())
		forward_statement(statement_need(queryDesc->plannedstmt));
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/* ExecutorRun hook: counts nested executors (as pg_stat_statements does). */
static void
forward_executor_run(QueryDesc *queryDesc, ScanDirection direction, uint64 count,
					 bool execute_once)
{
	nesting++;
	PG_TRY();
	{
		if (prev_executor_run)
			prev_executor_run(queryDesc, direction, count, execute_once);
		else
			standard_ExecutorRun(queryDesc, direction, count, execute_once);
	}
	PG_FINALLY();
	{
		nesting--;
	}
	PG_END_TRY();
}

/* ExecutorFinish hook: counts nested executors. */
static void
forward_executor_finish(QueryDesc *queryDesc)
{
	nesting++;
	PG_TRY();
	{
		if (prev_executor_finish)
			prev_executor_finish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_FINALLY();
	{
		nesting--;
	}
	PG_END_TRY();
}

static ProcessUtility_hook_type prev_process_utility = NULL;

/*
 * ProcessUtility hook: COPY of a protected Citus table TO a file or the client
 * runs shard queries without the executor (Citus copies each shard), so its
 * forwarding is done here, before Citus starts it; before any other statement of
 * the client (DDL runs on the shards, in the remote blocks), a subject sent that
 * no longer holds is taken back.
 */
static void
forward_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
						ProcessUtilityContext context, ParamListInfo params,
						QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (!IsTransactionState() || IsParallelWorker() || IsA(parsetree, TransactionStmt))
		;
	else if (IsA(parsetree, CopyStmt) && !((CopyStmt *) parsetree)->is_from &&
			 ((CopyStmt *) parsetree)->relation != NULL &&
			 protected_citus_table(RangeVarGetRelid(((CopyStmt *) parsetree)->relation, NoLock, true)))
		forward_statement(FORWARD_PROTECTED);
	else if (nesting == 0)
		forward_statement(FORWARD_TAKE_BACK);	/* e.g. DDL run on the shards */
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
}

/* Transaction end: nothing is sent in the next one yet. */
static void
forward_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PREPARE)
	{
		sent_known = true;
		sent_any = false;
		sent_value[0] = '\0';
		sent_role = InvalidOid;
		nesting = 0;
	}
}

/* A subtransaction's abort rolls the remote setting back to an unknown value. */
static void
forward_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		sent_known = false;
}

/* ---------------------------------------------------------------------------
 * Redaction in the server log
 * ---------------------------------------------------------------------------
 */

static emit_log_hook_type prev_emit_log_hook = NULL;

/* emit_log_hook: masks proofs; hides the statement that carries one. */
static void
forward_emit_log(ErrorData *edata)
{
	size_t		len;

	if (edata->message != NULL && proof_find(edata->message, &len) != NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(ErrorContext);

		edata->message = proof_redact(edata->message);
		MemoryContextSwitchTo(old);
	}
	if (debug_query_string != NULL && proof_find(debug_query_string, &len) != NULL)
		edata->hide_stmt = true;
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

/* ---------------------------------------------------------------------------
 * Initialisation
 * ---------------------------------------------------------------------------
 */

/* See forward.h. */
void
rbac_forward_init(void)
{
	DefineCustomStringVariable(FORWARD_GUC,
							   "A token subject forwarded to a Citus shard query, with its proof (set by runai_rbac only).",
							   NULL,
							   &forward_guc_value,
							   "",
							   PGC_USERSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE |
							   GUC_SUPERUSER_ONLY | GUC_NO_RESET_ALL,
							   forward_check_hook, forward_assign_hook, NULL);
	DefineCustomIntVariable("runai.forwarded_subject_max_age",
							"How old a token subject forwarded to a Citus shard query may be when it arrives.",
							"Bounds how long a proof seen by someone else could be replayed; must exceed the clock difference between the nodes.",
							&forward_max_age,
							60, 1, 3600,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	rbac_catalog_on_relcache(forward_relcache_listener);
	RegisterXactCallback(forward_xact_callback, NULL);
	RegisterSubXactCallback(forward_subxact_callback, NULL);
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = forward_executor_start;
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = forward_process_utility;
	prev_executor_run = ExecutorRun_hook;
	ExecutorRun_hook = forward_executor_run;
	prev_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = forward_executor_finish;
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = forward_emit_log;
}
