#!/usr/bin/env bash
# The control socket and hot reload on the real engine under continuous
# traffic (net_pcap replaying a capture without end, into net_null):
#   - RELOADS reloads alternating two snapshots lose no packet, and the
#     probe host's alerts all carry a generation whose set holds it, its
#     address or its payload's pattern (each set has its own patterns, so
#     every reload swaps Hyperscan databases and per-worker scratch);
#   - an idle worker does not hold a reload up (each takes < 100 ms);
#   - failed reloads (corrupt, missing, over --reload-mem-limit) keep the
#     set in force and say why, and pattern sets refused at compile (bad
#     syntax, a compile past its time limit) never reach the engine;
#   - the socket is 0660 in a 0750 directory under a hostile umask; other
#     uids are refused; oversized, partial and broken messages, 17 clients
#     and a second reload while one runs are handled;
#   - a live socket is not taken over, a stale one is;
#   - --mlock locks each set, and a set the limit cannot lock is refused.
# ENGINE=build/asan/chokepoint runs the same against an ASan build.
set -euo pipefail
B=${BUILD:-build}
E=${ENGINE:-$B/chokepoint}
RELOADS=${RELOADS:-200}
I=$B/chokepoint-intel
C=$B/chokepoint-ctl
D=$(mktemp -d /tmp/cp-ctl-test.XXXXXX)
chmod 755 "$D"  # the dropped-privilege client must reach the socket's directory
PFX=cpc$$
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$D" /var/run/dpdk/"$PFX"*
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -n 20 "$D/log" >&2 2>/dev/null || true; exit 1; }
S=$D/run/ctl.sock
export XDG_CACHE_HOME=$D/cache  # compiled pattern sets

printf '203.0.113.0/24\n' > "$D/a.txt"
printf '192.0.2.254\n' > "$D/b.txt"
printf 'beacon-7f3a\tid=PAT-A\n' > "$D/a.pat"
printf '/other-[0-9]+/\tid=PAT-B\n' > "$D/b.pat"
"$I" compile -q -o "$D/a.cpsnap" "plain:$D/a.txt,action=drop,feed=probe-a" \
  "pattern:$D/a.pat,action=drop,feed=probe-a"
"$I" compile -q -o "$D/b.cpsnap" "plain:$D/b.txt,action=drop,feed=other-b" \
  "pattern:$D/b.pat,action=drop,feed=other-b"
printf '203.0.113.0/24\n10.0.0.7\n' > "$D/c.txt"
"$I" compile -q -o "$D/c.cpsnap" "plain:$D/c.txt,action=drop,feed=base-c"
"$B/chokepoint-bench" gen --count 300000 --mix ip > "$D/big.txt"
"$I" compile -q -o "$D/big.cpsnap" "$D/big.txt"
head -c 3000 "$D/a.cpsnap" > "$D/corrupt.cpsnap"
"$B/tools/mkpcap" probe "$D/traffic.pcap" 999

# Two workers on one CPU: the first polls the replayed capture, the second
# a port that never receives (net_null with no-rx), so it goes offline.
start() {  # start PREFIX LOG [extra engine args]
  local pfx=$1 log=$2; shift 2
 (umask "${UMASK:-077}"; exec "$E" --no-huge -m 256 --no-pci --no-shconf --file-prefix "$pfx" \
     --lcores '0@0,1@1,2@1' --log-level=error \
     --vdev "net_pcap0,rx_pcap=$D/traffic.pcap,infinite_rx=1,tx_pcap=/dev/null" \
     --vdev "net_null1,no-rx=1" \
     -- --intel "$D/a.cpsnap" --eve "$D/eve.json" --ctl "$S" --reload-mem-limit 2 "$@") \
     > "$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q "workers" "$log" 2>/dev/null && return 0; sleep 0.1; done
  fail "engine did not start: $(cat "$log")"
}
start "$PFX" "$D/log"
pid=${pids[-1]}
ctl() { "$C" --socket "$S" "$@"; }

