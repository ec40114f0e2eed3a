/*
 * types.c
 *    SQL-callable functions of the data types runai.scope and runai.actionset:
 *    input/output, binary send/receive, comparison, hashing, operators, casts.
 *
 * The text grammar lives in parse.c (pure C, fuzzed); this file only wraps it for
 * the server and turns failures into user-facing errors.  No caching, no state.
 *
 * The binary form of a scope is its text form, as ASCII bytes, so that recv
 * validates exactly like in.  The binary form of an action set is its one byte.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "parse.h"
#include "types.h"

/* Inputs longer than this many bytes are shortened when quoted in a message. */
#define RBAC_QUOTE_MAX 100

#define SCOPE_SYNTAX_DETAIL \
	"Expected \"system\" or \"<type>/<id>\" where <type> is tenant, cluster, department or project and <id> is 1 to 63 characters of A-Z, a-z, 0-9, \".\", \"_\", \":\" or \"-\"."
#define SCOPE_ID_DETAIL \
	"A scope id is 1 to 63 characters of A-Z, a-z, 0-9, \".\", \"_\", \":\" or \"-\"."
#define ACTIONS_DETAIL \
	"The actions are view, edit, create and delete, and read and update are accepted as aliases of view and edit."
#define ACTIONSET_SYNTAX_DETAIL \
	"Expected a brace-enclosed, comma-separated list of actions such as \"{view,edit}\", or \"{}\" for the empty set; the actions are view, edit, create and delete, and read and update are accepted as aliases of view and edit."

PG_FUNCTION_INFO_V1(rbac_scope_in);
PG_FUNCTION_INFO_V1(rbac_scope_out);
PG_FUNCTION_INFO_V1(rbac_scope_recv);
PG_FUNCTION_INFO_V1(rbac_scope_send);
PG_FUNCTION_INFO_V1(rbac_scope_eq);
PG_FUNCTION_INFO_V1(rbac_scope_ne);
PG_FUNCTION_INFO_V1(rbac_scope_lt);
PG_FUNCTION_INFO_V1(rbac_scope_le);
PG_FUNCTION_INFO_V1(rbac_scope_gt);
PG_FUNCTION_INFO_V1(rbac_scope_ge);
PG_FUNCTION_INFO_V1(rbac_scope_cmp);
PG_FUNCTION_INFO_V1(rbac_scope_hash);
PG_FUNCTION_INFO_V1(rbac_scope_hash_extended);
PG_FUNCTION_INFO_V1(rbac_scope_type_sql);
PG_FUNCTION_INFO_V1(rbac_scope_id_sql);
PG_FUNCTION_INFO_V1(rbac_scope_construct);

PG_FUNCTION_INFO_V1(rbac_actionset_in);
PG_FUNCTION_INFO_V1(rbac_actionset_out);
PG_FUNCTION_INFO_V1(rbac_actionset_recv);
PG_FUNCTION_INFO_V1(rbac_actionset_send);
PG_FUNCTION_INFO_V1(rbac_actionset_eq);
PG_FUNCTION_INFO_V1(rbac_actionset_ne);
PG_FUNCTION_INFO_V1(rbac_actionset_lt);
PG_FUNCTION_INFO_V1(rbac_actionset_le);
PG_FUNCTION_INFO_V1(rbac_actionset_gt);
PG_FUNCTION_INFO_V1(rbac_actionset_ge);
PG_FUNCTION_INFO_V1(rbac_actionset_cmp);
PG_FUNCTION_INFO_V1(rbac_actionset_hash);
PG_FUNCTION_INFO_V1(rbac_actionset_hash_extended);
PG_FUNCTION_INFO_V1(rbac_actionset_contains);
PG_FUNCTION_INFO_V1(rbac_actionset_contained);
PG_FUNCTION_INFO_V1(rbac_actionset_overlaps);
PG_FUNCTION_INFO_V1(rbac_actionset_union);
PG_FUNCTION_INFO_V1(rbac_actionset_intersect);
PG_FUNCTION_INFO_V1(rbac_actionset_from_text_array);
PG_FUNCTION_INFO_V1(rbac_actionset_to_text_array);
PG_FUNCTION_INFO_V1(rbac_actionset_has);

