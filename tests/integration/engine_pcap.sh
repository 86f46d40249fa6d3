#!/usr/bin/env bash
# The engine on captures through net_pcap: in inline mode the output capture
# holds exactly the packets that should pass, byte for byte, and the alerts
# are the expected ones; in monitor mode everything passes and the alerts
# say what would have been blocked. Feed: scripts/demo-feed; traffic:
# build/tools/mkpcap demo (which lists each packet's verdict).
set -euo pipefail
B=${BUILD:-build}
D=$(mktemp -d /tmp/cp-engine-test.XXXXXX)
# A check that fails while the engine runs must not leave it running.
epid=
trap '[ -n "$epid" ] && kill -9 "$epid" 2>/dev/null; rm -rf "$D" "/var/run/dpdk/cpt$$"' EXIT
export XDG_CACHE_HOME=$D/cache  # compiled pattern sets
fail() { echo "FAIL: $*" >&2; [ -f "$D/eve.json" ] && cat "$D/eve.json" >&2; exit 1; }

F=scripts/demo-feed
"$B/chokepoint-intel" compile -q -o "$D/demo.cpsnap" \
  "plain:$F/blocklist.txt,action=drop,feed=blocklist" \
  "plain:$F/watchlist.txt,action=alert,feed=watchlist" \
  "plain:$F/scanners-ja3.txt,type=ja3,action=alert,feed=scanners" \
  "csv:$F/partners.csv,header=yes,value=indicator,type=type,action=action,confidence=confidence,id=id,feed=partners" \
  "pattern:$F/patterns.txt,feed=patterns"
"$B/tools/mkpcap" demo "$D/in.pcap" "$D/pass.pcap" 2>/dev/null
"$B/tools/mkpcap" empty "$D/none.pcap"

# Runs the engine until its input is consumed, then stops it with SIGINT;
# the exit status must be 0.
engine() {
  local mode=$1
  rm -f "$D/eve.json" "$D/out0.pcap" "$D/out1.pcap"
  "$B/chokepoint" --no-huge -m 256 --no-pci --no-shconf --file-prefix "cpt$$" -l 0-1 \
    --log-level=error \
    --vdev "net_pcap0,rx_pcap=${IN:-$D/in.pcap},tx_pcap=$D/out0.pcap" \
    --vdev "net_pcap1,rx_pcap=$D/none.pcap,tx_pcap=$D/out1.pcap" \
    -- --intel "${SNAP:-$D/demo.cpsnap}" --eve "$D/eve.json" --mode "$mode" --ctl "$D/ctl.sock" \
    ${ARGS:-} > "$D/stats" 2>&1 &
  epid=$!
  for _ in $(seq 50); do grep -q "workers" "$D/stats" 2>/dev/null && break; sleep 0.1; done
  sleep 1.5
  ${AT_RUN:-true}  # what to ask the running engine
  # The stats as the DPDK telemetry client reads them.
  echo /chokepoint/stats | python3 "$(command -v dpdk-telemetry.py)" -f "cpt$$" > "$D/tel" 2>&1 || true
  kill -INT $epid
  wait $epid || fail "engine exit status $? ($mode): $(cat "$D/stats")"
  epid=
  grep -q "final stats" "$D/stats" || fail "no final stats"
}

alerts() { grep -c . "$D/eve.json" || true; }
# Every line of FILE is JSON a strict parser takes: UTF-8 and nothing else.
strict_json() {
  python3 -c 'import json, sys
for n, l in enumerate(open(sys.argv[1], "rb"), 1):
    try:
        json.loads(l.decode("utf-8"))
    except ValueError as e:
        sys.exit(f"{sys.argv[1]}:{n}: {e}")' "$1" || fail "not JSON: $1"
}
has() { grep -q "$1" "$D/eve.json" || fail "no alert with $1"; }