# Modes under umask 077.
[ "$(stat -c %a "$D/run")" = 750 ] || fail "socket dir mode $(stat -c %a "$D/run")"
[ "$(stat -c %a "$S")" = 660 ] || fail "socket mode $(stat -c %a "$S")"
ctl --json status | grep -q '"generation":1' || fail "status: $(ctl --json status)"

# Failed reloads keep generation 1 and say why.
for bad in corrupt.cpsnap missing.cpsnap big.cpsnap; do
  set +e; out=$(ctl reload "$D/$bad" 2>&1); rc=$?; set -e
  [ $rc -eq 1 ] || fail "reload $bad: rc=$rc $out"
  case $bad in
    corrupt.cpsnap) echo "$out" | grep -q "corrupt.cpsnap" || fail "corrupt: $out" ;;
    missing.cpsnap) echo "$out" | grep -q "No such file" || fail "missing: $out" ;;
    big.cpsnap) echo "$out" | grep -q "exceeds the limit of 2.1 MB" || fail "big: $out" ;;
  esac
done
# Pattern sets refused at compile, while the engine runs: nothing is
# written, so nothing can be reloaded, and the set in force stays.
printf '/(unclosed/\n' > "$D/bad.pat"
printf '/(?:(?:a|b)c{1,500}){50}/\n' > "$D/slow.pat"  # ~4 s to compile here
set +e
"$I" compile -q --max-errors 0 -o "$D/bad.cpsnap" "pattern:$D/bad.pat" > "$D/o" 2>&1; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "bad.pat:1: regex refused by Hyperscan: 'Missing close parenthesis" "$D/o" \
  || fail "bad pattern: rc=$rc $(cat "$D/o")"
set +e
"$I" compile -q --pattern-time-limit 0.3 -o "$D/slow.cpsnap" "pattern:$D/slow.pat" > "$D/o" 2>&1; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "longer than the limit of 0.3 s" "$D/o" || fail "slow set: rc=$rc $(cat "$D/o")"
[ ! -e "$D/bad.cpsnap" ] && [ ! -e "$D/slow.cpsnap" ] || fail "a refused pattern set was written"
ctl reload "$D/slow.cpsnap" > /dev/null 2>&1 && fail "reloaded a snapshot never written"
st=$(ctl --json status)
echo "$st" | grep -q '"generation":1' || fail "a failed reload changed the set: $st"
echo "$st" | grep -q '"patterns":{"payload":1' || fail "status patterns: $st"
echo "$st" | grep -q '"result":"failed"' || fail "last reload not failed: $st"
ctl lookup ipv4 203.0.113.77 | grep -q '"action":"drop"' || fail "lookup after failures"

# Other uids: the directory keeps them out; with it opened, SO_PEERCRED does.
cp "$C" "$D/ctl-nobody"; chmod 755 "$D/ctl-nobody"
set +e
setpriv --reuid=65534 --regid=65534 --clear-groups "$D/ctl-nobody" --socket "$S" status > "$D/o" 2>&1; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "Permission denied" "$D/o" || fail "nobody through 0750: rc=$rc $(cat "$D/o")"
chmod 777 "$D/run" "$S"
set +e
setpriv --reuid=65534 --regid=65534 --clear-groups "$D/ctl-nobody" --socket "$S" status > "$D/o" 2>&1; rc=$?
set -e
chmod 750 "$D/run"; chmod 660 "$S"
[ $rc -eq 1 ] && grep -q "permission denied" "$D/o" || fail "SO_PEERCRED: rc=$rc $(cat "$D/o")"

# Hostile and concurrent clients.
for check in oversized partial garbage clients; do
  python3 tests/integration/ctl_client.py "$S" "$check" > /dev/null || fail "client check $check"
done
python3 tests/integration/ctl_client.py "$S" busy "$D/a.cpsnap" > /dev/null || fail "busy"
gen0=$(ctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])')

