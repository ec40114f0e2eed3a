#!/usr/bin/env python3
"""Where a backend's time goes: the shares of a perf profile, by what the code does.

    tools/profile_shares.py LABEL=perf.data[:CALLS] ...

Each perf.data is a `perf record --call-graph dwarf` of one backend serving one
client (tools/bench.sh, section_writes).  Every sample is put in the first
category, in the order below, whose function is on its stack; the result is a
Markdown table with one column per profile, in percent of that profile's
samples; with CALLS, the calls served while it recorded, the backend's time per
call from the samples is shown too.  PostgreSQL's own static functions have no symbols in Debian's
packages, so the categories are named by exported functions: those are enough
to tell the parts of an API call apart.
"""
import collections
import re
import subprocess
import sys

# Inside a dispatched API function (rbac_dispatch), in this order.
API = [
    ('GetCachedPlan', 'plans made again (GetCachedPlan: analysis and planning of cached statements)'),
    ('@nested', 'PL/pgSQL helpers with SET search_path (the call, the setting, their statements)'),
    ('ExecConstraints', 'CHECK constraints (their expressions read and prepared per statement)'),
    ('AfterTriggerEndQuery', 'after triggers: foreign keys, cache invalidation'),
    ('ExecInsertIndexTuples', 'index entries of inserted rows'),
    ('build_grants', "the caller's grants read again after the last change"),
    ('rbac_require', 'permission checks in C'),
    ('rbac_require_somewhere_sql', 'permission checks in C'),
    ('rbac_actor_holds_role', 'permission checks in C'),
    ('rbac_require_grant_within_sql', 'permission checks in C'),
    ('rbac_subject_lock_sql', 'permission checks in C'),
    ('standard_ExecutorStart', 'executor start and end of the body\'s statements'),
    ('standard_ExecutorEnd', 'executor start and end of the body\'s statements'),
]
API_OTHER = 'the rest of the body (interpreter, statements run, rows read and written)'

# Outside it: the client's own statements and the transaction.
OUTSIDE = [
    ('rbac_authenticate', 'runai.authenticate'),
    ('CommitTransactionCommand', 'commit'),
    ('StartTransactionCommand', 'begin'),
    ('pg_parse_query', "parsing, analysing and planning the client's SQL"),
    ('pg_analyze_and_rewrite_fixedparams', "parsing, analysing and planning the client's SQL"),
    ('pg_plan_queries', "parsing, analysing and planning the client's SQL"),
    ('PortalStart', "executor start and end of the client's SQL"),
    ('PortalDrop', "executor start and end of the client's SQL"),
    ('secure_read', 'the round trips: socket reads and writes, waiting for the client'),
    ('secure_write', 'the round trips: socket reads and writes, waiting for the client'),
    ('pq_getbyte', 'the round trips: socket reads and writes, waiting for the client'),
    ('WaitEventSetWait', 'the round trips: socket reads and writes, waiting for the client'),
]
OTHER = 'other'


def stacks(path):
    """The samples of a perf.data, each a list of function names, leaf first."""
    out = subprocess.run(['perf', 'script', '-i', path, '-F', 'ip,sym', '--no-demangle'],
                         capture_output=True, text=True, check=True).stdout
    cur = []
    for line in out.split('\n'):
        line = line.strip()
        if not line:
            if cur:
                yield cur
                cur = []
            continue
        m = re.match(r'[0-9a-f]+\s+(\S+)', line)
        if m:
            cur.append(re.sub(r'\+0x[0-9a-f]+$', '', m.group(1)))
    if cur:
        yield cur


def sample_frequency(path):
    """The sampling frequency a perf.data was recorded with (Hz), or None."""
    out = subprocess.run(['perf', 'report', '-i', path, '--header-only'],
                         capture_output=True, text=True).stdout
    m = re.search(r'sample_freq \} = (\d+)', out)
    return int(m.group(1)) if m else None


def category(st):
    names = set(st)
    if 'rbac_dispatch' in names:
        for fn, cat in API:
            if fn == '@nested':
                if st.count('fmgr_security_definer') >= 2:
                    return 'api', cat
            elif fn in names:
                return 'api', cat
        return 'api', API_OTHER
    for fn, cat in OUTSIDE:
        if fn in names:
            return 'outside', cat
    return 'outside', OTHER


def main():
    profiles = []
    per_call = []
    for arg in sys.argv[1:]:
        label, path = arg.split('=', 1)
        calls = None
        m = re.match(r'(.*):(\d+)$', path)
        if m:
            path, calls = m.group(1), int(m.group(2))
        counts = collections.Counter()
        n = 0
        for st in stacks(path):
            counts[category(st)] += 1
            n += 1
        profiles.append((label, counts, n))
        freq = sample_frequency(path)
        per_call.append(f'{1000.0 * n / freq / calls:.3f} ms' if calls and freq else '')
    order = [('api', c) for c in dict.fromkeys([c for _, c in API] + [API_OTHER])]
    order += [('outside', c) for c in dict.fromkeys([c for _, c in OUTSIDE] + [OTHER])]
    print('| where | ' + ' | '.join(label for label, _, _ in profiles) + ' |')
    print('|---|' + '---:|' * len(profiles))
    for part, title in [('api', 'inside the API function'), ('outside', 'outside it')]:
        shares = [100.0 * sum(v for (p, _), v in counts.items() if p == part) / max(n, 1)
                  for _, counts, n in profiles]
        print(f'| **{title}** | ' + ' | '.join(f'**{s:.1f}%**' for s in shares) + ' |')
        for key in order:
            if key[0] != part:
                continue
            shares = [100.0 * counts.get(key, 0) / max(n, 1) for _, counts, n in profiles]
            if max(shares) < 0.05:
                continue
            print(f'| {key[1]} | ' + ' | '.join(f'{s:.1f}%' for s in shares) + ' |')
    print('| samples | ' + ' | '.join(str(n) for _, _, n in profiles) + ' |')
    if any(per_call):
        print("| the backend's time per call (samples / frequency / calls, while profiled) | " +
              ' | '.join(per_call) + ' |')


if __name__ == '__main__':
    main()
