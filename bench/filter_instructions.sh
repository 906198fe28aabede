#!/usr/bin/env bash
# What each filter costs in instructions, a number this machine's noise cannot move: Nexus runs
# under callgrind with one route at a time (the same route, so routing costs the same), N
# requests go through it after a warm-up, and callgrind counts the instructions executed in
# user space by all of Nexus's threads in between. Prints instructions per request for no
# filters, each filter alone and the whole chain of bench/filters.sh, and each one's difference
# to no filters. Kernel time (syscalls, the network) is not counted: see bench/filters.sh for
# what the chain costs in requests/s. Method and results: docs/benchmarks.md.
#
# Environment: REQUESTS (2000), BUILD_DIR (build/release), RESULTS_DIR
# (BUILD_DIR/bench-results/filter-instructions-DATE).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build/release}
NEXUS_BIN=${NEXUS_BIN:-$BUILD_DIR/nexus}
UPSTREAM_BIN=${UPSTREAM_BIN:-$BUILD_DIR/bench/nexus_test_upstream}
REQUESTS=${REQUESTS:-2000}
RESULTS_DIR=${RESULTS_DIR:-$BUILD_DIR/bench-results/filter-instructions-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$RESULTS_DIR"
WORK=$RESULTS_DIR
LOG_NAME=bench-filter-instructions
# shellcheck source=bench/filter_common.sh
source "$ROOT/bench/filter_common.sh"

UP_PORT=$(free_port) NX_PORT=$(free_port)
printf %s "$BODY" >"$WORK/body.json"

declare -A FILTER=(
  [request_id]='request_id: {}'
  [access_log]="access_log: { path: \"$WORK/access.log\" }"
  [cors]='cors: { allow_origins: ["https://app.example.com"] }'
  [auth]="auth: { api_keys: { keys: [{ name: bench, sha256: \"$KEY_SHA256\" }] } }"
  [rate_limit]='rate_limit: { limits: [{ rate: 1000000000, per: 1s }] }'
  [compression]='compression: {}'
)
CHAIN="request_id access_log cors auth rate_limit compression"
declare -A CHAINS=([none]="" [filtered]="$CHAIN" [filtered_nolog]="${CHAIN/access_log /}")
for name in $CHAIN; do CHAINS[$name]=$name; done
ORDER="none $CHAIN filtered_nolog filtered"

"$UPSTREAM_BIN" --host 127.0.0.1 --port "$UP_PORT" --threads 1 >"$WORK/upstream.log" 2>&1 &
PID[upstream]=$!
wait_http "$UP_PORT" || { log "the test upstream did not start"; exit 1; }

load() {  # COUNT: requests through the route, as bench/filters.sh sends them
  h2load --h1 -n "$1" -c 8 -d "$WORK/body.json" -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $KEY" -H 'Origin: https://app.example.com' \
    -H 'Accept-Encoding: gzip, br' "http://127.0.0.1:$NX_PORT/v1/chat/completions"
}

: >"$WORK/results.tsv"
for name in $ORDER; do
  {
    echo "server: { listen: [\"127.0.0.1:$NX_PORT\"], workers: 1, timeouts: { idle: 300s } }"
    echo "clusters: { up: { endpoints: [\"127.0.0.1:$UP_PORT\"], pool: { max_connections: 64 } } }"
    echo "routes:"
    echo "  - match: { prefix: / }"
    echo "    cluster: up"
    echo "    filters:"
    for filter in ${CHAINS[$name]}; do echo "      - ${FILTER[$filter]}"; done
    [[ -n ${CHAINS[$name]} ]] || echo "      []"
    echo "logging: { level: warn, access_log: { enabled: false } }"
  } >"$WORK/$name.yaml"
  sed -i -z 's/    filters:\n      \[\]/    filters: []/' "$WORK/$name.yaml"
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/callgrind-$name.out" \
    "$NEXUS_BIN" serve --config "$WORK/$name.yaml" >"$WORK/nexus-$name.log" 2>&1 &
  PID[nexus]=$!
  wait_http "$NX_PORT" 300 || { log "nexus did not start: $(tail -3 "$WORK/nexus-$name.log")"; exit 1; }
  load 200 >/dev/null  # warm-up: connections, pools, first-use allocations
  callgrind_control --instr=on "${PID[nexus]}" >/dev/null 2>&1
  load "$REQUESTS" >"$WORK/h2load-$name.txt"
  callgrind_control --instr=off "${PID[nexus]}" >/dev/null 2>&1
  kill -TERM "${PID[nexus]}"
  wait "${PID[nexus]}" 2>/dev/null || true
  unset 'PID[nexus]'
  grep -q "$REQUESTS succeeded" "$WORK/h2load-$name.txt" ||
    { log "$name: not every request succeeded: $(grep -E 'succeeded|status codes' "$WORK/h2load-$name.txt")"; exit 1; }
  total=$(callgrind_annotate "$WORK/callgrind-$name.out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
  log "$name: $((total / REQUESTS)) instructions per request"
  echo "$name $((total / REQUESTS))" >>"$WORK/results.tsv"
done
rm -f "$WORK/access.log"

awk -v n="$REQUESTS" '
  { ir[$1] = $2; order[++count] = $1 }
  END {
    printf "instructions per request in Nexus (user space, all threads; %d requests each)\n", n
    printf "%-16s %12s %12s\n", "filters", "instructions", "vs none"
    for (i = 1; i <= count; i++) { r = order[i]; printf "%-16s %12d %+12d\n", r, ir[r], ir[r] - ir["none"] }
  }' "$WORK/results.tsv" | tee "$WORK/summary.txt"
log "callgrind profiles kept in $RESULTS_DIR (callgrind_annotate FILE)"
