/*
 * session.c
 *    Token sessions: runai.authenticate(token[, local]), the token subject of this
 *    backend, and the helpers sign_out and the password functions use.
 *
 * Where the subject lives.  In the GUC runai.authenticated_session, whose value is
 * "<stamp>:<session id>:<u|a>:<expires_at, microseconds>:<token digest, hex>:<name>"
 * or empty (the stamp: see "Failing closed" below).  The digest identifies the
 * session row even after the extension was dropped and created again (ids
 * restart); it cannot be used as a token.  It is
 * PGC_SUSET (a non-superuser's SET, set_config, RESET, ALTER ROLE ... SET fail
 * with "permission denied"), hidden (superuser-only, not in SHOW ALL or files),
 * excluded from RESET ALL, and its check hook refuses every value that this file
 * did not set itself, superusers included.  Being a GUC gives it the semantics
 * the spec asks for at no cost:
 *  - a successful authenticate(token) is SET (kept at commit, undone by ROLLBACK
 *    or ROLLBACK TO SAVEPOINT), authenticate(token, local => true) is SET LOCAL
 *    (ends with the transaction, committed or rolled back: the mode for
 *    transaction pooling);
 *  - parallel workers receive the value with the other GUCs before they run any
 *    query, and the check hook accepts it only while the worker is initialising;
 *  - SET ROLE, RESET ROLE, SET SESSION AUTHORIZATION and RESET ALL leave it alone;
 *  - DISCARD ALL (a pooler's reset query) ends it: a ProcessUtility hook clears
 *    it after DISCARD ALL succeeds, so the next client of a pooled connection
 *    does not inherit the previous client's subject.
 *
 * Validity.  The value says which session the subject came from; the session row
 * (runai_internal.sessions) can be deleted meanwhile (sign-out, password change or
 * reset, user or application deletion) or expire.  Expiry is judged against the
 * statement's start time.  Deletion is noticed through the relcache invalidation
 * that the statement trigger on the sessions table sends: the callback only sets a
 * flag, and the next call in a transaction re-reads the row with a fresh MVCC
 * snapshot (so a revocation committed elsewhere is seen at this backend's next
 * statement, its own uncommitted revocation at once, and a rolled back one never).
 * A parallel worker always re-reads the row once, the same way.  A subject whose
 * session has expired or ended is reported once, with 28000, by the lookup that
 * finds it so (the next statement that needs the subject); after that the value is
 * disowned (below) and the connection has no token subject.
 *
 * Failing closed: disowned values.  A GUC follows ROLLBACK, so a value set before
 * a failed runai.authenticate would come back when the failure is caught by a
 * savepoint or an exception block.  Every value therefore carries a stamp from a
 * per-backend counter, and owned_from -- plain C state, which no rollback touches
 * -- is the lowest stamp this backend still honours.  A failed authenticate (any
 * error, for any reason), runai.clear_subject, sign_out, DISCARD ALL and the report
 * of an expired or ended session raise owned_from past every stamp given so far:
 * whatever value a rollback restores afterwards is disowned and means "no token
 * subject"; only a later successful authenticate, whose value gets a new stamp, is
 * honoured again.  rbac_session_subject() is the one place that applies the rule.
 *
 * Parallel workers receive the GUC's value, not owned_from, so the leader never
 * hands them a disowned value: an ExecutorStart hook clears a disowned value from
 * the GUC (and reports an expired or ended session) before a statement that needs
 * parallel mode starts, i.e. before any worker is launched, and a ProcessUtility
 * hook clears it before a utility statement (a parallel CREATE INDEX starts
 * workers without the executor).  Nothing can disown
 * the value while workers run: authenticate and clear_subject are refused in
 * parallel mode, and subtransactions (which could catch their error) are too.
 * Workers judge expiry by the leader's statement start, as the leader did; only a
 * revocation committed after the leader's check can be found by a worker, which
 * then raises the 28000 itself (the leader, not told, reports it again at its
 * next statement: the one case in which it is reported twice).
 *
 * Pooler guard.  With runai.require_local_authenticate on (PGC_SUSET: set by a
 * superuser, usually per role), runai.authenticate(token) without local => true is
 * refused with 42501 -- a failed authenticate like any other.
 *
 * Rows are read with direct index scans, not SPI: no privilege on the table is
 * needed, nothing user-defined runs, and it works inside parallel workers.  The
 * table is found through catalog.h.
 *
 * Caching: cur points at the GUC's parsed "extra" (owned by the GUC machinery);
 * version changes whenever the answer of rbac_session_subject() may change, which
 * is what identity.c's memo keys on; the callbacks registered by higher units
 * (rbac_session_register_callback) are called at the same moments.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "catalog.h"
#include "password.h"
#include "session.h"

#define SESSION_GUC "runai.authenticated_session"

int			rbac_session_lifetime = 12 * 3600;
static bool require_local_authenticate = false;

/* The parsed GUC value (its "extra"). */
typedef struct SessionState
{
	uint64		stamp;			/* honoured while >= owned_from */
	int64		id;
	RbacSubjectKind kind;
	TimestampTz expires_at;
	uint8		hash[PG_SHA256_DIGEST_LENGTH];
	char		name[RBAC_SUBJECT_NAME_MAX + 1];
} SessionState;

