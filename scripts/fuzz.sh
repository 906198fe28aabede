#!/usr/bin/env bash
# `make fuzz`: runs every libFuzzer target for $1 seconds, growing its corpus in build/fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
cmake --preset fuzz >/dev/null && cmake --build --preset fuzz
for dir in tests/fuzz/*/; do
  name=$(basename "$dir")
  mkdir -p "build/fuzz/corpus-${name}"
  echo "== ${name} for ${seconds}s"
  "build/fuzz/${name}_fuzz" -max_total_time="${seconds}" -timeout=10 "build/fuzz/corpus-${name}" "${dir}corpus"
done
