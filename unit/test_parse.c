/*
 * test_parse.c
 *    Table-driven unit tests of src/parse.c, outside the server.
 *
 * Every input is copied into a heap buffer of exactly its length, with no NUL
 * after it, so that a parser that reads past the length is caught by
 * AddressSanitizer (tools/tests/unit.sh builds with it when the compiler can).
 * Prints one line per failure and a final "N passed, M failed"; exits 1 on any
 * failure.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

static int	passed;
static int	failed;

/* Records one check; prints what went wrong when it fails. */
static void
check(bool ok, const char *what, const char *input, size_t len)
{
	if (ok)
	{
		passed++;
		return;
	}
	failed++;
	printf("FAIL: %s: input \"", what);
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) input[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	printf("\" (%zu bytes)\n", len);
}

/* A heap copy of s[0..len) with nothing after it (not NUL-terminated). */
static char *
exact_copy(const char *s, size_t len)
{
	char	   *p = malloc(len ? len : 1);

	if (p == NULL)
	{
		perror("malloc");
		exit(2);
	}
	if (len)
		memcpy(p, s, len);
	return p;
}

/* ---------------------------------------------------------------- scopes */

static void
test_scope_type_names(void)
{
	static const struct
	{
		int			type;
		const char *name;
	}			cases[] = {
		{RBAC_SCOPE_SYSTEM, "system"},
		{RBAC_SCOPE_TENANT, "tenant"},
		{RBAC_SCOPE_CLUSTER, "cluster"},
		{RBAC_SCOPE_DEPARTMENT, "department"},
		{RBAC_SCOPE_PROJECT, "project"},
		{-1, NULL},
		{5, NULL},
		{255, NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const char *got = rbac_scope_type_name((RbacScopeType) cases[i].type);
		const char *name = cases[i].name ? cases[i].name : "(null)";

		check(cases[i].name ? (got && strcmp(got, cases[i].name) == 0) : got == NULL,
			  "rbac_scope_type_name", name, strlen(name));
	}
}

static void
test_scope_type_from_name(void)
{
	static const struct
	{
		const char *in;
		size_t		len;
		int			want;
	}			cases[] = {
		{"system", 6, RBAC_SCOPE_SYSTEM},
		{"tenant", 6, RBAC_SCOPE_TENANT},
		{"cluster", 7, RBAC_SCOPE_CLUSTER},
		{"department", 10, RBAC_SCOPE_DEPARTMENT},
		{"project", 7, RBAC_SCOPE_PROJECT},
		{"projectX", 7, RBAC_SCOPE_PROJECT},	/* length decides, not a NUL */
		{"project", 6, -1},
		{"projects", 8, -1},
		{"Project", 7, -1},
		{"SYSTEM", 6, -1},
		{"", 0, -1},
		{"system ", 7, -1},
		{" system", 7, -1},
		{"sys\0tem", 7, -1},
		{"workspace", 9, -1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		char	   *p = exact_copy(cases[i].in, cases[i].len);

		check(rbac_scope_type_from_name(p, cases[i].len) == cases[i].want,
			  "rbac_scope_type_from_name", cases[i].in, cases[i].len);
		free(p);
	}
	check(rbac_scope_type_from_name(NULL, 0) == -1, "rbac_scope_type_from_name(NULL)", "", 0);
}

static void
test_scope_id_valid(void)
{
	char		buf[80];
	static const char *valid[] = {
		"1", "42", "acme", "ACME", "a.b", "a_b", "a:b", "a-b", ".", "_", ":", "-",
		"3f6c0e1a-7b2d-4c1e-9a8b-0123456789ab", "AZaz09._:-",
	};
	static const char *invalid[] = {
		"", " ", "a b", "a/b", "/", "a@b", "a*", "a+b", "a,b", "a;b", "a'b", "a\"b",
		"a\\b", "a\tb", "a\nb", "\xc3\xa9", "a\x7f", "a\x80", "a\xff", "{}", "a=b",
		"a~b", "a%b", "a#b", "(a)",
	};

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
	{
		size_t		len = strlen(valid[i]);
		char	   *p = exact_copy(valid[i], len);

		check(rbac_scope_id_valid(p, len), "rbac_scope_id_valid(valid)", valid[i], len);
		free(p);
	}
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
	{
		size_t		len = strlen(invalid[i]);
		char	   *p = exact_copy(invalid[i], len);

		check(!rbac_scope_id_valid(p, len), "rbac_scope_id_valid(invalid)", invalid[i], len);
		free(p);
	}

	/* Embedded NUL, NULL pointer. */
	check(!rbac_scope_id_valid("a\0b", 3), "rbac_scope_id_valid(NUL)", "a\0b", 3);
	check(!rbac_scope_id_valid(NULL, 3), "rbac_scope_id_valid(NULL)", "", 0);

	/* Edge lengths: 1, 63 accepted; 0, 64, 65 refused. */
	memset(buf, 'x', sizeof(buf));
	for (size_t len = 0; len <= 65; len++)
	{
		char	   *p = exact_copy(buf, len);
		bool		want = len >= 1 && len <= RBAC_SCOPE_ID_MAXLEN;

		check(rbac_scope_id_valid(p, len) == want, "rbac_scope_id_valid(length)", p, len);
		free(p);
	}

	/* Every byte value, alone: exactly the 66 allowed characters are accepted. */
	{
		int			accepted = 0;

		for (int c = 0; c < 256; c++)
		{
			char		ch = (char) c;
			char	   *p = exact_copy(&ch, 1);

			if (rbac_scope_id_valid(p, 1))
				accepted++;
			free(p);
		}
		check(accepted == 26 + 26 + 10 + 4, "rbac_scope_id_valid(all bytes)", "", 0);
	}
}

static void
test_scope_parse(void)
{
	static char long63[8 + 63 + 1];
	static char long64[8 + 64 + 1];
	static const struct
	{
		const char *in;
		int			len;		/* -1: strlen */
		bool		ok;
		int			type;
		const char *id;			/* NULL for system */
	}			cases[] = {
		{"system", -1, true, RBAC_SCOPE_SYSTEM, NULL},
		{"tenant/acme", -1, true, RBAC_SCOPE_TENANT, "acme"},
		{"cluster/3f6c0e1a-7b2d-4c1e-9a8b-0123456789ab", -1, true, RBAC_SCOPE_CLUSTER,
		"3f6c0e1a-7b2d-4c1e-9a8b-0123456789ab"},
		{"department/d_1", -1, true, RBAC_SCOPE_DEPARTMENT, "d_1"},
		{"project/42", -1, true, RBAC_SCOPE_PROJECT, "42"},
		{"project/x", -1, true, RBAC_SCOPE_PROJECT, "x"},
		{"project/AZaz09._:-", -1, true, RBAC_SCOPE_PROJECT, "AZaz09._:-"},
		{"project/42/extra", 10, true, RBAC_SCOPE_PROJECT, "42"},	/* length decides */
		{"systemX", 6, true, RBAC_SCOPE_SYSTEM, NULL},
		{"", 0, false, 0, NULL},
		{"system/", -1, false, 0, NULL},
		{"system/1", -1, false, 0, NULL},
		{"project/", -1, false, 0, NULL},
		{"project", -1, false, 0, NULL},
		{"tenant", -1, false, 0, NULL},
		{"/", -1, false, 0, NULL},
		{"/42", -1, false, 0, NULL},
		{"project//42", -1, false, 0, NULL},
		{"project/a/b", -1, false, 0, NULL},
		{"project/4 2", -1, false, 0, NULL},
		{"project/42 ", -1, false, 0, NULL},
		{" project/42", -1, false, 0, NULL},
		{"project /42", -1, false, 0, NULL},
		{"project/ 42", -1, false, 0, NULL},
		{"system ", -1, false, 0, NULL},
		{"system\n", -1, false, 0, NULL},
		{"\tsystem", -1, false, 0, NULL},
		{"System", -1, false, 0, NULL},
		{"SYSTEM", -1, false, 0, NULL},
		{"Project/42", -1, false, 0, NULL},
		{"PROJECT/42", -1, false, 0, NULL},
		{"projects/42", -1, false, 0, NULL},
		{"proj/42", -1, false, 0, NULL},
		{"workspace/1", -1, false, 0, NULL},
		{"tenant42", -1, false, 0, NULL},
		{"project/\xc3\xa9", -1, false, 0, NULL},
		{"project/a*", -1, false, 0, NULL},
		{"project/42\0", 11, false, 0, NULL},	/* embedded NUL */
		{"system\0", 7, false, 0, NULL},
		{"\0system", 7, false, 0, NULL},
		{"project\0/42", 11, false, 0, NULL},
		{"project/42", 8, false, 0, NULL},	/* "project/" */
		{"project/42", 7, false, 0, NULL},	/* "project" */
		{"system", 5, false, 0, NULL},	/* "syste" */
	};

	memcpy(long63, "project/", 8);
	memset(long63 + 8, 'a', 63);
	memcpy(long64, "project/", 8);
	memset(long64 + 8, 'a', 64);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		size_t		len = cases[i].len < 0 ? strlen(cases[i].in) : (size_t) cases[i].len;
		char	   *p = exact_copy(cases[i].in, len);
		RbacScopeType type = (RbacScopeType) 99;
		const char *id = (const char *) 1;
		size_t		idlen = 99;
		bool		ok = rbac_scope_parse(p, len, &type, &id, &idlen);

		check(ok == cases[i].ok, "rbac_scope_parse(accept)", cases[i].in, len);
		if (ok && cases[i].ok)
		{
			check((int) type == cases[i].type, "rbac_scope_parse(type)", cases[i].in, len);
			if (cases[i].id == NULL)
				check(id == NULL && idlen == 0, "rbac_scope_parse(system id)", cases[i].in, len);
			else
				check(id == p + (len - idlen) && idlen == strlen(cases[i].id) &&
					  memcmp(id, cases[i].id, idlen) == 0,
					  "rbac_scope_parse(id)", cases[i].in, len);
		}
		/* The hint is NULL exactly for valid input. */
		check((rbac_scope_parse_hint(p, len) == NULL) == cases[i].ok,
			  "rbac_scope_parse_hint(NULL iff valid)", cases[i].in, len);
		free(p);
	}

	/* Longest id; one too long. */
	{
		char	   *p = exact_copy(long63, 8 + 63);
		RbacScopeType type;
		const char *id;
		size_t		idlen;

		check(rbac_scope_parse(p, 8 + 63, &type, &id, &idlen) && idlen == 63 &&
			  type == RBAC_SCOPE_PROJECT, "rbac_scope_parse(63)", p, 8 + 63);
		free(p);
		p = exact_copy(long64, 8 + 64);
		check(!rbac_scope_parse(p, 8 + 64, &type, &id, &idlen), "rbac_scope_parse(64)", p, 8 + 64);
		free(p);
	}
	{
		RbacScopeType type;
		const char *id;
		size_t		idlen;

		check(!rbac_scope_parse(NULL, 0, &type, &id, &idlen), "rbac_scope_parse(NULL)", "", 0);
		check(rbac_scope_parse_hint(NULL, 0) != NULL, "rbac_scope_parse_hint(NULL)", "", 0);
	}
}

static void
test_scope_hints(void)
{
	static const struct
	{
		const char *in;
		const char *starts;		/* expected start of the hint */
	}			cases[] = {
		{"", "Write a scope such as"},
		{" project/1", "Remove the white space"},
		{"project/1\n", "Remove the white space"},
		{"system/1", "The system scope has no id"},
		{"system/", "The system scope has no id"},
		{"Project/1", "Write the scope type in lower case"},
		{"SYSTEM", "Write the scope type in lower case"},
		{"workspace/1", "The scope type must be"},
		{"/1", "The scope type must be"},
		{"project", "Add an id after the scope type"},
		{"project/", "Add an id after the slash"},
		{"project/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "Shorten the id"},
		{"project/a b", "Use only the letters"},
		{"project/a/b", "Use only the letters"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		size_t		len = strlen(cases[i].in);
		char	   *p = exact_copy(cases[i].in, len);
		const char *hint = rbac_scope_parse_hint(p, len);

		check(hint != NULL && strncmp(hint, cases[i].starts, strlen(cases[i].starts)) == 0,
			  "rbac_scope_parse_hint(text)", cases[i].in, len);
		/* Hints are full sentences. */
		check(hint != NULL && hint[0] >= 'A' && hint[0] <= 'Z' && hint[strlen(hint) - 1] == '.',
			  "rbac_scope_parse_hint(sentence)", cases[i].in, len);
		free(p);
	}
}

/* Every type round-trips: name -> parse -> name. */
static void
test_scope_round_trip(void)
{
	for (int t = RBAC_SCOPE_SYSTEM; t <= RBAC_SCOPE_PROJECT; t++)
	{
		char		text[RBAC_SCOPE_TEXT_MAX];
		const char *name = rbac_scope_type_name((RbacScopeType) t);
		RbacScopeType type;
		const char *id;
		size_t		idlen;
		size_t		len;
		char	   *p;

		if (t == RBAC_SCOPE_SYSTEM)
			len = (size_t) snprintf(text, sizeof(text), "%s", name);
		else
			len = (size_t) snprintf(text, sizeof(text), "%s/%.*s", name, RBAC_SCOPE_ID_MAXLEN,
									"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-");
		check(len < RBAC_SCOPE_TEXT_MAX, "RBAC_SCOPE_TEXT_MAX", text, len);
		p = exact_copy(text, len);
		check(rbac_scope_parse(p, len, &type, &id, &idlen) && (int) type == t &&
			  rbac_scope_type_from_name(name, strlen(name)) == t &&
			  (t == RBAC_SCOPE_SYSTEM ? idlen == 0 : idlen == RBAC_SCOPE_ID_MAXLEN),
			  "scope round trip", text, len);
		free(p);
	}
}

/* ------------------------------------------------------------ action sets */

static void
test_action_from_name(void)
{
	static const struct
	{
		const char *in;
		int			len;		/* -1: strlen */
		int			want;
	}			cases[] = {
		{"view", -1, RBAC_ACT_VIEW},
		{"edit", -1, RBAC_ACT_EDIT},
		{"create", -1, RBAC_ACT_CREATE},
		{"delete", -1, RBAC_ACT_DELETE},
		{"read", -1, RBAC_ACT_VIEW},
		{"update", -1, RBAC_ACT_EDIT},
		{"VIEW", -1, RBAC_ACT_VIEW},
		{"View", -1, RBAC_ACT_VIEW},
		{"rEaD", -1, RBAC_ACT_VIEW},
		{"UPDATE", -1, RBAC_ACT_EDIT},
		{"Delete", -1, RBAC_ACT_DELETE},
		{"CREATE", -1, RBAC_ACT_CREATE},
		{"viewer", 4, RBAC_ACT_VIEW},	/* length decides */
		{"", 0, 0},
		{"vie", -1, 0},
		{"views", -1, 0},
		{"view ", -1, 0},
		{" view", -1, 0},
		{"viev", -1, 0},
		{"all", -1, 0},
		{"list", -1, 0},
		{"write", -1, 0},
		{"remove", -1, 0},
		{"view\0", 5, 0},
		{"vi\0w", 4, 0},
		{"\xd6iew", -1, 0},		/* not ASCII: no case folding beyond ASCII */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		size_t		len = cases[i].len < 0 ? strlen(cases[i].in) : (size_t) cases[i].len;
		char	   *p = exact_copy(cases[i].in, len);

		check(rbac_action_from_name(p, len) == cases[i].want, "rbac_action_from_name", cases[i].in, len);
		free(p);
	}
	check(rbac_action_from_name(NULL, 4) == 0, "rbac_action_from_name(NULL)", "", 0);

	check(rbac_action_name(RBAC_ACT_VIEW) && strcmp(rbac_action_name(RBAC_ACT_VIEW), "view") == 0,
		  "rbac_action_name(view)", "", 0);
	check(rbac_action_name(RBAC_ACT_EDIT) && strcmp(rbac_action_name(RBAC_ACT_EDIT), "edit") == 0,
		  "rbac_action_name(edit)", "", 0);
	check(rbac_action_name(RBAC_ACT_CREATE) && strcmp(rbac_action_name(RBAC_ACT_CREATE), "create") == 0,
		  "rbac_action_name(create)", "", 0);
	check(rbac_action_name(RBAC_ACT_DELETE) && strcmp(rbac_action_name(RBAC_ACT_DELETE), "delete") == 0,
		  "rbac_action_name(delete)", "", 0);
	check(rbac_action_name(0) == NULL && rbac_action_name(3) == NULL && rbac_action_name(16) == NULL,
		  "rbac_action_name(other)", "", 0);
}

static void
test_actionset_parse(void)
{
	static const struct
	{
		const char *in;
		int			len;		/* -1: strlen */
		bool		ok;
		uint8_t		want;
	}			cases[] = {
		{"{}", -1, true, 0},
		{"{ }", -1, true, 0},
		{" \t\n\r\f\v{ \t\n\r\f\v} \t\n\r\f\v", -1, true, 0},
		{"{view}", -1, true, RBAC_ACT_VIEW},
		{"{edit}", -1, true, RBAC_ACT_EDIT},
		{"{create}", -1, true, RBAC_ACT_CREATE},
		{"{delete}", -1, true, RBAC_ACT_DELETE},
		{"{view,edit}", -1, true, RBAC_ACT_VIEW | RBAC_ACT_EDIT},
		{"{view,edit,create,delete}", -1, true, RBAC_ACT_ALL},
		{"{delete,create,edit,view}", -1, true, RBAC_ACT_ALL},
		{"{read,update}", -1, true, RBAC_ACT_VIEW | RBAC_ACT_EDIT},
		{"{READ,Update,DELETE}", -1, true, RBAC_ACT_VIEW | RBAC_ACT_EDIT | RBAC_ACT_DELETE},
		{"{view,view,read}", -1, true, RBAC_ACT_VIEW},
		{" { view , edit } ", -1, true, RBAC_ACT_VIEW | RBAC_ACT_EDIT},
		{"{\tcreate\n,\ndelete\t}", -1, true, RBAC_ACT_CREATE | RBAC_ACT_DELETE},
		{"{view}garbage", 6, true, RBAC_ACT_VIEW},	/* length decides */
		{"", 0, false, 0},
		{"   ", -1, false, 0},
		{"view", -1, false, 0},
		{"view,edit", -1, false, 0},
		{"{", -1, false, 0},
		{"}", -1, false, 0},
		{"{ ", -1, false, 0},
		{"{view", -1, false, 0},
		{"{view ", -1, false, 0},
		{"{view,", -1, false, 0},
		{"{view, ", -1, false, 0},
		{"{view,}", -1, false, 0},
		{"{,view}", -1, false, 0},
		{"{,}", -1, false, 0},
		{"{view,,edit}", -1, false, 0},
		{"{view edit}", -1, false, 0},
		{"{view}}", -1, false, 0},
		{"{{view}}", -1, false, 0},
		{"{{}", -1, false, 0},
		{"{view{}", -1, false, 0},
		{"{view} x", -1, false, 0},
		{"{view};", -1, false, 0},
		{"{view}{}", -1, false, 0},
		{"{\"view\"}", -1, false, 0},
		{"{vieww}", -1, false, 0},
		{"{all}", -1, false, 0},
		{"{NULL}", -1, false, 0},
		{"{vi ew}", -1, false, 0},
		{"[view]", -1, false, 0},
		{"(view)", -1, false, 0},
		{"{view\0}", 7, false, 0},
		{"\0{view}", 7, false, 0},
		{"{view}\0", 7, false, 0},
		{"{view}", 5, false, 0},	/* "{view" */
		{"{}", 1, false, 0},	/* "{" */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		size_t		len = cases[i].len < 0 ? strlen(cases[i].in) : (size_t) cases[i].len;
		char	   *p = exact_copy(cases[i].in, len);
		uint8_t		set = 0xAA;
		bool		ok = rbac_actionset_parse(p, len, &set);

		check(ok == cases[i].ok, "rbac_actionset_parse(accept)", cases[i].in, len);
		if (ok && cases[i].ok)
			check(set == cases[i].want, "rbac_actionset_parse(value)", cases[i].in, len);
		if (!ok)
			check(set == 0xAA, "rbac_actionset_parse(output untouched on failure)", cases[i].in, len);
		check((rbac_actionset_parse_hint(p, len) == NULL) == cases[i].ok,
			  "rbac_actionset_parse_hint(NULL iff valid)", cases[i].in, len);
		free(p);
	}
	{
		uint8_t		set;

		check(!rbac_actionset_parse(NULL, 0, &set), "rbac_actionset_parse(NULL)", "", 0);
	}
}

static void
test_actionset_hints(void)
{
	static const struct
	{
		const char *in;
		const char *starts;
	}			cases[] = {
		{"", "Write \"{}\""},
		{"view", "Enclose the actions in braces, for example \"{view}\""},
		{"view,edit", "Enclose the actions in braces, for example \"{view,edit}\""},
		{"{view", "End the list"},
		{"{view,}", "Remove the empty element"},
		{"{view edit}", "Separate the actions with commas"},
		{"{viw}", "Use only the actions"},
		{"{view} x", "Remove the text after the closing brace"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		size_t		len = strlen(cases[i].in);
		char	   *p = exact_copy(cases[i].in, len);
		const char *hint = rbac_actionset_parse_hint(p, len);

		check(hint != NULL && strncmp(hint, cases[i].starts, strlen(cases[i].starts)) == 0,
			  "rbac_actionset_parse_hint(text)", cases[i].in, len);
		check(hint != NULL && hint[0] >= 'A' && hint[0] <= 'Z' && hint[strlen(hint) - 1] == '.',
			  "rbac_actionset_parse_hint(sentence)", cases[i].in, len);
		free(p);
	}
}

static void
test_actionset_format(void)
{
	static const char *const canonical[16] = {
		"{}", "{view}", "{edit}", "{view,edit}", "{create}", "{view,create}",
		"{edit,create}", "{view,edit,create}", "{delete}", "{view,delete}",
		"{edit,delete}", "{view,edit,delete}", "{create,delete}",
		"{view,create,delete}", "{edit,create,delete}", "{view,edit,create,delete}",
	};

	for (int s = 0; s < 16; s++)
	{
		char		buf[RBAC_ACTIONSET_TEXT_MAX];
		size_t		n = rbac_actionset_format((uint8_t) s, buf, sizeof(buf));
		uint8_t		back = 0xFF;
		char	   *p;

		check(n == strlen(canonical[s]) && strcmp(buf, canonical[s]) == 0,
			  "rbac_actionset_format", canonical[s], strlen(canonical[s]));
		check(n < RBAC_ACTIONSET_TEXT_MAX, "RBAC_ACTIONSET_TEXT_MAX", buf, n);
		/* Round trip: format -> parse gives the set back. */
		p = exact_copy(buf, n);
		check(rbac_actionset_parse(p, n, &back) && back == s, "actionset round trip", buf, n);
		free(p);
		/* Bits outside RBAC_ACT_ALL are ignored. */
		check(rbac_actionset_format((uint8_t) (s | 0xF0), buf, sizeof(buf)) == n &&
			  strcmp(buf, canonical[s]) == 0, "rbac_actionset_format(high bits)", buf, n);
	}

	/* snprintf semantics: the full length is returned, the buffer is truncated. */
	{
		char		buf[8];

		memset(buf, '#', sizeof(buf));
		check(rbac_actionset_format(RBAC_ACT_ALL, NULL, 0) == 25, "rbac_actionset_format(NULL, 0)", "", 0);
		check(rbac_actionset_format(RBAC_ACT_ALL, buf, 0) == 25 && buf[0] == '#',
			  "rbac_actionset_format(buflen 0)", buf, 1);
		check(rbac_actionset_format(RBAC_ACT_ALL, buf, 1) == 25 && buf[0] == '\0' && buf[1] == '#',
			  "rbac_actionset_format(buflen 1)", buf, 2);
		check(rbac_actionset_format(RBAC_ACT_ALL, buf, 6) == 25 && strcmp(buf, "{view") == 0 &&
			  buf[6] == '#', "rbac_actionset_format(buflen 6)", buf, 6);
		check(rbac_actionset_format(RBAC_ACT_VIEW, buf, 7) == 6 && strcmp(buf, "{view}") == 0,
			  "rbac_actionset_format(exact)", buf, 6);
		check(rbac_actionset_format(RBAC_ACT_VIEW, buf, 6) == 6 && strcmp(buf, "{view") == 0,
			  "rbac_actionset_format(one short)", buf, 5);
	}
}

/* ------------------------------------------------------------ exhaustive */

/*
 * Every input of up to two bytes, and every three-byte input over a small alphabet:
 * no crash, no over-read (ASan), hints agree with the parsers.
 */
static void
test_exhaustive_short(void)
{
	static const char alphabet[] = "{},/ vs";
	int			bad = 0;
	int			count = 0;

	for (int len = 0; len <= 2; len++)
	{
		int			total = len == 0 ? 1 : len == 1 ? 256 : 65536;

		for (int v = 0; v < total; v++)
		{
			char		in[2] = {(char) (v & 0xFF), (char) (v >> 8)};
			char	   *p = exact_copy(in, (size_t) len);
			RbacScopeType type;
			const char *id;
			size_t		idlen;
			uint8_t		set;
			bool		sok = rbac_scope_parse(p, (size_t) len, &type, &id, &idlen);
			bool		aok = rbac_actionset_parse(p, (size_t) len, &set);

			if (sok != (rbac_scope_parse_hint(p, (size_t) len) == NULL) ||
				aok != (rbac_actionset_parse_hint(p, (size_t) len) == NULL) ||
				sok || (aok && !(len == 2 && p[0] == '{' && p[1] == '}')))
				bad++;
			(void) rbac_action_from_name(p, (size_t) len);
			(void) rbac_scope_id_valid(p, (size_t) len);
			(void) rbac_scope_type_from_name(p, (size_t) len);
			count++;
			free(p);
		}
	}
	for (size_t a = 0; a < sizeof(alphabet) - 1; a++)
		for (size_t b = 0; b < sizeof(alphabet) - 1; b++)
			for (size_t c = 0; c < sizeof(alphabet) - 1; c++)
			{
				char		in[3] = {alphabet[a], alphabet[b], alphabet[c]};
				char	   *p = exact_copy(in, 3);
				uint8_t		set;
				bool		aok = rbac_actionset_parse(p, 3, &set);

				if (aok != (rbac_actionset_parse_hint(p, 3) == NULL))
					bad++;
				count++;
				free(p);
			}
	check(bad == 0 && count > 65000, "exhaustive short inputs", "", 0);
}

int
main(void)
{
	test_scope_type_names();
	test_scope_type_from_name();
	test_scope_id_valid();
	test_scope_parse();
	test_scope_hints();
	test_scope_round_trip();
	test_action_from_name();
	test_actionset_parse();
	test_actionset_hints();
	test_actionset_format();
	test_exhaustive_short();

	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
