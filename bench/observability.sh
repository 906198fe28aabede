#!/usr/bin/env bash
# What observability costs: three Nexus processes (1 worker each, pinned to the same core, only
# one under load at a time) on the same route to the same test upstream:
#   bare     no ops listener, no tracing, no access log;
#   obs      metrics (the ops listener, scraped every second meanwhile), tracing with
#            sampling_ratio 1.0 exported to a collector, and the access log written to a file;
#   obs_1pct the same with sampling_ratio 0.01.
# nginx (1 worker, the same core) with its access log on is the reference. The collector is a
# second test upstream, which answers 200 to every export. wrk alternates between the targets.
# Prints requests/s, p99 and CPU time per request of each, and each observed Nexus's ratio to
# the bare one (issue 9's target: under 5 % fewer requests/s). Then, a figure this machine's
# noise cannot move, each Nexus again under callgrind: the instructions per request of all its
# threads (the exporter's and the scrape's included). Method and results: docs/benchmarks.md.
#
# Environment: REPS (3), DURATION (15 s), CONNS (64), BUILD_DIR (build/release),
# PROXY_CPU (0), LOAD_CPU (1), NGINX (1: include nginx; 0: Nexus only), REQUESTS (2000: per
# callgrind run; 0 skips them), RESULTS_DIR (BUILD_DIR/bench-results/observability-DATE).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build/release}
NEXUS_BIN=${NEXUS_BIN:-$BUILD_DIR/nexus}
UPSTREAM_BIN=${UPSTREAM_BIN:-$BUILD_DIR/bench/nexus_test_upstream}
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
REPS=${REPS:-3} DURATION=${DURATION:-15} CONNS=${CONNS:-64} NGINX=${NGINX:-1}
REQUESTS=${REQUESTS:-2000}
PROXY_CPU=${PROXY_CPU:-0} LOAD_CPU=${LOAD_CPU:-1}
RESULTS_DIR=${RESULTS_DIR:-$BUILD_DIR/bench-results/observability-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$RESULTS_DIR"
WORK=$RESULTS_DIR
chmod 755 "$WORK"  # nginx workers run as another user when started as root
LOG_NAME=bench-observability
# shellcheck source=bench/filter_common.sh
source "$ROOT/bench/filter_common.sh"

UP_PORT=$(free_port) COLLECTOR_PORT=$(free_port) NGINX_PORT=$(free_port)
for server in upstream:$UP_PORT collector:$COLLECTOR_PORT; do
  taskset -c "$LOAD_CPU" "$UPSTREAM_BIN" --host 127.0.0.1 --port "${server#*:}" --threads 1 \
    >"$WORK/${server%%:*}.log" 2>&1 &
  PID[${server%%:*}]=$!
  wait_http "${server#*:}" || { log "the test upstream (${server%%:*}) did not start"; exit 1; }
done

declare -A PORT=() OPS_PORT=()
start_nexus() {  # NAME OBSERVABILITY_YAML ACCESS_LOG_YAML
  PORT[$1]=$(free_port)
  cat >"$WORK/$1.yaml" <<YAML
server:
  listen: ["127.0.0.1:${PORT[$1]}"]
  workers: 1
  timeouts: { idle: 300s }
clusters:
  up:
    endpoints: ["127.0.0.1:$UP_PORT"]
    pool: { max_connections: 1024, idle_timeout: 300s }
routes:
  - match: { prefix: / }
    cluster: up
$2
logging:
  level: warn
  access_log: $3
YAML
  "$NEXUS_BIN" validate --config "$WORK/$1.yaml" >/dev/null
  taskset -c "$PROXY_CPU" "$NEXUS_BIN" serve --config "$WORK/$1.yaml" >"$WORK/$1.log" 2>&1 &
  PID[$1]=$!
  wait_http "${PORT[$1]}" || { log "nexus $1 did not start: $(tail -3 "$WORK/$1.log")"; exit 1; }
}
observed() {  # NAME SAMPLING_RATIO
  OPS_PORT[$1]=$(free_port)
  start_nexus "$1" "observability:
  listen: \"127.0.0.1:${OPS_PORT[$1]}\"
  tracing:
    endpoint: http://127.0.0.1:$COLLECTOR_PORT/v1/traces
    sampling_ratio: $2
    service_name: bench" "{ enabled: true, path: \"$WORK/$1-access.log\" }"
}
start_nexus bare "" "{ enabled: false }"
observed obs 1.0
observed obs_1pct 0.01
TARGETS="bare obs obs_1pct"

if [[ $NGINX == 1 ]]; then
  [[ -x $NGINX_BIN ]] || { log "nginx not found (apt-get install nginx-light)"; exit 1; }
  mkdir -p "$WORK/nginx"
  PORT[nginx]=$NGINX_PORT
  cat >"$WORK/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
$(nginx_http_common "$UP_PORT")
  log_format line escape=json '{"time":"\$time_iso8601","method":"\$request_method",'
    '"path":"\$request_uri","status":\$status,"bytes_sent":\$bytes_sent,'
    '"duration_ms":\$request_time,"upstream":"\$upstream_addr","client":"\$remote_addr"}';
  access_log $WORK/nginx/access.log line buffer=64k flush=1s;
  server {
    listen 127.0.0.1:$NGINX_PORT backlog=4096;
    location / {
      proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
NGINX
  taskset -c "$PROXY_CPU" "$NGINX_BIN" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" \
    -g 'daemon off;' >"$WORK/nginx/stdout.log" 2>&1 &
  PID[nginx]=$!
  wait_http "$NGINX_PORT" || { log "nginx did not start: $(cat "$WORK/nginx/error.log")"; exit 1; }
  TARGETS="$TARGETS nginx"
fi

cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$BODY'
LUA

# TARGET SECONDS OUT -> "rps p99_us non2xx cpu_us_per_request". An observed Nexus is scraped
# once a second meanwhile, as Prometheus would.
run_wrk() {
  local before after scraper=""
  if [[ -n ${OPS_PORT[$1]:-} ]]; then
    (for _ in $(seq "$2"); do
      curl -s -o /dev/null --max-time 1 "http://127.0.0.1:${OPS_PORT[$1]}/metrics"
      sleep 1
    done) &
    scraper=$!
  fi
  before=$(cpu_ticks "$1")
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$2s" --timeout 5s --latency -s "$WORK/post.lua" \
    "http://127.0.0.1:${PORT[$1]}/v1/chat/completions" >"$3" 2>&1
  after=$(cpu_ticks "$1")
  [[ -n $scraper ]] && wait "$scraper"
  wrk_result "$3" $((after - before))
}

log "warm-up"
for target in $TARGETS; do
  run_wrk "$target" 3 "$WORK/warmup-$target.txt" >/dev/null
done
# The observed targets really observe: spans reached the collector's port (the exporter's
# counter), the access log has lines, /metrics answers.
for target in obs obs_1pct; do
  metrics=$(curl -s --max-time 2 "http://127.0.0.1:${OPS_PORT[$target]}/metrics")
  exported=$(awk '/^nexus_tracing_exported_spans_total/ { print $2 }' <<<"$metrics")
  [[ -s $WORK/$target-access.log ]] || { log "$target wrote no access log"; exit 1; }
  log "$target after warm-up: spans exported ${exported:-none}"
  [[ -n $exported && $exported != 0 ]] || { log "$target exported no span"; exit 1; }
done

: >"$WORK/results.tsv"
for rep in $(seq "$REPS"); do
  for target in $TARGETS; do
    result=$(run_wrk "$target" "$DURATION" "$WORK/wrk-$rep-$target.txt")
    log "rep $rep $target: rps p99_us non2xx cpu_us/req = $result"
    echo "$target $result" >>"$WORK/results.tsv"
  done
done

awk -v reps="$REPS" -v conns="$CONNS" -v dur="$DURATION" -v targets="$TARGETS" '
  '"$AWK_MEDIAN"'
  { k = $1; n[k]++; rps[k, n[k]] = $2; p99[k, n[k]] = $3; bad[k] += $4; cpu[k, n[k]] = $5 }
  END {
    for (k in n) { for (i = 1; i <= n[k]; i++) { x[i] = rps[k, i]; y[i] = p99[k, i]; z[i] = cpu[k, i] }
                   mr[k] = median(x, n[k]); mp[k] = median(y, n[k]); mc[k] = median(z, n[k]) }
    printf "observability cost: %d reps x %ds, %d connections, 1 worker (medians)\n", reps, dur, conns
    printf "%-9s %11s %8s %12s %8s\n", "target", "requests/s", "p99 us", "CPU us/req", "non-2xx"
    nt = split(targets, t, " ")
    for (j = 1; j <= nt; j++)
      printf "%-9s %11.0f %8.0f %12.1f %8d\n", t[j], mr[t[j]], mp[t[j]], mc[t[j]], bad[t[j]]
    split("obs obs_1pct", observed, " ")
    for (j = 1; j <= 2; j++) {
      k = observed[j]
      printf "%s/bare: requests/s %.3f (cost %.1f%%), p99 %+.0f us, CPU %+.1f us/req\n",
        k, mr[k] / mr["bare"], (1 - mr[k] / mr["bare"]) * 100, mp[k] - mp["bare"], mc[k] - mc["bare"]
    }
    if ("nginx" in n) printf "bare/nginx (access log on): requests/s %.3f\n", mr["bare"] / mr["nginx"]
  }' "$WORK/results.tsv" | tee "$WORK/summary.txt"
rm -f "$WORK"/*-access.log "$WORK/nginx/access.log"  # grow by gigabytes; checked above

# Instructions per request: each Nexus alone under callgrind on its own configuration (the
# same ports, so the others are stopped first), counted over REQUESTS after a warm-up, with
# one scrape inside the window for the observed ones.
if [[ $REQUESTS -gt 0 ]]; then
  printf %s "$BODY" >"$WORK/body.json"
  : >"$WORK/instructions.tsv"
  for target in bare obs obs_1pct; do
    kill -TERM "${PID[$target]}"
    wait "${PID[$target]}" 2>/dev/null || true
  done
  for target in bare obs obs_1pct; do
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/callgrind-$target.out" \
      "$NEXUS_BIN" serve --config "$WORK/$target.yaml" >"$WORK/callgrind-$target.log" 2>&1 &
    PID[$target]=$!
    wait_http "${PORT[$target]}" 300 || { log "$target did not start under callgrind"; exit 1; }
    load() {
      h2load --h1 -n "$1" -c 8 -d "$WORK/body.json" -H 'Content-Type: application/json' \
        "http://127.0.0.1:${PORT[$target]}/v1/chat/completions"
    }
    load 200 >/dev/null
    callgrind_control --instr=on "${PID[$target]}" >/dev/null 2>&1
    load "$REQUESTS" >"$WORK/h2load-$target.txt"
    [[ -n ${OPS_PORT[$target]:-} ]] &&
      curl -s -o /dev/null --max-time 10 "http://127.0.0.1:${OPS_PORT[$target]}/metrics"
    callgrind_control --instr=off "${PID[$target]}" >/dev/null 2>&1
    kill -TERM "${PID[$target]}"
    wait "${PID[$target]}" 2>/dev/null || true
    unset "PID[$target]"
    grep -q "$REQUESTS succeeded" "$WORK/h2load-$target.txt" ||
      { log "$target: not every request succeeded under callgrind"; exit 1; }
    total=$(callgrind_annotate "$WORK/callgrind-$target.out" |
      awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
    echo "$target $((total / REQUESTS))" >>"$WORK/instructions.tsv"
  done
  awk -v n="$REQUESTS" '
    { ir[$1] = $2; order[++count] = $1 }
    END {
      printf "instructions per request (user space, all threads; %d requests each)\n", n
      for (i = 1; i <= count; i++) { r = order[i]
        printf "%-9s %10d %+10d (%+.1f%%)\n", r, ir[r], ir[r] - ir["bare"], (ir[r] / ir["bare"] - 1) * 100 }
    }' "$WORK/instructions.tsv" | tee -a "$WORK/summary.txt"
fi
log "raw outputs kept in $RESULTS_DIR"