/*
 * Copies in[0..len) for quoting in an error message, shortened at a character
 * boundary to about RBAC_QUOTE_MAX bytes plus "..." so that a huge input does not
 * flood the log; *truncated says whether it was.
 */
static char *
quote_input(const char *in, size_t len, bool *truncated)
{
	int			clip;

	if (len <= RBAC_QUOTE_MAX)
	{
		*truncated = false;
		return pnstrdup(in, len);
	}
	*truncated = true;
	clip = pg_mbcliplen(in, (int) len, RBAC_QUOTE_MAX);
	return psprintf("%.*s...", clip, in);
}

/* Reports a malformed scope text form (22P02) and does not return. */
static void
pg_attribute_noreturn()
scope_syntax_error(const char *in, size_t len)
{
	bool		truncated;
	char	   *quoted = quote_input(in, len, &truncated);

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type runai.scope: \"%s\"", quoted),
			 truncated ?
			 errdetail(SCOPE_SYNTAX_DETAIL " The input is %zu bytes long and only its beginning is shown.", len) :
			 errdetail(SCOPE_SYNTAX_DETAIL),
			 errhint("%s", rbac_scope_parse_hint(in, len))));
	pg_unreachable();
}

/* Reports a malformed action set text form (22P02) and does not return. */
static void
pg_attribute_noreturn()
actionset_syntax_error(const char *in, size_t len)
{
	bool		truncated;
	char	   *quoted = quote_input(in, len, &truncated);

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type runai.actionset: \"%s\"", quoted),
			 truncated ?
			 errdetail(ACTIONSET_SYNTAX_DETAIL " The input is %zu bytes long and only its beginning is shown.", len) :
			 errdetail(ACTIONSET_SYNTAX_DETAIL),
			 errhint("%s", rbac_actionset_parse_hint(in, len))));
	pg_unreachable();
}

/* ------------------------------------------------------------------------
 * runai.scope: helpers shared with the rest of the extension
 * ------------------------------------------------------------------------ */

/*
 * Builds a scope datum from parts the caller has validated (the parsers, or a
 * catalog that only ever stores valid scopes).
 */
Datum
rbac_scope_make(RbacScopeType type, const char *id, size_t idlen)
{
	RbacScope  *s;

	Assert((int) type >= RBAC_SCOPE_SYSTEM && (int) type <= RBAC_SCOPE_TYPE_MAX);
	Assert(type == RBAC_SCOPE_SYSTEM ? idlen == 0 : rbac_scope_id_valid(id, idlen));

	s = (RbacScope *) palloc(offsetof(RbacScope, id) + idlen);
	SET_VARSIZE(s, offsetof(RbacScope, id) + idlen);
	s->type = (uint8) type;
	if (idlen > 0)
		memcpy(s->id, id, idlen);
	return PointerGetDatum(s);
}

/*
 * Name of the type of a stored scope.  A type byte out of range means the data on
 * disk is damaged, not that a user made a mistake.
 */
static const char *
scope_type_name_checked(const struct varlena *v)
{
	const char *name;

	if (VARSIZE_ANY_EXHDR(v) < 1)
		elog(ERROR, "corrupt runai.scope value (empty)");
	name = rbac_scope_type_name((RbacScopeType) rbac_scope_type_of(v));
	if (name == NULL)
		elog(ERROR, "corrupt runai.scope value (type byte %d)",
			 (int) rbac_scope_type_of(v));
	return name;
}

/* The text form of a scope, palloc'd: "system" or "<type>/<id>". */
char *
rbac_scope_to_cstring(const struct varlena *v)
{
	const char *name = scope_type_name_checked(v);
	size_t		idlen = rbac_scope_idlen_of(v);

	if (idlen == 0)
		return pstrdup(name);
	return psprintf("%s/%.*s", name, (int) idlen, rbac_scope_id_of(v));
}

