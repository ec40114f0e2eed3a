/*
 * types.h
 *    The SQL data types runai.scope and runai.actionset.
 *
 * runai.scope is a varlena: one byte of RbacScopeType followed by the id bytes (no
 * NUL; empty for system).  Its storage is not plain, so a stored value may carry a
 * short (1-byte) varlena header: read values only through the helpers below, which
 * work on packed datums (DatumGetRbacScopePP) without copying them.
 *
 * runai.actionset is one byte passed by value: a set of RBAC_ACT_* bits.
 *
 * Include "postgres.h" first, as every backend file does.
 */
#ifndef RUNAI_RBAC_TYPES_H
#define RUNAI_RBAC_TYPES_H

#include "fmgr.h"

#include "parse.h"

/* In-memory layout of an unpacked runai.scope (4-byte header). */
typedef struct RbacScope
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		type;			/* an RbacScopeType */
	char		id[FLEXIBLE_ARRAY_MEMBER];	/* id, not NUL-terminated */
} RbacScope;

/* Detoasts a scope datum, leaving a short header in place if it has one. */
#define DatumGetRbacScopePP(d)	((struct varlena *) PG_DETOAST_DATUM_PACKED(d))
#define PG_GETARG_RBAC_SCOPE_PP(n)	DatumGetRbacScopePP(PG_GETARG_DATUM(n))

/* The action set datum conversions: one byte by value. */
#define DatumGetRbacActionset(d)	((uint8) DatumGetUInt8(d))
#define RbacActionsetGetDatum(s)	UInt8GetDatum((uint8) (s))
#define PG_GETARG_RBAC_ACTIONSET(n) DatumGetRbacActionset(PG_GETARG_DATUM(n))
#define PG_RETURN_RBAC_ACTIONSET(s) return RbacActionsetGetDatum(s)

/* Scope type of a (possibly packed) scope value. */
static inline uint8
rbac_scope_type_of(const struct varlena *v)
{
	return *(const uint8 *) VARDATA_ANY(v);
}

/* First byte of the id of a (possibly packed) scope value; not NUL-terminated. */
static inline const char *
rbac_scope_id_of(const struct varlena *v)
{
	return (const char *) VARDATA_ANY(v) + 1;
}

/* Length of the id of a (possibly packed) scope value; 0 for system. */
static inline size_t
rbac_scope_idlen_of(const struct varlena *v)
{
	return (size_t) VARSIZE_ANY_EXHDR(v) - 1;
}

/* Builds a scope datum (palloc'd) from a type and an id that the caller validated. */
extern Datum rbac_scope_make(RbacScopeType type, const char *id, size_t idlen);

/* The text form of a scope, palloc'd. */
extern char *rbac_scope_to_cstring(const struct varlena *v);

/*
 * Total order of scopes: by type level (system < tenant < cluster < department <
 * project), then by id bytes, a shorter id first on a common prefix.  Returns <0,
 * 0 or >0.
 */
extern int	rbac_scope_cmp_internal(const struct varlena *a, const struct varlena *b);

#endif							/* RUNAI_RBAC_TYPES_H */