engine inline
"$B/tools/mkpcap" cmp "$D/out1.pcap" "$D/pass.pcap" 2>"$D/cmp" || fail "inline output: $(cat "$D/cmp")"
[ "$(alerts)" -eq 16 ] || fail "16 alerts expected, got $(alerts)"
strict_json "$D/eve.json"
# Every alert names the port it came in on and its flow; a packet's
# contexts (one line each) share the flow.
python3 - "$D/eve.json" <<'EOF2' || fail "in_iface / flow_id"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
assert all(x["in_iface"] == "net_pcap0" for x in a), [x["in_iface"] for x in a]
assert all(isinstance(x["flow_id"], int) and 0 < x["flow_id"] < 2**53 for x in a)
by = {}
for x in a:
    k = (x["src_ip"], x["src_port"], x["dest_ip"], x["dest_port"], x["proto"])
    by.setdefault(k, set()).add(x["flow_id"])
assert all(len(v) == 1 for v in by.values()), by
assert len({x["flow_id"] for x in a}) == len(by), "distinct flows, distinct ids"
EOF2
has '"matched_on":"dns.query".*"feed":"blocklist"'
has '"indicator":"evil.example","subdomains":true,"matched_on":"dns.query"'
has '"indicator":"evil.example","subdomains":true,"matched_on":"tls.sni"'
has '"indicator":"http://phish.example/login.php?next=%2Fadmin","matched_on":"http.url"'
has '"dest_ip":"198.51.100.7".*"action":"blocked".*"matched_on":"ip.dst"'
has '"src_ip":"203.0.113.55".*"action":"allowed".*"indicator":"203.0.113.0/24","matched_on":"ip.src"'
has '"indicator":"31f7433ac38a9fd3a04f434162a4dc73","matched_on":"tls.ja3".*"feed":"scanners"'
has '"indicator":"2001:db8:bad::/48","matched_on":"ip.dst"'
has '"app_proto":"dns".*"matched_on":"dns.query"'
has '"dest_port":80,"proto":"TCP","app_proto":"http".*"indicator":"evil.example","subdomains":true,"matched_on":"http.host"'
has '"indicator":"compressed.zz","subdomains":false,"matched_on":"dns.query"'
# Patterns: payload (caseless regex, bytes), URL and DNS-name targets.
has '"proto":"UDP".*"action":"blocked".*"intel":{"type":"pattern","indicator":"/beacon\\\\?id=\[0-9a-f\]{8}/i","matched_on":"payload".*"id":"PAT-C2-1"'
has '"dest_port":4444.*"indicator":"\\\\x90\\\\x90\\\\x90\\\\x90\\\\xcc\\\\xcc","matched_on":"payload"'
has '"type":"pattern".*"matched_on":"http.url","value":"http://www.example.org/blog/wp-login.php","action":"alert".*"id":"PAT-WP-1","tags":\["bruteforce"\]'
has '"matched_on":"dns.query","value":"a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7.example.net".*"id":"PAT-DGA-1"'
grep -q 'nothex' "$D/eve.json" && fail "pattern near miss alerted"
grep -q 'notevil' "$D/eve.json" && fail "near miss alerted"
grep -q '"src_ip":"203.0.113.10"' "$D/eve.json" && fail "allowed traffic alerted"
grep -q 'cdn.evil.example' "$D/eve.json" && fail "allowed name alerted"
grep -Eq '^  0 +22 +0 +11 +16 ' "$D/stats" || fail "port 0 stats: $(cat "$D/stats")"
grep -q 'anomaly: truncated ipv4 *1' "$D/stats" || fail "anomaly not counted"
grep -q '"rx": 22, "tx": 11, "dropped": 11, "alerts": 16' "$D/tel" || fail "telemetry: $(cat "$D/tel")"
grep -q '"anomaly_truncated_ipv4": 1' "$D/tel" || fail "telemetry anomalies: $(cat "$D/tel")"
grep -q '"matched_payload": 2' "$D/tel" || fail "telemetry payload matches: $(cat "$D/tel")"
grep -q 'pattern scans: [1-9]' "$D/stats" || fail "pattern scans not counted: $(cat "$D/stats")"

engine monitor
"$B/tools/mkpcap" cmp "$D/out1.pcap" "$D/in.pcap" 2>"$D/cmp" || fail "monitor output: $(cat "$D/cmp")"
[ "$(alerts)" -eq 16 ] || fail "monitor: 16 alerts expected"
strict_json "$D/eve.json"
grep -q '"action":"blocked"' "$D/eve.json" && fail "monitor mode blocked"
# 11 packets would be blocked; one of them (a TLS hello) also matched its JA3.
[ "$(grep -c '"would_block":true' "$D/eve.json")" -eq 12 ] || fail "12 would-block alerts expected"