/* Total order of scopes: type level, then id bytes, shorter first on a prefix. */
int
rbac_scope_cmp_internal(const struct varlena *a, const struct varlena *b)
{
	uint8		ta = rbac_scope_type_of(a);
	uint8		tb = rbac_scope_type_of(b);
	size_t		la;
	size_t		lb;
	int			c;

	if (ta != tb)
		return ta < tb ? -1 : 1;
	la = rbac_scope_idlen_of(a);
	lb = rbac_scope_idlen_of(b);
	c = memcmp(rbac_scope_id_of(a), rbac_scope_id_of(b), Min(la, lb));
	if (c != 0)
		return c < 0 ? -1 : 1;
	return (la < lb) ? -1 : (la > lb) ? 1 : 0;
}

/* Equality without the ordering work: same length and same bytes. */
static bool
scope_equal(const struct varlena *a, const struct varlena *b)
{
	size_t		len = VARSIZE_ANY_EXHDR(a);

	return len == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), len) == 0;
}

/* ------------------------------------------------------------------------
 * runai.scope: I/O
 * ------------------------------------------------------------------------ */

/* scope_in(cstring): parses the text form. */
Datum
rbac_scope_in(PG_FUNCTION_ARGS)
{
	const char *in = PG_GETARG_CSTRING(0);
	size_t		len = strlen(in);
	RbacScopeType type;
	const char *id;
	size_t		idlen;

	if (!rbac_scope_parse(in, len, &type, &id, &idlen))
		scope_syntax_error(in, len);
	PG_RETURN_DATUM(rbac_scope_make(type, id, idlen));
}

/* scope_out(scope): the text form. */
Datum
rbac_scope_out(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_RBAC_SCOPE_PP(0);

	PG_RETURN_CSTRING(rbac_scope_to_cstring(v));
}

/*
 * scope_recv(internal): the binary form is the text form, validated by the same
 * parser as scope_in; anything else is invalid_binary_representation (22P03).
 */
Datum
rbac_scope_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			nbytes = buf->len - buf->cursor;
	const char *data = pq_getmsgbytes(buf, nbytes);
	RbacScopeType type;
	const char *id;
	size_t		idlen;

	if (!rbac_scope_parse(data, (size_t) nbytes, &type, &id, &idlen))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary data for type runai.scope"),
				 errdetail("The binary form of a scope is its text form, and the %d bytes received are not a scope. " SCOPE_SYNTAX_DETAIL,
						   nbytes),
				 errhint("%s", rbac_scope_parse_hint(data, (size_t) nbytes))));
	PG_RETURN_DATUM(rbac_scope_make(type, id, idlen));
}

/* scope_send(scope): the text form as bytes. */
Datum
rbac_scope_send(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_RBAC_SCOPE_PP(0);
	const char *name = scope_type_name_checked(v);
	size_t		idlen = rbac_scope_idlen_of(v);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, name, strlen(name));
	if (idlen > 0)
	{
		pq_sendbyte(&buf, '/');
		pq_sendbytes(&buf, rbac_scope_id_of(v), (int) idlen);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ------------------------------------------------------------------------
 * runai.scope: comparison and hashing (btree and hash operator classes)
 * ------------------------------------------------------------------------ */

/* Compares the two scope arguments, freeing detoasted copies (index support). */
static int
scope_cmp_args(FunctionCallInfo fcinfo)
{
	struct varlena *a = PG_GETARG_RBAC_SCOPE_PP(0);
	struct varlena *b = PG_GETARG_RBAC_SCOPE_PP(1);
	int			c = rbac_scope_cmp_internal(a, b);

	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return c;
}

/* scope = scope */
Datum
rbac_scope_eq(PG_FUNCTION_ARGS)
{
	struct varlena *a = PG_GETARG_RBAC_SCOPE_PP(0);
	struct varlena *b = PG_GETARG_RBAC_SCOPE_PP(1);
	bool		r = scope_equal(a, b);

	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	PG_RETURN_BOOL(r);
}

/* scope <> scope */
Datum
rbac_scope_ne(PG_FUNCTION_ARGS)
{
	struct varlena *a = PG_GETARG_RBAC_SCOPE_PP(0);
	struct varlena *b = PG_GETARG_RBAC_SCOPE_PP(1);
	bool		r = !scope_equal(a, b);

	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	PG_RETURN_BOOL(r);
}

/* scope < scope */
Datum
rbac_scope_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(scope_cmp_args(fcinfo) < 0);
}

/* scope <= scope */
Datum
rbac_scope_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(scope_cmp_args(fcinfo) <= 0);
}

