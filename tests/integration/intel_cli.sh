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

# Feeds are bytes: a Latin-1 tag, a raw 0xff and an ESC in a CSV feed's
# metadata, and a feed named by a Latin-1 file name, come out of lookup and
# info as JSON a strict parser reads (bytes that are not UTF-8 as \xNN).
L1=$(printf '%s/caf\xe9.csv' "$D")
printf 'value,tags,id\n192.0.2.9,caf\xe9,x\xff\x1by\n' > "$L1"
"$I" compile -q -o "$D/l1.cpsnap" "csv:$L1,header=yes,value=value,tags=tags,id=id" \
  || fail "latin-1 compile"
"$I" lookup "$D/l1.cpsnap" ipv4 192.0.2.9 > "$D/l1.json" || fail "latin-1 lookup"
python3 - "$D/l1.json" <<'EOF2' || fail "lookup json with latin-1 metadata: $(cat -v "$D/l1.json")"
import json, sys
m = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))["matches"][0]
assert m["tags"] == ["caf\\xe9"] and m["id"] == "x\\xff\x1by", m
assert m["feed"] == "caf\\xe9", m
EOF2
"$I" info "$D/l1.cpsnap" | grep -q '^    caf\\xe9 ' || fail "info feed name: $("$I" info "$D/l1.cpsnap" | cat -v)"

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

# --spill-mb 0: every record through spill files beside the output, the
# tables built a hash range at a time; the same sections as in memory (the
# header differs by its creation time only), and no file left behind.
# Two threads over a feed past 8 MB each spill and are merged.
awk 'BEGIN { for (i = 0; i < 600000; i++) printf "%d.%d.%d.%d\nh%d.example.com\n", 1 + i % 223, (i / 223) % 256, i % 7, i % 251, i }' > "$D/big.txt"
echo "10.0.0.0/8" >> "$D/big.txt"
mkdir "$D/sp"
"$I" compile -o "$D/mem.cpsnap" --seed 5 --threads 2 "$D/big.txt" 2>/dev/null || fail "big compile"
"$I" compile -o "$D/sp/sp.cpsnap" --seed 5 --threads 2 --spill-mb 0 "$D/big.txt" 2> "$D/err" \
  || fail "spilled compile: $(cat "$D/err")"
grep -q "spilled to disk: 1200000 records" "$D/err" || fail "spill summary: $(cat "$D/err")"
cmp -s <(tail -c +4097 "$D/mem.cpsnap") <(tail -c +4097 "$D/sp/sp.cpsnap") || fail "spilled snapshot differs"
[ "$(ls -A "$D/sp")" = "sp.cpsnap" ] || fail "left in the spill dir: $(ls -A "$D/sp")"
"$I" lookup "$D/sp/sp.cpsnap" domain h599999.example.com > /dev/null || fail "spilled lookup"
"$I" lookup "$D/sp/sp.cpsnap" ipv4 10.1.1.1 > /dev/null || fail "spilled CIDR lookup"
# A spill file that cannot grow (a file size limit standing in for a full
# disk): the compile stops with the reason, the old snapshot stays and no
# file is left behind.
cp "$D/mem.cpsnap" "$D/sp/keep.cpsnap"
set +e
(ulimit -f 2048; trap '' XFSZ; "$I" compile -o "$D/sp/keep.cpsnap" --threads 2 --spill-mb 0 \
  "$D/big.txt" 2> "$D/err"); rc=$?
set -e
[ $rc -eq 2 ] && grep -q "big.txt: cannot keep its indicators: File too large" "$D/err" \
  || fail "spill past its limit: rc=$rc $(cat "$D/err")"
cmp -s "$D/mem.cpsnap" "$D/sp/keep.cpsnap" || fail "old snapshot replaced after a spill failure"
[ "$(ls -A "$D/sp")" = "$(printf 'keep.cpsnap\nsp.cpsnap')" ] || fail "left behind: $(ls -A "$D/sp")"
set +e
"$I" compile -o "$D/x.cpsnap" --spill-dir "$D/none" "$D/a.txt" 2> "$D/err"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "none: cannot spill records there: No such file" "$D/err" \
  || fail "--spill-dir missing: rc=$rc $(cat "$D/err")"
[ ! -e "$D/x.cpsnap" ] || fail "written despite a bad --spill-dir"

# Every intel format in one compile, none named: detected from the first
# bytes. Skips are counted by reason in the summary; a broken JSON feed
# writes nothing and names its line.
printf '#fields\tindicator\tindicator_type\tmeta.source\n198.51.100.1\tIntel::ADDR\tzeekfeed\nx@y.example\tIntel::EMAIL\tzeekfeed\n' > "$D/intel.dat"
printf '{"type":"bundle","objects":[{"type":"indicator","id":"indicator--1","pattern_type":"stix","pattern":"[domain-name:value = '"'"'stix.example'"'"']"},{"type":"indicator","pattern_type":"stix","pattern":"[file:name = '"'"'x'"'"']"}]}' > "$D/bundle.json"
printf '{"Event":{"Attribute":[{"type":"url","value":"http://misp.example/x","to_ids":true,"uuid":"u-1"}]}}' > "$D/event.json"
printf '{"list":["198.51.100.0/24"],"matching_attributes":["ip-dst"],"name":"known good","type":"cidr"}' > "$D/list.json"
printf '192.0.2.9,1,100\n' > "$D/rep.list"
printf 'c3VyaWNhdGEuZXhhbXBsZQ==\n' > "$D/ds.lst"
"$I" compile -o "$D/all.cpsnap" "$D/intel.dat" "$D/bundle.json" "$D/event.json" "$D/list.json" \
  "$D/rep.list" "$D/ds.lst" 2> "$D/err" || fail "formats: $(cat "$D/err")"
grep -q 'zeek: indicator type we do not match' "$D/err" || fail "zeek skip: $(cat "$D/err")"
grep -q 'stix: object path we do not match' "$D/err" || fail "stix skip: $(cat "$D/err")"
out=$("$I" lookup "$D/all.cpsnap" ipv4 198.51.100.1) || fail "zeek value"
echo "$out" | grep -q '"action":"allow"' || fail "warninglist allow beats zeek alert: $out"
"$I" lookup "$D/all.cpsnap" domain stix.example > /dev/null || fail "stix value"
"$I" lookup "$D/all.cpsnap" url http://misp.example/x | grep -q '"id":"u-1"' || fail "misp value"
"$I" lookup "$D/all.cpsnap" ipv4 192.0.2.9 | grep -q '"tags":\["category=1"\]' || fail "iprep value"
"$I" lookup "$D/all.cpsnap" domain suricata.example > /dev/null || fail "suricata value"
printf '{"Event":{"Attribute":[\n{"type":"url","value":"http://a/"' > "$D/cut.json"
set +e
"$I" compile -o "$D/cutj.cpsnap" "$D/cut.json" 2> "$D/err"; rc=$?
set -e
[ $rc -eq 2 ] && [ ! -e "$D/cutj.cpsnap" ] || fail "broken JSON: rc=$rc"
grep -q 'cut.json:2: JSON ends early' "$D/err" || fail "broken JSON message: $(cat "$D/err")"
echo "all good"
