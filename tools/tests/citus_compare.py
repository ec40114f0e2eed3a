#!/usr/bin/env python3
"""Randomized comparison of runai_rbac on one server and on a Citus cluster.

Builds the same organisation on both -- a scope tree, subjects of every kind
(database roles bound to users, session and transaction-local token subjects of
local users, SSO users with groups, applications), random access rules for them
and for groups -- and the same protected tables: one distributed by its
runai.scope column, one distributed by another column with its scope ids in a
text column, and runai.workloads (distributed by project on the cluster).  Then
every subject runs the same random queries (SELECT through a router or on every
shard, INSERT, UPDATE and DELETE) on the single server and on a node of the
cluster chosen at random (the coordinator or a worker, which is an initiator
too), and every answer -- rows, or the SQLSTATE of the error -- is compared.
The tables are compared row by row at the end.

Prints one line per mismatch (at most 20) and a summary; exits 1 on any mismatch.

Usage: citus_compare.py --single CONNINFO --node CONNINFO [--node ...]
                        [--seed N] [--subjects N] [--queries N]
"""
import argparse
import random
import sys

import psycopg

PROJECTS_PER_DEPT = 4
ROLES = ['L1 researcher', 'L2 researcher', 'Viewer', 'Editor', 'Research manager',
         'Department administrator', 'Department viewer', 'ML engineer',
         'Compute resource administrator']
GROUPS = ['g1', 'g2', 'g3', 'g4']
KINDS = ['bound', 'session', 'local', 'sso', 'app']
SHARED_ROLE = 'regress_cmp_client'


def answer(cur, sql, params=None):
    """The rows of a statement as text, or ERR:<sqlstate>.  In autocommit mode the
    statement runs on its own (no transaction block); inside one, in a savepoint."""
    def result():
        cur.execute(sql, params)
        if cur.description is None:
            return 'OK %d' % cur.rowcount
        return repr(cur.fetchall())
    try:
        if cur.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            return result()
        with cur.connection.transaction():
            return result()
    except psycopg.Error as e:
        return 'ERR:%s' % (e.sqlstate or '?')


class Side:
    """One deployment: a superuser connection and client connections per node."""

    def __init__(self, name, admin_dsn, node_dsns):
        self.name = name
        self.admin = psycopg.connect(admin_dsn, autocommit=True)
        self.node_dsns = node_dsns
        self.clients = {}

    def sql(self, sql, params=None):
        with self.admin.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else None

    def client(self, node, role):
        key = (node, role)
        if key not in self.clients:
            # no automatic server-side prepared statements: DISCARD ALL drops them
            conn = psycopg.connect(self.node_dsns[node], autocommit=True, prepare_threshold=None)
            conn.execute('SET ROLE %s' % role)
            self.clients[key] = conn
        return self.clients[key]


