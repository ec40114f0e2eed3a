#!/usr/bin/python3
"""A small web back end on runai_rbac: one database role, one token per request.

    examples/backend.py --dsn "host=/run/pgbouncer port=6432 dbname=app user=backend" \\
                        --mode transaction --port 8080

Each request carries "Authorization: Bearer <token>", a token from runai.sign_in,
runai.sso_sign_in or runai.app_sign_in, and runs in one transaction that begins with
runai.authenticate(token); from then on row-level security on runai.workloads answers
for the token's user, not for the database role.

    GET    /workloads          list my workloads
    GET    /workloads/count    count my workloads per project
    POST   /workloads          create one: {"name": "n", "kind": "Training", "project": "project/p1"}
    DELETE /workloads/<id>     delete one

--mode transaction, behind a transaction-pooling pooler (pgbouncer pool_mode =
transaction): a few connections are kept and shared by the request threads, and the
subject is set with local => true, so that it ends with the transaction, before the
pooler gives the server connection to another client.
--mode session, behind a session-pooling pooler (pool_mode = session,
server_reset_query = DISCARD ALL): one connection per request, the subject set for
the session; closing the connection makes the pooler run DISCARD ALL, which ends it.

Tokens travel as bind parameters, never in the SQL text. Needs only psycopg 3
(Debian: python3-psycopg).
"""
import argparse
import http.server
import json
import queue
import re

import psycopg
from psycopg.rows import dict_row


class Unauthorized(Exception):
    """The token gives no session: unknown, expired or signed out."""


class Backend:
    """Runs a request's statements in one transaction as the user of its token."""

    def __init__(self, dsn, mode, connections):
        self.dsn = dsn
        self.local = mode == "transaction"
        self.pool = queue.LifoQueue()
        for _ in range(connections if self.local else 0):
            self.pool.put(None)  # a slot; the connection is opened on first use

    def connect(self):
        # prepare_threshold=None: never a server-side prepared statement.  A pooler
        # in transaction mode runs each transaction on any server connection, where
        # a statement this connection prepared may be missing or be another
        # client's (pgbouncer tracks them only from 1.21, max_prepared_statements).
        return psycopg.connect(self.dsn, autocommit=True, prepare_threshold=None,
                               row_factory=dict_row)

    def request(self, token, handler, *args):
        """handler(cursor, *args) -> (status, body), as the token's user."""
        conn = self.pool.get() if self.local else None
        try:
            if conn is None:
                conn = self.connect()
            with conn.transaction(), conn.cursor() as cur:
                try:
                    cur.execute("SELECT runai.authenticate(%s, local => %s)",
                                (token, self.local))
                except psycopg.errors.InvalidAuthorizationSpecification:
                    # The transaction is aborted: leaving the block rolls it back.
                    # Nothing of this request runs, under no one's name.
                    raise Unauthorized() from None
                return handler(cur, *args)
        finally:
            if not self.local:
                if conn is not None:
                    conn.close()  # the pooler runs DISCARD ALL: the subject ends
            elif conn is None or conn.broken:
                self.pool.put(None)  # reconnect on next use
            else:
                self.pool.put(conn)


# -- the handlers: plain SQL, row-level security does the filtering ------------

def list_workloads(cur):
    cur.execute("SELECT id, name, kind, project::text AS project, status"
                " FROM runai.workloads ORDER BY id")
    return 200, cur.fetchall()


def count_workloads(cur):
    cur.execute("SELECT project::text AS project, count(*) AS workloads"
                " FROM runai.workloads GROUP BY project ORDER BY 1")
    return 200, cur.fetchall()


def create_workload(cur, body):
    # The INSERT policy refuses (42501) a project where the user may not create.
    cur.execute("INSERT INTO runai.workloads (name, kind, project)"
                " VALUES (%(name)s, %(kind)s, %(project)s)"
                " RETURNING id, name, kind, project::text AS project, created_by", body)
    return 201, cur.fetchone()


def delete_workload(cur, workload_id):
    # Rows the user may not delete are not deleted: tell "not yours to delete"
    # (visible) from "no such workload" (not visible).
    cur.execute("DELETE FROM runai.workloads WHERE id = %s RETURNING id", (workload_id,))
    if cur.fetchone():
        return 204, None
    cur.execute("SELECT 1 FROM runai.workloads WHERE id = %s", (workload_id,))
    if cur.fetchone():
        return 403, {"error": "not permitted to delete this workload"}
    return 404, {"error": "no such workload"}


def status_of(error):
    """The HTTP status for a database error raised by a handler."""
    if isinstance(error, psycopg.errors.InsufficientPrivilege):
        return 403
    if isinstance(error, psycopg.errors.UniqueViolation):
        return 409
    if isinstance(error, (psycopg.DataError, psycopg.IntegrityError)):
        return 400  # a malformed scope, an unknown kind, ...
    return 500


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    backend = None  # set by main()

    def do_GET(self):
        if self.path == "/workloads":
            self.answer(list_workloads)
        elif self.path == "/workloads/count":
            self.answer(count_workloads)
        else:
            self.send(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/workloads":
            return self.send(404, {"error": "not found"})
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            body = {k: str(body[k]) for k in ("name", "kind", "project")}
        except (ValueError, KeyError, TypeError):
            return self.send(400, {"error": "expected JSON with name, kind and project"})
        self.answer(create_workload, body)

    def do_DELETE(self):
        m = re.fullmatch(r"/workloads/(\d{1,18})", self.path)
        if not m:
            return self.send(404, {"error": "not found"})
        self.answer(delete_workload, int(m[1]))

    def answer(self, handler, *args):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return self.send(401, {"error": "a bearer token is required"})
        try:
            status, body = self.backend.request(auth[len("Bearer "):], handler, *args)
        except Unauthorized:
            status, body = 401, {"error": "invalid or expired token"}
        except psycopg.Error as e:
            status = status_of(e)
            body = {"error": e.diag.message_primary if status < 500 else "internal error"}
            if status == 500:
                self.log_error("%s: %s", type(e).__name__, e)
        self.send(status, body)

    def send(self, status, body):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_request(self, code="-", size="-"):
        pass  # no access log; log_error still writes to stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dsn", required=True, help="libpq connection string (the pooler)")
    ap.add_argument("--mode", choices=("transaction", "session"), default="transaction",
                    help="the pooler's pool_mode")
    ap.add_argument("--connections", type=int, default=8,
                    help="connections kept open in transaction mode")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    opts = ap.parse_args()
    Handler.backend = Backend(opts.dsn, opts.mode, opts.connections)
    server = http.server.ThreadingHTTPServer((opts.host, opts.port), Handler)
    server.daemon_threads = True
    print(f"listening on http://{opts.host}:{opts.port}/ ({opts.mode} pooling)", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