# A second instance does not take a live socket over.
set +e
"$E" --no-huge -m 128 --no-pci --no-shconf --file-prefix "${PFX}b" -l 0-1 --log-level=error \
  --vdev net_null0 --vdev net_null1 -- --intel "$D/a.cpsnap" --ctl "$S" > "$D/o" 2>&1; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "served by a running instance" "$D/o" || fail "live socket: rc=$rc $(cat "$D/o")"
ctl status > /dev/null || fail "the live instance lost its socket"

# Reloads under traffic: A (probe dropped) at odd generations, B at even.
maxms=$(python3 tests/integration/ctl_client.py "$S" reloads "$RELOADS" "$D/a.cpsnap" \
  "$D/b.cpsnap") || fail "reloads: $maxms"
[ "${maxms%.*}" -lt 100 ] || fail "a reload took $maxms ms with an idle worker"
ctl --json status | grep -q "\"generation\":$((gen0 + RELOADS))" || fail "generation count"
sleep 0.5
kill -INT "$pid"
wait "$pid" || fail "engine exit status $?"
[ ! -e "$S" ] || fail "socket left behind"

# No packet lost: what port 0 received left on port 1 or was dropped by verdict.
read -r rx0 dr0 miss0 nombuf0 < <(awk '$1=="0" && NF==7 {print $2, $4, $6, $7; exit}' "$D/log")
read -r tx1 < <(awk '$1=="1" && NF==7 {print $3; exit}' "$D/log")
[ -n "${rx0:-}" ] && [ "$rx0" -gt 100000 ] || fail "too little traffic: rx=$rx0"
[ "$rx0" -eq $((tx1 + dr0)) ] || fail "lost packets: rx $rx0, tx $tx1, dropped $dr0"
[ "$miss0" -eq 0 ] && [ "$nombuf0" -eq 0 ] || fail "imissed $miss0, rx_nombuf $nombuf0"
grep -q "tx failed: 0" "$D/log" || fail "tx failures"

# The probe's alerts: every one in a generation whose set drops it.
python3 - "$D/eve.json" "$gen0" "$RELOADS" <<'EOF' || fail "probe verdicts do not follow the generations"
import json, sys
gens, pay = set(), 0
for line in open(sys.argv[1]):
    a = json.loads(line)
    if a["src_ip"] != "203.0.113.77":
        sys.exit(f"alert for {a['src_ip']}")
    if a["intel"]["matched_on"] == "payload":
        if a["intel"].get("id") != "PAT-A":
            sys.exit(f"payload alert for {a['intel'].get('id')}")
        pay += 1
    g = a["intel"]["generation"]
    # Up to gen0 every set held A; after it, odd generations hold A.
    if g > int(sys.argv[2]) and g % 2 == 0:
        sys.exit(f"probe alert in generation {g}, whose set (B) does not hold it")
    gens.add(g)
need = int(sys.argv[3]) // 4
if len(gens) < need:
    sys.exit(f"alerts in {len(gens)} generations, want >= {need}")
if pay < need:
    sys.exit(f"{pay} payload pattern alerts, want >= {need}")
EOF

# A stale socket (its engine killed) is taken over.
start "${PFX}c" "$D/log2"
kill -9 "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
[ -S "$S" ] || fail "no stale socket to test with"
UMASK=000 start "${PFX}d" "$D/log3" --eve "$D/eve2.json" --intel "$D/c.cpsnap" \
  --ctl-allow 65534:65534
ctl status > /dev/null || fail "stale socket not taken over: $(cat "$D/log3")"
# --ctl-allow: the socket's group is the allowed gid, and that uid is served.
[ "$(stat -c %g "$S")" = 65534 ] || fail "socket group $(stat -c %g "$S")"
chmod 755 "$D/run"
setpriv --reuid=65534 --regid=65534 --clear-groups "$D/ctl-nobody" --socket "$S" status \
  > "$D/o" 2>&1 || fail "--ctl-allow uid refused: $(cat "$D/o")"
