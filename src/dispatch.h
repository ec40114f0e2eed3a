/*
 * dispatch.h
 *    Public functions that change something run their SQL body as the extension's
 *    owner while their permission checks use the caller.
 *
 * A public function such as runai.add_access_rule(...) is declared in SQL as
 *     LANGUAGE C AS 'MODULE_PATHNAME', 'rbac_dispatch'
 * and has a twin runai_internal.add_access_rule(...) with the same arguments and
 * result, written in PL/pgSQL, owned by the extension owner and executable by nobody
 * else.  rbac_dispatch records the caller as the actor (actor.h), switches to the
 * owner, runs the twin through SPI and switches back, on error too.  Inside the
 * twin, the helper functions runai_internal.actor(), runai_internal.require(...)
 * etc. read the actor.
 *
 * In a database still at 0.1.0 (created by that version's script and not yet
 * updated), the twins are runai._<name> (catalog.h, RBAC_LAYOUT_0_1).
 *
 * The functions of this unit are SQL-callable only; it exports no C interface.
 */
#ifndef RUNAI_RBAC_DISPATCH_H
#define RUNAI_RBAC_DISPATCH_H

#endif							/* RUNAI_RBAC_DISPATCH_H */
