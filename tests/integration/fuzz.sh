#!/usr/bin/env bash
# Short libFuzzer runs of every target in build/fuzz over its seed corpus
# (tests/fuzz/corpus/TARGET); new inputs go to a scratch copy, so the tree
# is left as it was. A crash, leak or sanitizer report fails the test and
# leaves the input in build/fuzz/artifacts/. FUZZ_SECONDS sets the budget.
set -euo pipefail
B=${BUILD:-build}
secs=${FUZZ_SECONDS:-20}
art="$B/fuzz/artifacts" logs="$B/fuzz/logs"
mkdir -p "$art" "$logs"
for f in "$B"/fuzz/fuzz_*; do
  [[ -f $f && -x $f ]] || continue
  name=$(basename "$f")
  work=$(mktemp -d /tmp/cp-fuzz.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  cp -r "tests/fuzz/corpus/$name/." "$work/" 2>/dev/null || true
  if ! "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$art/" "$work" > "$logs/$name.log" 2>&1; then
    tail -n 30 "$logs/$name.log"
    echo "FAIL: $name (input kept in $art)"
    exit 1
  fi
  echo "$name: $(grep -Eo 'Done [0-9]+ runs' "$logs/$name.log")"
  rm -rf "$work"
done
