/*
 * parse.c
 *    Text forms of scopes and action sets (see parse.h for the grammar).
 *
 * Pure C, no PostgreSQL headers, no allocation, no state: every function reads
 * only in[0..len) and is safe on buffers that are not NUL-terminated.  Character
 * classes are ASCII by hand rather than <ctype.h>, so that the result does not
 * depend on the locale.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "parse.h"

static const char *const scope_type_names[] = {
	"system", "tenant", "cluster", "department", "project"
};

/* Canonical action names, in bit order; the aliases map onto them. */
static const struct
{
	const char *name;
	int			bit;
}			action_words[] = {
	{"view", RBAC_ACT_VIEW},
	{"edit", RBAC_ACT_EDIT},
	{"create", RBAC_ACT_CREATE},
	{"delete", RBAC_ACT_DELETE},
	{"read", RBAC_ACT_VIEW},
	{"update", RBAC_ACT_EDIT},
};

#define N_CANONICAL_ACTIONS 4

/* ASCII white space, as PostgreSQL's scanner understands it. */
static inline bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* ASCII lower case of c; other bytes unchanged. */
static inline char
to_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
}

/* Is c allowed in a scope id? */
static inline bool
is_id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-';
}

/* Does s[0..len) equal the NUL-terminated word w, ignoring ASCII case? */
static bool
equal_nocase(const char *s, size_t len, const char *w)
{
	size_t		i;

	for (i = 0; i < len; i++)
	{
		if (w[i] == '\0' || to_lower(s[i]) != w[i])
			return false;
	}
	return w[len] == '\0';
}

/* Name of a scope type, for messages and output. */
const char *
rbac_scope_type_name(RbacScopeType t)
{
	if ((int) t < 0 || (int) t > RBAC_SCOPE_TYPE_MAX)
		return NULL;
	return scope_type_names[t];
}

/* Scope type from its exact lowercase name; -1 if there is none. */
int
rbac_scope_type_from_name(const char *s, size_t len)
{
	int			t;

	if (s == NULL)
		return -1;
	for (t = 0; t <= RBAC_SCOPE_TYPE_MAX; t++)
	{
		const char *name = scope_type_names[t];

		if (strlen(name) == len && memcmp(s, name, len) == 0)
			return t;
	}
	return -1;
}

/* Validates a scope id: 1..RBAC_SCOPE_ID_MAXLEN characters of [A-Za-z0-9._:-]. */
bool
rbac_scope_id_valid(const char *id, size_t len)
{
	size_t		i;

	if (id == NULL || len == 0 || len > RBAC_SCOPE_ID_MAXLEN)
		return false;
	for (i = 0; i < len; i++)
	{
		if (!is_id_char(id[i]))
			return false;
	}
	return true;
}

/* Parses "system" or "<type>/<id>", strictly (see parse.h). */
bool
rbac_scope_parse(const char *in, size_t len, RbacScopeType *type,
				 const char **id, size_t *idlen)
{
	const char *slash;
	int			t;

	if (in == NULL || len == 0)
		return false;

	slash = memchr(in, '/', len);
	if (slash == NULL)
	{
		if (rbac_scope_type_from_name(in, len) != RBAC_SCOPE_SYSTEM)
			return false;
		*type = RBAC_SCOPE_SYSTEM;
		*id = NULL;
		*idlen = 0;
		return true;
	}

	t = rbac_scope_type_from_name(in, (size_t) (slash - in));
	if (t <= RBAC_SCOPE_SYSTEM)		/* unknown, or system with an id */
		return false;
	if (!rbac_scope_id_valid(slash + 1, len - (size_t) (slash - in) - 1))
		return false;

	*type = (RbacScopeType) t;
	*id = slash + 1;
	*idlen = len - (size_t) (slash - in) - 1;
	return true;
}

/*
 * Explains why in[0..len) is not a scope, as advice for errhint.  Kept next to the
 * parser so that the two agree (the fuzzer checks: NULL exactly when it parses).
 */
const char *
rbac_scope_parse_hint(const char *in, size_t len)
{
	RbacScopeType type;
	const char *id;
	size_t		idlen;
	const char *slash;
	size_t		typelen;
	size_t		i;
	int			t;

	if (rbac_scope_parse(in, len, &type, &id, &idlen))
		return NULL;

	if (in == NULL || len == 0)
		return "Write a scope such as \"system\", \"tenant/acme\" or \"project/42\".";
	if (is_space(in[0]) || is_space(in[len - 1]))
		return "Remove the white space around the scope.";

	slash = memchr(in, '/', len);
	typelen = slash ? (size_t) (slash - in) : len;

	t = -1;
	for (i = 0; i <= RBAC_SCOPE_TYPE_MAX; i++)
	{
		if (equal_nocase(in, typelen, scope_type_names[i]))
			t = (int) i;
	}
	if (t < 0)
		return "The scope type must be system, tenant, cluster, department or project.";
	if (rbac_scope_type_from_name(in, typelen) < 0)
		return "Write the scope type in lower case, for example \"project/42\".";
	if (t == RBAC_SCOPE_SYSTEM)
		return "The system scope has no id: write just \"system\".";
	if (slash == NULL)
		return "Add an id after the scope type, for example \"project/42\".";

	idlen = len - typelen - 1;
	if (idlen == 0)
		return "Add an id after the slash, for example \"project/42\".";
	if (idlen > RBAC_SCOPE_ID_MAXLEN)
		return "Shorten the id to at most 63 characters.";
	return "Use only the letters A-Z and a-z, the digits 0-9, \".\", \"_\", \":\" and \"-\" in the id.";
}