/* A row of runai_internal.sessions. */
typedef struct SessionRow
{
	int64		id;
	RbacSubjectKind kind;
	TimestampTz expires_at;
	uint8		hash[PG_SHA256_DIGEST_LENGTH];
	char		name[RBAC_SUBJECT_NAME_MAX + 1];
} SessionRow;

static char *session_guc_value = NULL;
static const SessionState *cur = NULL;

/* Set around set_config_option() calls made by this file. */
static bool assigning = false;
static bool assigning_validated = false;	/* the row was just read */
static TimestampTz assigning_row_expires = 0;

static bool recheck_pending = false;
static bool row_valid = false;
static TimestampTz row_expires = 0;
static bool effective = false;
static uint64 version = 1;

/*
 * Disowning (see the file header): the stamp the next successful authenticate
 * gives its value, and the lowest stamp still honoured.  Never rolled back.
 */
static uint64 next_stamp = 1;
static uint64 owned_from = 1;

static ProcessUtility_hook_type prev_process_utility = NULL;
static ExecutorStart_hook_type prev_executor_start = NULL;

#define MAX_SUBJECT_CALLBACKS 4
static RbacSubjectChangeCallback subject_callbacks[MAX_SUBJECT_CALLBACKS];
static int	nsubject_callbacks = 0;

/* See session.h. */
void
rbac_session_register_callback(RbacSubjectChangeCallback callback)
{
	if (nsubject_callbacks >= MAX_SUBJECT_CALLBACKS)
		elog(ERROR, "runai_rbac: too many subject change callbacks");
	subject_callbacks[nsubject_callbacks++] = callback;
}

/* The token subject changed: version and every registered callback. */
static void
subject_changed(void)
{
	version++;
	for (int i = 0; i < nsubject_callbacks; i++)
		subject_callbacks[i] ();
}

/* ---------------------------------------------------------------------------
 * The GUC
 * ---------------------------------------------------------------------------
 */

/*
 * Parses "<stamp>:<id>:<u|a>:<expires>:<digest>:<name>" into st; false if
 * malformed.
 */
static bool
session_parse(const char *s, SessionState *st)
{
	char	   *end;
	const char *p = s;
	size_t		nlen;

	errno = 0;
	st->stamp = strtoull(p, &end, 10);
	if (errno != 0 || end == p || *end != ':' || st->stamp == 0)
		return false;
	p = end + 1;
	errno = 0;
	st->id = strtoll(p, &end, 10);
	if (errno != 0 || end == p || *end != ':' || st->id <= 0)
		return false;
	p = end + 1;
	if ((p[0] != 'u' && p[0] != 'a') || p[1] != ':')
		return false;
	st->kind = p[0] == 'u' ? RBAC_SUBJECT_USER : RBAC_SUBJECT_APP;
	p += 2;
	errno = 0;
	st->expires_at = strtoll(p, &end, 10);
	if (errno != 0 || end == p || *end != ':')
		return false;
	p = end + 1;
	if (strlen(p) < PG_SHA256_DIGEST_LENGTH * 2 + 1 || p[PG_SHA256_DIGEST_LENGTH * 2] != ':' ||
		hex_decode(p, PG_SHA256_DIGEST_LENGTH * 2, (char *) st->hash) != PG_SHA256_DIGEST_LENGTH)
		return false;
	p += PG_SHA256_DIGEST_LENGTH * 2 + 1;
	nlen = strlen(p);
	if (nlen == 0 || nlen > RBAC_SUBJECT_NAME_MAX)
		return false;
	memcpy(st->name, p, nlen + 1);
	return true;
}

