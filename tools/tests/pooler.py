#!/usr/bin/python3
"""The checker of tools/tests/pooler.sh: examples/backend.py behind pgbouncer, under load
while access rules are revoked and given back.

pooler.sh starts the cluster and pgbouncer (databases app_tx: transaction pooling,
app_session: session pooling with server_reset_query = DISCARD ALL, guard and
guard_session: transaction and session pooling with one server connection); this
script, through the public API only:

1. sets up, as the superuser: an organisation (tenant acme with 2 clusters, 4
   departments, 12 projects, and tenant sbx with one sandbox project per user), 20
   users (14 local ones, signed in after change_password; 6 SSO users signed in by a
   bridge role, in groups) with rules of different roles at different scopes, 2,400
   workloads in the projects of acme, and the database roles of the back end;
   before any load it checks its own model of who sees what against
   runai.has_permission;
2. the poolers' resets: with session pooling the next client of a server connection
   has no subject; with transaction pooling a session-level authenticate reaches the
   next client (the hazard, reproduced with a role without the guard), and with
   runai.require_local_authenticate on for the back end's role it is refused, the next
   client has no subject, and local => true still works;
3. for each pooler mode: starts examples/backend.py, runs WORKERS threads that send
   HTTP requests for the 20 users (list, count per project, create and delete in the
   user's sandbox project, creates and deletes that must be refused, bad tokens) while
   another connection revokes and re-adds 11 rules.  Requests for one user are never
   concurrent, so the user's sandbox rows are known exactly.  Every answer is checked:
   the revoker records when each change was sent and when it returned, and an answer
   must equal the expected answer for one of the rule states that existed between the
   request's sending and its answer (a statement sees one snapshot; a change is
   committed somewhere between its sending and its return).

Prints "FAIL: ..." for every failure and exits 1 if there was any.
"""
import argparse
import bisect
import collections
import csv
import http.client
import json
import os
import random
import secrets
import subprocess
import sys
import threading
import time

import psycopg

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DB = "runai_pool"
BACKEND_ROLE = "regress_pool_backend"     # transaction pooling, with the guard
SESSION_ROLE = "regress_pool_session"     # session pooling
BRIDGE_ROLE = "regress_pool_bridge"       # may call runai.sso_sign_in
PER_PROJECT = 200

# --- the organisation ---------------------------------------------------------
PARENT = {"tenant/acme": "system", "cluster/c1": "tenant/acme", "cluster/c2": "tenant/acme",
          "department/d1": "cluster/c1", "department/d2": "cluster/c1",
          "department/d3": "cluster/c2", "department/d4": "cluster/c2",
          "tenant/sbx": "system", "cluster/sbx": "tenant/sbx", "department/sbx": "cluster/sbx"}
BASE = [f"project/p{i}" for i in range(1, 13)]
for i, p in enumerate(BASE):
    PARENT[p] = f"department/d{i // 3 + 1}"

# email, groups (None: a local user), rules [(role, scope, churned by the revoker)]
USERS = [
    ("admin@acme.test", None, [("System administrator", "tenant/acme", False)]),
    ("editor.c1@acme.test", None, [("Editor", "cluster/c1", True)]),
    ("dadmin.d1@acme.test", None, [("Department administrator", "department/d1", False)]),
    ("dadmin.d2@acme.test", None, [("Department administrator", "department/d2", True)]),
    ("dviewer.d3@acme.test", None, [("Department viewer", "department/d3", True)]),
    ("viewer.c2@acme.test", None, [("Viewer", "cluster/c2", False)]),
    ("rm.d4@acme.test", None, [("Research manager", "department/d4", True)]),
    ("l1.p1@acme.test", None, [("L1 researcher", "project/p1", True)]),
    ("l1.multi@acme.test", None, [("L1 researcher", "project/p2", False),
                                  ("L1 researcher", "project/p5", True),
                                  ("L1 researcher", "project/p9", True)]),
    ("l2.p3@acme.test", None, [("L2 researcher", "project/p3", False)]),
    ("ml.p6@acme.test", None, [("ML engineer", "project/p6", False)]),
    ("ops@acme.test", None, [("Cloud operator", "tenant/acme", False)]),
    ("nobody@acme.test", None, []),
    ("l1.p12@acme.test", None, [("L1 researcher", "project/p12", True)]),
    ("sso.a@acme.test", ["vision"], []),
    ("sso.b@acme.test", ["vision", "nlp"], []),
    ("sso.c@acme.test", ["nlp"], [("L1 researcher", "project/p11", True)]),
    ("sso.d@acme.test", ["audit"], []),
    ("sso.e@acme.test", [], [("Editor", "department/d4", False)]),
    ("sso.f@acme.test", ["vision", "audit", "nlp"], []),
]
GROUPS = {"vision": [("L1 researcher", "department/d1", True)],
          "nlp": [("Viewer", "project/p7", False), ("L2 researcher", "project/p10", True)],
          "audit": [("Department viewer", "department/d2", False)]}
