/*
 * lockout.c
 *    Consecutive failed sign-ins per account, in shared memory (see lockout.h).
 *
 * Shared state: a hash table of at most runai.lockout_entries entries keyed by the
 * SHA-256 digest of the database, the extension (catalog.h) and the lower-case email
 * (emails themselves are not kept), under one LWLock.  Unknown emails are counted
 * like real accounts, so that "locked" does not tell an attacker which emails
 * exist.
 *
 * Protocol: rbac_lockout_attempt() counts the attempt as a failure *before* the
 * password is checked, and locks the account as soon as the count reaches
 * runai.max_failed_sign_ins; rbac_lockout_success() forgets the entry.  So a
 * check that is cancelled, fails with an error or whose transaction rolls back
 * still counts, and concurrent attempts cannot exceed the limit.  A lock that has
 * ended starts the count afresh.  Counts are lost at a server restart.
 *
 * When the table is full, the entry to drop is chosen among the unlocked ones
 * with the fewest failures, then the oldest; a locked account is dropped only if
 * every entry is locked (the one whose lock ends first).
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "fmgr.h"
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
static int	lockout_entries = 10000;

typedef struct LockoutKey
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
} LockoutKey;

typedef struct LockoutEntry
{
	LockoutKey	key;			/* hash key, first */
	int32		failures;		/* consecutive failures, attempts in flight included */
	TimestampTz last_failure;
	TimestampTz locked_until;	/* 0: not locked */
} LockoutEntry;

typedef struct LockoutShared
{
	LWLock	   *lock;
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
		lockout_shared->lock = &(GetNamedLWLockTranche("runai_rbac lockout"))->lock;
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
							"Counted per email in shared memory, also for unknown emails; 0 never locks.",
							&rbac_max_failed_sign_ins,
							5, 0, 1000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("runai.lockout_duration",
							"How long an account stays locked after too many failed sign-ins.",
							NULL,
							&rbac_lockout_duration,
							900, 1, 365 * 24 * 3600,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	/* the shared memory, and its size setting, exist only when preloaded */
	if (process_shared_preload_libraries_in_progress)
	{
		DefineCustomIntVariable("runai.lockout_entries",
								"Accounts whose failed sign-ins are remembered at once (shared memory).",
								"Takes effect at server start.",
								&lockout_entries,
								10000, 100, 10000000,
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

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, (const char *) &MyDatabaseId, sizeof(Oid));
	appendBinaryStringInfo(&buf, (const char *) &ext, sizeof(Oid));
	appendBinaryStringInfo(&buf, key, len);
	rbac_sha256(buf.data, buf.len, out->digest);
	pfree(buf.data);
}

/* Drops one entry to make room; see the file header for the choice.  Lock held. */
static void
lockout_evict(TimestampTz now)
{
	HASH_SEQ_STATUS seq;
	LockoutEntry *e;
	LockoutEntry *victim = NULL;
	bool		victim_locked = true;

	hash_seq_init(&seq, lockout_table);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		bool		locked = e->locked_until != 0 && now < e->locked_until;

		if (victim == NULL)
		{
			victim = e;
			victim_locked = locked;
			continue;
		}
		if (locked != victim_locked)
		{
			if (!locked)
			{
				victim = e;
				victim_locked = false;
			}
			continue;
		}
		if (locked ? e->locked_until < victim->locked_until :
			(e->failures < victim->failures ||
			 (e->failures == victim->failures && e->last_failure < victim->last_failure)))
			victim = e;
	}
	if (victim != NULL)
	{
		LockoutKey	k = victim->key;

		hash_search(lockout_table, &k, HASH_REMOVE, NULL);
	}
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
	lockout_key(key, len, &k);
	*locked_until = 0;

	LWLockAcquire(lockout_shared->lock, LW_EXCLUSIVE);
	e = hash_search(lockout_table, &k, HASH_FIND, NULL);
	if (e == NULL)
	{
		if (hash_get_num_entries(lockout_table) >= lockout_entries)
			lockout_evict(now);
		e = hash_search(lockout_table, &k, HASH_ENTER_NULL, &found);
		if (e == NULL)
		{
			LWLockRelease(lockout_shared->lock);
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of shared memory for counting failed sign-ins"),
					 errdetail("The table of failed sign-ins could not grow."),
					 errhint("Lower runai.lockout_entries or raise shared memory, then restart the server.")));
		}
		e->failures = 0;
		e->last_failure = 0;
		e->locked_until = 0;
	}
	if (e->locked_until != 0 && now >= e->locked_until)
	{
		/* the lock has ended: the account gets a fresh count */
		e->failures = 0;
		e->locked_until = 0;
	}
	if (e->locked_until != 0)
	{
		*locked_until = e->locked_until;
		allowed = false;
	}
	else
	{
		e->failures++;
		e->last_failure = now;
		if (rbac_max_failed_sign_ins > 0 && e->failures >= rbac_max_failed_sign_ins)
			e->locked_until = TimestampTzPlusMilliseconds(now, (int64) rbac_lockout_duration * 1000);
	}
	LWLockRelease(lockout_shared->lock);
	return allowed;
}

/* See lockout.h.  Does nothing without the shared memory (nothing is counted). */
void
rbac_lockout_success(const char *key, size_t len)
{
	LockoutKey	k;

	if (!rbac_lockout_available())
		return;
	lockout_key(key, len, &k);
	LWLockAcquire(lockout_shared->lock, LW_EXCLUSIVE);
	hash_search(lockout_table, &k, HASH_REMOVE, NULL);
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
