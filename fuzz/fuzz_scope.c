/*
 * fuzz_scope.c
 *    libFuzzer harness for the scope parser (src/parse.c).
 *
 * Properties checked on every input (abort() on a violation):
 *  - rbac_scope_parse never reads outside the input (AddressSanitizer; the input
 *    buffer libFuzzer passes is exactly `size` bytes, not NUL-terminated);
 *  - rbac_scope_parse_hint is NULL exactly when the input parses;
 *  - an accepted scope is well formed: a known type, system without id, otherwise
 *    a valid id that is the tail of the input;
 *  - round trip: formatting the parsed value gives back the input byte for byte
 *    (the text form is canonical), and parsing that again gives the same value.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Formats a parsed scope into buf (RBAC_SCOPE_TEXT_MAX bytes); returns its length. */
static size_t
format_scope(RbacScopeType type, const char *id, size_t idlen, char *buf)
{
	const char *name = rbac_scope_type_name(type);
	size_t		n = strlen(name);

	memcpy(buf, name, n);
	if (type != RBAC_SCOPE_SYSTEM)
	{
		buf[n++] = '/';
		memcpy(buf + n, id, idlen);
		n += idlen;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *) data;
	RbacScopeType type;
	const char *id;
	size_t		idlen;
	bool		ok = rbac_scope_parse(in, size, &type, &id, &idlen);
	const char *hint = rbac_scope_parse_hint(in, size);
	char		buf[RBAC_SCOPE_TEXT_MAX];
	size_t		n;
	char	   *copy;
	RbacScopeType type2;
	const char *id2;
	size_t		idlen2;

	if (ok != (hint == NULL))
		abort();
	if (hint != NULL && hint[strlen(hint) - 1] != '.')
		abort();
	if (!ok)
		return 0;

	if ((int) type < RBAC_SCOPE_SYSTEM || (int) type > RBAC_SCOPE_PROJECT)
		abort();
	if (type == RBAC_SCOPE_SYSTEM)
	{
		if (id != NULL || idlen != 0)
			abort();
	}
	else if (id < in || id + idlen != in + size || !rbac_scope_id_valid(id, idlen))
		abort();

	n = format_scope(type, id, idlen, buf);
	if (n >= RBAC_SCOPE_TEXT_MAX || n != size || memcmp(buf, in, n) != 0)
		abort();

	/* Parse the formatted text again, from a buffer of exactly its length. */
	copy = malloc(n);
	if (copy == NULL)
		abort();
	memcpy(copy, buf, n);
	if (!rbac_scope_parse(copy, n, &type2, &id2, &idlen2) || type2 != type ||
		idlen2 != idlen || (idlen > 0 && memcmp(id2, id, idlen) != 0))
		abort();
	if (rbac_scope_type_from_name(rbac_scope_type_name(type), strlen(rbac_scope_type_name(type))) != (int) type)
		abort();
	free(copy);
	return 0;
}