NO_SANDBOX_RULE = {"ops@acme.test", "nobody@acme.test"}
EMAILS = [u[0] for u in USERS]
SANDBOX = {email: f"project/s{k + 1:02d}" for k, email in enumerate(EMAILS)}
for p in SANDBOX.values():
    PARENT[p] = "department/sbx"


def ancestors(scope):
    out = [scope]
    while scope != "system":
        scope = PARENT[scope]
        out.append(scope)
    return out


def workload_actions():
    """role -> actions on workloads, from the permission matrix the extension ships."""
    out = {}
    with open(os.path.join(ROOT, "data", "role_permissions.csv")) as f:
        for row in csv.DictReader(f):
            if row["resource_type"] == "workloads":
                out[row["role"]] = {a for a in ("view", "edit", "create", "delete") if row[a] == "y"}
    return out


ACTIONS = workload_actions()

# Every rule: key -> (subject_type, subject, role, scope); which users it applies to.
RULES = {}
CHURNED = []
for email, groups, rules in USERS:
    for role, scope, churned in rules + ([] if email in NO_SANDBOX_RULE else
                                         [("L1 researcher", SANDBOX[email], False)]):
        key = ("user", email, role, scope)
        RULES[key] = churned
        if churned:
            CHURNED.append(key)
for group, rules in GROUPS.items():
    for role, scope, churned in rules:
        key = ("group", group, role, scope)
        RULES[key] = churned
        if churned:
            CHURNED.append(key)


def rules_of(email):
    groups = next(g for e, g, _ in USERS if e == email) or []
    return [k for k in RULES if (k[0] == "user" and k[1] == email) or (k[0] == "group" and k[1] in groups)]


RULES_OF = {email: rules_of(email) for email in EMAILS}


def allowed(email, action, scope, absent):
    """Does the user have action on workloads at scope while the rules in absent are revoked?"""
    up = set(ancestors(scope))
    return any(k not in absent and action in ACTIONS[k[2]] and k[3] in up for k in RULES_OF[email])


_visible = {}


def visible(email, absent):
    """The base projects whose workloads the user sees (memoised)."""
    key = (email, absent)
    if key not in _visible:
        _visible[key] = frozenset(p for p in BASE if allowed(email, "view", p, absent))
    return _visible[key]


ALL_PRESENT = frozenset()
NEVER_CREATE = {e: [p for p in BASE + list(SANDBOX.values())
                    if p != SANDBOX[e] and not allowed(e, "create", p, ALL_PRESENT)] for e in EMAILS}
NEVER_DELETE = {e: [p for p in BASE if not allowed(e, "delete", p, ALL_PRESENT)] for e in EMAILS}

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


# --- setup ----------------------------------------------------------------------

