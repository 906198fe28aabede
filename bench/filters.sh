#!/usr/bin/env bash
# What the filter chain costs: one Nexus (1 worker, pinned) with three routes to the same test
# upstream: one with every everyday filter (request_id, access_log to a file, cors, auth by API
# key, rate_limit set high enough never to refuse, compression that stays off for the small
# response), the same without the access log (what writing the log file costs), and one with
# none; wrk alternates between them. Prints requests/s and p99 of each, and each filtered
# route's rps ratio and p99 difference to the plain one. Method and results: docs/benchmarks.md.
#
# Environment: REPS (3), DURATION (15 s), CONNS (64), BUILD_DIR (build/release),
# PROXY_CPU (0), LOAD_CPU (1), RESULTS_DIR (BUILD_DIR/bench-results/filters-DATE).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build/release}
NEXUS_BIN=${NEXUS_BIN:-$BUILD_DIR/nexus}
UPSTREAM_BIN=${UPSTREAM_BIN:-$BUILD_DIR/bench/nexus_test_upstream}
REPS=${REPS:-3} DURATION=${DURATION:-15} CONNS=${CONNS:-64}
PROXY_CPU=${PROXY_CPU:-0} LOAD_CPU=${LOAD_CPU:-1}
RESULTS_DIR=${RESULTS_DIR:-$BUILD_DIR/bench-results/filters-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$RESULTS_DIR"
WORK=$RESULTS_DIR
log() { printf '[bench-filters %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

declare -A PID=()
cleanup() {
  for name in "${!PID[@]}"; do kill -TERM "${PID[$name]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {  # PORT: bounded wait until it answers
  for _ in $(seq 100); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" && return 0
    sleep 0.1
  done
  return 1
}

UP_PORT=$(free_port) NX_PORT=$(free_port)
KEY=sk-nexus-bench-0000000000000000
KEY_SHA256=$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)

taskset -c "$LOAD_CPU" "$UPSTREAM_BIN" --host 127.0.0.1 --port "$UP_PORT" --threads 1 \
  >"$WORK/upstream.log" 2>&1 &
PID[upstream]=$!
wait_http "$UP_PORT" || { log "the test upstream did not start"; exit 1; }

cat >"$WORK/nexus.yaml" <<YAML
server:
  listen: ["127.0.0.1:$NX_PORT"]
  workers: 1
  timeouts: { idle: 300s }
clusters:
  up:
    endpoints: ["127.0.0.1:$UP_PORT"]
    pool: { max_connections: 1024, idle_timeout: 300s }
routes:
  - name: plain
    match: { prefix: /plain/ }
    cluster: up
  - name: filtered
    match: { prefix: /filtered/ }
    cluster: up
    filters:
      - request_id: {}
      - access_log: { path: "$WORK/access.log" }
      - cors: { allow_origins: ["https://app.example.com"] }
      - auth: { api_keys: { keys: [{ name: bench, sha256: "$KEY_SHA256" }] } }
      - rate_limit: { limits: [{ rate: 1000000000, per: 1s }] }
      - compression: {}
  - name: filtered_nolog
    match: { prefix: /filtered_nolog/ }
    cluster: up
    filters:
      - request_id: {}
      - cors: { allow_origins: ["https://app.example.com"] }
      - auth: { api_keys: { keys: [{ name: bench, sha256: "$KEY_SHA256" }] } }
      - rate_limit: { limits: [{ rate: 1000000000, per: 1s }] }
      - compression: {}
logging:
  level: warn
  access_log: { enabled: false }
YAML
"$NEXUS_BIN" validate --config "$WORK/nexus.yaml" >/dev/null
taskset -c "$PROXY_CPU" "$NEXUS_BIN" serve --config "$WORK/nexus.yaml" >"$WORK/nexus.log" 2>&1 &
PID[nexus]=$!
wait_http "$NX_PORT" || { log "nexus did not start: $(tail -3 "$WORK/nexus.log")"; exit 1; }

BODY='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Write one sentence about the benchmark of an LLM gateway written in C++ that proxies OpenAI-compatible requests."}],"temperature":0.2,"max_tokens":64,"stream":false,"user":"bench-0001"}'
cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
wrk.headers["Origin"] = "https://app.example.com"
wrk.headers["Accept-Encoding"] = "gzip, br"
wrk.body = '$BODY'
LUA

# ROUTE SECONDS OUT -> "rps p99_us non2xx"
run_wrk() {
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$2s" --timeout 5s --latency -s "$WORK/post.lua" \
    "http://127.0.0.1:$NX_PORT/$1/v1/chat/completions" >"$3" 2>&1
  awk '
    function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000;
                     if (v ~ /s$/) return v * 1e6; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "99%" { p99 = us($2) }
    /Non-2xx/ { bad = $NF }
    END { printf "%s %.0f %d\n", rps, p99, bad }' "$3"
}

status=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $KEY" \
  -d "$BODY" "http://127.0.0.1:$NX_PORT/filtered/v1/chat/completions")
[[ $status == 200 ]] || { log "the filtered route answered $status, not 200"; exit 1; }

log "warm-up"
run_wrk plain 3 "$WORK/warmup-plain.txt" >/dev/null
run_wrk filtered 3 "$WORK/warmup-filtered.txt" >/dev/null
run_wrk filtered_nolog 3 "$WORK/warmup-filtered_nolog.txt" >/dev/null
: >"$WORK/results.tsv"
for rep in $(seq "$REPS"); do
  for route in plain filtered filtered_nolog; do
    result=$(run_wrk "$route" "$DURATION" "$WORK/wrk-$rep-$route.txt")
    log "rep $rep $route: rps p99_us non2xx = $result"
    echo "$route $result" >>"$WORK/results.tsv"
  done
done

awk -v reps="$REPS" -v conns="$CONNS" -v dur="$DURATION" '
  function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  { n[$1]++; rps[$1, n[$1]] = $2; p99[$1, n[$1]] = $3; bad[$1] += $4 }
  END {
    for (r in n) { for (i = 1; i <= n[r]; i++) { x[i] = rps[r, i]; y[i] = p99[r, i] }
                   mr[r] = median(x, n[r]); mp[r] = median(y, n[r]) }
    printf "filter chain cost: %d reps x %ds, %d connections, 1 worker (medians)\n", reps, dur, conns
    printf "%-16s %12s %10s %8s\n", "route", "requests/s", "p99 us", "non-2xx"
    split("plain filtered filtered_nolog", order, " ")
    for (i = 1; i <= 3; i++) { r = order[i]; printf "%-16s %12.0f %10.0f %8d\n", r, mr[r], mp[r], bad[r] }
    for (i = 2; i <= 3; i++) {
      r = order[i]
      printf "%s/plain requests/s: %.3f (cost %.1f%%); p99 difference: %+.0f us\n",
        r, mr[r] / mr["plain"], (1 - mr[r] / mr["plain"]) * 100, mp[r] - mp["plain"]
    }
  }' "$WORK/results.tsv" | tee "$WORK/summary.txt"
log "raw outputs kept in $RESULTS_DIR"
