# Sourced by bench/filters.sh, bench/filter_instructions.sh, bench/llm.sh and
# bench/observability.sh: process cleanup, free ports, bounded waits, the request they send (the
# chat body, with the API key the auth filter checks), wrk's summary, the CPU time of a target
# and nginx's common settings. Set LOG_NAME before sourcing.
declare -A PID=()
cleanup() {
  for name in "${!PID[@]}"; do kill -TERM "${PID[$name]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%s %s] %s\n' "$LOG_NAME" "$(date +%H:%M:%S)" "$*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {  # PORT [TRIES]: bounded wait (TRIES x 0.1 s, default 100) until it answers
  for _ in $(seq "${2:-100}"); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" && return 0
    sleep 0.1
  done
  return 1
}

KEY=sk-nexus-bench-0000000000000000
KEY_SHA256=$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)
BODY='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Write one sentence about the benchmark of an LLM gateway written in C++ that proxies OpenAI-compatible requests."}],"temperature":0.2,"max_tokens":64,"stream":false,"user":"bench-0001"}'

# wrk's --latency output FILE and the CPU ticks the serving process used meanwhile ->
# "requests/s p99_us non2xx cpu_us_per_request".
wrk_result() {  # FILE TICKS
  awk -v ticks="$2" -v hz="$(getconf CLK_TCK)" '
    function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000;
                     if (v ~ /s$/) return v * 1e6; return v }
    /requests in/ { n = $1 }
    /Requests\/sec/ { rps = $2 }
    $1 == "99%" { p99 = us($2) }
    /Non-2xx/ { bad = $NF }
    END { printf "%s %.0f %d %.1f\n", rps, p99, bad, n ? ticks * 1e6 / hz / n : 0 }' "$1"
}

# TARGET: user + system ticks of the process serving requests (nginx: its worker), by PID[TARGET].
cpu_ticks() {
  local pid=${PID[$1]}
  [[ $1 == nginx ]] && pid=$(pgrep -P "$pid" | head -1)
  awk '{ print $14 + $15 }' "/proc/$pid/stat"
}

# The median of a[1..n], for the summaries' awk programs.
AWK_MEDIAN='function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }'

# nginx's http-level settings shared by the benchmarks: temporary paths under $WORK/nginx, and
# client and upstream keep-alive that never closes a connection during a run (a pool of 1,024 to
# the test upstream on UP_PORT, named `up`).
nginx_http_common() {  # UP_PORT
  cat <<NGINX
  client_body_temp_path $WORK/nginx/client_body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  keepalive_timeout 300s;
  keepalive_requests 10000000;
  upstream up {
    server 127.0.0.1:$1;
    keepalive 1024;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
  }
NGINX
}
