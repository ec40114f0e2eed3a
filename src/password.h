/*
 * password.h
 *    Secrets: SCRAM-SHA-256 verifiers for passwords and application secrets,
 *    random tokens, SHA-256 digests of tokens and constant-time comparison.
 *
 * Passwords and application secrets are stored only as SCRAM-SHA-256 verifiers
 * built by PostgreSQL's own code (the format of pg_authid.rolpassword: salted,
 * 4096 iterations of PBKDF2-HMAC-SHA-256).  Tokens are 256 random bits from
 * pg_strong_random; since they cannot be guessed, they are stored as a plain
 * SHA-256 digest, which allows an index lookup.
 */
#ifndef RUNAI_RBAC_PASSWORD_H
#define RUNAI_RBAC_PASSWORD_H

#include "common/sha2.h"

/* Raw bytes of a session token (256 bits) and of an application secret. */
#define RBAC_TOKEN_BYTES		32
#define RBAC_SECRET_BYTES		32
/* Raw bytes of a temporary password (144 bits, 24 characters). */
#define RBAC_TEMP_PASSWORD_BYTES 18

/* Prefixes that make leaked tokens and secrets recognisable to secret scanners. */
#define RBAC_TOKEN_PREFIX		"rbt_"
#define RBAC_SECRET_PREFIX		"rbs_"

/* Length of the base64url text (no padding) of n bytes. */
#define RBAC_B64URL_LEN(n)		(((n) * 4 + 2) / 3)

/* Fills buf with n bytes from the strong random source; raises an error if it fails. */
extern void rbac_random_bytes(void *buf, size_t n);

/* The base64url form (RFC 4648 section 5, no padding) of n random bytes, palloc'd. */
extern char *rbac_random_text(const char *prefix, size_t n);

/* SHA-256 of data[0..len) into out. */
extern void rbac_sha256(const void *data, size_t len, uint8 out[PG_SHA256_DIGEST_LENGTH]);

/* A SCRAM-SHA-256 verifier of the password, palloc'd. */
extern char *rbac_password_hash(const char *password);

/*
 * Does the password match the verifier?  A NULL or malformed verifier is checked
 * against a dummy verifier, so that the answer (false) takes as long as for a
 * wrong password: an unknown account cannot be told from a wrong password.
 */
extern bool rbac_password_verify(const char *password, const char *verifier);

#endif							/* RUNAI_RBAC_PASSWORD_H */