/* scope > scope */
Datum
rbac_scope_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(scope_cmp_args(fcinfo) > 0);
}

/* scope >= scope */
Datum
rbac_scope_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(scope_cmp_args(fcinfo) >= 0);
}

/* btree support function 1. */
Datum
rbac_scope_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(scope_cmp_args(fcinfo));
}

/*
 * hash support function 1.  Equal scopes have equal payload bytes (type byte and
 * id), whatever their varlena header, so hashing the payload is consistent with =.
 */
Datum
rbac_scope_hash(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_RBAC_SCOPE_PP(0);
	Datum		h = hash_any((const unsigned char *) VARDATA_ANY(v),
							 (int) VARSIZE_ANY_EXHDR(v));

	PG_FREE_IF_COPY(v, 0);
	return h;
}

/* hash support function 2: the seeded 64-bit hash. */
Datum
rbac_scope_hash_extended(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_RBAC_SCOPE_PP(0);
	Datum		h = hash_any_extended((const unsigned char *) VARDATA_ANY(v),
									  (int) VARSIZE_ANY_EXHDR(v),
									  PG_GETARG_INT64(1));

	PG_FREE_IF_COPY(v, 0);
	return h;
}

/* ------------------------------------------------------------------------
 * runai.scope: accessors and constructor
 * ------------------------------------------------------------------------ */

/* scope_type(scope) -> text: "system", "tenant", ... */
Datum
rbac_scope_type_sql(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_RBAC_SCOPE_PP(0);

	PG_RETURN_TEXT_P(cstring_to_text(scope_type_name_checked(v)));
}

/* scope_id(scope) -> text: the id, NULL for system. */
Datum
rbac_scope_id_sql(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_GETARG_RBAC_SCOPE_PP(0);
	size_t		idlen = rbac_scope_idlen_of(v);

	if (idlen == 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(rbac_scope_id_of(v), (int) idlen));
}

/*
 * scope(type text, id text) -> scope.  Not strict: the system scope is
 * scope('system', NULL).  Bad arguments are errors, never a NULL result.
 */
Datum
rbac_scope_construct(PG_FUNCTION_ARGS)
{
	text	   *typetext;
	text	   *idtext;
	const char *idp;
	size_t		idlen;
	int			type;
	bool		truncated;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scope type must not be null"),
				 errdetail("The scope type is system, tenant, cluster, department or project."),
				 errhint("Pass one of them as the first argument.")));
	typetext = PG_GETARG_TEXT_PP(0);
	type = rbac_scope_type_from_name(VARDATA_ANY(typetext), VARSIZE_ANY_EXHDR(typetext));
	if (type < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid scope type: \"%s\"",
						quote_input(VARDATA_ANY(typetext), VARSIZE_ANY_EXHDR(typetext), &truncated)),
				 errdetail("The scope type is system, tenant, cluster, department or project, in lower case."),
				 errhint("Use one of them, for example runai.scope('project', '42').")));

	if (type == RBAC_SCOPE_SYSTEM)
	{
		if (!PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the system scope has no id"),
					 errdetail("system is the one root of the scope tree; only the scopes below it have ids."),
					 errhint("Pass NULL as the id of the system scope.")));
		PG_RETURN_DATUM(rbac_scope_make(RBAC_SCOPE_SYSTEM, NULL, 0));
	}

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scope id must not be null"),
				 errdetail("A %s scope needs an id.", rbac_scope_type_name((RbacScopeType) type)),
				 errhint("Pass the id as the second argument, for example runai.scope('project', '42').")));
	idtext = PG_GETARG_TEXT_PP(1);
	idp = VARDATA_ANY(idtext);
	idlen = VARSIZE_ANY_EXHDR(idtext);
	if (!rbac_scope_id_valid(idp, idlen))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid scope id: \"%s\"", quote_input(idp, idlen, &truncated)),
				 truncated ?
				 errdetail(SCOPE_ID_DETAIL " The id is %zu bytes long and only its beginning is shown.", idlen) :
				 errdetail(SCOPE_ID_DETAIL),
				 errhint("Remove the characters that are not allowed, or shorten the id to 63 characters.")));
	PG_RETURN_DATUM(rbac_scope_make((RbacScopeType) type, idp, idlen));
}