/* Action bit of a word (canonical or alias, any ASCII case); 0 if it is none. */
int
rbac_action_from_name(const char *s, size_t len)
{
	size_t		i;

	if (s == NULL)
		return 0;
	for (i = 0; i < sizeof(action_words) / sizeof(action_words[0]); i++)
	{
		if (equal_nocase(s, len, action_words[i].name))
			return action_words[i].bit;
	}
	return 0;
}

/* Canonical name of one action bit. */
const char *
rbac_action_name(int bit)
{
	int			i;

	for (i = 0; i < N_CANONICAL_ACTIONS; i++)
	{
		if (action_words[i].bit == bit)
			return action_words[i].name;
	}
	return NULL;
}

/* Outcome of scanning an action set, shared by the parser and the hint. */
typedef enum ActionsetScan
{
	SCAN_OK,
	SCAN_EMPTY,					/* nothing but white space */
	SCAN_NO_OPEN,				/* does not start with '{' */
	SCAN_NO_CLOSE,				/* input ends before '}' */
	SCAN_EMPTY_ELEMENT,			/* ",," or "{," or ",}" */
	SCAN_BAD_WORD,				/* a word that is not an action */
	SCAN_MISSING_COMMA,			/* two words without a comma */
	SCAN_TRAILING				/* something after '}' */
} ActionsetScan;

/*
 * Scans in[0..len) as  ws '{' ws [ word ws { ',' ws word ws } ] '}' ws  where a
 * word is a maximal run of bytes other than white space, ',', '{' and '}'.
 */
static ActionsetScan
actionset_scan(const char *in, size_t len, uint8_t *out)
{
	size_t		p = 0;
	uint8_t		set = 0;

	if (in == NULL)
		return SCAN_EMPTY;
	while (p < len && is_space(in[p]))
		p++;
	if (p == len)
		return SCAN_EMPTY;
	if (in[p] != '{')
		return SCAN_NO_OPEN;
	p++;
	while (p < len && is_space(in[p]))
		p++;
	if (p == len)
		return SCAN_NO_CLOSE;

	if (in[p] != '}')
	{
		for (;;)
		{
			size_t		start = p;
			int			bit;

			while (p < len && !is_space(in[p]) && in[p] != ',' &&
				   in[p] != '{' && in[p] != '}')
				p++;
			if (p == start)
				return (p < len && in[p] == '{') ? SCAN_BAD_WORD :
					(p == len) ? SCAN_NO_CLOSE : SCAN_EMPTY_ELEMENT;
			bit = rbac_action_from_name(in + start, p - start);
			if (bit == 0)
				return SCAN_BAD_WORD;
			set |= (uint8_t) bit;

			while (p < len && is_space(in[p]))
				p++;
			if (p == len)
				return SCAN_NO_CLOSE;
			if (in[p] == '}')
				break;
			if (in[p] != ',')
				return (in[p] == '{') ? SCAN_BAD_WORD : SCAN_MISSING_COMMA;
			p++;
			while (p < len && is_space(in[p]))
				p++;
		}
	}
	p++;						/* the '}' */

	while (p < len && is_space(in[p]))
		p++;
	if (p != len)
		return SCAN_TRAILING;
	*out = set;
	return SCAN_OK;
}

/* Parses an action set (see parse.h). */
bool
rbac_actionset_parse(const char *in, size_t len, uint8_t *out)
{
	uint8_t		set;

	if (actionset_scan(in, len, &set) != SCAN_OK)
		return false;
	*out = set;
	return true;
}

/* Explains why in[0..len) is not an action set, as advice for errhint. */
const char *
rbac_actionset_parse_hint(const char *in, size_t len)
{
	uint8_t		set;

	switch (actionset_scan(in, len, &set))
	{
		case SCAN_OK:
			return NULL;
		case SCAN_EMPTY:
			return "Write \"{}\" for the empty set.";
		case SCAN_NO_OPEN:
			if (rbac_action_from_name(in, len) != 0)
				return "Enclose the actions in braces, for example \"{view}\".";
			return "Enclose the actions in braces, for example \"{view,edit}\".";
		case SCAN_NO_CLOSE:
			return "End the list with \"}\".";
		case SCAN_EMPTY_ELEMENT:
			return "Remove the empty element: every comma must separate two actions.";
		case SCAN_BAD_WORD:
			return "Use only the actions view, edit, create and delete, or the aliases read and update.";
		case SCAN_MISSING_COMMA:
			return "Separate the actions with commas.";
		case SCAN_TRAILING:
			return "Remove the text after the closing brace.";
	}
	return "Write an action set such as \"{view,edit}\".";	/* not reached */
}

/* Canonical text form of an action set, snprintf-style (see parse.h). */
size_t
rbac_actionset_format(uint8_t set, char *buf, size_t buflen)
{
	char		tmp[RBAC_ACTIONSET_TEXT_MAX];
	size_t		n = 0;
	int			i;

	tmp[n++] = '{';
	for (i = 0; i < N_CANONICAL_ACTIONS; i++)
	{
		const char *name = action_words[i].name;
		size_t		namelen = strlen(name);

		if ((set & action_words[i].bit) == 0)
			continue;
		if (n > 1)
			tmp[n++] = ',';
		memcpy(tmp + n, name, namelen);
		n += namelen;
	}
	tmp[n++] = '}';
	tmp[n] = '\0';

	if (buf != NULL && buflen > 0)
	{
		size_t		copy = n < buflen ? n : buflen - 1;

		memcpy(buf, tmp, copy);
		buf[copy] = '\0';
	}
	return n;
}
