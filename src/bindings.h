/*
 * bindings.h
 *    What may be bound to a Run:ai user (runai.bind_db_role), and bindings that go
 *    away with their database role.
 *
 * A binding makes every session of a database role act as a Run:ai user, so
 * (SPEC sections 3.1 and 4):
 *  - the role must be one whose sessions are exactly that role: not a superuser,
 *    not BYPASSRLS or CREATEROLE, not a member of another role and without
 *    members, and not the extension's owner (22023, the reason in the detail);
 *  - the caller's database role must control it in PostgreSQL's own terms
 *    (superuser, CREATEROLE, or ADMIN OPTION on it), and may not bind the role it
 *    is itself running as, current or session user, unless it is a superuser
 *    (42501): only whoever controls a database role decides what it acts as.
 * DROP ROLE removes the bindings of the dropped roles in the current database
 * (a ProcessUtility hook, after the drop succeeded, recorded in the event
 * history).  Other databases keep theirs until their next binding change; the
 * cache ignores a binding whose role no longer exists or now has another name
 * (role OIDs can be reused), since bindings keep the role's name next to its OID.
 */
#ifndef RUNAI_RBAC_BINDINGS_H
#define RUNAI_RBAC_BINDINGS_H

/* Installs the ProcessUtility hook; once per backend, from _PG_init. */
extern void rbac_bindings_init(void);

#endif							/* RUNAI_RBAC_BINDINGS_H */
