/*
 * password.c
 *    SCRAM-SHA-256 verifiers, random tokens and digests (see password.h), and their
 *    SQL wrappers for the identity functions of src/sql/60_code_identity.sql.
 *
 * Nothing here logs, stores or reports a password, secret or token: errors name
 * only what went wrong.  The SQL wrappers are executable by the extension owner
 * only (the twins run as the owner).
 *
 * The dummy verifier checked for unknown accounts is a constant whose keys are
 * random bytes, not derived from any password: checking it costs exactly what a
 * real check costs, at no set-up cost, and its answer is ignored anyway.
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/scram-common.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "password.h"

/*
 * From libpq/scram.h (src/backend/libpq/auth-scram.c).  That header pulls in
 * libpq-be.h and with it the GSSAPI headers, which Debian's server-dev package
 * does not depend on, so the three prototypes are repeated here; they are the
 * same in PostgreSQL 14 to 16.
 */
extern char *pg_be_scram_build_secret(const char *password);
extern bool parse_scram_secret(const char *secret, int *iterations, char **salt,
							   uint8 *stored_key, uint8 *server_key);
extern bool scram_verify_plain_password(const char *username, const char *password,
										const char *secret);

static const char dummy_verifier[] =
	"SCRAM-SHA-256$4096:lE41FzVxUqv3X6xuCq/y4g==$/vmsioRb8iT0oyTq8sg/lDXiZnOYdVd61xat09J/PfY=:Xx1Hyu83eturyD9h4R04nFAt5XqPcL2DxfMU5vXCSt8=";

/* Fills buf with n strong random bytes, or raises an error. */
void
rbac_random_bytes(void *buf, size_t n)
{
	if (!pg_strong_random(buf, n))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random bytes"),
				 errdetail("The operating system's strong random source failed."),
				 errhint("Check that the server can read its random source, then retry.")));
}

/* Encodes n bytes as base64url without padding into out (RBAC_B64URL_LEN(n) + 1). */
static void
b64url_encode(const uint8 *in, size_t n, char *out)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t		i;
	char	   *p = out;

	for (i = 0; i + 2 < n; i += 3)
	{
		uint32		v = ((uint32) in[i] << 16) | ((uint32) in[i + 1] << 8) | in[i + 2];

		*p++ = alphabet[(v >> 18) & 63];
		*p++ = alphabet[(v >> 12) & 63];
		*p++ = alphabet[(v >> 6) & 63];
		*p++ = alphabet[v & 63];
	}
	if (n - i == 1)
	{
		uint32		v = (uint32) in[i] << 16;

		*p++ = alphabet[(v >> 18) & 63];
		*p++ = alphabet[(v >> 12) & 63];
	}
	else if (n - i == 2)
	{
		uint32		v = ((uint32) in[i] << 16) | ((uint32) in[i + 1] << 8);

		*p++ = alphabet[(v >> 18) & 63];
		*p++ = alphabet[(v >> 12) & 63];
		*p++ = alphabet[(v >> 6) & 63];
	}
	*p = '\0';
	Assert((size_t) (p - out) == RBAC_B64URL_LEN(n));
}

/* prefix followed by the base64url form of n fresh random bytes, palloc'd. */
char *
rbac_random_text(const char *prefix, size_t n)
{
	uint8		raw[64];
	size_t		plen = strlen(prefix);
	char	   *out;

	Assert(n >= 16 && n <= sizeof(raw));
	rbac_random_bytes(raw, n);
	out = palloc(plen + RBAC_B64URL_LEN(n) + 1);
	memcpy(out, prefix, plen);
	b64url_encode(raw, n, out + plen);
	explicit_bzero(raw, sizeof(raw));
	return out;
}

/* SHA-256 of data[0..len). */
void
rbac_sha256(const void *data, size_t len, uint8 out[PG_SHA256_DIGEST_LENGTH])
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_cryptohash_final(ctx, out, PG_SHA256_DIGEST_LENGTH) < 0)
	{
		const char *why = ctx ? pg_cryptohash_error(ctx) : "out of memory";

		pg_cryptohash_free(ctx);
		elog(ERROR, "could not compute a SHA-256 digest: %s", why);
	}
	pg_cryptohash_free(ctx);
}

/* A SCRAM-SHA-256 verifier of password, built by PostgreSQL's own code. */
char *
rbac_password_hash(const char *password)
{
	return pg_be_scram_build_secret(password);
}

/* See password.h: constant work whether or not the account has a verifier. */
bool
rbac_password_verify(const char *password, const char *verifier)
{
	int			iterations;
	char	   *salt;
	uint8		stored_key[SCRAM_KEY_LEN];
	uint8		server_key[SCRAM_KEY_LEN];
	bool		real;

	real = verifier != NULL &&
		parse_scram_secret(verifier, &iterations, &salt, stored_key, server_key);
	if (!real)
		verifier = dummy_verifier;
	if (password == NULL)
		password = "";
	/* the user name is used only in a LOG message about a malformed verifier */
	return scram_verify_plain_password("runai_rbac", password, verifier) && real;
}

/* ---------------------------------------------------------------------------
 * SQL wrappers (owner only)
 * ---------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(rbac_password_hash_sql);
/* runai_internal.password_hash(password text) → text: a SCRAM-SHA-256 verifier. */
Datum
rbac_password_hash_sql(PG_FUNCTION_ARGS)
{
	char	   *pw = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *v = rbac_password_hash(pw);

	explicit_bzero(pw, strlen(pw));
	PG_RETURN_TEXT_P(cstring_to_text(v));
}

PG_FUNCTION_INFO_V1(rbac_password_verify_sql);
/*
 * runai_internal.password_verify(password text, verifier text) → boolean.  Not strict: a
 * NULL verifier (unknown account, SSO user) costs as much as a real check.
 */
Datum
rbac_password_verify_sql(PG_FUNCTION_ARGS)
{
	char	   *pw = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *v = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	bool		ok = rbac_password_verify(pw, v);

	if (pw != NULL)
		explicit_bzero(pw, strlen(pw));
	PG_RETURN_BOOL(ok);
}

PG_FUNCTION_INFO_V1(rbac_random_text_sql);
/*
 * runai_internal.random_text(kind text) → text: a new token ('token'), application secret
 * ('secret') or temporary password ('password'), from the strong random source.
 */
Datum
rbac_random_text_sql(PG_FUNCTION_ARGS)
{
	char	   *kind = text_to_cstring(PG_GETARG_TEXT_PP(0));

	if (strcmp(kind, "token") == 0)
		PG_RETURN_TEXT_P(cstring_to_text(rbac_random_text(RBAC_TOKEN_PREFIX, RBAC_TOKEN_BYTES)));
	if (strcmp(kind, "secret") == 0)
		PG_RETURN_TEXT_P(cstring_to_text(rbac_random_text(RBAC_SECRET_PREFIX, RBAC_SECRET_BYTES)));
	if (strcmp(kind, "password") == 0)
		PG_RETURN_TEXT_P(cstring_to_text(rbac_random_text("", RBAC_TEMP_PASSWORD_BYTES)));
	elog(ERROR, "runai_internal.random_text: unknown kind \"%s\"", kind);
	PG_RETURN_NULL();			/* not reached */
}

PG_FUNCTION_INFO_V1(rbac_token_hash_sql);
/* runai_internal.token_hash(token text) → bytea: the SHA-256 digest a token is stored as. */
Datum
rbac_token_hash_sql(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	bytea	   *out = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	SET_VARSIZE(out, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	rbac_sha256(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), (uint8 *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}
