#!/usr/bin/env bash
# End to end with real clients: a client and a server namespace joined only
# through the engine (veth pairs, net_af_packet). With a snapshot that marks
# nothing of theirs, ping, a DNS query and an HTTP request get through; with
# one that marks the server's address, a name or a URL with drop, each is
# blocked and its alert appears. Needs root; namespaces are removed on exit,
# failed or not.
set -euo pipefail
B=${BUILD:-build}
[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root (namespaces, veth pairs)" >&2; exit 1; }
T=$(mktemp -d /tmp/cp-netns.XXXXXX)
C=cpc$$ S=cps$$ P=cpn$$
cleanup() {
  [ -n "${ENG:-}" ] && kill -INT "$ENG" 2>/dev/null && wait "$ENG" 2>/dev/null
  for ns in $C $S; do
    ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del $ns 2>/dev/null || true
  done
  ip link del ${P}c1 2>/dev/null || true
  ip link del ${P}s1 2>/dev/null || true
  rm -rf "$T" "/var/run/dpdk/$P"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$T/engine.log" "$T/eve.json" 2>/dev/null >&2; exit 1; }

# client 10.99.0.1 [C: ${P}c0] <-> ${P}c1 =engine= ${P}s1 <-> [S: ${P}s0] 10.99.0.2
ip netns add $C
ip netns add $S
ip link add ${P}c0 type veth peer name ${P}c1
ip link add ${P}s0 type veth peer name ${P}s1
ip link set ${P}c0 netns $C
ip link set ${P}s0 netns $S
ip -n $C addr add 10.99.0.1/24 dev ${P}c0
ip -n $S addr add 10.99.0.2/24 dev ${P}s0
for l in "ip netns exec $C ethtool -K ${P}c0" "ip netns exec $S ethtool -K ${P}s0" \
         "ethtool -K ${P}c1" "ethtool -K ${P}s1"; do
  # The engine forwards frames as they are: no offloaded checksums or
  # segments larger than the MTU may cross it.
  $l tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
done
ip -n $C link set ${P}c0 up
ip -n $S link set ${P}s0 up
ip link set ${P}c1 up
ip link set ${P}s1 up
ip -n $C link set lo up
ip -n $S link set lo up

ip netns exec $S python3 tests/integration/dns_responder.py 10.99.0.2 53 10.99.0.2 &
mkdir -p "$T/www" && echo "hello from the server" > "$T/www/index.html" && echo secret > "$T/www/secret"
ip netns exec $S python3 -m http.server 8080 --bind 10.99.0.2 --directory "$T/www" \
  >/dev/null 2>&1 &

# engine FEED: compiles FEED (one indicator per line, action=drop) and runs
# the engine on it in the background.
engine() {
  [ -n "${ENG:-}" ] && { kill -INT "$ENG"; wait "$ENG" || fail "engine exit status"; ENG=; }
  printf '%s\n' "$1" > "$T/feed.txt"
  "$B/chokepoint-intel" compile -q -o "$T/s.cpsnap" "plain:$T/feed.txt,action=drop,feed=e2e"
  rm -f "$T/eve.json"
  "$B/chokepoint" --no-huge -m 256 --no-pci --no-shconf --file-prefix $P -l 0-1 \
    --log-level=error --vdev net_af_packet0,iface=${P}c1 --vdev net_af_packet1,iface=${P}s1 \
    -- --intel "$T/s.cpsnap" --eve "$T/eve.json" --ctl "$T/ctl.sock" > "$T/engine.log" 2>&1 &
  ENG=$!
  for _ in $(seq 50); do grep -q workers "$T/engine.log" 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
}
in_c() { ip netns exec $C "$@"; }
ping_ok() { in_c ping -c 2 -W 2 10.99.0.2 >/dev/null 2>&1; }
dig_ok() { in_c dig +time=2 +tries=1 +short @10.99.0.2 "$1" A 2>/dev/null | grep -q 10.99.0.2; }
curl_ok() { in_c curl -s --max-time 3 -o /dev/null -w '%{http_code}' "http://10.99.0.2:8080/$1" | grep -q 200; }
alert() { sleep 0.3; grep -q "$1" "$T/eve.json" 2>/dev/null || fail "no alert with $1"; }

engine "198.51.100.1"
ping_ok || fail "ping through a clean engine"
dig_ok www.example.org || fail "dns through a clean engine"
curl_ok index.html || fail "http through a clean engine"
[ ! -s "$T/eve.json" ] || fail "alerts with a clean snapshot"

engine "10.99.0.2"
ping_ok && fail "ping to a dropped address got through"
alert '"dest_ip":"10.99.0.2".*"action":"blocked".*"matched_on":"ip.dst"'

engine "*.blocked.example"
dig_ok www.blocked.example && fail "a dropped name was answered"
dig_ok www.example.org || fail "another name was blocked too"
ping_ok || fail "ping was blocked by a name"
alert '"indicator":"blocked.example","subdomains":true,"matched_on":"dns.query"'

engine "http://10.99.0.2:8080/secret"
curl_ok secret && fail "a dropped URL was served"
curl_ok index.html || fail "another URL was blocked too"
alert '"indicator":"http://10.99.0.2:8080/secret","matched_on":"http.url"'
echo "all good"
