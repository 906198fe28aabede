#!/usr/bin/env bash
# What the filter chain costs: one Nexus (1 worker, pinned) with three routes to the same test
# upstream: one with every everyday filter (request_id, access_log to a file, cors, auth by API
# key, rate_limit set high enough never to refuse, compression that stays off for the small
# response), the same without the access log (what writing the log file costs), and one with
# none. nginx (1 worker, the same core) gets the same three locations with its own equivalents
# of those features, as a reference for what such a chain costs in an established proxy. wrk
# alternates between all six. Prints requests/s, p99 and CPU time per request of each, and each
# filtered route's ratios to its proxy's plain one. Method and results: docs/benchmarks.md.
#
# Environment: REPS (3), DURATION (15 s), CONNS (64), BUILD_DIR (build/release),
# PROXY_CPU (0), LOAD_CPU (1), NGINX (1: include nginx; 0: Nexus only),
# RESULTS_DIR (BUILD_DIR/bench-results/filters-DATE).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build/release}
NEXUS_BIN=${NEXUS_BIN:-$BUILD_DIR/nexus}
UPSTREAM_BIN=${UPSTREAM_BIN:-$BUILD_DIR/bench/nexus_test_upstream}
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
REPS=${REPS:-3} DURATION=${DURATION:-15} CONNS=${CONNS:-64} NGINX=${NGINX:-1}
PROXY_CPU=${PROXY_CPU:-0} LOAD_CPU=${LOAD_CPU:-1}
RESULTS_DIR=${RESULTS_DIR:-$BUILD_DIR/bench-results/filters-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$RESULTS_DIR"
WORK=$RESULTS_DIR
chmod 755 "$WORK"  # nginx workers run as another user when started as root
LOG_NAME=bench-filters
# shellcheck source=bench/filter_common.sh
source "$ROOT/bench/filter_common.sh"

UP_PORT=$(free_port) NX_PORT=$(free_port) NGINX_PORT=$(free_port)

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

# nginx's equivalents: the access log as a JSON line (buffered like Nexus's), the API key
# compared by a map (nginx has no hashed keys), its random $request_id, limit_req keyed by
# client address, CORS by a map of allowed origins, gzip on (off below 1,000 bytes) and the
# same response headers (the rate-limit ones constant: nginx has none of its own).
TARGETS="nexus"
if [[ $NGINX == 1 ]]; then
  [[ -x $NGINX_BIN ]] || { log "nginx not found (apt-get install nginx-light)"; exit 1; }
  mkdir -p "$WORK/nginx"
  NGINX_UPSTREAM='proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off;'
  nginx_filters() {  # ACCESS_LOG_LINE: the filtered location's directives
    cat <<NGINX
      $1
      if (\$auth_ok = 0) { return 401; }
      limit_req zone=bench burst=1000000 nodelay;
      gzip on; gzip_min_length 1000; gzip_types application/json;
      add_header X-Request-Id \$request_id always;
      add_header Access-Control-Allow-Origin \$cors_origin always;
      add_header Vary Origin always;
      add_header X-RateLimit-Limit 1000000000 always;
      add_header X-RateLimit-Remaining 999999999 always;
      add_header X-RateLimit-Reset 1 always;
      $NGINX_UPSTREAM
      proxy_set_header X-Request-Id \$request_id;
NGINX
  }
  cat >"$WORK/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
$(nginx_http_common "$UP_PORT")
  log_format line escape=json '{"time":"\$time_iso8601","method":"\$request_method",'
    '"path":"\$request_uri","status":\$status,"bytes_received":\$request_length,'
    '"bytes_sent":\$bytes_sent,"duration_ms":\$request_time,"upstream":"\$upstream_addr",'
    '"upstream_duration_ms":"\$upstream_response_time","client":"\$remote_addr",'
    '"request_id":"\$request_id","host":"\$host","user_agent":"\$http_user_agent"}';
  map \$http_authorization \$auth_ok { "Bearer $KEY" 1; default 0; }
  map \$http_origin \$cors_origin { "https://app.example.com" \$http_origin; default ""; }
  limit_req_zone \$binary_remote_addr zone=bench:1m rate=1000000r/s;
  server {
    listen 127.0.0.1:$NGINX_PORT backlog=4096;
    location /plain/ { $NGINX_UPSTREAM }
    location /filtered/ {
$(nginx_filters "access_log $WORK/nginx/access.log line buffer=64k flush=1s;")
    }
    location /filtered_nolog/ {
$(nginx_filters "")
    }
  }
}
NGINX
  taskset -c "$PROXY_CPU" "$NGINX_BIN" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" \
    -g 'daemon off;' >"$WORK/nginx/stdout.log" 2>&1 &
  PID[nginx]=$!
  wait_http "$NGINX_PORT" || { log "nginx did not start: $(cat "$WORK/nginx/error.log")"; exit 1; }
  TARGETS="nexus nginx"