/*
 * Check hook: only this file (and a parallel worker copying its leader's value)
 * may set a subject; anyone allowed to set the GUC at all may clear it.
 */
static bool
session_check_hook(char **newval, void **extra, GucSource source)
{
	SessionState st;
	SessionState *copy;

	if (*newval == NULL || (*newval)[0] == '\0')
	{
		*extra = NULL;
		return true;
	}
	if (!assigning && !InitializingParallelWorker)
	{
		GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
		GUC_check_errmsg("parameter \"%s\" can only be set by runai.authenticate", SESSION_GUC);
		GUC_check_errdetail("The Run:ai subject of a session is established by a token, never by setting a parameter.");
		GUC_check_errhint("Call runai.authenticate(token) with a token from runai.sign_in, runai.sso_sign_in or runai.app_sign_in.");
		return false;
	}
	if (!session_parse(*newval, &st))
	{
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errmsg("invalid value for parameter \"%s\"", SESSION_GUC);
		return false;
	}
	/* PostgreSQL 15 frees a GUC's extra with free() */
	copy = malloc(sizeof(SessionState));
	if (copy == NULL)
		return false;
	memcpy(copy, &st, sizeof(st));
	*extra = copy;
	return true;
}

/*
 * Assign hook: also runs when a transaction or savepoint is rolled back, so it
 * only records the new state; a value not just validated is re-read before use.
 */
static void
session_assign_hook(const char *newval, void *extra)
{
	cur = (const SessionState *) extra;
	/* e.g. plans made for the previous subject must not run for this one */
	subject_changed();
	if (cur != NULL && assigning && assigning_validated)
	{
		recheck_pending = false;
		row_valid = true;
		row_expires = assigning_row_expires;
	}
	else
	{
		recheck_pending = cur != NULL;
		row_valid = false;
	}
}

/* Sets the GUC from this file; value "" clears it. */
static void
session_set(const char *value, GucAction action, bool validated, TimestampTz expires)
{
	assigning = true;
	assigning_validated = validated;
	assigning_row_expires = expires;
	PG_TRY();
	{
		(void) set_config_option(SESSION_GUC, value, PGC_SUSET, PGC_S_SESSION,
								 action, true, ERROR, false);
	}
	PG_FINALLY();
	{
		assigning = false;
		assigning_validated = false;
	}
	PG_END_TRY();
}

/* ---------------------------------------------------------------------------
 * Reading runai_internal.sessions
 * ---------------------------------------------------------------------------
 */

/* Relcache listener (catalog.h): only a flag (see the file header). */
static void
session_relcache_callback(Oid relid)
{
	if (rbac_catalog_relation_may_be(relid, RBAC_REL_SESSIONS))
		recheck_pending = true;
}

/*
 * Reads the session row of a token digest with a fresh snapshot.  False if there
 * is none, or no sessions table at all (the extension is not installed).
 */
