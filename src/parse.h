/*
 * parse.h
 *    Text forms of scopes and action sets: parsing, validation and formatting.
 *
 * Pure C with no PostgreSQL headers, so that the parsers can be unit-tested
 * (unit/test_parse.c) and fuzzed (fuzz/) outside the server.  No function here
 * allocates memory, keeps state or reads past the length it is given: inputs need
 * not be NUL-terminated.
 *
 * Scope text form: "system", or "<type>/<id>" where <type> is tenant, cluster,
 * department or project and <id> is 1 to RBAC_SCOPE_ID_MAXLEN characters of
 * [A-Za-z0-9._:-].  Nothing else is accepted: no white space, no upper case type.
 *
 * Action set text form: "{view,edit}" (canonical order view, edit, create, delete),
 * "{}" for the empty set; on input, ASCII white space around the braces and the
 * elements, duplicates, any letter case and the aliases read (view) and update
 * (edit) are accepted.
 */
#ifndef RUNAI_RBAC_PARSE_H
#define RUNAI_RBAC_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Scope levels, root first; the numeric order is the tree order. */
typedef enum RbacScopeType
{
	RBAC_SCOPE_SYSTEM = 0,
	RBAC_SCOPE_TENANT = 1,
	RBAC_SCOPE_CLUSTER = 2,
	RBAC_SCOPE_DEPARTMENT = 3,
	RBAC_SCOPE_PROJECT = 4
} RbacScopeType;

#define RBAC_SCOPE_TYPE_MAX		RBAC_SCOPE_PROJECT
#define RBAC_SCOPE_ID_MAXLEN	63
/* Longest scope text form: "department/" plus the longest id, plus a NUL. */
#define RBAC_SCOPE_TEXT_MAX		(11 + RBAC_SCOPE_ID_MAXLEN + 1)

/* "system", "tenant", ... for a valid type; NULL for anything else. */
extern const char *rbac_scope_type_name(RbacScopeType t);

/* The type named exactly (lowercase) by s[0..len), or -1. */
extern int	rbac_scope_type_from_name(const char *s, size_t len);

/* Is id[0..len) a valid scope id: 1..63 characters of [A-Za-z0-9._:-]? */
extern bool rbac_scope_id_valid(const char *id, size_t len);

/*
 * Parses in[0..len) as a scope.  On success sets *type and points *id and *idlen into
 * the input (NULL and 0 for system) and returns true; on failure returns false and
 * leaves the outputs unspecified.
 */
extern bool rbac_scope_parse(const char *in, size_t len, RbacScopeType *type,
							 const char **id, size_t *idlen);

/*
 * NULL if in[0..len) is a valid scope, else a full English sentence that tells the
 * user how to fix the first problem found (for errhint).
 */
extern const char *rbac_scope_parse_hint(const char *in, size_t len);

/* Action bits of an action set. */
#define RBAC_ACT_VIEW	0x01
#define RBAC_ACT_EDIT	0x02
#define RBAC_ACT_CREATE 0x04
#define RBAC_ACT_DELETE 0x08
#define RBAC_ACT_ALL	0x0F

/* Longest action set text form, "{view,edit,create,delete}", with its NUL fits. */
#define RBAC_ACTIONSET_TEXT_MAX 32

/*
 * The bit of the action named by s[0..len) (view, edit, create, delete, or the
 * aliases read and update; ASCII case-insensitive), or 0.
 */
extern int	rbac_action_from_name(const char *s, size_t len);

/* Canonical lowercase name of a single action bit; NULL for anything else. */
extern const char *rbac_action_name(int bit);

/* Parses in[0..len) as an action set; false if it is not one. */
extern bool rbac_actionset_parse(const char *in, size_t len, uint8_t *out);

/* Like rbac_scope_parse_hint, for action sets. */
extern const char *rbac_actionset_parse_hint(const char *in, size_t len);

/*
 * Writes the canonical text form of set (bits outside RBAC_ACT_ALL are ignored)
 * into buf, NUL-terminated and truncated to buflen - 1 characters if need be, and
 * returns the length of the full text form (like snprintf).  buf may be NULL when
 * buflen is 0.
 */
extern size_t rbac_actionset_format(uint8_t set, char *buf, size_t buflen);

#endif							/* RUNAI_RBAC_PARSE_H */
