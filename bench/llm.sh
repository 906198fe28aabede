#!/usr/bin/env bash
# The LLM path, side by side in one run: POST /v1/chat/completions to the test upstream directly,
# through nginx as a plain proxy, through Nexus's LLM route (auth by API key on; OpenAI client to
# an OpenAI-compatible provider, to an Anthropic provider, and streamed; and a second Nexus with
# governance: virtual key, limits, budget, ledger), and through Portkey's
# open-source gateway (@portkey-ai/gateway, pointed at the same upstream). Each proxy gets 1
# worker on PROXY_CPU, wrk runs on LOAD_CPU. Prints requests/s, p99 and CPU time per request,
# the ratios the LLM issue sets targets for, then the added p99 latency at a fixed rate and the
# added time to the first streamed token (both from bench/open_loop.cc, on kept-alive
# connections).
# Method and results: docs/benchmarks.md.
#
# Environment: REPS (3), DURATION (10 s), CONNS (64), RATE (5000 requests/s), RATE_DURATION
# (10 s), TTFT_RATE (200 streamed requests/s), PORTKEY (1: include Portkey; its first run
# installs bench/portkey with npm ci), THROUGHPUT (1; 0 skips the wrk phase), BUILD_DIR,
# PROXY_CPU (0), LOAD_CPU (1), RESULTS_DIR (BUILD_DIR/bench-results/llm-DATE).
# PROXY_CPU=1 THROUGHPUT=0 PORTKEY=0 puts every process on one core: the latency phases then
# leave out what a wake-up across cores costs on this VM (about 100 us per hop at 5,000/s, for
# nginx as much as for Nexus) and show what the proxy itself adds.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build/release}
NEXUS_BIN=${NEXUS_BIN:-$BUILD_DIR/nexus}
UPSTREAM_BIN=${UPSTREAM_BIN:-$BUILD_DIR/bench/nexus_test_upstream}
OPEN_LOOP_BIN=${OPEN_LOOP_BIN:-$BUILD_DIR/bench/nexus_open_loop}
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
REPS=${REPS:-3} DURATION=${DURATION:-10} CONNS=${CONNS:-64} PORTKEY=${PORTKEY:-1}
THROUGHPUT=${THROUGHPUT:-1}
RATE=${RATE:-5000} RATE_DURATION=${RATE_DURATION:-10} TTFT_RATE=${TTFT_RATE:-200}
PROXY_CPU=${PROXY_CPU:-0} LOAD_CPU=${LOAD_CPU:-1}
RESULTS_DIR=${RESULTS_DIR:-$BUILD_DIR/bench-results/llm-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$RESULTS_DIR"
WORK=$RESULTS_DIR
chmod 755 "$WORK"  # nginx workers run as another user when started as root
LOG_NAME=bench-llm
# shellcheck source=bench/filter_common.sh
source "$ROOT/bench/filter_common.sh"

UP_PORT=$(free_port) NX_PORT=$(free_port) NGINX_PORT=$(free_port) PK_PORT=$(free_port)
GOV_PORT=$(free_port) GOV_ADMIN_PORT=$(free_port)

taskset -c "$LOAD_CPU" "$UPSTREAM_BIN" --host 127.0.0.1 --port "$UP_PORT" --threads 1 \
  >"$WORK/upstream.log" 2>&1 &
PID[upstream]=$!
wait_http "$UP_PORT" || { log "the test upstream did not start"; exit 1; }

cat >"$WORK/nexus.yaml" <<YAML
server:
  listen: ["127.0.0.1:$NX_PORT"]
  workers: 1
  timeouts: { idle: 300s }
providers:
  oai: { type: openai_compatible, base_url: "http://127.0.0.1:$UP_PORT/v1", api_key: sk-up }
  oai_stream: { type: openai_compatible, base_url: "http://127.0.0.1:$UP_PORT/stream", api_key: sk-up }
  oai_paced: { type: openai_compatible, base_url: "http://127.0.0.1:$UP_PORT/paced", api_key: sk-up }
  claude: { type: anthropic, base_url: "http://127.0.0.1:$UP_PORT/anthropic", api_key: sk-up }
models:
  - { name: gpt-4o-mini, provider: oai }
  - { name: gpt-4o-mini-stream, provider: oai_stream, model: gpt-4o-mini }
  - { name: gpt-4o-mini-paced, provider: oai_paced, model: gpt-4o-mini }
  - { name: claude, provider: claude, model: claude-sonnet-4-5 }
routes:
  - match: { prefix: /v1/ }
    llm: {}
    filters:
      - auth: { api_keys: { keys: [{ name: bench, sha256: "$KEY_SHA256" }] } }
logging: { level: warn, access_log: { enabled: false } }
YAML
taskset -c "$PROXY_CPU" "$NEXUS_BIN" serve --config "$WORK/nexus.yaml" >"$WORK/nexus.log" 2>&1 &
PID[nexus]=$!
wait_http "$NX_PORT" || { log "nexus did not start: $(cat "$WORK/nexus.log")"; exit 1; }

# The same OpenAI -> OpenAI route under governance: a virtual key (hashed lookup) with limits and
# a budget on the key and its organization, so each request is authenticated, admitted against
# rpm, tpm, max_parallel and a reserved worst-case cost, settled, and written to the SQLite
# ledger (synchronous=FULL, group commit) before its answer's last bytes leave.
GOV_ADMIN_KEY=$(head -c 32 /dev/urandom | base64 | tr -d '/+=\n')
sed -e "s/127.0.0.1:$NX_PORT/127.0.0.1:$GOV_PORT/" -e '/auth: { api_keys/d' -e '/filters:/d' \
  "$WORK/nexus.yaml" >"$WORK/nexus-governed.yaml"
cat >>"$WORK/nexus-governed.yaml" <<YAML
governance:
  store: "sqlite:$WORK/governed.db"
  admin:
    listen: 127.0.0.1:$GOV_ADMIN_PORT
    key_sha256: "$(printf %s "$GOV_ADMIN_KEY" | sha256sum | cut -d' ' -f1)"
YAML
taskset -c "$PROXY_CPU" "$NEXUS_BIN" serve --config "$WORK/nexus-governed.yaml" \
  >"$WORK/nexus-governed.log" 2>&1 &
PID[nexus_governed]=$!
wait_http "$GOV_PORT" || { log "governed nexus did not start: $(cat "$WORK/nexus-governed.log")"; exit 1; }
admin_post() {  # PATH JSON -> the created object's id
  curl -sf -H "Authorization: Bearer $GOV_ADMIN_KEY" -H 'Content-Type: application/json' -d "$2" \
    "http://127.0.0.1:$GOV_ADMIN_PORT/admin/v1/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
GOV_LIMITS='"limits":{"rpm":100000000,"tpm":100000000000,"max_parallel":100000}'
GOV_BUDGET='"budget":{"hard_usd":1000000,"soft_usd":900000,"period":"monthly"}'
gov_org=$(admin_post orgs "{\"name\":\"bench\",$GOV_LIMITS,$GOV_BUDGET}")
GOV_KEY=$(curl -sf -H "Authorization: Bearer $GOV_ADMIN_KEY" -H 'Content-Type: application/json' \
  -d "{\"name\":\"bench\",\"org_id\":\"$gov_org\",$GOV_LIMITS,$GOV_BUDGET}" \
  "http://127.0.0.1:$GOV_ADMIN_PORT/admin/v1/keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
[[ $GOV_KEY == nx-* ]] || { log "could not make the governed key"; exit 1; }

[[ -x $NGINX_BIN ]] || { log "nginx not found (apt-get install nginx-light)"; exit 1; }
mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/client_body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  upstream up { server 127.0.0.1:$UP_PORT; keepalive 256; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    keepalive_requests 1000000;
    location / {
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
NGINX
taskset -c "$PROXY_CPU" "$NGINX_BIN" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" \
  -g 'daemon off;' >"$WORK/nginx/stdout.log" 2>&1 &
PID[nginx]=$!
wait_http "$NGINX_PORT" || { log "nginx did not start: $(cat "$WORK/nginx/error.log")"; exit 1; }

TARGETS="direct nginx nexus nexus_governed nexus_anthropic nexus_stream"
declare -A PORT=([direct]=$UP_PORT [nginx]=$NGINX_PORT [nexus]=$NX_PORT [nexus_anthropic]=$NX_PORT
  [nexus_stream]=$NX_PORT [nexus_governed]=$GOV_PORT [portkey]=$PK_PORT)
declare -A AUTH=([nexus_governed]=$GOV_KEY)
declare -A MODEL=([nexus_anthropic]=claude [nexus_stream]=gpt-4o-mini-stream)
if [[ $PORTKEY == 1 ]]; then
  if [[ ! -d $ROOT/bench/portkey/node_modules ]]; then
    log "installing Portkey's gateway (bench/portkey, npm ci)"
    npm ci --prefix "$ROOT/bench/portkey" --no-audit --no-fund --loglevel=error >/dev/null
  fi
  NODE_ENV=production taskset -c "$PROXY_CPU" node \
    "$ROOT/bench/portkey/node_modules/@portkey-ai/gateway/build/start-server.js" \
    --port="$PK_PORT" --headless >"$WORK/portkey.log" 2>&1 &
  PID[portkey]=$!
  wait_http "$PK_PORT" || { log "Portkey did not start: $(cat "$WORK/portkey.log")"; exit 1; }
  TARGETS="$TARGETS portkey"
fi

# One wrk script per target: the same OpenAI request, with the model (and stream) it names, and
# the headers that proxy needs (Portkey: the provider and the upstream as its custom host).
for target in $TARGETS; do
  model=${MODEL[$target]:-gpt-4o-mini}
  body=${BODY/\"model\":\"gpt-4o-mini\"/\"model\":\"$model\"}
  [[ $target == nexus_stream ]] &&
    body=${body/\"stream\":false/\"stream\":true,\"stream_options\":\{\"include_usage\":true\}}
  {
    echo 'wrk.method = "POST"'
    echo 'wrk.headers["Content-Type"] = "application/json"'
    echo "wrk.headers[\"Authorization\"] = \"Bearer ${AUTH[$target]:-$KEY}\""
    if [[ $target == portkey ]]; then
      echo 'wrk.headers["x-portkey-provider"] = "openai"'
      echo "wrk.headers[\"x-portkey-custom-host\"] = \"http://127.0.0.1:$UP_PORT/v1\""
    fi
    echo "wrk.body = '$body'"
  } >"$WORK/$target.lua"
  printf '%s' "$body" >"$WORK/$target.json"
  status=$(curl -s -o "$WORK/$target.check" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' -H "Authorization: Bearer ${AUTH[$target]:-$KEY}" \
    -H 'x-portkey-provider: openai' -H "x-portkey-custom-host: http://127.0.0.1:$UP_PORT/v1" \
    --data-binary "@$WORK/$target.json" "http://127.0.0.1:${PORT[$target]}/v1/chat/completions")
  [[ $status == 200 ]] || { log "$target answered $status: $(head -c 300 "$WORK/$target.check")"; exit 1; }
done
grep -q '"usage"' "$WORK/nexus_stream.check" || { log "the Nexus stream carries no usage"; exit 1; }

cpu_ticks() {  # TARGET: user + system ticks of the process serving it (nginx: its worker)
  local pid=${PID[$1]:-}
  case $1 in nexus_governed) ;; nexus*) pid=${PID[nexus]} ;; direct) pid=${PID[upstream]} ;; esac
  [[ $1 == nginx ]] && pid=$(pgrep -P "$pid" | head -1)
  awk '{ print $14 + $15 }' "/proc/$pid/stat"
}

# TARGET SECONDS OUT -> "rps p99_us non2xx cpu_us_per_request"
run_wrk() {
  local before after
  before=$(cpu_ticks "$1")
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$2s" --timeout 5s --latency -s "$WORK/$1.lua" \
    "http://127.0.0.1:${PORT[$1]}/v1/chat/completions" >"$3" 2>&1
  after=$(cpu_ticks "$1")
  wrk_result "$3" $((after - before))
}

log "warm-up"
for target in $TARGETS; do run_wrk "$target" 2 "$WORK/warmup-$target.txt" >/dev/null; done
: >"$WORK/results.tsv"
for rep in $(seq "$REPS"); do
  [[ $THROUGHPUT == 1 ]] || break
  for target in $TARGETS; do
    result=$(run_wrk "$target" "$DURATION" "$WORK/wrk-$rep-$target.txt")
    log "rep $rep $target: rps p99_us non2xx cpu_us/req = $result"
    echo "$target $result" >>"$WORK/results.tsv"
  done
done

# Added latency at a fixed rate: nexus_open_loop sends RATE requests/s, evenly spaced, for
# RATE_DURATION seconds after a 1-s warm-up, each timed from when it was due (h2load --rps sends
# its clients' requests in bursts; see bench/open_loop.cc); p50/p99 next to the upstream's own.
# Then the time to the first streamed token: the same tool at TTFT_RATE requests/s on kept-alive
# connections, its time to the first response byte of a translated stream whose provider sends
# the first token with the head and one more per millisecond (/paced; Nexus sends the stream's
# head with its first event).
open_loop() {  # TARGET RATE PATH BODY -> the tool's summary line
  taskset -c "$LOAD_CPU" "$OPEN_LOOP_BIN" --url "http://127.0.0.1:${PORT[$1]}$3" --rate "$2" \
    --duration "$RATE_DURATION" --connections 32 --body "$4" \
    --header 'content-type: application/json' --header "authorization: Bearer ${AUTH[$1]:-$KEY}"
}
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
: >"$WORK/rate.tsv"
for rep in $(seq "$REPS"); do  # interleaved, as the tail of one run on a VM is noisy
  for target in direct nginx nexus nexus_governed nexus_anthropic; do
    line=$(open_loop "$target" "$RATE" /v1/chat/completions "$WORK/$target.json")
    echo "$line" >"$WORK/rate-$rep-$target.txt"
    log "rate $rep $target: $line"
    echo "$target $(field p50_us <<<"$line") $(field p99_us <<<"$line") $(field requests <<<"$line")" \
      >>"$WORK/rate.tsv"
  done
done
sed 's/gpt-4o-mini-stream/gpt-4o-mini-paced/' "$WORK/nexus_stream.json" >"$WORK/nexus_paced.json"
ttft() {  # TARGET PATH -> "p50_us p99_us" of the first byte
  local line
  line=$(open_loop "$1" "$TTFT_RATE" "$2" "$WORK/nexus_paced.json")
  echo "$line" >"$WORK/ttft-$1.txt"
  echo "$(field first_byte_p50_us <<<"$line") $(field first_byte_p99_us <<<"$line")"
}
read -r direct_p50 direct_p99 < <(ttft direct /paced/chat/completions)
read -r nginx_p50 nginx_p99 < <(ttft nginx /paced/chat/completions)
read -r nexus_p50 nexus_p99 < <(ttft nexus_stream /v1/chat/completions)
printf 'direct %s %s\nnginx %s %s\nnexus %s %s\n' "$direct_p50" "$direct_p99" "$nginx_p50" \
  "$nginx_p99" "$nexus_p50" "$nexus_p99" >"$WORK/ttft.tsv"

awk -v reps="$REPS" -v conns="$CONNS" -v dur="$DURATION" -v targets="$TARGETS" -v rate="$RATE" \
  -v ttft_direct="$direct_p50" -v ttft_nginx="$nginx_p50" -v ttft_nexus="$nexus_p50" \
  -v ttft_rate="$TTFT_RATE" '
  function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  FILENAME == ARGV[1] { k = $1; n[k]++; rps[k, n[k]] = $2; p99[k, n[k]] = $3; bad[k] += $4; cpu[k, n[k]] = $5; next }
  { m[$1]++; rp50[$1, m[$1]] = $2; rp99[$1, m[$1]] = $3; rn[$1] += $4 }
  END {
    for (k in n) { for (i = 1; i <= n[k]; i++) { x[i] = rps[k, i]; y[i] = p99[k, i]; z[i] = cpu[k, i] }
                   mr[k] = median(x, n[k]); mp[k] = median(y, n[k]); mc[k] = median(z, n[k]) }
    if (mr["nginx"] > 0) {
      printf "LLM path: %d reps x %ds, %d connections, 1 worker each (medians)\n", reps, dur, conns
      printf "%-16s %11s %9s %12s %8s\n", "target", "requests/s", "p99 us", "CPU us/req", "non-2xx"
      nt = split(targets, t, " ")
      for (j = 1; j <= nt; j++) { k = t[j]
        printf "%-16s %11.0f %9.0f %12.1f %8d\n", k, mr[k], mp[k], mc[k], bad[k] }
      printf "nexus (OpenAI -> OpenAI) / nginx: %.2f (target >= 0.8)\n", mr["nexus"] / mr["nginx"]
      printf "nexus (OpenAI -> Anthropic) / nginx: %.2f (target >= 0.6)\n", mr["nexus_anthropic"] / mr["nginx"]
      printf "nexus governed (virtual key, limits, budget, ledger) / nexus: %.2f; / nginx: %.2f\n",
        mr["nexus_governed"] / mr["nexus"], mr["nexus_governed"] / mr["nginx"]
      if (mr["portkey"] > 0) printf "nexus / portkey: %.0fx (target >= 50x)\n", mr["nexus"] / mr["portkey"]
    }
    printf "at %d requests/s (open loop, evenly spaced; medians of %d): p50 / p99 us, and both added to the upstream'"'"'s\n", rate, reps
    nr = split("direct nginx nexus nexus_governed nexus_anthropic", r, " ")
    for (j = 1; j <= nr; j++) { k = r[j]
      for (i = 1; i <= m[k]; i++) { x[i] = rp50[k, i]; y[i] = rp99[k, i] }
      q50[k] = median(x, m[k]); q99[k] = median(y, m[k])
      printf "%-16s %7d %7d  %+7d %+7d  (%d requests)\n", k, q50[k], q99[k], q50[k] - q50["direct"],
        q99[k] - q99["direct"], rn[k] }
    printf "time to the first streamed token (median at %d/s): direct %d us; added by nginx (plain " \
      "proxy) %+d us, by nexus (passthrough, decoded for usage) %+d us (target <= 100)\n",
      ttft_rate, ttft_direct, ttft_nginx - ttft_direct, ttft_nexus - ttft_direct
  }' "$WORK/results.tsv" "$WORK/rate.tsv" | tee "$WORK/summary.txt"