# QUIC: a client Initial's ClientHello is opened and matched as over TCP
# (the SNI under *.evil.example, dropped; the JA3 the scanners feed lists),
# app_proto quic. A hello in two Initials (another client's between) is
# whole at the second, which is dropped; the first, and another client's
# half hello, are uninspected. A long header whose tag fails is left
# alone. The output holds the packets that pass, byte for byte.
"$B/tools/mkpcap" quic "$D/quic.pcap" 2> "$D/quic.list"
IN=$D/quic.pcap engine inline
strict_json "$D/eve.json"
python3 - "$D/eve.json" <<'EOF2' || fail "quic"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
got = sorted((x["intel"]["matched_on"], x["intel"]["indicator"], x["alert"]["action"]) for x in a)
j = ("tls.ja3", "31f7433ac38a9fd3a04f434162a4dc73")
assert got == sorted([j + ("allowed",), j + ("blocked",), j + ("blocked",),
                      ("tls.sni", "evil.example", "blocked"), ("tls.sni", "evil.example", "blocked")]), got
assert all(x["app_proto"] == "quic" and x["proto"] == "UDP" and x["dest_port"] == 443 for x in a), a
EOF2
grep -Eq '^  0 +6 +0 +2 +5 ' "$D/stats" || fail "quic port stats: $(cat "$D/stats")"
grep -Eq 'uninspected: 2,' "$D/stats" || fail "quic: the partial hellos not uninspected: $(cat "$D/stats")"
python3 - "$D/quic.pcap" "$D/out1.pcap" "$D/quic.list" <<'EOF2' || fail "quic: the packets that pass"
import struct, sys
def frames(path):
    raw, at, out = open(path, "rb").read(), 24, []
    while at < len(raw):
        n = struct.unpack_from("<I", raw, at + 8)[0]
        out.append(raw[at + 16:at + 16 + n])
        at += 16 + n
    return out
passes = [l.split()[1] == "pass" for l in open(sys.argv[3])]
want = [f for f, p in zip(frames(sys.argv[1]), passes) if p]
assert len(want) == 4 and frames(sys.argv[2]) == want, "the packets marked pass, unchanged"
EOF2

# Stats events in the alert file (--eve-stats, as Suricata's EVE has them):
# periodic ones while it runs, and the totals after the last alert, with
# the names and values chokepoint-ctl stats gives; the alerts as before.
ARGS="--eve-stats 1" AT_RUN="sleep 1.2" engine monitor
strict_json "$D/eve.json"
python3 - "$D/eve.json" <<'EOF2' || fail "stats events: $(grep stats "$D/eve.json")"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
st = [x["stats"] for x in a if x["event_type"] == "stats"]
assert len([x for x in a if x["event_type"] == "alert"]) == 16, "the alerts as without stats"
assert len(st) >= 2, f"{len(st)} stats events"
assert a[-1]["event_type"] == "stats", "the totals come last"
t = st[-1]
assert (t["rx"], t["tx"], t["dropped"], t["alerts"]) == (22, 22, 0, 16), t
assert t["port0_rx"] == 22 and t["anomaly_truncated_ipv4"] == 1 and t["matched_payload"] == 2, t
assert t["eve_lines"] == len(a) - 1, "the writer's count, up to this line"
up = [x["uptime"] for x in st]
assert up == sorted(up) and up[-1] >= 2, up
assert all(set(x) == set(t) for x in st), "the same counters in each"
EOF2

# --eve-packet: each alert carries its packet, byte for byte a frame of
# the input whose addresses are the alert's, with its lengths.
ARGS="--eve-packet" engine inline
strict_json "$D/eve.json"
python3 - "$D/eve.json" "$D/in.pcap" <<'EOF2' || fail "eve packets"
import base64, ipaddress, json, struct, sys
a = [json.loads(l) for l in open(sys.argv[1])]
raw = open(sys.argv[2], "rb").read()
frames, at = [], 24
while at < len(raw):
    n = struct.unpack_from("<I", raw, at + 8)[0]
    frames.append(raw[at + 16:at + 16 + n])
    at += 16 + n