chmod 750 "$D/run"
# The telemetry command mirrors status.
echo /chokepoint/status | python3 "$(command -v dpdk-telemetry.py)" -f "${PFX}d" > "$D/tel" 2>&1 || true
grep -q '"generation": 1' "$D/tel" || fail "/chokepoint/status: $(cat "$D/tel")"
[ "$(stat -c %a "$S")" = 660 ] || fail "socket mode under umask 000: $(stat -c %a "$S")"

# Live changes on that engine: an add matches from its generation on, a
# remove hides the snapshot's own value (10.0.0.7) from its generation on,
# an allow exempts an address inside the snapshot's /24 (the probe), a ttl
# ends an add at its time, and the sweep counts it.
gen() { python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])'; }
g_add=$(ctl --json add ipv4 10.0.0.5 feed=analyst | gen) || fail "add"
g_rm=$(ctl --json remove ipv4 10.0.0.7 | gen) || fail "remove"
g_allow=$(ctl --json add ipv4 203.0.113.77 action=allow | gen) || fail "allow"
ctl --json lookup ipv4 10.0.0.7 | grep -q '"live":{"change":"remove"' || fail "lookup shows the tombstone"
ctl --json lookup ipv4 203.0.113.77 | grep -q '"action":"allow","feed":"live"' || fail "lookup shows the allow"
out=$(ctl --json add ipv4 10.0.0.6 ttl=1) || fail "add with ttl"
exp6=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["expires"])')
set +e; out=$(ctl remove ipv4 10.0.1.0/24 2>&1); rc=$?; set -e
[ $rc -eq 1 ] && echo "$out" | grep -q "by reload" || fail "removing a snapshot prefix: $rc $out"
ctl add ipv4 300.1.1.1 > "$D/o" 2>&1 && fail "a bad value was added"
grep -q "out of range" "$D/o" || fail "bad value reason: $(cat "$D/o")"
sleep 3
ctl --json status | python3 -c '
import json, sys
l = json.load(sys.stdin)["live"]
sys.exit(0 if l["entries"] == 3 and l["expired"] == 1 and l["adds"] == 3 and l["removes"] == 1 else l)' \
  || fail "live counts: $(ctl --json status)"
kill -INT "${pids[-1]}"; wait "${pids[-1]}" || fail "exit status"
python3 - "$D/eve2.json" "$g_add" "$g_rm" "$exp6" "$g_allow" > "$D/o" 2>&1 <<'EOF2' || fail "live changes did not take effect as said: $(cat "$D/o")"
import json, sys, calendar, time
g_add, g_rm, exp6, g_allow = (int(x) for x in sys.argv[2:6])
seen = {"10.0.0.5": 0, "10.0.0.6": 0, "10.0.0.7": 0, "203.0.113.77": 0}
for line in open(sys.argv[1]):
    a = json.loads(line)
    ip, g = a["src_ip"], a["intel"]["generation"]
    if ip == "10.0.0.7" and g >= g_rm:
        sys.exit(f"10.0.0.7 alert in generation {g}, after its removal in {g_rm}")
    if ip == "203.0.113.77" and g >= g_allow:
        sys.exit(f"probe alert in generation {g}, after it was allowed in {g_allow}")
    if ip in ("10.0.0.7", "203.0.113.77"):
        seen[ip] += 1
        continue
    if ip in seen:
        seen[ip] += 1
        if g < g_add or not a["intel"].get("live"):
            sys.exit(f"live alert for {ip} in generation {g} before the add ({g_add})")
    if ip == "10.0.0.6":
        t = calendar.timegm(time.strptime(a["timestamp"][:19], "%Y-%m-%dT%H:%M:%S"))
        if t > exp6:
            sys.exit(f"10.0.0.6 matched at {t}, after its ttl ended at {exp6}")
if 0 in seen.values():
    sys.exit(f"some value never matched: {seen}")
EOF2
echo "all good: $RELOADS reloads, max $maxms ms, rx $rx0 = tx $tx1 + dropped $dr0; live changes ok"

