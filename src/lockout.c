/*
 * lockout.c
 *    Consecutive failed sign-ins per account, in shared memory (see lockout.h).
 *
 * Shared state: a hash table of at most runai.lockout_entries entries keyed by 128
 * bits of the SHA-256 digest of the database, the extension (catalog.h) and the
 * lower-case email (emails themselves are not kept), under one LWLock, and a list
 * of the entries in the order of their last counted failure (least recent first).
 * Unknown emails are counted like real accounts, so that "locked" does not tell an
 * attacker which emails exist.
 *
 * Protocol: rbac_lockout_attempt() counts the attempt as a failure *before* the
 * password is checked, and locks the account as soon as the count reaches
 * runai.max_failed_sign_ins; rbac_lockout_success() forgets the entry.  So a
 * check that is cancelled, fails with an error or whose transaction rolls back
 * still counts, and concurrent attempts cannot exceed the limit.
 *
 * The window.  Failures are consecutive while each comes within
 * runai.lockout_duration of the previous one: an entry is *protected* until
 * protected_until, the later of its last failure plus the window and the end of
 * its lock.  Once that has passed the entry means nothing any more (the next
 * failure starts a fresh count, a lock that has ended is gone), so it may be
 * dropped; and only then.
 *
 * A full table fails closed.  Load on other emails must never make the table
 * forget an account's recent failures (an attacker would flush the count of the
 * account it guesses at).  So a new email finds room only by dropping the least
 * recently failed entry, and only if that entry is no longer protected; when every
 * entry is protected, the attempt is answered as locked, without a password check,
 * until the oldest protection ends.  Emails already in the table are counted as
 * usual.  The server log says when that happens (at most once a minute).
 *
 * Memory: an entry is 56 bytes, about 80 with the hash table's own overhead, all
 * allocated at server start (runai.lockout_entries, PGC_POSTMASTER).
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "fmgr.h"
#include "lib/ilist.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "catalog.h"
#include "lockout.h"
#include "password.h"

int			rbac_max_failed_sign_ins = 5;
int			rbac_lockout_duration = 900;
static int	lockout_entries = 100000;

/* How often a full table is reported in the server log. */
#define LOCKOUT_FULL_LOG_INTERVAL_MS	60000

typedef struct LockoutKey
{
	uint8		digest[16];		/* the first 128 bits of the SHA-256 digest */
} LockoutKey;

typedef struct LockoutEntry
{
	LockoutKey	key;			/* hash key, first */
	dlist_node	node;			/* in LockoutShared.by_failure */
	int32		failures;		/* consecutive failures, attempts in flight included */
	TimestampTz protected_until;	/* see the file header */
	TimestampTz locked_until;	/* 0: not locked */
} LockoutEntry;

typedef struct LockoutShared
{
	LWLock	   *lock;
	dlist_head	by_failure;		/* entries, least recent failure first */
	TimestampTz full_logged;	/* when a full table was last reported */
	uint64		refused;		/* new emails answered locked, table full */
} LockoutShared;

static LockoutShared *lockout_shared = NULL;
static HTAB *lockout_table = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* Shared memory needed for the table and its header. */
static Size
lockout_shmem_size(void)
{
	return add_size(MAXALIGN(sizeof(LockoutShared)),
					hash_estimate_size(lockout_entries, sizeof(LockoutEntry)));
}

/* shmem_request_hook: reserve the memory and the lock (postmaster, at start). */
static void
lockout_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(lockout_shmem_size());
	RequestNamedLWLockTranche("runai_rbac lockout", 1);
}

/* shmem_startup_hook: create or attach to the table. */
static void
lockout_shmem_startup(void)
{
	bool		found;
	HASHCTL		info;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	lockout_shared = ShmemInitStruct("runai_rbac lockout", sizeof(LockoutShared), &found);
	if (!found)
	{
		lockout_shared->lock = &(GetNamedLWLockTranche("runai_rbac lockout"))->lock;
		dlist_init(&lockout_shared->by_failure);
		lockout_shared->full_logged = 0;
		lockout_shared->refused = 0;
	}
	info.keysize = sizeof(LockoutKey);
	info.entrysize = sizeof(LockoutEntry);
	lockout_table = ShmemInitHash("runai_rbac lockout table", lockout_entries,
								  lockout_entries, &info, HASH_ELEM | HASH_BLOBS);
	LWLockRelease(AddinShmemInitLock);
}