def addrs(f):
    o = 12
    while f[o:o + 2] in (b"\x81\x00", b"\x88\xa8"):
        o += 4
    et, ip = f[o:o + 2], o + 2
    if et == b"\x08\x00":
        return str(ipaddress.ip_address(f[ip + 12:ip + 16])), str(ipaddress.ip_address(f[ip + 16:ip + 20]))
    return str(ipaddress.ip_address(f[ip + 8:ip + 24])), str(ipaddress.ip_address(f[ip + 24:ip + 40]))
assert len(a) == 16, len(a)
seen = set()
for x in a:
    p = base64.b64decode(x["packet"], validate=True)
    assert p in frames, x
    assert x["packet_info"] == {"linktype": 1, "len": len(p), "caplen": len(p)}, x["packet_info"]
    assert addrs(p) == (x["src_ip"], x["dest_ip"]), (addrs(p), x["src_ip"], x["dest_ip"])
    seen.add(frames.index(p))
udp7 = [x for x in a if x["dest_ip"] == "198.51.100.7" and x.get("dest_port") == 9999]
assert len(udp7) == 1 and base64.b64decode(udp7[0]["packet"]).endswith(b"ping"), udp7
# 16 alerts of 15 packets: one ClientHello matched its SNI and its JA3.
assert len(seen) == 15, f"{len(seen)} distinct packets alerted"
EOF2
ARGS="" engine inline
grep -q '"packet"' "$D/eve.json" && fail "a packet without --eve-packet"
# Under pressure: every packet of an endless capture alerts, the writer
# falls behind and the rings fill (counted), yet each alert's packet is
# still its own: no slot is reused while its alert waits.
printf '10.1.0.1\n' > "$D/all.txt"
"$B/chokepoint-intel" compile -q -o "$D/all.cpsnap" "plain:$D/all.txt,action=alert,feed=all"
"$B/tools/mkpcap" probe "$D/probe.pcap" 999
rm -f "$D/eve.json"
"$B/chokepoint" --no-huge -m 256 --no-pci --no-shconf --file-prefix "cpt$$" -l 0-1 \
  --log-level=error --vdev "net_pcap0,rx_pcap=$D/probe.pcap,infinite_rx=1,tx_pcap=/dev/null" \
  --vdev net_null1,no-rx=1 -- --intel "$D/all.cpsnap" --eve "$D/eve.json" --mode monitor \
  --ctl none --eve-packet > "$D/stats" 2>&1 &
epid=$!
for _ in $(seq 50); do [ -s "$D/eve.json" ] && break; sleep 0.1; done
sleep 0.5
kill -INT $epid
wait $epid || fail "engine under alert pressure: $(cat "$D/stats")"
epid=
python3 - "$D/eve.json" "$D/stats" <<'EOF2' || fail "eve packets under pressure: $(cat "$D/stats")"
import base64, ipaddress, json, re, sys
n = 0
for l in open(sys.argv[1]):
    x = json.loads(l)
    p = base64.b64decode(x["packet"])
    src, dst = ipaddress.ip_address(p[26:30]), ipaddress.ip_address(p[30:34])
    assert (str(src), str(dst)) == (x["src_ip"], x["dest_ip"]), (n, src, x["src_ip"])
    n += 1
st = open(sys.argv[2]).read()
full = int(re.search(r"^  \d+ +\d+ +\d+ +\d+ +\d+ +(\d+)", st[st.index("lcore"):], re.M).group(1))
assert n > 10000 and full > 0, f"{n} alerts, {full} ring full: no pressure"
print(f"{n} alerts, each with its own packet; {full} not queued (ring full)")
EOF2

# Feeds and paths are bytes: a Latin-1 tag, a raw 0xff and an ESC in a
# feed's metadata, and a snapshot with a Latin-1 file name, reach the EVE
# lines and the control socket's replies as valid JSON (bytes that are not
# UTF-8 as \xNN). Before, the EVE line held the raw bytes and the socket
# left out what jansson refused: "snapshot" from status, the reply of a
# reload, and any lookup match (answered as no match).
L1=$(printf '%s/caf\xe9.cpsnap' "$D")
printf 'indicator,tags,id\n198.51.100.7,caf\xe9,x\xff\x1by\n' > "$D/latin1.csv"
"$B/chokepoint-intel" compile -q -o "$L1" \
  "csv:$D/latin1.csv,header=yes,value=indicator,tags=tags,id=id,feed=latin1,action=drop"
