/*
 * decision.c
 *    The leader's decision state, handed to parallel workers (see decision.h).
 *
 * The value of runai.statement_decision is the base64 form of:
 *    DecisionHeader, the leader's overlay of uncommitted scope changes
 *    (RbacOverlayEntry[noverlay]), then the grants (rbac_grants_encode) if the
 *    leader has a subject.
 * In a worker the check hook accepts it only while the worker initialises
 * (InitializingParallelWorker) and keeps the decoded bytes; the assign hook tells
 * the cache which tree version to pin and the tree which uncommitted changes the
 * leader sees.  The grants are decoded at their first use, inside the worker's
 * transaction (a private tree resolves scopes by name).
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "common/base64.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "decision.h"
#include "scopetree.h"

#define DECISION_GUC	"runai.statement_decision"
#define DECISION_MAGIC	0x52424431	/* "RBD1" */

typedef struct DecisionHeader
{
	uint32		magic;
	Oid			dboid;
	Oid			role;
	bool		has_subject;
	bool		truncated;
	uint32		noverlay;
	int64		xact_ts;		/* the leader's transaction */
	int64		stmt_ts;		/* and statement, when it decided */
	uint64		version;
} DecisionHeader;

/* The decoded value (GUC "extra", freed by the GUC machinery with free()). */
typedef struct DecisionExtra
{
	size_t		len;
	char		data[FLEXIBLE_ARRAY_MEMBER];	/* DecisionHeader ... */
} DecisionExtra;

static char *decision_value = NULL;
static const DecisionExtra *cur = NULL;
static bool assigning = false;

/* The worker's decoded grants, made at first use. */
static RbacGrants *worker_grants = NULL;
static bool worker_decoded = false;

/* Decodes s into a malloc'd extra; NULL if it is not a valid state. */
static DecisionExtra *
decision_decode(const char *s)
{
	int			slen = strlen(s);
	int			max = pg_b64_dec_len(slen);
	DecisionExtra *x = malloc(offsetof(DecisionExtra, data) + Max(max, 1));
	int			n;
	DecisionHeader h;

	if (x == NULL)
		return NULL;
	n = pg_b64_decode(s, slen, x->data, max);
	if (n < (int) sizeof(DecisionHeader))
	{
		free(x);
		return NULL;
	}
	memcpy(&h, x->data, sizeof(h));
	if (h.magic != DECISION_MAGIC ||
		h.noverlay > (n - sizeof(DecisionHeader)) / sizeof(RbacOverlayEntry))
	{
		free(x);
		return NULL;
	}
	x->len = n;
	return x;
}

/*
 * Check hook: only this file, and a parallel worker copying its leader's value,
 * may set a state; anyone allowed to set the parameter at all may clear it.
 */
static bool
decision_check_hook(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0')
	{
		*extra = NULL;
		return true;
	}
	if (!assigning && !InitializingParallelWorker)
	{
		GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
		GUC_check_errmsg("parameter \"%s\" can only be set by runai_rbac itself", DECISION_GUC);
		GUC_check_errdetail("It carries a statement's permissions to its parallel workers.");
		GUC_check_errhint("Leave it alone; runai.authenticate and database role bindings decide the subject.");
		return false;
	}
	if (InitializingParallelWorker)
	{
		DecisionExtra *x = decision_decode(*newval);

		if (x == NULL)
		{
			GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
			GUC_check_errmsg("invalid value for parameter \"%s\"", DECISION_GUC);
			return false;
		}
		*extra = x;
	}
	else
		*extra = NULL;			/* the leader does not read its own value */
	return true;
}

/*
 * Assign hook: in a worker, a state for this very statement pins the leader's
 * tree version and the leader's uncommitted scope changes.
 */
