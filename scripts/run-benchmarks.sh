#!/usr/bin/env bash
# Run every benchmark under bench/ with the given interpreter; each prints one JSON object.
set -uo pipefail
py="$1"; shift
mkdir -p var/bench
status=0
for script in bench/*_bench.py bench/fraud_quality.py bench/fraud_speed.py; do
  [ -f "$script" ] || continue
  name=$(basename "$script" .py)
  echo "== $name" >&2
  if "$py" "$script" "$@" > "var/bench/$name.json"; then
    cat "var/bench/$name.json"
  else
    echo "benchmark $name failed" >&2; status=1
  fi
done
exit $status