ask() {
  local c="$B/chokepoint-ctl --socket $D/ctl.sock --json"
  $c status > "$D/status.json" && $c lookup ipv4 198.51.100.7 > "$D/lookup.json" \
    && $c reload > "$D/reload.json" || fail "ctl: $(cat -v "$D"/*.json)"
  # Telemetry, straight from its socket (dpdk-telemetry.py itself cannot
  # read a command line that is not UTF-8).
  python3 - "/var/run/dpdk/cpt$$/dpdk_telemetry.v2" > "$D/tel_status.json" <<'EOF2' || fail "telemetry"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.recv(1024)
s.send(b"/chokepoint/status")
sys.stdout.buffer.write(s.recv(65536) + b"\n")
EOF2
}
SNAP=$L1 AT_RUN=ask engine inline
strict_json "$D/eve.json"
python3 - "$D" <<'EOF2' || fail "latin-1 metadata: $(cat -v "$D"/*.json)"
import json, sys
d = sys.argv[1]
read = lambda f: [json.loads(l.decode("utf-8")) for l in open(f"{d}/{f}", "rb")]
eve = [a for a in read("eve.json") if a["dest_ip"] == "198.51.100.7"]
assert eve and all(a["intel"]["tags"] == ["caf\\xe9"] and a["intel"]["id"] == "x\\xff\x1by"
                   and a["alert"]["action"] == "blocked" for a in eve), eve
st, = read("status.json")
assert st["snapshot"].endswith("/caf\\xe9.cpsnap"), st
m = read("lookup.json")[0]["match"]["matches"][0]
assert m["tags"] == ["caf\\xe9"] and m["feed"] == "latin1", m
r, = read("reload.json")
assert r["ok"] and r["snapshot"].endswith("/caf\\xe9.cpsnap"), r
t, = read("tel_status.json")
assert t["/chokepoint/status"]["snapshot"].endswith("/caf\\xe9.cpsnap"), t
assert t["/chokepoint/status"]["snapshot_guard"] == "lease", t
EOF2

# The Community ID of every flow the spec's vectors give (pycommunityid's
# tests: TCP, UDP, SCTP, ICMP requests, replies and one-way types, ICMPv6,
# a protocol without ports; seeds 0 and 1), through the parser, the
# worker and the writer; a later fragment has no ports, so no id. ICMP
# lines show type and code, not ports, as Suricata's do.
printf '66.35.250.204\n8.8.8.8\n192.168.170.56\n192.168.0.1\n10.1.12.1\nfe80::260:97ff:fe07:69ea\n' \
  > "$D/flows.txt"
"$B/chokepoint-intel" compile -q -o "$D/flows.cpsnap" "plain:$D/flows.txt,action=alert,feed=flows"
"$B/tools/mkpcap" flows "$D/flows.pcap" 2>/dev/null
for seed in 0 1; do
  IN=$D/flows.pcap SNAP=$D/flows.cpsnap ARGS="--community-id-seed $seed" engine monitor
  strict_json "$D/eve.json"
  python3 - "$D/eve.json" "$seed" <<'EOF2' || fail "community_id, seed $seed"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