static void
decision_assign_hook(const char *newval, void *extra)
{
	DecisionHeader h;
	const DecisionExtra *x = extra;

	cur = NULL;
	if (!InitializingParallelWorker || x == NULL)
		return;
	memcpy(&h, x->data, sizeof(h));

	/*
	 * Made in this transaction, not after this statement started: the leader
	 * decides at the statement's ExecutorStart, which under the extended protocol
	 * runs at Bind, while its workers get the statement time of the Execute
	 * message that starts them (Citus runs shard queries with parameters so).
	 * Every parallel statement decides anew, so the latest decision is its own.
	 */
	if (h.dboid != MyDatabaseId || h.xact_ts != GetCurrentTransactionStartTimestamp() ||
		h.stmt_ts > GetCurrentStatementStartTimestamp())
		return;					/* made for another statement */
	cur = x;
	rbac_cache_worker_pin(h.version);
	rbac_tree_overlay_import((const RbacOverlayEntry *) (x->data + sizeof(DecisionHeader)),
							 (int) h.noverlay, h.truncated);
}

/* See decision.h. */
void
rbac_decision_init(void)
{
	DefineCustomStringVariable(DECISION_GUC,
							   "The permissions of the current statement, for its parallel workers (set by runai_rbac only).",
							   NULL,
							   &decision_value,
							   "",
							   PGC_SUSET,
							   GUC_NO_SHOW_ALL | GUC_NO_RESET_ALL | GUC_NOT_IN_SAMPLE |
							   GUC_DISALLOW_IN_FILE | GUC_SUPERUSER_ONLY,
							   decision_check_hook, decision_assign_hook, NULL);
}

/* See decision.h. */
void
rbac_decision_publish(Oid role, const RbacGrants *g, uint64 version)
{
	StringInfoData buf;
	DecisionHeader h;
	RbacOverlayEntry *ov;
	int			nov;
	char	   *value;
	int			vlen;

	initStringInfo(&buf);
	memset(&h, 0, sizeof(h));
	h.magic = DECISION_MAGIC;
	h.dboid = MyDatabaseId;
	h.role = role;
	h.has_subject = g != NULL;
	h.xact_ts = GetCurrentTransactionStartTimestamp();
	h.stmt_ts = GetCurrentStatementStartTimestamp();
	h.version = version;
	nov = rbac_tree_overlay_export(&ov, &h.truncated);
	h.noverlay = nov;
	appendBinaryStringInfo(&buf, (const char *) &h, sizeof(h));
	if (nov > 0)
		appendBinaryStringInfo(&buf, (const char *) ov, sizeof(RbacOverlayEntry) * nov);
	if (g != NULL)
		rbac_grants_encode(g, &buf);

	value = palloc(pg_b64_enc_len(buf.len) + 1);
	vlen = pg_b64_encode(buf.data, buf.len, value, pg_b64_enc_len(buf.len));
	if (vlen < 0)
		elog(ERROR, "runai_rbac: could not encode the statement's permissions");
	value[vlen] = '\0';
	if (decision_value == NULL || strcmp(decision_value, value) != 0)
	{
		assigning = true;
		PG_TRY();
		{
			(void) set_config_option(DECISION_GUC, value, PGC_SUSET, PGC_S_SESSION,
									 GUC_ACTION_SET, true, ERROR, false);
		}
		PG_FINALLY();
		{
			assigning = false;
		}
		PG_END_TRY();
	}
	pfree(value);
	pfree(buf.data);
}

/* See decision.h. */
void
rbac_decision_clear(void)
{
	if (decision_value == NULL || decision_value[0] == '\0' || IsInParallelMode() ||
		IsParallelWorker() || !IsTransactionState())
		return;
	(void) set_config_option(DECISION_GUC, "", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SET, true, ERROR, false);
}

/* See decision.h. */
bool
rbac_decision_worker(Oid role, RbacGrants **g)
{
	DecisionHeader h;

	if (cur == NULL || !IsParallelWorker())
		return false;
	memcpy(&h, cur->data, sizeof(h));
	if (h.role != role)
		return false;
	if (!worker_decoded)
	{
		size_t		off = sizeof(DecisionHeader) + sizeof(RbacOverlayEntry) * h.noverlay;

		worker_decoded = true;
		if (h.has_subject)
		{
			worker_grants = rbac_grants_decode(cur->data + off, cur->len - off);
			if (worker_grants == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INTERNAL_ERROR),
						 errmsg("runai_rbac: a parallel worker received unreadable permissions from its leader")));
		}
	}
	*g = worker_grants;
	return true;
}
