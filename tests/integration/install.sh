#!/usr/bin/env bash
# make install (scripts/install): what it puts where, and that it works.
#   - Under DESTDIR: the files a package holds. A reinstall keeps the
#     operator's edited default config; uninstall removes all else.
#   - Under a PREFIX: systemd-analyze verify takes the unit without a word,
#     and the installed binaries compile, look up and run the engine.
#   - The shipped logrotate config, run by logrotate itself (its two paths
#     moved into this test's directory) while the installed engine forwards
#     traffic: eve.json is rotated and compressed, the .gz holds whole JSON
#     lines, the engine goes on into a new file, and the files together hold
#     every line the writer counted. With the engine stopped, a rotation
#     still succeeds.
set -euo pipefail
B=${BUILD:-build}
D=$(mktemp -d /tmp/cp-install-test.XXXXXX)
epid=
trap '[ -n "$epid" ] && kill -9 "$epid" 2>/dev/null; rm -rf "$D" "/var/run/dpdk/cpi$$"' EXIT
fail() { echo "FAIL: $*" >&2; tail -n 20 "$D/log.txt" >&2 2>/dev/null || true; exit 1; }

# DESTDIR: the layout, the kept config, uninstall.
R=$D/root
DESTDIR=$R PREFIX=/usr scripts/install "$B" > /dev/null
for f in usr/bin/chokepoint usr/bin/chokepoint-intel usr/bin/chokepoint-ctl usr/bin/chokepoint-bench; do
  [ -x "$R/$f" ] || fail "$f not installed"
done
for f in usr/lib/systemd/system/chokepoint.service etc/logrotate.d/chokepoint \
         etc/default/chokepoint usr/share/doc/chokepoint/README.md; do
  [ "$(stat -c %a "$R/$f" 2>/dev/null)" = 644 ] || fail "$f not installed 0644"
done
grep -q '^ExecStart=/usr/bin/chokepoint \$EAL_ARGS -- --intel \${SNAPSHOT} ' \
  "$R/usr/lib/systemd/system/chokepoint.service" || fail "ExecStart: $(grep Exec "$R"/usr/lib/systemd/system/*)"
grep -q '^EnvironmentFile=/etc/default/chokepoint$' "$R/usr/lib/systemd/system/chokepoint.service" \
  || fail "EnvironmentFile"
! grep -rqI '@[A-Z]*@' "$R/etc" "$R/usr/lib" || fail "a path left unfilled: $(grep -rI '@[A-Z]*@' "$R/etc" "$R/usr/lib")"
echo 'CHOKEPOINT_ARGS="--mode monitor"  # mine' >> "$R/etc/default/chokepoint"
DESTDIR=$R PREFIX=/usr scripts/install "$B" | grep -q "kept $R/etc/default/chokepoint" \
  || fail "reinstall did not say it kept the config"
grep -q '# mine' "$R/etc/default/chokepoint" || fail "reinstall overwrote the operator's config"
DESTDIR=$R PREFIX=/usr scripts/install --uninstall "$B"
[ "$(cd "$R" && find . -type f)" = "./etc/default/chokepoint" ] \
  || fail "uninstall left: $(cd "$R" && find . -type f)"

# PREFIX: the unit as systemd reads it, and the binaries from there.
P=$D/p
PREFIX=$P SYSCONFDIR=$P/etc scripts/install "$B" > /dev/null
out=$(systemd-analyze verify "$P/lib/systemd/system/chokepoint.service" 2>&1) \
  || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify said: $out"
"$P/bin/chokepoint" --help | grep -q "community-id-seed" || fail "installed --help"
printf '10.0.0.7\n' > "$D/feed.txt"
"$P/bin/chokepoint-intel" compile -q -o "$D/set.cpsnap" "plain:$D/feed.txt,action=alert,feed=t"
"$P/bin/chokepoint-intel" lookup "$D/set.cpsnap" ipv4 10.0.0.7 | grep -q '"feed":"t"' \
  || fail "installed lookup"
"$B/tools/mkpcap" probe "$D/traffic.pcap" 999

# The shipped rotation, for real: logrotate with its config, the paths
# moved here, against the installed engine under traffic.
mkdir -m 0750 "$D/log" "$D/run"
sed -e "s|/var/log/chokepoint|$D/log|g" -e "s|/run/chokepoint|$D/run|g" \
  "$P/etc/logrotate.d/chokepoint" > "$D/logrotate.conf"
grep -q "^$D/log/eve.json {" "$D/logrotate.conf" || fail "logrotate config: $(cat "$D/logrotate.conf")"
"$P/bin/chokepoint" --no-huge -m 256 --no-pci --no-shconf --file-prefix "cpi$$" -l 0-1 \
  --log-level=error \
  --vdev "net_pcap0,rx_pcap=$D/traffic.pcap,infinite_rx=1,tx_pcap=/dev/null" --vdev net_null1 \
  -- --intel "$D/set.cpsnap" --eve "$D/log/eve.json" --ctl "$D/run/ctl.sock" --mode monitor \
  > "$D/log.txt" 2>&1 &
epid=$!
for _ in $(seq 100); do [ -S "$D/run/ctl.sock" ] && [ -s "$D/log/eve.json" ] && break; sleep 0.1; done
[ -s "$D/log/eve.json" ] || fail "no alerts from the installed engine"
logrotate -f -s "$D/logrotate.state" "$D/logrotate.conf" 2> "$D/lr.err" \
  || fail "logrotate: $(cat "$D/lr.err")"
[ -s "$D/log/eve.json.1.gz" ] || fail "no eve.json.1.gz: $(ls "$D/log")"
for _ in $(seq 40); do [ -s "$D/log/eve.json" ] && break; sleep 0.05; done
[ -s "$D/log/eve.json" ] || fail "no new eve.json after the rotation"
"$P/bin/chokepoint-ctl" --socket "$D/run/ctl.sock" --json stats |
  python3 -c 'import json,sys; s=json.load(sys.stdin)["stats"]; assert s["eve_reopens"] == 1, s' \
  || fail "reopens after one rotation"
kill -INT $epid
wait $epid || fail "installed engine exit status"
epid=
lines=$(awk '/eve: [0-9]+ lines/ {print $2}' "$D/log.txt")
python3 - "$lines" "$D/log/eve.json.1.gz" "$D/log/eve.json" <<'EOF' || fail "lines lost or broken"
import gzip, json, sys
n = 0
for f in sys.argv[2:]:
    for l in (gzip.open if f.endswith(".gz") else open)(f, "rb"):
        assert l.endswith(b"\n"), (f, l)  # whole: compress ran after the writer closed it
        json.loads(l.decode("utf-8"))
        n += 1
assert n == int(sys.argv[1]) and n > 0, f"{n} lines in the files, the writer counted {sys.argv[1]}"
EOF
# Stopped: the socket is gone (or stale), and a rotation still succeeds.
rm -f "$D/run/ctl.sock"
logrotate -f -s "$D/logrotate.state" "$D/logrotate.conf" 2> "$D/lr.err" \
  || fail "logrotate with the engine stopped: $(cat "$D/lr.err")"
[ -s "$D/log/eve.json.2.gz" ] || fail "second rotation: $(ls "$D/log")"
echo "install: layout, kept config, uninstall; unit verified; $lines lines across a real logrotate"