seed = int(sys.argv[2])
# (seed 0, seed 1) by (source, destination, ICMP type and code), as
# mkpcap flows writes them; lines come by table, not in packet order.
T = ("1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc=")
U = ("1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=")
S = ("1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=", "1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU=")
E = ("1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA=")
P = ("1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=", "1:BK3BVW3U2eemuwVQVN3zd/GULno=")
N = ("1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=")
n6, a6 = "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea"
want = {
    ("128.232.110.120", "66.35.250.204", "TCP", None): T,
    ("66.35.250.204", "128.232.110.120", "TCP", None): T,
    ("192.168.1.52", "8.8.8.8", "UDP", None): U, ("8.8.8.8", "192.168.1.52", "UDP", None): U,
    ("192.168.170.8", "192.168.170.56", "SCTP", None): S,
    ("192.168.170.56", "192.168.170.8", "SCTP", None): S,
    ("192.168.0.89", "192.168.0.1", "ICMP", (8, 0)): E,
    ("192.168.0.1", "192.168.0.89", "ICMP", (0, 0)): E,
    ("192.168.0.89", "192.168.0.1", "ICMP", (20, 0)):
        ("1:3o2RFccXzUgjl7zDpqmY7yJi8rI=", "1:lCXHHxavE1Vq3oX9NH5ladQg02o="),
    ("192.168.0.89", "192.168.0.1", "ICMP", (20, 1)):
        ("1:tz/fHIDUHs19NkixVVoOZywde+I=", "1:Ie3wmFyxiEyikbsbcO03d2nh+PM="),
    ("10.1.24.4", "10.1.12.1", "IP", None): P, ("10.1.12.1", "10.1.24.4", "IP", None): P,
    (n6, a6, "IPv6-ICMP", (135, 0)): N, (a6, n6, "IPv6-ICMP", (136, 0)): N,
    ("10.0.0.5", "66.35.250.204", "TCP", None): (None, None),  # the later fragment
}
got = {}
for x in a:
    icmp = (x["icmp_type"], x["icmp_code"]) if "icmp_type" in x else None
    k = (x["src_ip"], x["dest_ip"], x["proto"], icmp)
    assert k not in got, ("one alert a packet", k)
    got[k] = x.get("community_id")
    # Ports where the protocol has them, type and code for ICMP, else none.
    assert ("src_port" in x) == (x["proto"] in ("TCP", "UDP", "SCTP")), x
assert set(got) == set(want), (sorted(got), sorted(want))
for k, w in want.items():
    assert got[k] == w[seed], (k, got[k], w[seed])
# Our flow_id pairs the same two directions (ICMP's type and code aside).
fid = {(x["src_ip"], x["dest_ip"], x["proto"]): x["flow_id"] for x in a if "icmp_type" not in x}
for s_, d_, p_ in [("128.232.110.120", "66.35.250.204", "TCP"), ("8.8.8.8", "192.168.1.52", "UDP"),
                   ("192.168.170.8", "192.168.170.56", "SCTP"), ("10.1.24.4", "10.1.12.1", "IP")]:
    assert fid[(s_, d_, p_)] == fid[(d_, s_, p_)], (s_, d_, p_)
echo = {(x["src_ip"], x["icmp_type"]): x["flow_id"] for x in a if x["proto"] == "ICMP"}
assert echo[("192.168.0.89", 8)] == echo[("192.168.0.1", 0)], echo
EOF2
done
set +e
"$B/chokepoint" --no-huge -m 128 --no-pci --no-shconf -l 0-1 --log-level=error --vdev net_null0 \
  --vdev net_null1 -- --intel "$D/flows.cpsnap" --ctl none --community-id-seed 65536 > "$D/err" 2>&1
rc=$?
set -e
[ $rc -eq 2 ] && grep -q "community-id-seed wants 0-65535" "$D/err" || fail "seed 65536: rc=$rc $(cat "$D/err")"

# Usage and refusals
"$B/chokepoint" --help | grep -q "EAL options" || fail "--help"
set +e
"$B/chokepoint" --no-huge -m 128 --no-pci --no-shconf -l 0-1 --log-level=error \
  --vdev net_null0 --vdev net_null1 -- --intel "$D/missing.cpsnap" --ctl none > "$D/err" 2>&1; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "missing.cpsnap" "$D/err" || fail "missing snapshot: rc=$rc $(cat "$D/err")"
set +e
"$B/chokepoint" --no-huge -m 128 --no-pci --no-shconf -l 0-1 --log-level=error \
  --vdev net_null0 --vdev net_null1 -- --intel "$D/demo.cpsnap" --ctl "$D/ctl.sock" --eve /nonexistent/eve.json \
  > "$D/err" 2>&1; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "eve.json: No such file" "$D/err" || fail "unwritable --eve: rc=$rc $(cat "$D/err")"
[ ! -e "$D/ctl.sock" ] || fail "a failed start left its control socket"
echo "all good"