# A second engine for the options below, on its own socket and prefix.
side=("$E" --no-huge -m 256 --no-pci --no-shconf --file-prefix "${PFX}m" --lcores '0@0,1@1'
      --log-level=error --vdev "net_pcap0,rx_pcap=$D/traffic.pcap,infinite_rx=1,tx_pcap=/dev/null"
      --vdev "net_null1" -- --eve /dev/null --ctl "$D/m.sock")
mctl() { "$C" --socket "$D/m.sock" --json "$@"; }
up() { for _ in $(seq 100); do grep -q "workers" "$1" 2>/dev/null && return 0; sleep 0.1; done
       fail "engine did not start: $(cat "$1")"; }
# forwarding WHAT: the side engine's rx and tx both grow over half a second.
forwarding() {
  local a b
  a=$(mctl stats | python3 -c 'import json,sys; s=json.load(sys.stdin)["stats"]; print(s["rx"], s["tx"])')
  sleep 0.5
  b=$(mctl stats | python3 -c 'import json,sys; s=json.load(sys.stdin)["stats"]; print(s["rx"], s["tx"])')
  [ "${b% *}" -gt "${a% *}" ] && [ "${b#* }" -gt "${a#* }" ] || fail "$1 stopped forwarding: rx tx $a -> $b"
}

# --huge-pages: a 2 M-address set's tables copied to memory advised for
# huge pages (backed by them where THP is not off), served, reloaded away
# and back; every address of the set is still found.
"$B/chokepoint-bench" gen --count 2000000 --mix ip > "$D/huge.txt"
"$I" compile -q -o "$D/huge.cpsnap" "$D/huge.txt"
# Packet buffers in DPDK's memory, so that AnonHugePages counts the set.
"${side[@]}" --intel "$D/huge.cpsnap" --huge-pages --pool-memory eal > "$D/logh" 2>&1 &
pids+=($!)
hpid=$!
up "$D/logh"
grep -q "in huge pages" "$D/logh" || fail "--huge-pages start: $(cat "$D/logh")"
mctl status | grep -q '"huge_pages":true' || fail "status: $(mctl status)"
hk=$(awk '/AnonHugePages/ {print $2}' "/proc/$hpid/smaps_rollup")
if ! grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
  [ "$hk" -ge 4096 ] || fail "AnonHugePages $hk kB with --huge-pages"
fi
# The copied sections' file pages stay dropped: the set is not held twice.
maprss=$(awk -v f="$D/huge.cpsnap" '$NF == f {m = 1; next} m && /^Rss:/ {s += $2; m = 0} END {print s + 0}' "/proc/$hpid/smaps")
[ "$maprss" -lt 1024 ] || fail "the snapshot's file pages are resident too: $maprss kB"
mctl reload "$D/c.cpsnap" | grep -q '"ok":true' || fail "reload away from the large set"
mctl reload "$D/huge.cpsnap" | grep -q '"ok":true' || fail "reload back to the large set"
for v in $(sed -n '1p;1000p;2000000p' "$D/huge.txt"); do
  mctl lookup ipv4 "$v" | grep -q '"indicator"' || fail "$v not found: $(mctl lookup ipv4 "$v")"
done
forwarding "--huge-pages engine"
kill -INT $hpid; wait $hpid || fail "--huge-pages engine exit status"
echo "--huge-pages: $hk kB in huge pages; reloads, lookups and traffic ok"