fi
declare -A PORT=([nexus]=$NX_PORT [nginx]=$NGINX_PORT)

cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
wrk.headers["Origin"] = "https://app.example.com"
wrk.headers["Accept-Encoding"] = "gzip, br"
wrk.body = '$BODY'
LUA

# TARGET ROUTE SECONDS OUT -> "rps p99_us non2xx cpu_us_per_request"
run_wrk() {
  local before after
  before=$(cpu_ticks "$1")
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$3s" --timeout 5s --latency -s "$WORK/post.lua" \
    "http://127.0.0.1:${PORT[$1]}/$2/v1/chat/completions" >"$4" 2>&1
  after=$(cpu_ticks "$1")
  wrk_result "$4" $((after - before))
}

for target in $TARGETS; do
  status=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $KEY" \
    -H 'Origin: https://app.example.com' -d "$BODY" \
    "http://127.0.0.1:${PORT[$target]}/filtered/v1/chat/completions")
  [[ $status == 200 ]] || { log "$target: the filtered route answered $status, not 200"; exit 1; }
done

ROUTES="plain filtered filtered_nolog"
log "warm-up"
for target in $TARGETS; do
  for route in $ROUTES; do
    run_wrk "$target" "$route" 3 "$WORK/warmup-$target-$route.txt" >/dev/null
  done
done
: >"$WORK/results.tsv"
for rep in $(seq "$REPS"); do
  for target in $TARGETS; do
    for route in $ROUTES; do
      result=$(run_wrk "$target" "$route" "$DURATION" "$WORK/wrk-$rep-$target-$route.txt")
      log "rep $rep $target $route: rps p99_us non2xx cpu_us/req = $result"
      echo "$target $route $result" >>"$WORK/results.tsv"
    done
  done
done

awk -v reps="$REPS" -v conns="$CONNS" -v dur="$DURATION" -v targets="$TARGETS" '
  '"$AWK_MEDIAN"'
  { k = $1 " " $2; n[k]++; rps[k, n[k]] = $3; p99[k, n[k]] = $4; bad[k] += $5; cpu[k, n[k]] = $6 }
  END {
    for (k in n) { for (i = 1; i <= n[k]; i++) { x[i] = rps[k, i]; y[i] = p99[k, i]; z[i] = cpu[k, i] }
                   mr[k] = median(x, n[k]); mp[k] = median(y, n[k]); mc[k] = median(z, n[k]) }
    printf "filter chain cost: %d reps x %ds, %d connections, 1 worker (medians)\n", reps, dur, conns
    printf "%-6s %-15s %11s %8s %12s %8s\n", "proxy", "route", "requests/s", "p99 us", "CPU us/req", "non-2xx"
    nt = split(targets, t, " "); split("plain filtered filtered_nolog", order, " ")
    for (j = 1; j <= nt; j++) for (i = 1; i <= 3; i++) {
      k = t[j] " " order[i]
      printf "%-6s %-15s %11.0f %8.0f %12.1f %8d\n", t[j], order[i], mr[k], mp[k], mc[k], bad[k] }
    for (j = 1; j <= nt; j++) for (i = 2; i <= 3; i++) {
      k = t[j] " " order[i]; p = t[j] " plain"
      printf "%s %s/plain: requests/s %.3f (cost %.1f%%), p99 %+.0f us, CPU %+.1f us/req\n",
        t[j], order[i], mr[k] / mr[p], (1 - mr[k] / mr[p]) * 100, mp[k] - mp[p], mc[k] - mc[p]
    }
  }' "$WORK/results.tsv" | tee "$WORK/summary.txt"
rm -f "$WORK/access.log" "$WORK/nginx/access.log"  # grow by gigabytes; the lines were checked above
log "raw outputs kept in $RESULTS_DIR"