/* See lockout.h. */
void
rbac_lockout_init(void)
{
	DefineCustomIntVariable("runai.max_failed_sign_ins",
							"Consecutive failed sign-ins that lock an account.",
							"Counted per email in shared memory, also for unknown emails; failures more than runai.lockout_duration apart are not consecutive; 0 never locks.",
							&rbac_max_failed_sign_ins,
							5, 0, 1000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("runai.lockout_duration",
							"How long an account stays locked after too many failed sign-ins.",
							"Also the window in which failures count as consecutive, and in which an account's failures are kept and recorded as one event.",
							&rbac_lockout_duration,
							900, 1, 365 * 24 * 3600,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	/* the shared memory, and its size setting, exist only when preloaded */
	if (process_shared_preload_libraries_in_progress)
	{
		DefineCustomIntVariable("runai.lockout_entries",
								"Emails whose recent failed sign-ins are remembered at once (shared memory).",
								"About 80 bytes each, allocated at server start. When every entry has a failure within runai.lockout_duration, sign-ins of other emails are answered locked. Takes effect at server start.",
								&lockout_entries,
								100000, 16, 50000000,
								PGC_POSTMASTER, 0,
								NULL, NULL, NULL);
		prev_shmem_request_hook = shmem_request_hook;
		shmem_request_hook = lockout_shmem_request;
		prev_shmem_startup_hook = shmem_startup_hook;
		shmem_startup_hook = lockout_shmem_startup;
	}
}

/* See lockout.h. */
bool
rbac_lockout_available(void)
{
	return lockout_shared != NULL && lockout_table != NULL;
}

/* Raises the error for a server started without the shared memory. */
static void
lockout_require(void)
{
	if (!rbac_lockout_available())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("runai_rbac must be in shared_preload_libraries to check passwords"),
				 errdetail("Failed sign-ins are counted in shared memory, so that rolling back a transaction cannot undo the count, and this server was started without it."),
				 errhint("Add runai_rbac to shared_preload_libraries in postgresql.conf and restart the server.")));
}

/*
 * The hash key of an account: the database, the OID of the extension (so that a
 * dropped and re-created extension starts afresh, while an update keeps the
 * counts) and the email.
 */
static void
lockout_key(const char *key, size_t len, LockoutKey *out)
{
	StringInfoData buf;
	Oid			ext = rbac_catalog_lookup()->extension;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, (const char *) &MyDatabaseId, sizeof(Oid));
	appendBinaryStringInfo(&buf, (const char *) &ext, sizeof(Oid));
	appendBinaryStringInfo(&buf, key, len);
	rbac_sha256(buf.data, buf.len, digest);
	memcpy(out->digest, digest, sizeof(out->digest));
	pfree(buf.data);
}

/*
 * Makes room for a new entry if the table is full, by dropping the least recently
 * failed entry when it is no longer protected.  False if the table is full of
 * protected entries (*until: when the oldest protection ends).  Lock held.
 */
static bool
lockout_make_room(TimestampTz now, TimestampTz *until)
{
	LockoutEntry *oldest;

	if (hash_get_num_entries(lockout_table) < lockout_entries)
		return true;
	Assert(!dlist_is_empty(&lockout_shared->by_failure));
	oldest = dlist_head_element(LockoutEntry, node, &lockout_shared->by_failure);
	if (now < oldest->protected_until)
	{
		*until = oldest->protected_until;
		return false;
	}
	dlist_delete(&oldest->node);
	hash_search(lockout_table, &oldest->key, HASH_REMOVE, NULL);
	return true;
}

/* Reports a full table in the server log, at most once a minute.  Lock not held. */
static void
lockout_report_full(TimestampTz now)
{
	bool		report = false;
	uint64		refused = 0;

	LWLockAcquire(lockout_shared->lock, LW_EXCLUSIVE);
	if (TimestampDifferenceExceeds(lockout_shared->full_logged, now, LOCKOUT_FULL_LOG_INTERVAL_MS))
	{
		lockout_shared->full_logged = now;
		refused = lockout_shared->refused;
		report = true;
	}
	LWLockRelease(lockout_shared->lock);
	if (report)
		ereport(LOG,
				(errmsg("runai_rbac: the table of failed sign-ins is full, so sign-ins of emails without recent failures are answered \"locked\""),
				 errdetail("All %d entries have a failed sign-in within runai.lockout_duration; %llu sign-ins have been refused this way since the server started.",
						   lockout_entries, (unsigned long long) refused),
				 errhint("A flood of failed sign-ins is going on, or runai.lockout_entries is too small for the sign-ins this server sees: raise it (about 80 bytes an entry) and restart the server.")));
}

