#!/usr/bin/env bash
# chokepoint-bench at small scale: lookup, pipeline and compile run and print
# every figure they own as one JSON object a line, with the keys the
# foundation issue names and a ratio oriented so that > 1 is better. The
# pipeline's set holds the CIDRs it says it adds, and --cidrs 0 drops them.
# No speed is asserted: figures belong to the bench, and these machines are
# too noisy for a timed test.
set -euo pipefail
B=${BUILD:-build}/chokepoint-bench
D=$(mktemp -d /tmp/cp-bench-test.XXXXXX)
trap 'rm -rf "$D"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$B" lookup --count 20000 --queries 64000 --json --dir "$D" > "$D/lookup.json" 2> "$D/lookup.err" \
  || fail "lookup: $(cat "$D/lookup.err")"
"$B" pipeline --count 20000 --packets 20000 --json --dir "$D" > "$D/pipeline.json" \
  2> "$D/pipeline.err" || fail "pipeline: $(cat "$D/pipeline.err")"
# 10 000 IPv4 indicators, 10 CIDRs a thousand by default.
grep -q "20000 indicators, 100 CIDRs" "$D/pipeline.err" || fail "CIDRs: $(cat "$D/pipeline.err")"
"$B" pipeline --count 20000 --packets 20000 --mix 64 --cidrs 0 --json --dir "$D" \
  > "$D/pipeline0.json" 2> "$D/pipeline0.err" || fail "pipeline --cidrs 0"
grep -q "20000 indicators, 0 CIDRs" "$D/pipeline0.err" || fail "--cidrs 0: $(cat "$D/pipeline0.err")"
"$B" compile --count 20000 --json --dir "$D" > "$D/compile.json" 2> "$D/compile.err" \
  || fail "compile: $(cat "$D/compile.err")"
"$B" quic --iterations 2000 --json > "$D/quic.json" 2> "$D/quic.err" || fail "quic: $(cat "$D/quic.err")"
# Nothing left behind in the working directory.
[ -z "$(ls "$D"/*.cpsnap 2>/dev/null)" ] || fail "snapshots left in $D: $(ls "$D")"

python3 - "$D" <<'EOF'
import json, math, sys
d = sys.argv[1]
cost = {"ns/lookup", "ns/packet", "B/ind", "ms", "s"}
rate = {"Mpps", "MB/s"}
want = {
    "lookup": [f"{k}.{t}" for t in ("ipv4", "domain") for k in ("memory",)]
    + [f"lookup.{t}.{h}" for t in ("ipv4", "domain") for h in ("hit1", "hit100", "hit100.vs_memory")],
    "pipeline": ["pipeline.ring_io_forward"]
    + [f"pipeline.{m}.{l}" for m in ("64", "imix", "dns", "tls") for l in ("zipf", "uniform")],
    "pipeline0": ["pipeline.64.zipf", "pipeline.64.uniform"],
    "compile": [],
    "quic": ["quic.initial", "quic.initial.bad_tag"],
}
for name, figs in want.items():
    seen = []
    lines = open(f"{d}/{name}.json").read().splitlines()
    assert lines, f"{name}: no output"
    for line in lines:
        o = json.loads(line)
        for k in ("figure", "value", "unit", "baseline", "baseline_value", "ratio"):
            assert k in o, f"{name}: {k} missing in {line}"
        v, b, r = o["value"], o["baseline_value"], o["ratio"]
        assert all(isinstance(x, (int, float)) and math.isfinite(x) for x in (v, b, r)), line
        assert v > 0 or o["unit"] not in cost | rate, f"{name}: no value: {line}"
        if v > 0.001 and b > 0.001 and o["unit"] in cost | rate:
            # Printed to 3 decimals: the ratio lies between the bounds of
            # the rounded values.
            e = 0.0005
            num, den = (b, v) if o["unit"] in cost else (v, b)
            lo, hi = (num - e) / (den + e), (num + e) / (den - e)
            assert lo - 0.0005 <= r <= hi + 0.0005, f"{name}: ratio {r} not in [{lo}, {hi}]: {line}"
        seen.append(o["figure"])
    missing = [f for f in figs if f not in seen]
    assert not missing, f"{name}: figures missing: {missing}"
print("bench JSON ok")
EOF