def setup(server, pooler):
    """Creates everything through the API; returns (tokens, bad tokens, rule ids, base ids)."""
    with psycopg.connect(server + " dbname=postgres", autocommit=True) as c:
        c.execute(f"CREATE DATABASE {DB}")
    admin = psycopg.connect(f"{server} dbname={DB}", autocommit=True)
    admin.execute("CREATE EXTENSION runai_rbac CASCADE")
    for role in (BACKEND_ROLE, SESSION_ROLE, BRIDGE_ROLE):
        admin.execute(f"CREATE ROLE {role} LOGIN")
    admin.execute(f"GRANT EXECUTE ON FUNCTION runai.sso_sign_in(text, text[]) TO {BRIDGE_ROLE}")
    guard = admin.execute("SELECT 1 FROM pg_settings WHERE name = 'runai.require_local_authenticate'").fetchone()
    if not guard:
        fail("setup: the setting runai.require_local_authenticate does not exist")
    else:
        admin.execute(f"ALTER ROLE {BACKEND_ROLE} SET runai.require_local_authenticate = on")

    for scope in sorted(PARENT, key=lambda s: len(ancestors(s))):
        kind, ident = scope.split("/")
        admin.execute("SELECT runai.create_scope(%s, %s, %s, %s)", (kind, ident, ident.upper(), PARENT[scope]))

    tokens = {}
    bridge = psycopg.connect(f"{server} dbname={DB} user={BRIDGE_ROLE}", autocommit=True)
    for email, groups, _ in USERS:
        if groups is None:
            temporary = admin.execute("SELECT temporary_password FROM runai.create_local_user(%s)",
                                      (email,)).fetchone()[0]
            status, _tok = admin.execute("SELECT status, token FROM runai.sign_in(%s, %s)",
                                         (email, temporary)).fetchone()
            if status != "password_change_required":
                fail(f"setup: first sign-in of {email}: {status}")
            password = secrets.token_urlsafe(16)
            admin.execute("SELECT runai.change_password(%s, %s, %s)", (email, temporary, password))
            status, tokens[email] = admin.execute("SELECT status, token FROM runai.sign_in(%s, %s)",
                                                  (email, password)).fetchone()
            if status != "ok":
                fail(f"setup: sign-in of {email}: {status}")
        else:
            tokens[email] = bridge.execute("SELECT runai.sso_sign_in(%s, %s)", (email, groups)).fetchone()[0]

    rule_ids = {}
    for key in RULES:
        rule_ids[key] = admin.execute("SELECT runai.add_access_rule(%s, %s, %s, %s)", key).fetchone()[0]

    base_ids = collections.defaultdict(set)
    for wid, project in admin.execute(
            "INSERT INTO runai.workloads (name, kind, project)"
            " SELECT format('base-%%s-%%s', p, g), (ARRAY['Workspace', 'Training', 'Inference'])[g %% 3 + 1],"
            "        ('project/' || p)::runai.scope"
            " FROM unnest(%s::text[]) p, generate_series(1, %s) g RETURNING id, project::text",
            ([p.split("/")[1] for p in BASE], PER_PROJECT)):
        base_ids[project].add(wid)

    # A token whose session was ended by sign_out, and two that never were tokens.
    dead = bridge.execute("SELECT runai.sso_sign_in('gone@acme.test', '{}')").fetchone()[0]
    with psycopg.connect(f"{server} dbname={DB} user={SESSION_ROLE}", autocommit=True) as c:
        c.execute("SELECT runai.authenticate(%s)", (dead,))
        c.execute("SELECT runai.sign_out()")
    bad_tokens = [dead, "rbt_" + secrets.token_urlsafe(32), "not a token"]

    # The model must agree with the extension before the load starts.
    for email in EMAILS:
        for p in BASE + [SANDBOX[email]]:
            for action in ("view", "create", "delete"):
                got = admin.execute("SELECT runai.has_permission(%s, 'workloads', %s, %s)",
                                    (email, action, p)).fetchone()[0]
                if got != allowed(email, action, p, ALL_PRESENT):
                    fail(f"setup: the test's model says {email} {action} at {p} is "
                         f"{not got}, has_permission says {got}")
    bridge.close()
    admin.close()
    return tokens, bad_tokens, rule_ids, base_ids, bool(guard)


# --- the guard --------------------------------------------------------------------

