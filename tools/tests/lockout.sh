#!/usr/bin/env bash
# The sign-in lockout when its shared table is full (SPEC section 4; issue 10,
# attack 4): load on other emails never resets or evicts an account's recent
# failures.
#
# runai.lockout_entries is fixed at server start, so this starts its own cluster
# (port 55468) with a table of 20 entries and runai.lockout_duration = 8s, and:
#   - the attack: 4 wrong passwords for a victim, then 5 failed sign-ins on each of
#     100 made-up emails (5 times the table), then one more made-up email per
#     guess; the victim's fifth failure still locks it and its right password is
#     answered "locked" (before this was fixed, the flood evicted the victim's count
#     and the guessing went on until "ok");
#   - while the table is full of recent failures, an email that is not in it is
#     answered "locked" without a password check, whether it exists or not, right
#     password or not (fails closed), and the server log says the table is full;
#     with runai.max_failed_sign_ins = 0 nothing is counted and nothing refused;
#   - made-up emails that got into the table are locked after 5 failures like real
#     accounts, and their locks hold through the flood;
#   - rolling back the transaction of the failures does not reset the count;
#   - the flood added at most one event per account (and one for all unknown
#     emails) and window, with the counts;
#   - once runai.lockout_duration has passed without failures, the entries may go:
#     new emails are counted again, and the right passwords sign in.
# Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || { echo "FAIL: cannot change to the top of the tree"; exit 1; }
. tools/cluster.sh

PORT=55468 DB=runai_lockout ENTRIES=20 WINDOW=8
failures=0
ok()  { echo "ok: $*"; }
bad() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect WHAT EXPECTED GOT
expect() { if [ "$3" = "$2" ]; then ok "$1: $3"; else bad "$1: expected '$2', got '$3'"; fi; }

tmp=$(mktemp -d /tmp/runai_lockout.XXXXXX) || { bad "cannot create a temporary directory"; exit 1; }
chmod 755 "$tmp"
at_exit 'rm -rf "$tmp"'
# Run alone (not from make test), the server runs this tree's build, not the system's.
use_private_install "$tmp/inst" || exit 1
cluster_start "$tmp/pg" $PORT "runai.lockout_entries = $ENTRIES" "runai.lockout_duration = '${WINDOW}s'" \
  || { bad "the cluster did not start"; exit 1; }
export PGDATABASE=$DB
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

q -d postgres -c "CREATE DATABASE $DB" || { bad "CREATE DATABASE $DB failed"; exit 1; }
q <<'SQL' || { bad "setting up the accounts, the attacker's role and statuses() failed (psql's error above)"; exit 1; }
CREATE EXTENSION runai_rbac;
INSERT INTO runai_internal.users (email, type, password_hash, created_by) VALUES
  ('victim@x.io', 'local', runai_internal.password_hash('victim-password'), 'test'),
  ('bob@x.io', 'local', runai_internal.password_hash('bob-password'), 'test'),
  ('carol@x.io', 'local', runai_internal.password_hash('carol-password'), 'test');
-- sign_in(email, password) as a role with no subject, like an attacker's connection
CREATE ROLE regress_lockout_attacker;
CREATE FUNCTION statuses(emails text[], password text) RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(s.status, ',' ORDER BY i)
    FROM unnest(emails) WITH ORDINALITY e(email, i), LATERAL runai.sign_in(e.email, password) s
$$;
GRANT EXECUTE ON FUNCTION statuses(text[], text) TO regress_lockout_attacker;
SQL
expect "the table holds" "$ENTRIES" "$(q -c "SHOW runai.lockout_entries")"
as_attacker() { q -c "SET ROLE regress_lockout_attacker" -c "$1"; }
# status_of EMAIL PASSWORD
status_of() { as_attacker "SELECT statuses(ARRAY['$1'], '$2')"; }
repeat() { local out="" i; for ((i = 0; i < $1; i++)); do out+="${out:+,}$2"; done; echo "$out"; }
start=$(date +%s)

# --- the attack ----------------------------------------------------------------
expect "4 wrong passwords for the victim" "$(repeat 4 invalid_credentials)" \
  "$(as_attacker "SELECT statuses(array_fill('victim@x.io'::text, ARRAY[4]), 'guess')")"
