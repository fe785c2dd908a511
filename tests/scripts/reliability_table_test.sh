#!/usr/bin/env bash
# Tests scripts/reliability_table.py's rendering (not the fault tests it runs):
#
#   tests/scripts/reliability_table_test.sh [CHECKOUT]
#
# Two recorded rows, out of order, into a copy of a document with the table's markers: the rows
# come out in the fault list's order, a '|' in a cell is escaped, the prose around the markers is
# kept, a second run replaces the table instead of adding one, a failed row makes the exit status 1,
# and a document without markers is refused.
set -euo pipefail

repo=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
script=$repo/scripts/reliability_table.py
[ -f "$script" ] || { echo "FAIL: no $script" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

cat >"$tmp/doc.md" <<'DOC'
# Title
before
<!-- fault-table:begin (scripts/reliability_table.py writes this part) -->
stale table
<!-- fault-table:end -->
after
DOC
cat >"$tmp/faults.jsonl" <<'JSONL'
{"fault":"two jobs","injected":"a | b","checked":"c","figure":"refused in 1.00 s","seconds":1.0,"exit":1,"result":"passed","test":"SecondJob.OnTheSameRunDirectory"}
{"fault":"kill -9 forward","injected":"x","checked":"y","figure":"0.41 s","seconds":0.41,"exit":137,"result":"passed","test":"KillDuring.TheForwardPass"}
JSONL

python3 "$script" --jsonl "$tmp/faults.jsonl" --doc "$tmp/doc.md" >/dev/null || fail "exit status on passed rows"
grep -q '^before$' "$tmp/doc.md" || fail "prose before the table lost"
grep -q '^after$' "$tmp/doc.md" || fail "prose after the table lost"
if grep -q 'stale table' "$tmp/doc.md"; then fail "old table kept"; fi
forward=$(grep -n 'KillDuring.TheForwardPass' "$tmp/doc.md" | cut -d: -f1)
second=$(grep -n 'SecondJob.OnTheSameRunDirectory' "$tmp/doc.md" | cut -d: -f1)
[ "$forward" -lt "$second" ] || fail "rows not in the fault list's order"
grep -qF 'a \| b' "$tmp/doc.md" || fail "'|' not escaped"
pass "rows rendered in order, escaped, prose kept"

python3 "$script" --jsonl "$tmp/faults.jsonl" --doc "$tmp/doc.md" >/dev/null
[ "$(grep -c '^| Fault |' "$tmp/doc.md")" -eq 1 ] || fail "a second run added a table"
pass "a second run replaces the table"

sed -i 's/"result":"passed","test":"SecondJob/"result":"failed","test":"SecondJob/' "$tmp/faults.jsonl"
if python3 "$script" --jsonl "$tmp/faults.jsonl" --doc "$tmp/doc.md" >/dev/null; then
  fail "a failed row gave exit status 0"
fi
pass "a failed row gives exit status 1"

printf '# no markers\n' >"$tmp/bare.md"
if python3 "$script" --jsonl "$tmp/faults.jsonl" --doc "$tmp/bare.md" 2>/dev/null; then
  fail "a document without markers was accepted"
fi
pass "a document without markers is refused"