def guard_test(pooler, tokens, available):
    """Session-level authenticate behind the poolers: databases guard (transaction
    pooling) and guard_session (session pooling) have one server connection per role,
    so consecutive clients of a role share it (checked with pg_backend_pid)."""
    email = "l1.p1@acme.test"
    subject = "user:" + email

    def client(role):
        return psycopg.connect(f"{pooler} dbname=guard user={role}", autocommit=True,
                               prepare_threshold=None)

    # Session pooling: the pooler's DISCARD ALL between two clients ends the subject.
    with psycopg.connect(f"{pooler} dbname=guard_session user={SESSION_ROLE}", autocommit=True) as c:
        pid = c.execute("SELECT pg_backend_pid()").fetchone()[0]
        c.execute("SELECT runai.authenticate(%s)", (tokens[email],))
    with psycopg.connect(f"{pooler} dbname=guard_session user={SESSION_ROLE}", autocommit=True) as c:
        pid2, got = c.execute("SELECT pg_backend_pid(), runai.current_subject()").fetchone()
    if pid2 != pid:
        fail("session pooling: the next client got another server connection, so the reset was not tested")
    elif got is not None:
        fail(f"session pooling: after the pooler's DISCARD ALL the next client has the subject {got}")
    else:
        print("pooler.sh: session pooling: the pooler's DISCARD ALL ends the subject before the next client")

    # The hazard, with a role without the guard: the next client inherits the subject.
    with client(SESSION_ROLE) as c:
        pid = c.execute("SELECT pg_backend_pid()").fetchone()[0]
        c.execute("SELECT runai.authenticate(%s)", (tokens[email],))
    with client(SESSION_ROLE) as c:
        pid2, got = c.execute("SELECT pg_backend_pid(), runai.current_subject()").fetchone()
        c.execute("DISCARD ALL")
        after = c.execute("SELECT runai.current_subject()").fetchone()[0]
    if pid2 != pid:
        fail("guard: the next client got another server connection, so the guard test below would "
             "prove nothing")
    elif got != subject:
        fail(f"guard: a session-level authenticate did not reach the next client of the server "
             f"connection (its subject is {got!r}); the premise of the guard has changed")
    else:
        print(f"pooler.sh: hazard reproduced: without the guard, a session-level authenticate behind "
              f"the transaction pooler reaches the next client ({got})")
    if after is not None:
        fail(f"guard: DISCARD ALL left the subject {after}")

    if not available:
        fail("guard: runai.require_local_authenticate does not exist, so the guard cannot be tested")
        return
    with client(BACKEND_ROLE) as c:
        pid = c.execute("SELECT pg_backend_pid()").fetchone()[0]
        try:
            c.execute("SELECT runai.authenticate(%s)", (tokens[email],))
            fail("guard: with runai.require_local_authenticate on, a session-level authenticate was accepted")
        except psycopg.Error as e:
            hint = e.diag.message_hint or ""
            if not (e.sqlstate or "").startswith("42") or "local" not in hint:
                fail(f"guard: refused with {e.sqlstate} and hint {hint!r}; expected class 42 and a hint "
                     "naming local => true")
            else:
                print(f"pooler.sh: guard: session-level authenticate refused ({e.sqlstate}: "
                      f"{e.diag.message_primary})")
        try:
            c.execute("SET runai.require_local_authenticate = off")
            fail("guard: the back end's role could turn runai.require_local_authenticate off")
        except psycopg.errors.InsufficientPrivilege:
            pass
    with client(BACKEND_ROLE) as c:
        pid2, got = c.execute("SELECT pg_backend_pid(), runai.current_subject()").fetchone()
        if pid2 != pid:
            fail("guard: the next client got another server connection, so the refusal was not tested")
        elif got is not None:
            fail(f"guard: after the refused call the next client has the subject {got}")
        with c.transaction():
            c.execute("SELECT runai.authenticate(%s, local => true)", (tokens[email],))
            inside = c.execute("SELECT runai.current_subject()").fetchone()[0]
        outside = c.execute("SELECT runai.current_subject()").fetchone()[0]
        if inside != subject or outside is not None:
            fail(f"guard: local => true gave {inside!r} inside the transaction and {outside!r} after it")


# --- the revoker ----------------------------------------------------------------------