flood=$(as_attacker "SELECT statuses(array_agg(format('flood%s@x.io', i) ORDER BY i, k), 'guess')
                       FROM generate_series(1, 100) i, generate_series(1, 5) k")
counted=$(tr ',' '\n' <<<"$flood" | grep -c invalid_credentials)
refused=$(tr ',' '\n' <<<"$flood" | grep -c locked)
# 19 emails fit next to the victim: each is counted 5 times (locked at the 5th);
# every other attempt finds the table full and is refused without a check
expect "flood: failures counted (19 emails that fit, 5 each)" 95 "$counted"
expect "flood: attempts answered locked (the table is full)" 405 "$refused"
victim=""
for i in 1 2 3; do
  as_attacker "SELECT statuses(ARRAY['another$i@x.io'], 'guess')" >/dev/null
  victim+="${victim:+,}$(status_of victim@x.io "guess$i")"
done
expect "the victim's 5th failure locks it; further guesses are not checked" \
  "invalid_credentials,locked,locked" "$victim"
expect "the victim's right password is answered locked" locked "$(status_of victim@x.io victim-password)"
expect "a flood email in the table is locked" locked "$(status_of flood1@x.io guess)"

# --- a full table fails closed ---------------------------------------------------
expect "a new unknown email, table full" locked "$(status_of newcomer@x.io guess)"
expect "a real account not in the table, right password, table full" locked "$(status_of bob@x.io bob-password)"
expect "with runai.max_failed_sign_ins = 0 (never lock) nothing is counted, so a full table refuses nothing" ok \
  "$(q -c "SET runai.max_failed_sign_ins = 0" -c "SELECT statuses(ARRAY['bob@x.io'], 'bob-password')")"
if grep -q 'the table of failed sign-ins is full' "$tmp/pg/server.log"; then
  ok "the server log says the table is full"
else
  bad "the server log does not say that the table is full"
fi

# --- the events ---------------------------------------------------------------------
events=$(q -c "SELECT count(*) FROM runai_internal.events WHERE action = 'sign-in' AND result = 'Failed'")
windows=$(( ($(date +%s) - start) / WINDOW + 2 ))
if [ "$events" -ge 2 ] && [ "$events" -le $(( 3 * windows )) ]; then
  ok "the failed sign-ins are $events events (one per account and window, and one for all unknown emails)"
else
  bad "the failed sign-ins are $events events, expected 2 to $(( 3 * windows ))"
fi
expect "their counts add up" 514 \
  "$(q -c "SELECT sum((details->>'count')::bigint) FROM runai_internal.events WHERE action = 'sign-in' AND result = 'Failed'")"

# --- once the window has passed ---------------------------------------------------------
sleep $(( WINDOW + 1 ))
expect "after the window, the victim's right password signs in" ok "$(status_of victim@x.io victim-password)"
expect "after the window, a new email is counted again" invalid_credentials "$(status_of newcomer@x.io guess)"
expect "after the window, bob signs in" ok "$(status_of bob@x.io bob-password)"

# --- rolling back does not help, known and unknown emails alike ---------------------
expect "five failures for carol, rolled back" "$(repeat 5 invalid_credentials)" \
  "$(q -c "SET ROLE regress_lockout_attacker" -c "BEGIN" \
        -c "SELECT statuses(array_fill('carol@x.io'::text, ARRAY[5]), 'guess')" -c "ROLLBACK")"
expect "carol is locked all the same" locked "$(status_of carol@x.io carol-password)"
expect "an unknown email: the same answers" "$(repeat 5 invalid_credentials),locked" \
  "$(as_attacker "SELECT statuses(array_fill('nobody@x.io'::text, ARRAY[6]), 'guess')")"

if grep -E 'PANIC|TRAP:|terminated by signal' "$tmp/pg/server.log"; then
  bad "the server log reports a crash"
fi
if [ $failures -ne 0 ]; then
  echo "lockout.sh: $failures check(s) failed"
  exit 1
fi
echo "lockout.sh: all checks passed"