static bool
session_lookup(const uint8 *hash, SessionRow *row)
{
	const RbacCatalog *cat = rbac_catalog_lookup();
	Oid			relid = cat->rel[RBAC_REL_SESSIONS],
				indexid = cat->rel[RBAC_IDX_SESSIONS_TOKEN];
	Relation	rel;
	Snapshot	snap;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	AttrNumber	a_id,
				a_hash,
				a_type,
				a_subject,
				a_expires;
	bool		found = false;
	bytea	   *keyval;

	if (!OidIsValid(relid) || !OidIsValid(indexid))
		return false;
	a_id = get_attnum(relid, "id");
	a_hash = get_attnum(relid, "token_hash");
	a_type = get_attnum(relid, "subject_type");
	a_subject = get_attnum(relid, "subject");
	a_expires = get_attnum(relid, "expires_at");
	if (a_id <= 0 || a_hash <= 0 || a_type <= 0 || a_subject <= 0 || a_expires <= 0)
		elog(ERROR, "runai_rbac: the sessions table lacks a column this version of runai_rbac needs");

	keyval = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	SET_VARSIZE(keyval, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	memcpy(VARDATA(keyval), hash, PG_SHA256_DIGEST_LENGTH);
	ScanKeyInit(&key, a_hash, BTEqualStrategyNumber, F_BYTEAEQ, PointerGetDatum(keyval));

	rel = table_open(relid, AccessShareLock);
	/* the sessions table has no syscache, so this is a new snapshot every time */
	snap = RegisterSnapshot(GetCatalogSnapshot(relid));
	scan = systable_beginscan(rel, indexid, true, snap, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		TupleDesc	desc = RelationGetDescr(rel);
		bool		n1,
					n2,
					n3,
					n4,
					n5;
		Datum		d_id = heap_getattr(tup, a_id, desc, &n1);
		Datum		d_hash = heap_getattr(tup, a_hash, desc, &n2);
		Datum		d_type = heap_getattr(tup, a_type, desc, &n3);
		Datum		d_subject = heap_getattr(tup, a_subject, desc, &n4);
		Datum		d_expires = heap_getattr(tup, a_expires, desc, &n5);

		if (!n1 && !n2 && !n3 && !n4 && !n5)
		{
			bytea	   *h = DatumGetByteaPP(d_hash);
			text	   *ty = DatumGetTextPP(d_type);
			text	   *su = DatumGetTextPP(d_subject);
			size_t		slen = VARSIZE_ANY_EXHDR(su);

			if (VARSIZE_ANY_EXHDR(h) == PG_SHA256_DIGEST_LENGTH &&
				slen >= 1 && slen <= RBAC_SUBJECT_NAME_MAX &&
				VARSIZE_ANY_EXHDR(ty) >= 1)
			{
				row->id = DatumGetInt64(d_id);
				memcpy(row->hash, VARDATA_ANY(h), PG_SHA256_DIGEST_LENGTH);
				row->kind = *VARDATA_ANY(ty) == 'u' ? RBAC_SUBJECT_USER : RBAC_SUBJECT_APP;
				memcpy(row->name, VARDATA_ANY(su), slen);
				row->name[slen] = '\0';
				row->expires_at = DatumGetTimestampTz(d_expires);
				found = true;
			}
		}
	}
	systable_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	pfree(keyval);
	return found;
}

/* Does this backend still honour the value st (see "Failing closed")? */
static inline bool
session_owned(const SessionState *st)
{
	return st != NULL && st->stamp >= owned_from;
}

/*
 * Disowns every value set so far: the connection has no token subject until the
 * next successful authenticate, whatever a rollback restores.  Only sets C state,
 * so it is safe in an error handler; the next lookup notices the change
 * (session_refresh) and tells version and the callbacks.
 */
static void
session_disown(void)
{
	owned_from = next_stamp;
}

/*
 * The 28000 of a token subject whose session expired (at expired_at, or 0 if it
 * did not) or was ended while in force.
 */
static void
session_ended_error(const SessionState *st, TimestampTz expired_at)
{
	const char *kind = st->kind == RBAC_SUBJECT_USER ? "user" : "app";

	if (expired_at != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("invalid or expired token"),
				 errdetail("The session of this connection's token expired at %s; the connection no longer acts for %s:%s.",
						   timestamptz_to_str(expired_at), kind, st->name),
				 errhint("Sign in again and call runai.authenticate with the new token; until then this connection has no token subject.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("invalid or expired token"),
			 errdetail("The session of this connection's token was ended by a sign-out, a password change or reset, or the deletion of its user or application; the connection no longer acts for %s:%s.",
					   kind, st->name),
			 errhint("Sign in again and call runai.authenticate with the new token; until then this connection has no token subject.")));
}

/*
 * Brings the answer up to date: applies disowning, re-reads the row if needed,
 * applies expiry.  An owned value whose session turns out to have expired or
 * ended is disowned and reported with 28000, once.
 */
static void
session_refresh(void)
{
	bool		now_effective = false;
	bool		ended = false;
	TimestampTz expired_at = 0;

	if (session_owned(cur))
	{
		bool		known = true;

		if (recheck_pending)
		{
			if (IsTransactionState())
			{
				SessionRow row;

				/*
				 * Cleared first: an invalidation arriving during the read sets it
				 * again, and the next call reads again; this call uses the row read.
				 */
				recheck_pending = false;
				row_valid = session_lookup(cur->hash, &row) &&
					row.id == cur->id && row.kind == cur->kind &&
					strcmp(row.name, cur->name) == 0;
				row_expires = row_valid ? row.expires_at : 0;
			}
			else
				known = false;	/* cannot read the row outside a transaction */
		}
		if (known)
		{
			TimestampTz now = GetCurrentStatementStartTimestamp();

			now_effective = row_valid && now < cur->expires_at && now < row_expires;
			ended = !now_effective;
			if (now >= cur->expires_at)
				expired_at = cur->expires_at;
			else if (row_valid && now >= row_expires)
				expired_at = row_expires;
		}
	}
	if (now_effective != effective)
	{
		effective = now_effective;
		subject_changed();
	}
	if (ended)
	{
		/* reported once: from now on the value is disowned */
		session_disown();
		session_ended_error(cur, expired_at);
	}
}

/* See session.h. */
bool
rbac_session_subject(RbacSubjectKind *kind, const char **name)
{
	session_refresh();
	if (!effective)
		return false;
	*kind = cur->kind;
	*name = cur->name;
	return true;
}

/* See session.h. */
bool
rbac_session_token(int64 *id, uint8 *digest)
{
	RbacSubjectKind kind;
	const char *name;

	/* the token subject as rbac_session_subject judges it, and only then */
	if (!rbac_session_subject(&kind, &name))
		return false;
	*id = cur->id;
	memcpy(digest, cur->hash, PG_SHA256_DIGEST_LENGTH);
	return true;
}

/* See session.h. */
uint64
rbac_session_version(void)
{
	session_refresh();
	return version;
}

/*
 * Drops this backend's token subject for good: disowns every value and clears the
 * GUC (for tidiness: the clearing is transactional, the disowning is not).
 * Returns whether a token subject was there, in force or not yet reported as
 * expired or ended.  Not in parallel mode (settings cannot change there).
 */
static bool
session_drop(void)
{
	bool		had = session_owned(cur);

	session_disown();
	if (session_guc_value != NULL && session_guc_value[0] != '\0')
		session_set("", GUC_ACTION_SET, false, 0);
	if (effective)
	{
		effective = false;
		subject_changed();
	}
	return had;
}

/* ---------------------------------------------------------------------------
 * Statements: DISCARD ALL, and what parallel workers receive
 * ---------------------------------------------------------------------------
 */

/*
 * ProcessUtility hook: a disowned value is cleared before the statement runs
 * (below), and DISCARD ALL drops the token subject once it has succeeded
 * (disowned too, so that nothing brings it back).
 */
static void
session_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
						ProcessUtilityContext context, ParamListInfo params,
						QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	bool		discard_all = IsA(parsetree, DiscardStmt) &&
		((DiscardStmt *) parsetree)->target == DISCARD_ALL;

	/*
	 * A utility statement may start parallel workers without the executor (a
	 * parallel CREATE INDEX runs index expressions in them): as before a
	 * parallel query, a disowned value is cleared from the setting they receive.
	 */
	if (cur != NULL && !session_owned(cur) && !IsA(parsetree, TransactionStmt) &&
		!IsInParallelMode() && !IsParallelWorker() && IsTransactionState())
		session_set("", GUC_ACTION_SET, false, 0);

	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params,
							 queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
	if (discard_all)
		(void) session_drop();
}