class Revoker(threading.Thread):
    """Revokes and re-adds the churned rules on its own connection, recording when each
    change was sent and when it returned.  Changes are sequential, so the state of
    the rules is known exactly outside the changes, and is one of two within one."""

    def __init__(self, server, rule_ids):
        super().__init__(daemon=True)
        self.conn = psycopg.connect(f"{server} dbname={DB}", autocommit=True)
        self.rule_ids = rule_ids
        self.absent = set()
        self.sent, self.returned, self.states = [], [], [ALL_PRESENT]
        self.revokes = self.readds = 0
        self.stop = threading.Event()
        self.error = None

    def change(self, key):
        t0 = time.monotonic()
        if key in self.absent:
            self.rule_ids[key] = self.conn.execute("SELECT runai.add_access_rule(%s, %s, %s, %s)",
                                                   key).fetchone()[0]
            self.absent.discard(key)
            self.readds += 1
        else:
            self.conn.execute("SELECT runai.delete_access_rule(%s)", (self.rule_ids[key],))
            self.absent.add(key)
            self.revokes += 1
        t1 = time.monotonic()
        self.sent.append(t0)
        self.returned.append(t1)
        self.states.append(frozenset(self.absent))

    def run(self):
        rnd = random.Random(7)
        try:
            while not self.stop.is_set():
                self.change(rnd.choice(CHURNED))
                time.sleep(rnd.uniform(0.01, 0.1))
            for key in list(self.absent):
                self.change(key)
        except psycopg.Error as e:
            self.error = e

    def candidates(self, s, e):
        """The rule states (sets of revoked rules) that may have held between s and e."""
        first = bisect.bisect_left(self.returned, s)   # changes surely done before s
        last = bisect.bisect_right(self.sent, e)       # changes that may be done by e
        return self.states[first:last + 1]


# --- the load -------------------------------------------------------------------------