# --pool-memory: under --no-huge the packet buffers go to transparent huge
# pages by default (~12 k mbufs, ~30 MB), and stay in DPDK's 4 KiB memfd
# pages with eal; traffic flows either way. A bad value is refused.
thp_off=0; grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null && thp_off=1
for pm in auto eal; do
  "${side[@]}" --intel "$D/c.cpsnap" --pool-memory $pm > "$D/logp" 2>&1 &
  pids+=($!)
  ppid_=$!
  up "$D/logp"
  want="transparent huge pages"
  [ $pm = eal ] || [ $thp_off = 1 ] && want="DPDK's memory"
  grep -q "packet buffers in $want" "$D/logp" || fail "--pool-memory $pm: $(cat "$D/logp")"
  pk=$(awk '/AnonHugePages/ {print $2}' "/proc/$ppid_/smaps_rollup")
  if [ "$want" = "DPDK's memory" ]; then
    [ "$pk" -lt 16384 ] || fail "--pool-memory $pm: AnonHugePages $pk kB, the pool in huge pages?"
  else
    [ "$pk" -ge 16384 ] || fail "--pool-memory $pm: AnonHugePages $pk kB for the packet buffers"
  fi
  forwarding "--pool-memory $pm"
  kill -INT $ppid_; wait $ppid_ || fail "--pool-memory $pm engine exit status"
  echo "--pool-memory $pm: $want (AnonHugePages $pk kB), forwarding"
done
set +e; out=$("${side[@]}" --intel "$D/c.cpsnap" --pool-memory big 2>&1); rc=$?; set -e
[ $rc -eq 2 ] && echo "$out" | grep -q "pool-memory wants auto, eal or thp" ||
  fail "--pool-memory big: rc=$rc $out"

