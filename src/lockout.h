/*
 * lockout.h
 *    Counting failed sign-ins in shared memory, so that rolling back the
 *    transaction that called sign_in does not undo the count.
 *
 * Needs runai_rbac in shared_preload_libraries; without it the extension still
 * installs and works, and only the functions that check passwords (sign_in,
 * change_password) raise an error that says so.
 */
#ifndef RUNAI_RBAC_LOCKOUT_H
#define RUNAI_RBAC_LOCKOUT_H

#include "datatype/timestamp.h"

/* runai.max_failed_sign_ins and runai.lockout_duration (seconds). */
extern int	rbac_max_failed_sign_ins;
extern int	rbac_lockout_duration;

/*
 * Defines the GUCs and, when called while shared_preload_libraries is being
 * processed, requests the shared memory.  Called once from _PG_init.
 */
extern void rbac_lockout_init(void);

/* Is the shared memory there (runai_rbac was preloaded)? */
extern bool rbac_lockout_available(void);

/*
 * Starts one password check for the account key[0..len) (a lower-case email).  The
 * attempt counts as a failure until rbac_lockout_success() is called, so that a
 * cancelled or rolled back check still counts.  Returns false, and when to try
 * again, when the account is locked -- or when it cannot be counted because the
 * table is full of accounts with recent failures (it fails closed): the password
 * must then not be checked.  Raises an error when the shared memory is missing.
 */
extern bool rbac_lockout_attempt(const char *key, size_t len, TimestampTz *locked_until);

/* The password was right (or an administrator reset it): forget the failures. */
extern void rbac_lockout_success(const char *key, size_t len);

#endif							/* RUNAI_RBAC_LOCKOUT_H */