/*
 * ExecutorStart hook: before a statement that needs parallel mode starts -- its
 * workers will receive this backend's settings -- a disowned value is cleared from
 * the GUC, and an owned one is checked (an expired or ended session is reported
 * here, before any worker sees it).  Settings cannot change in parallel mode, and
 * nothing runs in parallel below a statement that is already in it.
 */
static void
session_executor_start(QueryDesc *queryDesc, int eflags)
{
	if (cur != NULL && queryDesc->plannedstmt->parallelModeNeeded &&
		!IsInParallelMode() && !IsParallelWorker())
	{
		if (session_owned(cur) && (eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0)
			session_refresh();
		if (!session_owned(cur))
			session_set("", GUC_ACTION_SET, false, 0);
	}
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/* ---------------------------------------------------------------------------
 * Initialisation
 * ---------------------------------------------------------------------------
 */

/* See session.h. */
void
rbac_session_init(void)
{
	DefineCustomStringVariable(SESSION_GUC,
							   "The token session of this connection (set by runai.authenticate only).",
							   NULL,
							   &session_guc_value,
							   "",
							   PGC_SUSET,
							   GUC_NO_SHOW_ALL | GUC_NO_RESET_ALL | GUC_NOT_IN_SAMPLE |
							   GUC_DISALLOW_IN_FILE | GUC_SUPERUSER_ONLY,
							   session_check_hook, session_assign_hook, NULL);
	DefineCustomIntVariable("runai.session_lifetime",
							"How long a token from a sign-in stays valid.",
							NULL,
							&rbac_session_lifetime,
							12 * 3600, 1, 366 * 24 * 3600,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("runai.require_local_authenticate",
							 "Refuses runai.authenticate(token) without local => true.",
							 "For database roles used behind a transaction-pooling connection pooler, where a session-level subject would reach the next client of the server connection. Set by a superuser, usually with ALTER ROLE ... SET.",
							 &require_local_authenticate,
							 false,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);

	rbac_catalog_on_relcache(session_relcache_callback);
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = session_process_utility;
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = session_executor_start;
}

/* ---------------------------------------------------------------------------
 * SQL-callable functions
 * ---------------------------------------------------------------------------
 */

/* The error for a token that does not give a session; the same for every cause. */
static void
invalid_token(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("invalid or expired token"),
			 errdetail("The token is unknown, has expired, or its session was ended by a sign-out, a password change or reset, or the deletion of its user or application."),
			 errhint("Sign in again with runai.sign_in, runai.sso_sign_in or runai.app_sign_in to get a new token.")));
}

/* Is t the form of a token: the prefix and 43 base64url characters? */
static bool
token_well_formed(const char *t, size_t len)
{
	size_t		plen = strlen(RBAC_TOKEN_PREFIX);

	if (len != plen + RBAC_B64URL_LEN(RBAC_TOKEN_BYTES) || memcmp(t, RBAC_TOKEN_PREFIX, plen) != 0)
		return false;
	for (size_t i = plen; i < len; i++)
	{
		char		c = t[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* Raises the error for a function that changes the token subject in parallel mode. */
static void
session_refuse_in_parallel_mode(const char *fn)
{
	if (IsInParallelMode())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("%s cannot run during a parallel operation", fn),
				 errdetail("It changes the token subject of the connection, which parallel workers have already received."),
				 errhint("Call it in a statement of its own; it is marked PARALLEL UNSAFE, so do not wrap it in a function marked PARALLEL SAFE.")));
}

/*
 * The body of runai.authenticate; any error it raises is a failed authenticate
 * (rbac_authenticate disowns).  Returns the subject's text.
 */
static text *
authenticate_body(FunctionCallInfo fcinfo)
{
	text	   *token;
	bool		local;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	SessionRow	row;
	char	   *value;
	char		hex[PG_SHA256_DIGEST_LENGTH * 2 + 1];
	uint64		stamp;

	session_refuse_in_parallel_mode("runai.authenticate");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"token\" must not be null"),
				 errdetail("runai.authenticate needs the token returned by a sign-in."),
				 errhint("Pass the token from runai.sign_in, runai.sso_sign_in or runai.app_sign_in.")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"local\" must not be null"),
				 errdetail("local says whether the subject lasts for the session (false) or the transaction (true)."),
				 errhint("Pass true or false, or leave it out for false.")));
	token = PG_GETARG_TEXT_PP(0);
	local = PG_GETARG_BOOL(1);

	if (!local && require_local_authenticate)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("runai.authenticate without local => true is not allowed for this connection"),
				 errdetail("runai.require_local_authenticate is on: a subject for the whole connection would reach the next client of a transaction-pooling connection pooler. The connection now has no token subject."),
				 errhint("Call runai.authenticate(token, local => true) at the start of each transaction.")));

	if (!token_well_formed(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token)))
		invalid_token();
	rbac_sha256(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token), digest);
	if (!session_lookup(digest, &row) ||
		timingsafe_bcmp(row.hash, digest, sizeof(digest)) != 0 ||
		row.expires_at <= GetCurrentStatementStartTimestamp())
		invalid_token();

	stamp = next_stamp++;
	hex[hex_encode((const char *) row.hash, PG_SHA256_DIGEST_LENGTH, hex)] = '\0';
	value = psprintf(UINT64_FORMAT ":" INT64_FORMAT ":%c:" INT64_FORMAT ":%s:%s", stamp, row.id,
					 row.kind == RBAC_SUBJECT_USER ? 'u' : 'a',
					 (int64) row.expires_at, hex, row.name);
	session_set(value, local ? GUC_ACTION_LOCAL : GUC_ACTION_SET, true, row.expires_at);
	session_refresh();
	return cstring_to_text(psprintf("%s:%s", row.kind == RBAC_SUBJECT_USER ? "user" : "app",
									row.name));
}