/* See lockout.h. */
bool
rbac_lockout_attempt(const char *key, size_t len, TimestampTz *locked_until)
{
	LockoutKey	k;
	LockoutEntry *e;
	bool		found;
	TimestampTz now = GetCurrentTimestamp();
	bool		allowed = true;

	lockout_require();
	*locked_until = 0;
	/* runai.max_failed_sign_ins = 0: nothing locks, so nothing needs counting */
	if (rbac_max_failed_sign_ins == 0)
		return true;
	lockout_key(key, len, &k);

	LWLockAcquire(lockout_shared->lock, LW_EXCLUSIVE);
	e = hash_search(lockout_table, &k, HASH_FIND, NULL);
	if (e == NULL)
	{
		if (lockout_make_room(now, locked_until))
			e = hash_search(lockout_table, &k, HASH_ENTER_NULL, &found);
		if (e == NULL)
		{
			/* fail closed: no password check for an email that cannot be counted */
			if (*locked_until == 0)
				*locked_until = TimestampTzPlusMilliseconds(now, (int64) rbac_lockout_duration * 1000);
			lockout_shared->refused++;
			LWLockRelease(lockout_shared->lock);
			lockout_report_full(now);
			return false;
		}
		e->failures = 0;
		e->protected_until = 0;
		e->locked_until = 0;
		dlist_push_tail(&lockout_shared->by_failure, &e->node);
	}
	if (now >= e->protected_until)
	{
		/* the window has passed and any lock has ended: a fresh count */
		e->failures = 0;
		e->locked_until = 0;
	}
	if (e->locked_until != 0 && now < e->locked_until)
	{
		*locked_until = e->locked_until;
		allowed = false;
	}
	else
	{
		e->failures++;
		e->protected_until = TimestampTzPlusMilliseconds(now, (int64) rbac_lockout_duration * 1000);
		if (rbac_max_failed_sign_ins > 0 && e->failures >= rbac_max_failed_sign_ins)
			e->locked_until = e->protected_until;
		/* the most recent failure goes last */
		dlist_move_tail(&lockout_shared->by_failure, &e->node);
	}
	LWLockRelease(lockout_shared->lock);
	return allowed;
}

/* See lockout.h.  Does nothing without the shared memory (nothing is counted). */
void
rbac_lockout_success(const char *key, size_t len)
{
	LockoutKey	k;
	LockoutEntry *e;

	if (!rbac_lockout_available())
		return;
	lockout_key(key, len, &k);
	LWLockAcquire(lockout_shared->lock, LW_EXCLUSIVE);
	e = hash_search(lockout_table, &k, HASH_FIND, NULL);
	if (e != NULL)
	{
		dlist_delete(&e->node);
		hash_search(lockout_table, &k, HASH_REMOVE, NULL);
	}
	LWLockRelease(lockout_shared->lock);
}

/* ---------------------------------------------------------------------------
 * SQL wrappers (owner only, and only inside the extension's public functions)
 * ---------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(rbac_lockout_attempt_sql);
/*
 * runai_internal.lockout_attempt(email text) → timestamptz: NULL when the password may be
 * checked (the attempt is counted), else the end of the lock.
 */
Datum
rbac_lockout_attempt_sql(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	TimestampTz until;

	(void) rbac_actor();
	if (rbac_lockout_attempt(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &until))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(until);
}

PG_FUNCTION_INFO_V1(rbac_lockout_success_sql);
/* runai_internal.lockout_success(email text): forgets the account's failures. */
Datum
rbac_lockout_success_sql(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	(void) rbac_actor();
	rbac_lockout_success(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(rbac_lockout_available_sql);
/* runai_internal.lockout_available() → boolean: can passwords be checked on this server? */
Datum
rbac_lockout_available_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(rbac_lockout_available());
}
