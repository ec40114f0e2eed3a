/*
 * subject.c
 *    The text forms of subjects and the rule for emails (see subject.h).
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "subject.h"

StaticAssertDecl(RBAC_SUBJECT_NAME_MAX == 320, "the messages below say 320");

/* "user:<email>", "group:<name>" or "app:<name>". */
char *
rbac_subject_text(RbacSubjectKind kind, const char *name)
{
	return psprintf("%s:%s", kind == RBAC_SUBJECT_USER ? "user" :
					kind == RBAC_SUBJECT_GROUP ? "group" : "app", name);
}

/* Does s[0..len) start with the prefix p? */
static bool
has_prefix(const char *s, size_t len, const char *p)
{
	size_t		plen = strlen(p);

	return len >= plen && memcmp(s, p, plen) == 0;
}

static inline bool
ascii_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool
ascii_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Checks an email and writes its normal form; see subject.h.  The pattern is
 * matched by hand, byte by byte: the part before the first @ is one or more of
 * [a-zA-Z0-9._%+-] (which has no @, so the first @ is the only one), the domain
 * one or more of [a-zA-Z0-9.-] ending with a dot and two or more letters (the
 * top-level domain has no dot, so that dot is the domain's last one, and at least
 * one character precedes it).
 */
const char *
rbac_email_normalize(const char *in, size_t len, char *out)
{
	size_t		at = len,
				dot = len;

	if (len == 0)
		return "It is empty.";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char) in[i] >= 0x80 || in[i] == '\0')
			return "It contains a character that is not ASCII. Emails are compared exactly as written, so a letter that only looks like an ASCII one (the Kelvin sign, a dotless i, a fullwidth letter, a combining mark) makes it a different email, and none is accepted.";
	if (len > RBAC_SUBJECT_NAME_MAX)
		return "It has more than 320 characters, the most an email may have.";
	for (size_t i = 0; i < len; i++)
	{
		char		c = in[i];

		if (c == '@')
		{
			at = i;
			break;
		}
		if (!(ascii_letter(c) || ascii_digit(c) || strchr("._%+-", c) != NULL))
			return "The part before the @ may only have letters, digits and the characters . _ % + -.";
	}
	if (at == len)
		return "It has no @.";
	if (at == 0)
		return "The part before the @ is empty.";
	for (size_t i = at + 1; i < len; i++)
	{
		char		c = in[i];

		if (c == '.')
			dot = i;
		else if (!(ascii_letter(c) || ascii_digit(c) || c == '-'))
			return "The domain after the @ may only have letters, digits, dots and hyphens.";
	}
	if (dot == len || dot == at + 1 || len - dot - 1 < 2)
		return "The domain does not end with a dot and a top-level domain of at least two letters, after at least one character.";
	for (size_t i = dot + 1; i < len; i++)
		if (!ascii_letter(in[i]))
			return "The top-level domain (after the last dot) may only have letters.";

	for (size_t i = 0; i < len; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? in[i] + ('a' - 'A') : in[i];
	out[len] = '\0';
	return NULL;
}

/* See subject.h. */
char *
rbac_email_arg(const char *in, size_t len, const char *argument)
{
	char	   *out = palloc(len + 1);
	const char *why = rbac_email_normalize(in, len, out);

	if (why != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid email \"%.*s\"", pg_mbcliplen(in, (int) len, 100), in),
				 errdetail("The %s is not a valid email. %s", argument, why),
				 errhint("An email is ASCII letters, digits or ._%%+- before the @, and a domain such as example.com after it, for example jane@example.com.")));
	return out;
}

/* Parses a subject; see subject.h. */
void
rbac_subject_parse(const char *text, size_t len, RbacSubjectKind *kind, char **name)
{
	const char *n;
	size_t		nlen;

	if (has_prefix(text, len, "user:"))
	{
		*kind = RBAC_SUBJECT_USER;
		n = text + 5;
	}
	else if (has_prefix(text, len, "group:"))
	{
		*kind = RBAC_SUBJECT_GROUP;
		n = text + 6;
	}
	else if (has_prefix(text, len, "app:"))
	{
		*kind = RBAC_SUBJECT_APP;
		n = text + 4;
	}
	else if (memchr(text, '@', len) != NULL)
	{
		*kind = RBAC_SUBJECT_USER;
		n = text;
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid subject \"%.*s\"", pg_mbcliplen(text, (int) len, 100), text),
				 errdetail("A subject is written user:<email>, group:<name>, app:<name>, or as a bare email."),
				 errhint("For example: user:jane@example.com or group:researchers.")));
	nlen = len - (n - text);
	if (nlen == 0 || nlen > RBAC_SUBJECT_NAME_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid subject \"%.*s\"", pg_mbcliplen(text, (int) len, 100), text),
				 errdetail("The name after the prefix must have 1 to %d characters; it has %zu.",
						   RBAC_SUBJECT_NAME_MAX, nlen),
				 errhint("For example: user:jane@example.com or group:researchers.")));
	if (memchr(n, '\0', nlen) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid subject: it contains a NUL byte"),
				 errdetail("Emails and names never contain a NUL byte."),
				 errhint("Pass the subject as text, for example user:jane@example.com.")));
	if (*kind == RBAC_SUBJECT_USER)
	{
		char	   *out = palloc(nlen + 1);
		const char *why = rbac_email_normalize(n, nlen, out);

		if (why != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid subject \"%.*s\"", pg_mbcliplen(text, (int) len, 100), text),
					 errdetail("A user subject is an email, and this one is not valid. %s", why),
					 errhint("For example: user:jane@example.com.")));
		*name = out;
	}
	else
		*name = pnstrdup(n, nlen);
}