/* ------------------------------------------------------------------------
 * runai.actionset: I/O
 * ------------------------------------------------------------------------ */

/* actionset_in(cstring): parses "{view,edit}" and friends. */
Datum
rbac_actionset_in(PG_FUNCTION_ARGS)
{
	const char *in = PG_GETARG_CSTRING(0);
	size_t		len = strlen(in);
	uint8_t		set;

	if (!rbac_actionset_parse(in, len, &set))
		actionset_syntax_error(in, len);
	PG_RETURN_RBAC_ACTIONSET(set);
}

/* actionset_out(actionset): the canonical text form. */
Datum
rbac_actionset_out(PG_FUNCTION_ARGS)
{
	uint8		set = PG_GETARG_RBAC_ACTIONSET(0);
	char	   *buf = palloc(RBAC_ACTIONSET_TEXT_MAX);

	rbac_actionset_format(set, buf, RBAC_ACTIONSET_TEXT_MAX);
	PG_RETURN_CSTRING(buf);
}

/* actionset_recv(internal): exactly one byte with no bits outside RBAC_ACT_ALL. */
Datum
rbac_actionset_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			nbytes = buf->len - buf->cursor;
	int			set;

	if (nbytes != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary data for type runai.actionset"),
				 errdetail("The binary form of an action set is 1 byte, but %d bytes were received.",
						   nbytes),
				 errhint("Send the one-byte binary form that PostgreSQL writes for runai.actionset, or send the value as text.")));
	set = pq_getmsgbyte(buf);
	if ((set & ~RBAC_ACT_ALL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary data for type runai.actionset"),
				 errdetail("The binary form of an action set is a byte of the bits 1 (view), 2 (edit), 4 (create) and 8 (delete), but 0x%02X has other bits set.",
						   set),
				 errhint("Send the one-byte binary form that PostgreSQL writes for runai.actionset, or send the value as text.")));
	PG_RETURN_RBAC_ACTIONSET(set);
}