class Load:
    def __init__(self, port, tokens, bad_tokens, base_ids, sandbox, revoker, seconds, workers):
        self.port, self.tokens, self.bad_tokens = port, tokens, bad_tokens
        self.base_ids, self.sandbox, self.revoker = base_ids, sandbox, revoker
        self.base_of = {wid: p for p, ids in base_ids.items() for wid in ids}
        self.seconds, self.workers = seconds, workers
        self.locks = {e: threading.Lock() for e in EMAILS}
        self.records = []                 # answers judged after the run
        self.counts = collections.Counter()
        self.wrong = collections.Counter()
        self.mutex = threading.Lock()
        self.failure_limit = len(failures) + 50   # a broken run stops early

    def http(self, conn, method, path, token, body=None):
        headers = {"Authorization": "Bearer " + token}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        raw = r.read()
        return r.status, (json.loads(raw) if raw else None)

    def bad(self, email, op, why, kind="wrong"):
        with self.mutex:
            self.wrong[kind] += 1
            if kind != "wrong":
                self.wrong["wrong"] += 1
        fail(f"{op} for {email}: {why}" + ("" if kind == "wrong" else f" ({kind})"))

    def one(self, conn, email, rnd):
        """Sends one request for email; checks what can be checked now, records the rest."""
        token = self.tokens[email]
        model = self.sandbox[email]
        mine = SANDBOX[email]
        op = rnd.choices(["list", "count", "create", "delete", "create_refused", "delete_base",
                          "delete_other", "bad_token"], [30, 30, 12, 12, 6, 6, 2, 2])[0]
        if op == "delete" and not model:
            op = "create"
        if op == "delete_base" and not NEVER_DELETE[email]:
            op = "create_refused"
        if op == "create" and len(model) >= 5:
            op = "delete"
        with self.mutex:
            self.counts[op] += 1
        s = time.monotonic()
        if op == "list":
            status, body = self.http(conn, "GET", "/workloads", token)
            e = time.monotonic()
            if status != 200:
                return self.bad(email, op, f"status {status} {body}")
            seen = collections.defaultdict(set)
            for row in body:
                seen[row["project"]].add(row["id"])
            self.judge_rows(email, op, s, e, {p: ids for p, ids in seen.items()}, exact_ids=True)
        elif op == "count":
            status, body = self.http(conn, "GET", "/workloads/count", token)
            e = time.monotonic()
            if status != 200:
                return self.bad(email, op, f"status {status} {body}")
            self.judge_rows(email, op, s, e, {r["project"]: r["workloads"] for r in body}, exact_ids=False)
        elif op == "create":
            name = f"w-{secrets.token_hex(6)}"
            status, body = self.http(conn, "POST", "/workloads", token,
                                     {"name": name, "kind": "Training", "project": mine})
            if email in NO_SANDBOX_RULE:
                if status != 403:
                    self.bad(email, op, f"create in {mine} without a rule there: status {status} {body}")
            elif status != 201:
                self.bad(email, op, f"create in its own project {mine}: status {status} {body}")
            elif body["created_by"] != "user:" + email:
                self.bad(email, op, f"created by {body['created_by']}", "as another user")
            elif body["project"] != mine or body["name"] != name:
                self.bad(email, op, f"created {body}")
            else:
                model[body["id"]] = name
        elif op == "delete":
            wid = rnd.choice(sorted(model))
            status, body = self.http(conn, "DELETE", f"/workloads/{wid}", token)
            if status != 204:
                self.bad(email, op, f"delete of its own workload {wid}: status {status} {body}")
            else:
                del model[wid]
        elif op == "create_refused":
            target = rnd.choice(NEVER_CREATE[email])
            status, body = self.http(conn, "POST", "/workloads", token,
                                     {"name": f"x-{secrets.token_hex(6)}", "kind": "Training", "project": target})
            if status != 403:
                self.bad(email, op, f"create in {target} where it may not create: status {status} {body}",
                         "as another user" if status == 201 else "wrong")
        elif op == "delete_base":
            project = rnd.choice(NEVER_DELETE[email])
            wid = rnd.choice(sorted(self.base_ids[project]))
            status, body = self.http(conn, "DELETE", f"/workloads/{wid}", token)
            e = time.monotonic()
            if status not in (403, 404):
                return self.bad(email, op, f"delete of {wid} in {project} where it may not delete: "
                                f"status {status} {body}")
            with self.mutex:
                self.records.append((email, op, s, e, project, status == 403))
        elif op == "delete_other":
            other = rnd.choice([x for x in EMAILS if x != email])
            ids = sorted(self.sandbox[other]) or [10 ** 12]
            wid = rnd.choice(ids)
            status, body = self.http(conn, "DELETE", f"/workloads/{wid}", token)
            if status != 404:
                self.bad(email, op, f"delete of {other}'s workload {wid}: status {status} {body}",
                         "as another user" if status == 204 else "wrong")
        else:
            status, body = self.http(conn, "GET", "/workloads", rnd.choice(self.bad_tokens))
            if status != 401:
                self.bad(email, op, f"a bad token got status {status}")

    def judge_rows(self, email, op, s, e, per_project, exact_ids):
        """per_project: project -> set of ids (list) or count (count)."""
        mine = SANDBOX[email]
        others = sorted(p for p in per_project if p.startswith("project/s") and p != mine)
        if others:
            return self.bad(email, op, f"rows of the sandbox projects {others}", "as another user")
        want = set(self.sandbox[email]) if exact_ids else len(self.sandbox[email])
        got = per_project.get(mine, set() if exact_ids else 0)
        if got != want:
            return self.bad(email, op, f"its own project {mine}: got {got}, expected {want}",
                            "as no one" if not per_project else "wrong")
        seen = frozenset(p for p in per_project if p != mine)
        for p in seen:
            full = self.base_ids.get(p)
            if full is None or per_project[p] != (full if exact_ids else len(full)):
                return self.bad(email, op, f"project {p} partially or wrongly: "
                                f"{len(per_project[p]) if exact_ids else per_project[p]} rows")
        with self.mutex:
            self.records.append((email, op, s, e, seen, None))

    def worker(self, seed, deadline):
        rnd = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while time.monotonic() < deadline and len(failures) < self.failure_limit:
            email = rnd.choice(EMAILS)
            lock = self.locks[email]
            if not lock.acquire(blocking=False):
                continue   # another worker is serving this user
            try:
                self.one(conn, email, rnd)
            except Exception as exc:   # a broken connection, or an answer of the wrong shape
                self.bad(email, "request", f"{type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            finally:
                lock.release()
        conn.close()

    def run(self):
        deadline = time.monotonic() + self.seconds
        threads = [threading.Thread(target=self.worker, args=(k, deadline)) for k in range(self.workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def judge(self):
        """Judges the recorded answers against the rule states of their time."""
        saw_revoke = 0
        for email, op, s, e, seen, visible_flag in self.records:
            states = self.revoker.candidates(s, e)
            if op == "delete_base":
                ok = [st for st in states if allowed(email, "view", seen, st) == visible_flag]
                if not ok:
                    self.bad(email, op, f"answered {'403' if visible_flag else '404'} for a workload of "
                             f"{seen}, which it {'cannot' if visible_flag else 'can'} see in every rule "
                             f"state of the request ({len(states)})")
                continue
            ok = [st for st in states if visible(email, st) == seen]
            if ok:
                if seen != visible(email, ALL_PRESENT):
                    saw_revoke += 1
                continue
            as_other = [x for x in EMAILS if seen and x != email and any(visible(x, st) == seen for st in states)]
            want = " or ".join(sorted({",".join(sorted(visible(email, st))) or "-" for st in states}))
            kind = "as no one" if not seen else ("as another user" if as_other else "wrong")
            self.bad(email, op, f"saw projects {','.join(sorted(seen)) or '-'}, expected {want}"
                     + (f" (what {', '.join(as_other[:3])} would see)" if as_other else ""), kind)
        return saw_revoke


def start_backend(mode, pooler, role):
    """Starts examples/backend.py on the first free port of 57240-57299."""
    dsn = f"{pooler} dbname={'app_tx' if mode == 'transaction' else 'app_session'} user={role}"
    for port in range(57240, 57300):
        proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "examples", "backend.py"),
                                 "--dsn", dsn, "--mode", mode, "--port", str(port), "--connections", "8"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = proc.stdout.readline()
        if line.startswith("listening on"):
            return proc, port
        err = proc.stderr.read()
        proc.wait()
        if "Address already in use" not in err:
            raise RuntimeError(f"examples/backend.py did not start: {line}{err}")
    raise RuntimeError("no free port in 57240-57299 for examples/backend.py")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True, help="libpq options reaching the server as a superuser")
    ap.add_argument("--pooler", required=True, help="libpq options reaching pgbouncer")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--modes", default="transaction,session")
    opts = ap.parse_args()

    tokens, bad_tokens, rule_ids, base_ids, guard = setup(opts.server, opts.pooler)
    print(f"pooler.sh: {len(EMAILS)} users, {len(RULES)} rules ({len(CHURNED)} revoked and re-added "
          f"during the load), {sum(len(v) for v in base_ids.values())} workloads in {len(BASE)} projects")
    if failures:
        return 1
    guard_test(opts.pooler, tokens, guard)

    sandbox = {e: {} for e in EMAILS}
    for mode in opts.modes.split(","):
        role = BACKEND_ROLE if mode == "transaction" else SESSION_ROLE
        proc, port = start_backend(mode, opts.pooler, role)
        revoker = Revoker(opts.server, rule_ids)
        load = Load(port, tokens, bad_tokens, base_ids, sandbox, revoker, opts.seconds, opts.workers)
        before = len(failures)
        t0 = time.monotonic()
        revoker.start()
        try:
            load.run()
        finally:
            revoker.stop.set()
            revoker.join()
            proc.terminate()
            _, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - t0
        if revoker.error:
            fail(f"{mode} mode: the revoker failed: {revoker.error}")
        saw_revoke = load.judge()
        total = sum(load.counts.values())
        print(f"pooler.sh: {mode} mode: {total} requests in {elapsed:.1f} s by {opts.workers} workers "
              f"({', '.join(f'{k} {v}' for k, v in sorted(load.counts.items()))}); "
              f"{load.wrong['wrong']} wrong answers, {load.wrong['as another user']} as another user, "
              f"{load.wrong['as no one']} as no one; {saw_revoke} answers showed a revoked rule; "
              f"revoker: {revoker.revokes} revokes, {revoker.readds} re-adds")
        if total == 0:
            fail(f"{mode} mode: no request was answered")
        if saw_revoke == 0 and len(failures) == before:
            fail(f"{mode} mode: no answer showed a revoked rule, so the revokes were not tested")
        if err.strip():
            lines = err.strip().splitlines()
            fail(f"{mode} mode: the back end logged {len(lines)} lines, the last ones:\n" + "\n".join(lines[-5:]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
