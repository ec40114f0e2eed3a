/*
 * fuzz_actionset.c
 *    libFuzzer harness for the action set parser and formatter (src/parse.c).
 *
 * Properties checked on every input (abort() on a violation):
 *  - rbac_actionset_parse never reads outside the input (AddressSanitizer);
 *  - it agrees with a deliberately different reference parser below (trim, check
 *    the braces, split on commas, look each word up);
 *  - rbac_actionset_parse_hint is NULL exactly when the input parses;
 *  - round trip: parse -> format -> parse gives the same set, and the formatted
 *    text is canonical (formatting again gives the same bytes);
 *  - the first input byte, taken as a raw set, formats to text that parses back
 *    to that byte's low four bits.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
ref_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Reference parser: a different algorithm for the same grammar. */
static bool
ref_parse(const char *s, size_t len, uint8_t *out)
{
	size_t		b = 0;
	size_t		e = len;
	uint8_t		set = 0;

	while (b < e && ref_space(s[b]))
		b++;
	while (e > b && ref_space(s[e - 1]))
		e--;
	if (e - b < 2 || s[b] != '{' || s[e - 1] != '}')
		return false;
	b++;
	e--;
	while (b < e && ref_space(s[b]))
		b++;
	while (e > b && ref_space(s[e - 1]))
		e--;
	if (b == e)
	{
		*out = 0;
		return true;
	}
	for (;;)
	{
		size_t		comma = b;
		size_t		wb = b;
		size_t		we;
		int			bit;

		while (comma < e && s[comma] != ',')
			comma++;
		we = comma;
		while (wb < we && ref_space(s[wb]))
			wb++;
		while (we > wb && ref_space(s[we - 1]))
			we--;
		bit = rbac_action_from_name(s + wb, we - wb);
		if (bit == 0)
			return false;
		set |= (uint8_t) bit;
		if (comma == e)
			break;
		b = comma + 1;
	}
	*out = set;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *) data;
	uint8_t		set = 0;
	uint8_t		ref = 0;
	uint8_t		again = 0;
	bool		ok = rbac_actionset_parse(in, size, &set);
	bool		refok = ref_parse(in, size, &ref);
	const char *hint = rbac_actionset_parse_hint(in, size);
	char		buf[RBAC_ACTIONSET_TEXT_MAX];
	char		buf2[RBAC_ACTIONSET_TEXT_MAX];
	size_t		n;
	char	   *copy;

	if (ok != refok || (ok && set != ref))
		abort();
	if (ok != (hint == NULL))
		abort();
	if (hint != NULL && hint[strlen(hint) - 1] != '.')
		abort();

	if (ok)
	{
		if ((set & ~RBAC_ACT_ALL) != 0)
			abort();
		n = rbac_actionset_format(set, buf, sizeof(buf));
		if (n >= sizeof(buf) || strlen(buf) != n)
			abort();
		copy = malloc(n);
		if (copy == NULL)
			abort();
		memcpy(copy, buf, n);
		if (!rbac_actionset_parse(copy, n, &again) || again != set)
			abort();
		free(copy);
		if (rbac_actionset_format(again, buf2, sizeof(buf2)) != n || memcmp(buf, buf2, n + 1) != 0)
			abort();
	}

	if (size > 0)
	{
		n = rbac_actionset_format(data[0], buf, sizeof(buf));
		if (!rbac_actionset_parse(buf, n, &again) || again != (data[0] & RBAC_ACT_ALL))
			abort();
		/* A truncating format never overruns and always terminates. */
		n = rbac_actionset_format(data[0], buf2, 1 + (size % sizeof(buf2)));
		if (strlen(buf2) > n || strncmp(buf2, buf, strlen(buf2)) != 0)
			abort();
	}
	return 0;
}