# A snapshot written over in place while in use (cp over it, truncate):
# its lease makes the writer wait while the engine moves the set into
# memory; traffic and lookups go on with the set in force, and a reload
# takes the new file. Before, the truncation took the set's pages from
# under the workers: SIGBUS, and the engine was gone. Once plain, once
# with --huge-pages (its large sections copied already) and --mlock.
guard() { mctl status | python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshot_guard"])'; }
found() { mctl lookup ipv4 "$1" | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["match"] is None)'; }
v1000=$(sed -n 1000p "$D/big.txt")
for opts in "" "--huge-pages --mlock"; do
  cp "$D/big.cpsnap" "$D/inplace.cpsnap"
  # shellcheck disable=SC2086
  "${side[@]}" --intel "$D/inplace.cpsnap" $opts > "$D/logi" 2>&1 &
  pids+=($!)
  ipid=$!
  up "$D/logi"
  [ "$(guard)" = lease ] || fail "no lease on the snapshot ($opts): $(guard)"
  timeout 20 cp "$D/c.cpsnap" "$D/inplace.cpsnap" || fail "cp over the snapshot ($opts): rc $?"
  grep -q "is being written over in place: the set in force was moved into memory" "$D/logi" \
    || fail "rewrite not seen ($opts): $(cat "$D/logi")"
  [ "$(guard)" = "in memory" ] || fail "guard after the rewrite: $(guard)"
  forwarding "the engine whose snapshot was written over ($opts)"
  found "$v1000" && ! found 10.0.0.7 || fail "the set in force changed with its file ($opts)"
  mctl reload | grep -q '"ok":true' || fail "reload of the new file ($opts)"
  found 10.0.0.7 && [ "$(guard)" = lease ] || fail "the new file after reload ($opts)"
  # truncate opens without blocking: refused while the lease breaks, then done.
  for _ in $(seq 50); do truncate -s 0 "$D/inplace.cpsnap" 2>/dev/null && break; sleep 0.1; done
  [ ! -s "$D/inplace.cpsnap" ] || fail "truncate never got through ($opts)"
  forwarding "the engine whose snapshot was truncated ($opts)"
  found 10.0.0.7 || fail "lost the set after the truncation ($opts)"
  kill -INT $ipid; wait $ipid || fail "exit status after rewrites ($opts): $(cat "$D/logi")"
done
echo "rewrites in place: cp over and truncate, plain and --huge-pages --mlock; the set stayed, reload took the new one"

# Log rotation: logrotate moves the alert file away and sends SIGHUP (or
# runs chokepoint-ctl reopen); the engine goes on into a new file at the
# path, and the old one holds every line written before. A reopen that
# cannot open the path says why and keeps the old file. Every line the
# writer counted is in one of the files, whole.
mkdir "$D/rot"
"${side[@]}" --intel "$D/c.cpsnap" --eve "$D/rot/eve.json" > "$D/logr" 2>&1 &
pids+=($!)
rpid=$!
up "$D/logr"
grows() {  # grows FILE: it gets lines within 2 s
  for _ in $(seq 40); do [ -s "$1" ] && return 0; sleep 0.05; done
  fail "no alerts in $1: $(cat "$D/logr")"
}
grows "$D/rot/eve.json"
mv "$D/rot/eve.json" "$D/rot/eve.json.1"
kill -HUP $rpid
grows "$D/rot/eve.json"
s1=$(stat -c %s "$D/rot/eve.json.1"); sleep 0.3
[ "$(stat -c %s "$D/rot/eve.json.1")" = "$s1" ] || fail "the rotated file is still written after SIGHUP"
grep -q "SIGHUP: reopened" "$D/logr" || fail "SIGHUP not said: $(cat "$D/logr")"
mv "$D/rot/eve.json" "$D/rot/eve.json.2"
mctl reopen | grep -q '"reopens":2' || fail "reopen: $(mctl reopen)"
s2=$(stat -c %s "$D/rot/eve.json.2"); sleep 0.3
[ "$(stat -c %s "$D/rot/eve.json.2")" = "$s2" ] || fail "the rotated file is still written after reopen"
grows "$D/rot/eve.json"
mv "$D/rot/eve.json" "$D/rot/eve.json.3"; mkdir "$D/rot/eve.json"
set +e; out=$("$C" --socket "$D/m.sock" reopen 2>&1); rc=$?; set -e
[ $rc -eq 1 ] && echo "$out" | grep -q "eve.json: Is a directory (alerts go on to the file open before)" \
  || fail "reopen onto a directory: rc=$rc $out"
s3=$(stat -c %s "$D/rot/eve.json.3"); sleep 0.3
[ "$(stat -c %s "$D/rot/eve.json.3")" -gt "$s3" ] || fail "alerts stopped after a failed reopen"
rmdir "$D/rot/eve.json"
mctl reopen | grep -q '"reopens":3' || fail "reopen after the failure"
grows "$D/rot/eve.json"
forwarding "the rotated engine"
kill -INT $rpid; wait $rpid || fail "rotated engine exit status"
lines=$(awk '/eve: [0-9]+ lines/ {print $2}' "$D/logr")
python3 - "$lines" "$D"/rot/eve.json* <<'EOF2' || fail "rotation lost or broke lines"
import json, sys
n = 0
for f in sys.argv[2:]:
    for l in open(f, "rb"):
        json.loads(l.decode("utf-8"))
        n += 1
if n != int(sys.argv[1]) or n == 0:
    sys.exit(f"{n} lines in the files, the writer counted {sys.argv[1]}")
EOF2
grep -q "eve: $lines lines, 0 write errors, 3 reopens" "$D/logr" || fail "eve stats: $(cat "$D/logr")"
# A full disk: writes fail, are counted and said once; traffic flows.
"${side[@]}" --intel "$D/c.cpsnap" --eve /dev/full > "$D/logf" 2>&1 &
pids+=($!)
fpid=$!
up "$D/logf"
forwarding "the engine on a full disk"
errs=$(mctl stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["eve_errors"])')
[ "$errs" -gt 0 ] || fail "no eve_errors on /dev/full"
kill -INT $fpid; wait $fpid || fail "full-disk engine exit status"
[ "$(grep -c "writing /dev/full: No space left on device" "$D/logf")" = 1 ] \
  || fail "the write error said $(grep -c "writing /dev/full" "$D/logf") times: $(cat "$D/logf")"
# A reader that goes away: --eve - into head, which exits after 3 lines.
# SIGPIPE used to stop the engine; now it is a write error, and the stats
# go to stderr, out of the alert stream.
"${side[@]}" --intel "$D/c.cpsnap" --eve - > >(head -n 3 > "$D/head.out") 2> "$D/logq" &
pids+=($!)
qpid=$!
up "$D/logq"
forwarding "the engine whose alert reader left"
kill -INT $qpid; wait $qpid || fail "engine with a closed pipe: exit status $?: $(cat "$D/logq")"
grep -q "writing -: Broken pipe" "$D/logq" && grep -q "== final stats ==" "$D/logq" \
  || fail "closed pipe: $(cat "$D/logq")"
python3 -c 'import json, sys
l = open(sys.argv[1]).read().splitlines()
assert len(l) == 3 and all(json.loads(x)["event_type"] == "alert" for x in l), l' "$D/head.out" \
  || fail "the alert stream: $(cat "$D/head.out")"
echo "rotation: SIGHUP and reopen, $lines lines in 4 files; a failed reopen kept the old file; /dev/full: $errs write errors counted; a closed pipe counted"

# --mlock: without CAP_IPC_LOCK, under an 8 MiB RLIMIT_MEMLOCK. The 4.6 MB set
# starts locked (VmLck), a reload to a small set locks it and unlocks the
# old one, a reload that would need two large sets locked at once is
# refused and the set in force stays locked, and a set over the limit
# does not start at all.
# Not under ASan, whose mlock does nothing (it would lock the shadow).
if [ -z "${ENGINE:-}" ]; then
  "$I" compile -q -o "$D/big2.cpsnap" "$D/big.txt"
  mlocked() {  # mlocked SNAP LOG [ulimit -l KiB]: execs, so run it in a subshell
    ulimit -l "${3:-8192}"
    exec setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock -- \
      "${side[@]}" --intel "$1" --mlock > "$2" 2>&1
  }
  vmlck() { awk '/VmLck/ {print $2}' "/proc/$1/status"; }
  mlocked "$D/big.cpsnap" "$D/logm" &
  pids+=($!)
  mpid=$!
  up "$D/logm"
  grep -q "locked in memory" "$D/logm" || fail "--mlock start: $(cat "$D/logm")"
  big_kb=$(( $(stat -c %s "$D/big.cpsnap") / 1024 ))
  [ "$(vmlck $mpid)" -ge "$big_kb" ] || fail "VmLck $(vmlck $mpid) kB < the set's $big_kb kB"
  mctl status | grep -q '"locked":true' || fail "status: $(mctl status)"
  mctl reload "$D/c.cpsnap" | grep -q '"locked":true' || fail "reload to a small set not locked"
  [ "$(vmlck $mpid)" -lt "$big_kb" ] || fail "the old set stayed locked: VmLck $(vmlck $mpid) kB"
  mctl reload "$D/big.cpsnap" | grep -q '"generation":3' || fail "reload to the large set"
  set +e; out=$("$C" --socket "$D/m.sock" reload "$D/big2.cpsnap" 2>&1); rc=$?; set -e
  [ $rc -eq 1 ] && echo "$out" | grep -q "cannot lock the set in memory" ||
    fail "a reload over RLIMIT_MEMLOCK: rc=$rc $out"
  mctl status | grep -q '"generation":3' || fail "the refused reload replaced the set"
  [ "$(vmlck $mpid)" -ge "$big_kb" ] || fail "the set in force lost its lock"
  kill -INT $mpid; wait $mpid || fail "--mlock engine exit status"
  set +e; (mlocked "$D/big.cpsnap" "$D/logm2" 2048); rc=$?; set -e
  [ $rc -ne 0 ] && grep -q "cannot lock the set in memory" "$D/logm2" ||
    fail "a set over the limit started: rc=$rc $(cat "$D/logm2")"
  echo "--mlock: locked $big_kb kB, reloads lock and unlock, over the limit refused"
fi

# The same, fewer reloads, against the engine built with AddressSanitizer
# (make test builds it): a use-after-free of a retired set, or a leak on
# any way out, fails it.
if [ -z "${ENGINE:-}" ] && [ -x "$B/asan/chokepoint" ]; then
  ENGINE=$B/asan/chokepoint RELOADS=30 bash "$0"
fi