def build(side, rng, nsubjects):
    """The organisation, subjects, rules and tables; returns the subjects."""
    s = side.sql
    s("SET client_min_messages = warning")
    depts = []
    s("SELECT runai.create_scope('tenant', 't1', 'T1', 'system')")
    for c in ('c1', 'c2'):
        s("SELECT runai.create_scope('cluster', %s, %s, 'tenant/t1')", (c, c))
        for d in range(2):
            dname = '%s-d%d' % (c, d)
            s("SELECT runai.create_scope('department', %s, %s, %s)", (dname, dname, 'cluster/' + c))
            depts.append(dname)
    projects = []
    for d in depts:
        for p in range(PROJECTS_PER_DEPT):
            pname = 'p%02d' % len(projects)
            s("SELECT runai.create_scope('project', %s, %s, %s)", (pname, pname, 'department/' + d))
            projects.append(pname)
    scopes = (['tenant/t1', 'cluster/c1', 'cluster/c2'] + ['department/' + d for d in depts] +
              ['project/' + p for p in projects] * 3)
    s("CREATE ROLE %s LOGIN" % SHARED_ROLE)

    subjects = []
    for i in range(nsubjects):
        kind = KINDS[i % len(KINDS)] if i < len(KINDS) else rng.choice(KINDS)
        email = 'cmp%d@example.com' % i
        subj = {'kind': kind, 'i': i, 'role': SHARED_ROLE}
        if kind in ('bound', 'session', 'local'):
            temp = s("SELECT temporary_password FROM runai.create_local_user(%s)", (email,))[0][0]
            s("SELECT runai.change_password(%s, %s, 'a long passphrase 1')", (email, temp))
            subj['name'] = 'user:' + email
            if kind == 'bound':
                role = 'regress_cmp_bound%d' % i
                s("CREATE ROLE %s LOGIN" % role)
                s("SELECT runai.bind_db_role(%s, %s)", (email, role))
                subj['role'] = role
        elif kind == 'sso':
            subj['name'] = 'user:' + email
            subj['groups'] = rng.sample(GROUPS, rng.randint(0, 2))
        else:
            subj['name'] = 'app:cmp-app%d' % i
            cid, secret = s("SELECT client_id, client_secret FROM runai.create_application(%s)",
                            ('cmp-app%d' % i,))[0]
            subj['client'] = (cid, secret)
        for _ in range(rng.randint(0, 3)):
            stype, sname = subj['name'].split(':', 1)
            answer(side.admin.cursor(), "SELECT runai.add_access_rule(%s, %s, %s, %s)",
                   (stype, sname, rng.choice(ROLES), rng.choice(scopes)))
        subjects.append(subj)
    for g in GROUPS:
        for _ in range(rng.randint(1, 2)):
            answer(side.admin.cursor(), "SELECT runai.add_access_rule('group', %s, %s, %s)",
                   (g, rng.choice(ROLES), rng.choice(scopes)))

    s("CREATE TABLE public.cmp_scope (id bigint NOT NULL, project runai.scope NOT NULL, v int NOT NULL,"
      " PRIMARY KEY (project, id))")
    s("CREATE TABLE public.cmp_other (id bigint PRIMARY KEY, project_id text NOT NULL, v int NOT NULL)")
    if side.name == 'cluster':
        s("SELECT create_distributed_table('public.cmp_scope', 'project', shard_count => 8)")
        s("SELECT create_distributed_table('public.cmp_other', 'id', shard_count => 6)")
    keys = projects + ['ghost']         # a project that is not in the tree
    rows = [(i, rng.choice(keys), rng.randint(1, 100)) for i in range(1, 401)]
    with side.admin.cursor() as cur:
        cur.executemany("INSERT INTO public.cmp_scope VALUES (%s, ('project/' || %s)::runai.scope, %s)", rows)
        cur.executemany("INSERT INTO public.cmp_other VALUES (%s, %s, %s)", rows)
        cur.executemany("INSERT INTO runai.workloads (name, kind, project)"
                        " VALUES ('w' || %s, 'Training', ('project/' || %s)::runai.scope)",
                        [(i, p) for (i, p, _) in rows if p != 'ghost'][:200])
    s("SELECT runai.protect('public.cmp_scope', 'project')")
    s("SELECT runai.protect('public.cmp_other', 'project_id', 'workloads', 'project')")
    roles = sorted({subj['role'] for subj in subjects})
    s("GRANT SELECT, INSERT, UPDATE, DELETE ON public.cmp_scope, public.cmp_other TO %s" % ', '.join(roles))
    s("GRANT SELECT, INSERT, UPDATE, DELETE ON runai.workloads TO %s" % ', '.join(roles))
    return subjects, keys


def sign_in(side, subj):
    """The token of a subject on this side (None for a bound role)."""
    s = side.sql
    email = subj['name'].split(':', 1)[1]
    if subj['kind'] in ('session', 'local'):
        status, token = s("SELECT status, token FROM runai.sign_in(%s, 'a long passphrase 1')", (email,))[0]
        assert status == 'ok', status
        return token
    if subj['kind'] == 'sso':
        return s("SELECT runai.sso_sign_in(%s, %s)", (email, subj['groups']))[0][0]
    if subj['kind'] == 'app':
        return s("SELECT runai.app_sign_in(%s, %s)", subj['client'])[0][0]
    return None


def queries(rng, keys, nqueries, next_id):
    """Random statements: (sql, params)."""
    out = []
    for _ in range(nqueries):
        k = rng.randrange(14)
        p = rng.choice(keys)
        if k == 0:
            out.append(("SELECT count(*), coalesce(sum(v), 0) FROM cmp_scope", None))
        elif k == 1:
            out.append(("SELECT count(*), coalesce(sum(v), 0) FROM cmp_scope WHERE project = %s",
                        ('project/' + p,)))
        elif k == 2:
            out.append(("SELECT count(*), coalesce(sum(v), 0) FROM cmp_other", None))
        elif k == 3:
            out.append(("SELECT id, project_id, v FROM cmp_other WHERE id = %s", (rng.randint(1, 400),)))
        elif k == 4:
            out.append(("SELECT count(*) FROM runai.workloads", None))
        elif k == 5:
            out.append(("SELECT project::text, count(*) FROM cmp_scope GROUP BY 1 ORDER BY 1", None))
        elif k == 6:
            next_id[0] += 1
            out.append(("INSERT INTO cmp_scope VALUES (%s, %s, 7)", (next_id[0], 'project/' + p)))
        elif k == 7:
            next_id[0] += 1
            out.append(("INSERT INTO cmp_other VALUES (%s, %s, 7)", (next_id[0], p)))
        elif k == 8:
            out.append(("UPDATE cmp_scope SET v = v + 1 WHERE project = %s", ('project/' + p,)))
        elif k == 9:
            out.append(("UPDATE cmp_scope SET v = v + 1 WHERE id %% 5 = %s", (rng.randrange(5),)))
        elif k == 10:
            out.append(("UPDATE cmp_other SET v = v + 2 WHERE id %% 3 = %s", (rng.randrange(3),)))
        elif k == 11:
            out.append(("DELETE FROM cmp_other WHERE id %% 17 = %s", (rng.randrange(17),)))
        elif k == 12:
            out.append(("DELETE FROM cmp_scope WHERE project = %s AND id %% 4 = 0", ('project/' + p,)))
        else:
            next_id[0] += 1
            out.append(("INSERT INTO runai.workloads (name, kind, project) VALUES (%s, 'Training', %s)"
                        " RETURNING name, project::text, created_by", ('n%d' % next_id[0], 'project/' + p)))
    return out