/* actionset_send(actionset): the byte. */
Datum
rbac_actionset_send(PG_FUNCTION_ARGS)
{
	uint8		set = PG_GETARG_RBAC_ACTIONSET(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, set);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ------------------------------------------------------------------------
 * runai.actionset: comparison, hashing and set operators
 * ------------------------------------------------------------------------ */

#define ACTIONSET_ARGS \
	uint8		a = PG_GETARG_RBAC_ACTIONSET(0); \
	uint8		b = PG_GETARG_RBAC_ACTIONSET(1)

/* actionset = actionset */
Datum
rbac_actionset_eq(PG_FUNCTION_ARGS)
{
	ACTIONSET_ARGS;

	PG_RETURN_BOOL(a == b);
}

/* actionset <> actionset */
Datum
rbac_actionset_ne(PG_FUNCTION_ARGS)
{
	ACTIONSET_ARGS;

	PG_RETURN_BOOL(a != b);
}

/* actionset < actionset, on the bit value (for the btree operator class only) */
Datum
rbac_actionset_lt(PG_FUNCTION_ARGS)
{
	ACTIONSET_ARGS;

	PG_RETURN_BOOL(a < b);
}

/* actionset <= actionset, on the bit value */
Datum
rbac_actionset_le(PG_FUNCTION_ARGS)
{
	ACTIONSET_ARGS;

	PG_RETURN_BOOL(a <= b);
}

/* actionset > actionset, on the bit value */
Datum
rbac_actionset_gt(PG_FUNCTION_ARGS)
{
	ACTIONSET_ARGS;

	PG_RETURN_BOOL(a > b);
}

/* actionset >= actionset, on the bit value */
Datum
rbac_actionset_ge(PG_FUNCTION_ARGS)
{
	ACTIONSET_ARGS;

	PG_RETURN_BOOL(a >= b);
}

/* btree support function 1. */
Datum
rbac_actionset_cmp(PG_FUNCTION_ARGS)
{
	ACTIONSET_ARGS;

	PG_RETURN_INT32((int32) a - (int32) b);
}

/* hash support function 1. */
Datum
rbac_actionset_hash(PG_FUNCTION_ARGS)
{
	return hash_uint32((uint32) PG_GETARG_RBAC_ACTIONSET(0));
}

/* hash support function 2. */
Datum
rbac_actionset_hash_extended(PG_FUNCTION_ARGS)
{
	return hash_uint32_extended((uint32) PG_GETARG_RBAC_ACTIONSET(0),
								PG_GETARG_INT64(1));
}

/* actionset @> actionset: every action of b is in a. */
Datum
rbac_actionset_contains(PG_FUNCTION_ARGS)
{
	ACTIONSET_ARGS;

	PG_RETURN_BOOL((a & b) == b);
}

/* actionset <@ actionset: every action of a is in b. */
Datum
rbac_actionset_contained(PG_FUNCTION_ARGS)
{
	ACTIONSET_ARGS;

	PG_RETURN_BOOL((a & b) == a);
}

/* actionset && actionset: some action is in both. */
Datum
rbac_actionset_overlaps(PG_FUNCTION_ARGS)
{
	ACTIONSET_ARGS;

	PG_RETURN_BOOL((a & b) != 0);
}

/* actionset | actionset: union; also the transition and combine function of actionset_agg. */
Datum
rbac_actionset_union(PG_FUNCTION_ARGS)
{
	ACTIONSET_ARGS;

	PG_RETURN_RBAC_ACTIONSET(a | b);
}

/* actionset & actionset: intersection. */
Datum
rbac_actionset_intersect(PG_FUNCTION_ARGS)
{
	ACTIONSET_ARGS;

	PG_RETURN_RBAC_ACTIONSET(a & b);
}

/* ------------------------------------------------------------------------
 * runai.actionset: casts to and from text[], membership by name
 * ------------------------------------------------------------------------ */

/*
 * actionset(text[]): the set of the named actions (aliases and any case allowed).
 * A NULL element or a word that is not an action is an error naming the element.
 */
Datum
rbac_actionset_from_text_array(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			lbound;
	int			i;
	uint8		set = 0;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("cannot convert a multidimensional array to runai.actionset"),
				 errdetail("An action set is built from a one-dimensional array of action names."),
				 errhint("Pass the names in one dimension, for example ARRAY['view', 'edit'].")));
	lbound = ARR_NDIM(arr) == 1 ? ARR_LBOUND(arr)[0] : 1;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		text	   *t;
		int			bit;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("null action in array element %d", lbound + i),
					 errdetail("Every element of the array must name an action."),
					 errhint("Remove the NULL elements, for example with array_remove(array, NULL).")));
		t = DatumGetTextPP(elems[i]);
		bit = rbac_action_from_name(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
		if (bit == 0)
		{
			bool		truncated;

			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("unknown action \"%s\" in array element %d",
							quote_input(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &truncated),
							lbound + i),
					 errdetail(ACTIONS_DETAIL),
					 errhint("Use view, edit, create or delete.")));
		}
		set |= (uint8) bit;
	}
	PG_RETURN_RBAC_ACTIONSET(set);
}

/* actions(actionset) -> text[]: the canonical names, in canonical order. */
Datum
rbac_actionset_to_text_array(PG_FUNCTION_ARGS)
{
	uint8		set = PG_GETARG_RBAC_ACTIONSET(0);
	Datum		elems[4];
	int			n = 0;
	int			bit;

	for (bit = RBAC_ACT_VIEW; bit <= RBAC_ACT_DELETE; bit <<= 1)
	{
		if (set & bit)
			elems[n++] = PointerGetDatum(cstring_to_text(rbac_action_name(bit)));
	}
	if (n == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(TEXTOID));
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* actionset_has(actionset, text): is the named action (or alias) in the set? */
Datum
rbac_actionset_has(PG_FUNCTION_ARGS)
{
	uint8		set = PG_GETARG_RBAC_ACTIONSET(0);
	text	   *name = PG_GETARG_TEXT_PP(1);
	int			bit = rbac_action_from_name(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));

	if (bit == 0)
	{
		bool		truncated;

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown action \"%s\"",
						quote_input(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name), &truncated)),
				 errdetail(ACTIONS_DETAIL),
				 errhint("Use view, edit, create or delete.")));
	}
	PG_RETURN_BOOL((set & bit) != 0);
}