PG_FUNCTION_INFO_V1(rbac_authenticate);
/*
 * runai.authenticate(token text, local boolean DEFAULT false) → text: makes the
 * token's user or application the current subject, for the session or (local)
 * until the end of the transaction, and returns it as user:<email> or app:<name>.
 * When it fails, for whatever reason, the connection is left with no token
 * subject, also once the error is caught and rolled back (see "Failing closed").
 */
Datum
rbac_authenticate(PG_FUNCTION_ARGS)
{
	text	   *result = NULL;

	PG_TRY();
	{
		result = authenticate_body(fcinfo);
	}
	PG_CATCH();
	{
		session_disown();
		PG_RE_THROW();
	}
	PG_END_TRY();
	PG_RETURN_TEXT_P(result);
}

PG_FUNCTION_INFO_V1(rbac_clear_subject);
/*
 * runai.clear_subject() → boolean: drops this connection's token subject without
 * ending its session (the token keeps working elsewhere), for good: a rollback does
 * not bring it back.  True if there was one.
 */
Datum
rbac_clear_subject(PG_FUNCTION_ARGS)
{
	session_refuse_in_parallel_mode("runai.clear_subject");
	PG_RETURN_BOOL(session_drop());
}

PG_FUNCTION_INFO_V1(rbac_session_end_sql);
/*
 * runai_internal.session_end() → bigint: drops the token subject for good (as
 * clear_subject does) and returns the id of the session it came from (NULL if
 * none), so that sign_out can delete that session.  Only inside the extension's
 * functions.
 */
Datum
rbac_session_end_sql(PG_FUNCTION_ARGS)
{
	int64		id;

	(void) rbac_actor();
	session_refuse_in_parallel_mode("runai.sign_out");
	if (!session_owned(cur))
	{
		(void) session_drop();
		PG_RETURN_NULL();
	}
	id = cur->id;
	(void) session_drop();
	PG_RETURN_INT64(id);
}

PG_FUNCTION_INFO_V1(rbac_session_id_sql);
/*
 * runai_internal.session_id() → bigint: the id of the valid session the token subject
 * comes from, or NULL (change_password keeps it while ending the others).
 */
Datum
rbac_session_id_sql(PG_FUNCTION_ARGS)
{
	(void) rbac_actor();
	session_refresh();
	if (!effective)
		PG_RETURN_NULL();
	PG_RETURN_INT64(cur->id);
}

PG_FUNCTION_INFO_V1(rbac_session_expires_sql);
/* runai_internal.session_expires_at() → timestamptz: expiry of a session created now. */
Datum
rbac_session_expires_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_TIMESTAMPTZ(TimestampTzPlusMilliseconds(GetCurrentStatementStartTimestamp(),
													  (int64) rbac_session_lifetime * 1000));
}