def run(side, node, subj, token, stmts):
    """The answers of one subject's statements on one node of one side."""
    conn = side.client(node, subj['role'])
    cur = conn.cursor()
    results = []
    if subj['kind'] in ('session', 'sso', 'app'):
        cur.execute("SELECT runai.authenticate(%s)", (token,))
    for sql, params in stmts:
        if subj['kind'] == 'local':
            # each statement in its own transaction with a transaction-local subject
            try:
                with conn.transaction():
                    cur.execute("SELECT runai.authenticate(%s, true)", (token,))
                    results.append(answer(cur, sql, params))
            except psycopg.Error as e:
                results.append('ERR:%s' % e.sqlstate)
        else:
            results.append(answer(cur, sql, params))
    if subj['kind'] in ('session', 'sso', 'app'):
        cur.execute("SELECT runai.current_subject()")
        results.append('subject ' + repr(cur.fetchone()[0]))
        conn.execute("DISCARD ALL")
        conn.execute('SET ROLE %s' % subj['role'])
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--single', required=True)
    ap.add_argument('--node', action='append', required=True)
    ap.add_argument('--seed', type=int, default=13)
    ap.add_argument('--subjects', type=int, default=12)
    ap.add_argument('--queries', type=int, default=16)
    a = ap.parse_args()

    single = Side('single', a.single, [a.single])
    cluster = Side('cluster', a.node[0], a.node)
    rng_single, rng_cluster = random.Random(a.seed), random.Random(a.seed)
    subjects, keys = build(single, rng_single, a.subjects)
    subjects_c, _ = build(cluster, rng_cluster, a.subjects)
    assert [x['name'] for x in subjects] == [x['name'] for x in subjects_c]

    rng = random.Random(a.seed * 7 + 1)
    next_id = [10000]
    mismatches = compared = 0
    by_node = [0] * len(a.node)
    denied = nonempty = 0
    for subj, subj_c in zip(subjects, subjects_c):
        tok_single, tok_cluster = sign_in(single, subj), sign_in(cluster, subj_c)
        for _round in range(2):
            node = rng.randrange(len(a.node))
            by_node[node] += 1
            stmts = queries(rng, keys, a.queries // 2, next_id)
            got_single = run(single, 0, subj, tok_single, stmts)
            got_cluster = run(cluster, node, subj, tok_cluster, stmts)
            for (sql, params), x, y in zip(stmts + [('current_subject', None)], got_single, got_cluster):
                compared += 1
                if x.startswith('ERR:'):
                    denied += 1
                elif x not in ('[]', 'OK 0', '[(0,)]', '[(0, 0)]'):
                    nonempty += 1
                if x != y:
                    mismatches += 1
                    if mismatches <= 20:
                        print('MISMATCH %s (%s) on node %d: %s %s\n  one server: %s\n  cluster:    %s'
                              % (subj['name'], subj['kind'], node, sql, params, x, y))

    # the tables, row by row, as a superuser
    tables = {
        'cmp_scope': "SELECT id, project::text, v FROM cmp_scope ORDER BY 1, 2",
        'cmp_other': "SELECT id, project_id, v FROM cmp_other ORDER BY 1",
        'workloads': "SELECT name, project::text, kind, created_by FROM runai.workloads ORDER BY 1, 2",
    }
    for t, q in tables.items():
        compared += 1
        if single.sql(q) != cluster.sql(q):
            mismatches += 1
            print('MISMATCH: the contents of %s differ' % t)

    kinds = {k: sum(1 for x in subjects if x['kind'] == k) for k in KINDS}
    print('subjects %d (%s); answers compared %d (%d with rows or changes, %d errors); '
          'runs on %s; mismatches %d'
          % (len(subjects), ', '.join('%d %s' % (n, k) for k, n in kinds.items()), compared,
             nonempty, denied, ', '.join('node %d: %d' % (i, n) for i, n in enumerate(by_node)),
             mismatches))
    return 1 if mismatches else 0


if __name__ == '__main__':
    sys.exit(main())
