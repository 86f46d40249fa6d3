#!/usr/bin/env bash
# chokepoint-intel end to end: compile, info, lookup exit codes and JSON,
# errors as FILE:LINE: reason, --max-errors, refusal of corrupt snapshots.
set -euo pipefail
I=${BUILD:-build}/chokepoint-intel
D=$(mktemp -d /tmp/cp-intel-test.XXXXXX)
trap 'rm -rf "$D"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

printf '# feed\r\n1.2.3.4\r\n10.0.0.0/8\r\n*.evil.com\r\n10.1.2.3/8\r\n' > "$D/a.txt"
"$I" compile -o "$D/s.cpsnap" "plain:$D/a.txt,action=drop,feed=alpha" 2> "$D/err" \
  || fail "compile failed: $(cat "$D/err")"
grep -q "a.txt:5: CIDR has host bits set: '10.1.2.3/8'" "$D/err" || fail "error line: $(cat "$D/err")"
grep -q "CIDR has host bits set" "$D/err" || fail "reason count"

"$I" info "$D/s.cpsnap" > "$D/info"
grep -Eq '^  ipv4 +2 ' "$D/info" || fail "info counts: $(cat "$D/info")"
grep -q 'alpha' "$D/info" || fail "info feeds"
grep -q 'seed:' "$D/info" || fail "info seed"

out=$("$I" lookup "$D/s.cpsnap" domain A.B.Evil.COM.) || fail "lookup miss"
echo "$out" | grep -q '"indicator":"evil.com","subdomains":true,"action":"drop","feed":"alpha"' \
  || fail "lookup json: $out"
set +e
out=$("$I" lookup "$D/s.cpsnap" domain notevil.com); rc=$?
set -e
[ $rc -eq 1 ] && [ -z "$out" ] || fail "a miss prints nothing and exits 1 (rc=$rc, '$out')"
out=$("$I" lookup "$D/s.cpsnap" ipv4 10.200.0.1) || fail "cidr lookup"
echo "$out" | grep -q '"indicator":"10.0.0.0/8"' || fail "cidr json: $out"

# --max-errors: past the limit nothing is written, the old file stays.
cp "$D/s.cpsnap" "$D/keep.cpsnap"
printf '1.1.1.1\nbad value\n999.0.0.1\n' > "$D/b.txt"
set +e
"$I" compile -o "$D/keep.cpsnap" --max-errors 1 "$D/b.txt" 2> "$D/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "max-errors exit $rc"
cmp -s "$D/s.cpsnap" "$D/keep.cpsnap" || fail "old snapshot was replaced"
ls "$D" | grep -q 'tmp' && fail "temporary file left behind"

# A truncated or foreign snapshot is refused with the file name.
head -c 5000 "$D/s.cpsnap" > "$D/cut.cpsnap"
set +e
"$I" info "$D/cut.cpsnap" 2> "$D/err"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "cut.cpsnap: truncated" "$D/err" || fail "truncated: rc=$rc $(cat "$D/err")"
# --filter yes puts a filter even in front of a tiny table: a bigger file,
# the same answers; a bad mode is a usage error.
"$I" compile -q -o "$D/f.cpsnap" --filter yes "plain:$D/a.txt,action=drop,feed=alpha" 2>/dev/null
"$I" compile -q -o "$D/n.cpsnap" --filter no "plain:$D/a.txt,action=drop,feed=alpha" 2>/dev/null
[ "$(stat -c %s "$D/f.cpsnap")" -gt "$(stat -c %s "$D/n.cpsnap")" ] || fail "--filter yes adds a section"
"$I" lookup "$D/f.cpsnap" ipv4 1.2.3.4 > /dev/null || fail "lookup through a filter"
set +e
"$I" lookup "$D/f.cpsnap" ipv4 1.2.3.5 > /dev/null; rc=$?
"$I" compile -o "$D/x.cpsnap" --filter maybe "$D/a.txt" 2> "$D/err"; rc2=$?
"$I" compile -o "$D/x.cpsnap" --threads 0 "$D/a.txt" 2> "$D/err3"; rc3=$?
set -e
[ $rc3 -eq 2 ] && grep -q "expected 1..64" "$D/err3" || fail "--threads 0: rc=$rc3"
[ $rc -eq 1 ] || fail "filtered miss exit $rc"
[ $rc2 -eq 2 ] && grep -q "expected auto, yes or no" "$D/err" || fail "--filter maybe: rc=$rc2"
echo "all good"
