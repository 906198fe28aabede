#!/usr/bin/env bash
# Nexus benchmark: the test upstream directly, nginx and Nexus side by side in one run.
# Method and results: docs/benchmarks.md. Builds nothing; `make bench` builds first.
#
# Environment: REPS (3), DURATION (20 s per wrk run), WARMUP (8 s), CONNS ("64 256"),
# RATES ("300 5000"), RATE_DURATION (20 s), SSE_SAMPLES (50), IDLE_CONNS (10000),
# H2_CONNS ("16 64" h2load connections), H2_STREAMS (10 per connection), H2_WARMUP_TIME (2 s
# excluded at the start of every h2load run), H2_CIPHERS (TLS_AES_128_GCM_SHA256: the TLS 1.3
# suite h2load offers, so both servers use the same; empty = h2load's list, servers choose),
# QUICK=1 (1 rep x 5 s, short phases: a smoke test), PHASES ("throughput rate sse memory h2"),
# BUILD_DIR (build/release),
# NEXUS_BIN / UPSTREAM_BIN / IDLE_BIN / NGINX_BIN, PROXY_CPU (0), LOAD_CPU (1),
# RESULTS_DIR (BUILD_DIR/bench-results/DATE: raw outputs and summary.txt are kept there).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build/release}
NEXUS_BIN=${NEXUS_BIN:-$BUILD_DIR/nexus}
UPSTREAM_BIN=${UPSTREAM_BIN:-$BUILD_DIR/bench/nexus_test_upstream}
IDLE_BIN=${IDLE_BIN:-$BUILD_DIR/bench/nexus_idle_clients}
OPEN_LOOP_BIN=${OPEN_LOOP_BIN:-$BUILD_DIR/bench/nexus_open_loop}
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
if [[ ${QUICK:-0} == 1 ]]; then
  REPS=${REPS:-1} DURATION=${DURATION:-5} WARMUP=${WARMUP:-2}
  RATE_DURATION=${RATE_DURATION:-5} SSE_SAMPLES=${SSE_SAMPLES:-20} H2_WARMUP_TIME=${H2_WARMUP_TIME:-1}
else
  REPS=${REPS:-3} DURATION=${DURATION:-20} WARMUP=${WARMUP:-8}
  RATE_DURATION=${RATE_DURATION:-20} SSE_SAMPLES=${SSE_SAMPLES:-50} H2_WARMUP_TIME=${H2_WARMUP_TIME:-2}
fi
CONNS=${CONNS:-"64 256"}
RATES=${RATES:-"300 5000"}
RATE_CLIENTS=32
SSE_INTERVAL_MS=20
IDLE_CONNS=${IDLE_CONNS:-10000}
H2_CONNS=${H2_CONNS:-"16 64"}
H2_STREAMS=${H2_STREAMS:-10}
H2_CIPHERS=${H2_CIPHERS-TLS_AES_128_GCM_SHA256}
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
RESULTS_DIR=${RESULTS_DIR:-$BUILD_DIR/bench-results/$(date +%Y%m%d-%H%M%S)}
PHASES=" ${PHASES:-throughput rate sse memory h2} "

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in wrk h2load python3 taskset curl; do
  command -v "$tool" >/dev/null || die "$tool not found (run scripts/setup.sh)"
done
for bin in "$UPSTREAM_BIN" "$OPEN_LOOP_BIN"; do
  [[ -x $bin ]] || die "$bin missing: build first (make bench / make build)"
done
[[ -x $NGINX_BIN ]] || die "nginx not found (apt-get install nginx-light)"
[[ $PHASES != *" h2 "* ]] || command -v openssl >/dev/null || die "openssl not found (for the h2 phase)"

WORK=$(mktemp -d /tmp/nexus-bench.XXXXXX)
chmod 755 "$WORK"  # nginx workers run as another user when started as root
mkdir -p "$RESULTS_DIR"
declare -A PID=()

cleanup() {
  local rc=$? name
  trap - EXIT INT TERM
  for name in "${!PID[@]}"; do kill -TERM "${PID[$name]}" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for name in "${!PID[@]}"; do kill -0 "${PID[$name]}" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for name in "${!PID[@]}"; do kill -KILL "${PID[$name]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  cp -r "$WORK"/. "$RESULTS_DIR"/ 2>/dev/null || true
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Children inherit this: 10,000 idle connections need file descriptors in every server.
NOFILE=$(ulimit -Hn)
[[ $NOFILE == unlimited ]] && NOFILE=1048576
ulimit -n "$NOFILE"
if ((NOFILE < IDLE_CONNS + 1024)); then
  IDLE_CONNS=$((NOFILE - 1024))
  log "RLIMIT_NOFILE hard limit $NOFILE: idle connection test reduced to $IDLE_CONNS"
fi

# --- helpers ----------------------------------------------------------------------------------
cat >"$WORK/tools.py" <<'PY'
#!/usr/bin/env python3
"""Helpers of bench/run.sh: free ports, wrk output parsing, percentiles, SSE timing, tables.

Standard library only. Subcommands:
  ports N                          print N free TCP ports on 127.0.0.1
  wrk FILE                         print "rps p50_ms p99_ms requests errors" from wrk --latency output
  open-loop-log FILE               print "count failed p50_ms p99_ms" from a nexus_open_loop --log
  h2load FILE                      print "rps mean_ms sd_ms max_ms done failed tls" from h2load output
  sse PORT SAMPLES INTERVAL_MS     median/p90 time to first SSE event (ms) on one keep-alive conn
  summary DIR                      print the result tables from the files run.sh wrote in DIR
"""
import socket
import statistics
import sys
import time
from pathlib import Path


def free_ports(count):
    socks, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def to_ms(text):
    for unit, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    return float(text)


def parse_wrk(path):
    rps = p50 = p99 = None
    requests = errors = 0
    for line in Path(path).read_text().splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            rps = float(words[1])
        elif "requests in" in line:
            requests = int(words[0])
        elif words[:1] == ["50%"]:
            p50 = to_ms(words[1])
        elif words[:1] == ["99%"]:
            p99 = to_ms(words[1])
        elif line.strip().startswith("Socket errors:"):
            errors += sum(int(w.strip(",")) for w in words if w.strip(",").isdigit())
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            errors += int(words[-1])
    if rps is None or p50 is None or p99 is None:
        raise SystemExit(f"cannot parse wrk output {path}")
    return rps, p50, p99, requests, errors


def percentile(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, int(round(q * (len(values) - 1)))))
    return values[index]


def parse_open_loop_log(path):
    """nexus_open_loop --log: "due_offset_us latency_us first_byte_us status" per request."""
    times, failed = [], 0
    for line in Path(path).read_text().splitlines():
        cols = line.split()
        if len(cols) == 4:
            if not cols[3].startswith("2"):
                failed += 1
            times.append(int(cols[1]) / 1000.0)
    return len(times), percentile(times, 0.50), percentile(times, 0.99), failed


def parse_h2load(path):
    """h2load's summary: req/s of the main duration, its "time for request" mean/sd/max, how many
    requests completed, how many of those did not get a 2xx, and the negotiated TLS/ALPN."""
    rps = mean = sd = slowest = None
    done = failed = ok = 0
    tls = {}
    for line in Path(path).read_text().splitlines():
        words = line.replace(",", "").split()
        if line.startswith("finished in"):
            rps = float(words[3])
        elif line.startswith("requests:"):
            done, failed = int(words[5]), int(words[9])
        elif line.startswith("status codes:"):
            ok = int(words[2])
        elif line.startswith("time for request:"):
            slowest, mean, sd = to_ms(words[4]), to_ms(words[5]), to_ms(words[6])
        elif line.startswith(("TLS Protocol:", "Cipher:", "Application protocol:")):
            key, _, value = line.partition(":")
            tls[key] = value.strip()
    if rps is None or mean is None:
        raise SystemExit(f"cannot parse h2load output {path}")
    alpn = tls.get("Application protocol", "none")
    # "done" counts every completed request; "failed" the errored ones and those with status >= 400.
    failed = max(failed, done - ok)
    if alpn != "h2":
        print(f"{path}: ALPN chose {alpn!r}, not h2: every request counted as failed", file=sys.stderr)
        failed = max(done, 1)
    return rps, mean, sd, slowest, done, failed, \
        f"{tls.get('TLS Protocol', 'none')}/{tls.get('Cipher', 'none')}/{alpn}"


class SseClient:
    """One keep-alive connection; times the first `data:` event of each /sse response."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed")
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def sample(self, interval_ms):
        request = (f"GET /sse?events=2&interval_ms={interval_ms} HTTP/1.1\r\n"
                   "Host: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n").encode()
        start = time.perf_counter()
        self.sock.sendall(request)
        status = self._line()
        headers = {}
        while True:
            line = self._line()
            if not line:
                break
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip().lower()
        if not status.startswith(b"HTTP/1.1 200"):
            raise ConnectionError(f"unexpected status {status!r}")
        first = None
        body = b""
        if "chunked" in headers.get("transfer-encoding", ""):
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                body += self._take(size)
                self._take(2)
                if first is None and b"data:" in body:
                    first = time.perf_counter()
        else:
            length = int(headers.get("content-length", "0"))
            while len(self.buf) < length:
                if first is None and b"data:" in self.buf:
                    first = time.perf_counter()
                self._fill()
            body = self._take(length)
        if first is None:
            first = time.perf_counter()
        if b"[DONE]" not in body:
            raise ConnectionError("stream without [DONE]")
        return (first - start) * 1000.0


def sse(port, samples, interval_ms):
    client = SseClient(port)
    for _ in range(3):
        client.sample(interval_ms)
    times = [client.sample(interval_ms) for _ in range(samples)]
    print(f"{statistics.median(times):.3f} {percentile(times, 0.9):.3f}")


def fmt_rps(value):
    return f"{value / 1000:.1f}k"


def throughput_table(by):
    print("\n== Throughput (wrk -t1, POST ~300-byte chat body): medians, [min-max] over repetitions ==")
    print(f"{'target':8} {'conns':>5} {'req/s':>8} {'[min-max]':>15} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'errors':>6} {'CPU%':>5} {'CPU us/req':>10}")
    for (conns, target), vals in sorted(by.items(), key=lambda kv: (kv[0][0], order(kv[0][1]))):
        col = list(zip(*vals))
        rps = col[1]
        print(f"{target:8} {conns:5d} {fmt_rps(statistics.median(rps)):>8} "
              f"{'[' + fmt_rps(min(rps)) + '-' + fmt_rps(max(rps)) + ']':>15} "
              f"{statistics.median(col[2]):7.3f} {statistics.median(col[3]):7.3f} "
              f"{int(sum(col[5])):6d} {statistics.median(col[7]):5.0f} {statistics.median(col[6]):10.1f}")
    print("(CPU = the server process tree of that target: the upstream for direct, the proxy otherwise;"
          " CPU% under ~90 means the load generator was the limit)")
    for conns in sorted({c for c, _ in by}):
        nginx, nexus = by.get((conns, "nginx")), by.get((conns, "nexus"))
        if not nginx or not nexus:
            continue
        ng = {v[0]: v for v in nginx}
        pairs = [(v, ng[v[0]]) for v in nexus if v[0] in ng]
        rps_r = [a[1] / b[1] for a, b in pairs]
        p99_r = [a[3] / b[3] for a, b in pairs]
        cpu_r = [a[6] / b[6] for a, b in pairs if b[6] > 0]
        print(f"nexus/nginx at {conns} conns, per repetition: req/s "
              + " ".join(f"{r:.2f}" for r in rps_r) + f" (median {statistics.median(rps_r):.2f});"
              + " p99 " + " ".join(f"{r:.2f}" for r in p99_r) + f" (median {statistics.median(p99_r):.2f})"
              + (f"; CPU/req median {statistics.median(cpu_r):.2f}" if cpu_r else ""))
        rps_ok = statistics.median(rps_r) >= 1.0
        p99_ok = statistics.median(p99_r) <= 1.2
        print(f"  goal req/s >= 1.0x nginx: {'met' if rps_ok else 'NOT met'}; "
              f"p99 <= 1.2x nginx: {'met' if p99_ok else 'NOT met'} (differences under 10 % are a tie)")


def h2_table(rows):
    # rep conns streams target rps mean sd max done failed cpu_us_per_req cpu_pct tls
    by, tls = {}, {}
    for rep, conns, streams, target, *vals, proto in rows:
        by.setdefault((int(conns), int(streams), target), []).append((int(rep), *map(float, vals)))
        tls.setdefault(target, set()).add(proto)
    print("\n== HTTP/2 over TLS (h2load -t1 -cC -mM, POST ~300-byte chat body; the proxies speak HTTP/1.1"
          " upstream): medians, [min-max] over repetitions ==")
    print(f"{'target':8} {'conns':>5} {'strms':>5} {'req/s':>8} {'[min-max]':>15} {'mean ms':>7} "
          f"{'sd ms':>7} {'max ms':>7} {'failed':>6} {'CPU%':>5} {'CPU us/req':>10}")
    for (conns, streams, target), vals in sorted(by.items(), key=lambda kv: (kv[0][:2], order(kv[0][2]))):
        col = list(zip(*vals))
        rps = col[1]
        print(f"{target:8} {conns:5d} {streams:5d} {fmt_rps(statistics.median(rps)):>8} "
              f"{'[' + fmt_rps(min(rps)) + '-' + fmt_rps(max(rps)) + ']':>15} "
              f"{statistics.median(col[2]):7.3f} {statistics.median(col[3]):7.3f} "
              f"{statistics.median(col[4]):7.1f} {int(sum(col[6])):6d} {statistics.median(col[8]):5.0f} "
              f"{statistics.median(col[7]):10.1f}")
    print("(latency = h2load's \"time for request\" over the main duration: mean, standard deviation,"
          " maximum; h2load reports no percentiles. failed = requests without a 2xx, summed over repetitions)")
    print("TLS/ALPN negotiated: " + "; ".join(f"{t} {', '.join(sorted(p))}" for t, p in sorted(
        tls.items(), key=lambda kv: order(kv[0]))))
    if len({frozenset(p) for p in tls.values()}) > 1:
        print("  WARNING: the targets negotiated different TLS parameters: not a like-for-like comparison")
    for conns, streams in sorted({k[:2] for k in by}):
        nginx, nexus = by.get((conns, streams, "nginx")), by.get((conns, streams, "nexus"))
        if not nginx or not nexus:
            continue
        failed = {t: int(sum(v[6] for v in vals)) for t, vals in (("nginx", nginx), ("nexus", nexus))}
        if any(failed.values()):
            print(f"!! nexus/nginx at {conns}x{streams}: NO RATIO: requests failed (nexus {failed['nexus']},"
                  f" nginx {failed['nginx']}); see h2-*.txt in the results")
            continue
        ng = {v[0]: v for v in nginx}
        pairs = [(v, ng[v[0]]) for v in nexus if v[0] in ng]
        rps_r = [a[1] / b[1] for a, b in pairs]
        mean_r = [a[2] / b[2] for a, b in pairs]
        cpu_r = [a[7] / b[7] for a, b in pairs if b[7] > 0]
        print(f"nexus/nginx at {conns} conns x {streams} streams, per repetition: req/s "
              + " ".join(f"{r:.2f}" for r in rps_r) + f" (median {statistics.median(rps_r):.2f});"
              + " mean latency " + " ".join(f"{r:.2f}" for r in mean_r)
              + f" (median {statistics.median(mean_r):.2f})"
              + (f"; CPU/req median {statistics.median(cpu_r):.2f}" if cpu_r else ""))
        print(f"  goal req/s >= 1.0x nginx over HTTP/2: "
              f"{'met' if statistics.median(rps_r) >= 1.0 else 'NOT met'} (differences under 10 % are a tie)")


def summary(directory):
    d = Path(directory)
    rows = [line.split() for line in (d / "wrk.tsv").read_text().splitlines() if line.strip()]
    # rep conns target rps p50 p99 requests errors cpu_us_per_req cpu_pct
    by = {}
    for rep, conns, target, *vals in rows:
        by.setdefault((int(conns), target), []).append((int(rep), *map(float, vals)))
    if by:
        throughput_table(by)
    h2_file = d / "h2.tsv"
    if h2_file.exists() and h2_file.read_text().strip():
        h2_table([line.split() for line in h2_file.read_text().splitlines() if line.strip()])
    rate_file = d / "rate.tsv"
    if rate_file.exists() and rate_file.read_text().strip():
        print("\n== Fixed-rate latency (nexus_open_loop, 32 connections, POST): ms, added = minus direct ==")
        print(f"{'target':8} {'rate/s':>6} {'n':>7} {'failed':>6} {'p50':>7} {'p99':>7} {'+p50':>7} {'+p99':>7}")
        rates = [line.split() for line in rate_file.read_text().splitlines() if line.strip()]
        base = {r[1]: (float(r[4]), float(r[5])) for r in rates if r[0] == "direct"}
        for target, rate, n, failed, p50, p99 in sorted(rates, key=lambda r: (int(r[1]), order(r[0]))):
            b = base.get(rate, (float("nan"),) * 2)
            print(f"{target:8} {rate:>6} {n:>7} {failed:>6} {float(p50):7.3f} {float(p99):7.3f} "
                  f"{float(p50) - b[0]:+7.3f} {float(p99) - b[1]:+7.3f}")
    sse_file = d / "sse.tsv"
    if sse_file.exists() and sse_file.read_text().strip():
        print("\n== SSE time to first event (events 20 ms apart; ms; added = minus direct) ==")
        rows = [line.split() for line in sse_file.read_text().splitlines() if line.strip()]
        base = {r[0]: float(r[1]) for r in rows}.get("direct", float("nan"))
        for target, median, p90 in rows:
            print(f"{target:8} median {float(median):7.3f}  p90 {float(p90):7.3f}  "
                  f"added {float(median) - base:+.3f}")
    rss_file = d / "rss.tsv"
    if rss_file.exists() and rss_file.read_text().strip():
        print("\n== Memory (VmRSS of the process tree, KiB) ==")
        print(f"{'target':8} {'fresh':>8} {'before':>8} {'with N idle':>12} {'N':>6} {'bytes/conn':>10}")
        for target, fresh, before, loaded, n in (l.split() for l in rss_file.read_text().splitlines() if l.strip()):
            per = (int(loaded) - int(before)) * 1024 / int(n) if loaded != "-" else float("nan")
            goal = ("  (goal < 4096: " + ("met)" if per < 4096 else "NOT met)")) if target == "nexus" else ""
            print(f"{target:8} {fresh:>8} {before:>8} {loaded:>12} {n:>6} {per:10.0f}{goal}")
        print("(fresh = just started; before = after the load phases, just before opening the idle"
              " connections; nginx preallocates its connection array, so its per-connection delta is small)")


def order(target):
    return {"direct": 0, "nginx": 1, "nexus": 2}.get(target, 3)


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "ports":
        print(" ".join(map(str, free_ports(int(argv[2])))))
    elif cmd == "wrk":
        rps, p50, p99, requests, errors = parse_wrk(argv[2])
        print(f"{rps:.1f} {p50:.3f} {p99:.3f} {requests} {errors}")
    elif cmd == "open-loop-log":
        n, p50, p99, failed = parse_open_loop_log(argv[2])
        if n == 0:
            print(f"no requests in {argv[2]}", file=sys.stderr)
            return 1
        print(f"{n} {failed} {p50:.3f} {p99:.3f}")
    elif cmd == "h2load":
        rps, mean, sd, slowest, done, failed, tls = parse_h2load(argv[2])
        print(f"{rps:.1f} {mean:.3f} {sd:.3f} {slowest:.3f} {done} {failed} {tls}")
    elif cmd == "sse":
        sse(int(argv[2]), int(argv[3]), int(argv[4]))
    elif cmd == "summary":
        summary(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
PY
tools() { python3 "$WORK/tools.py" "$@"; }

# Process tree of a PID (itself and its children, recursively).
tree() {
  local pid=$1 child
  echo "$pid"
  for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do tree "$child"; done
}
cpu_ticks() {  # utime + stime of the tree, in clock ticks
  local sum=0 p
  for p in $(tree "$1"); do
    sum=$((sum + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' /proc/"$p"/stat 2>/dev/null || echo 0)))
  done
  echo "$sum"
}
rss_kib() {
  local sum=0 p
  for p in $(tree "$1"); do
    sum=$((sum + $(awk '/^VmRSS:/ {print $2}' /proc/"$p"/status 2>/dev/null || echo 0)))
  done
  echo "$sum"
}
wait_http() {  # wait until PORT answers HTTP, while PID lives; bounded
  local name=$1 port=$2 pid=$3
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 1
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/v1/models" && return 0
    sleep 0.1
  done
  log "$name did not answer on port $port within 10 s"
  return 1
}

declare -A LOGFILE=() DEAD=()
running() {  # TARGET [WHAT]: true while its server lives; reports a death once
  local t=$1 pid=${PID[$1]:-} state=
  [[ -n ${DEAD[$t]:-} ]] && return 1
  [[ -n $pid && -r /proc/$pid/stat ]] && state=$(awk '{sub(/^.*\) /, ""); print $1}' /proc/"$pid"/stat)
  [[ -n $state && $state != Z ]] && return 0
  DEAD[$t]=1
  echo "$t EXITED (noticed ${2:-during the run}); last log lines: $(tail -3 "${LOGFILE[$t]}" | tr '\n' ' ')" |
    tee -a "$WORK/events.txt" >&2
  return 1
}

busy_pct() {  # share of all CPUs busy during 1 s: other tenants' load while our servers idle
  local a b
  a=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat)
  sleep 1
  b=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x); split(b, y); busy = y[1] - x[1];
    idle = y[2] - x[2]; printf "%.0f", busy + idle ? busy * 100 / (busy + idle) : 0 }'
}

read -r UP_PORT NGINX_PORT NEXUS_PORT NGINX_H2_PORT NEXUS_H2_PORT < <(tools ports 5)
declare -A PORT=([direct]=$UP_PORT [nginx]=$NGINX_PORT [nexus]=$NEXUS_PORT)
declare -A H2_PORT=([nginx]=$NGINX_H2_PORT [nexus]=$NEXUS_H2_PORT)
CLK_TCK=$(getconf CLK_TCK)

# --- test upstream: core LOAD_CPU, shared with the load generators ------------------------------
taskset -c "$LOAD_CPU" "$UPSTREAM_BIN" --host 127.0.0.1 --port "$UP_PORT" --threads 1 \
  >"$WORK/upstream.log" 2>&1 &
PID[direct]=$!
LOGFILE[direct]=$WORK/upstream.log
wait_http upstream "$UP_PORT" "${PID[direct]}" || die "test upstream failed: $(cat "$WORK/upstream.log")"
TARGETS=(direct)

# --- h2 phase only: a self-signed certificate, and a TLS listener (ALPN h2) in each proxy ------
NGINX_H2_SERVER='' NEXUS_H2_LISTENER='' NEXUS_H2_LIMITS=''
if [[ $PHASES == *" h2 "* ]]; then
  mkdir -p "$WORK/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" >"$WORK/tls/openssl.log" 2>&1 ||
    die "openssl could not make the test certificate: $(cat "$WORK/tls/openssl.log")"
  # Both at TLS 1.2-1.3 (nginx 1.22's default omits 1.3) and at most 100 concurrent streams.
  NGINX_H2_SERVER="
  server {
    listen 127.0.0.1:$NGINX_H2_PORT ssl http2 backlog=4096;
    ssl_certificate $WORK/tls/cert.pem;
    ssl_certificate_key $WORK/tls/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    http2_max_concurrent_streams 100;
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_buffering off;
    }
  }"
  NEXUS_H2_LISTENER=", {address: \"127.0.0.1:$NEXUS_H2_PORT\","
  NEXUS_H2_LISTENER+=" tls: {certificates: [{cert: \"$WORK/tls/cert.pem\", key: \"$WORK/tls/key.pem\"}]}}"
  NEXUS_H2_LIMITS="
  http2: { max_concurrent_streams: 100 }"
fi

# --- nginx: one worker, core PROXY_CPU --------------------------------------------------------
mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile $NOFILE;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections $((NOFILE - 100)); }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/client_body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  keepalive_timeout 300s;
  keepalive_requests 10000000;
  upstream bench_upstream {
    server 127.0.0.1:$UP_PORT;
    keepalive 1024;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT backlog=4096;
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }$NGINX_H2_SERVER
}
EOF
taskset -c "$PROXY_CPU" "$NGINX_BIN" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" \
  -g 'daemon off;' >"$WORK/nginx/stdout.log" 2>&1 &
PID[nginx]=$!
LOGFILE[nginx]=$WORK/nginx/error.log
wait_http nginx "$NGINX_PORT" "${PID[nginx]}" || die "nginx failed: $(cat "$WORK/nginx/error.log")"
TARGETS+=(nginx)

# --- Nexus: one worker, core PROXY_CPU; skipped when missing or broken ------------------------
cat >"$WORK/nexus.yaml" <<EOF
server:
  listen: ["127.0.0.1:$NEXUS_PORT"$NEXUS_H2_LISTENER]
  workers: 1
  timeouts: { idle: 300s }$NEXUS_H2_LIMITS
clusters:
  bench_upstream:
    endpoints: ["127.0.0.1:$UP_PORT"]
    pool: { max_connections: 1024, idle_timeout: 300s }
routes:
  - match: { prefix: / }
    cluster: bench_upstream
logging:
  level: warn
  access_log: { enabled: false }
EOF
if [[ ! -x $NEXUS_BIN ]]; then
  log "SKIPPING nexus: $NEXUS_BIN not found (build it with make build)"
elif ! "$NEXUS_BIN" validate --config "$WORK/nexus.yaml" >"$WORK/nexus-validate.log" 2>&1; then
  log "SKIPPING nexus: config rejected: $(cat "$WORK/nexus-validate.log")"
else
  taskset -c "$PROXY_CPU" "$NEXUS_BIN" serve --config "$WORK/nexus.yaml" >"$WORK/nexus.log" 2>&1 &
  PID[nexus]=$!
  LOGFILE[nexus]=$WORK/nexus.log
  if wait_http nexus "$NEXUS_PORT" "${PID[nexus]}"; then
    TARGETS+=(nexus)
  else
    log "SKIPPING nexus: it did not start: $(tail -5 "$WORK/nexus.log")"
    kill -TERM "${PID[nexus]}" 2>/dev/null || true
    unset 'PID[nexus]'
  fi
fi
log "targets: ${TARGETS[*]}; ports direct=$UP_PORT nginx=$NGINX_PORT nexus=$NEXUS_PORT"
log "plan: $REPS rep(s) x conns {$CONNS} x ${DURATION}s, rates {$RATES} x ${RATE_DURATION}s"

declare -A RSS_FRESH=()
BUSY_START=$(busy_pct)
((BUSY_START < 10)) || log "warning: the machine is ${BUSY_START}% busy before the run (other jobs)"
for t in "${TARGETS[@]}"; do RSS_FRESH[$t]=$(rss_kib "${PID[$t]}"); done

# The TLS listeners must answer over HTTP/2 (ALPN h2): a target whose listener does not is left
# out of the h2 phase only. Checked after the fresh RSS, which is meant to be untouched.
H2_TARGETS=()
for t in "${TARGETS[@]}"; do
  [[ $PHASES == *" h2 "* && $t != direct ]] || continue
  for _ in $(seq 20); do
    proto=$(curl -sk --http2 --max-time 1 -o /dev/null -w '%{http_version}' \
      "https://127.0.0.1:${H2_PORT[$t]}/v1/models" || true)
    [[ $proto == 2 ]] && break
    sleep 0.1
  done
  if [[ $proto == 2 ]]; then
    H2_TARGETS+=("$t")
  else
    log "SKIPPING $t in the h2 phase: its TLS listener did not answer over HTTP/2 (got '${proto:-nothing}')"
  fi
done
if ((${#H2_TARGETS[@]})); then
  log "h2: ${H2_TARGETS[*]} on TLS ports nginx=$NGINX_H2_PORT nexus=$NEXUS_H2_PORT;" \
    "$REPS rep(s) x h2load conns {$H2_CONNS} x $H2_STREAMS streams x ${DURATION}s"
fi

# --- request bodies ---------------------------------------------------------------------------
BODY='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Write one sentence about the benchmark of an LLM gateway written in C++ that proxies OpenAI-compatible requests."}],"temperature":0.2,"max_tokens":64,"stream":false,"user":"bench-0001"}'
printf '%s' "$BODY" >"$WORK/body.json"
cat >"$WORK/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-nexus-bench-0000000000000000"
wrk.body = '$BODY'
EOF
URL_PATH=/v1/chat/completions

run_wrk() {  # TARGET CONNS SECONDS OUTFILE -> prints "rps p50 p99 requests errors cpu_us cpu_pct"
  local target=$1 conns=$2 seconds=$3 out=$4 before after
  before=$(cpu_ticks "${PID[$target]}")
  timeout $((seconds + 30)) taskset -c "$LOAD_CPU" wrk -t1 -c"$conns" -d"${seconds}s" --timeout 5s \
    --latency -s "$WORK/post.lua" "http://127.0.0.1:${PORT[$target]}$URL_PATH" >"$out" 2>&1 ||
    { log "wrk against $target failed: $(tail -3 "$out")"; return 1; }
  after=$(cpu_ticks "${PID[$target]}")
  read -r rps p50 p99 requests errors < <(tools wrk "$out")
  awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="$requests" -v s="$seconds" \
    -v line="$rps $p50 $p99 $requests $errors" \
    'BEGIN { printf "%s %.2f %.0f\n", line, n ? t / hz * 1e6 / n : 0, t / hz / s * 100 }'
}

# TARGET CONNS SECONDS OUTFILE -> prints "rps mean sd max done failed cpu_us cpu_pct tls".
# HTTP/2 over TLS to the target's TLS port; the first H2_WARMUP_TIME s (connections, handshakes)
# are left out of h2load's figures, and the CPU is sampled when h2load's main duration starts and
# ends (it prints those lines as they happen).
run_h2load() {
  local target=$1 conns=$2 seconds=$3 out=$4 line before='' after='' t0 t1
  while IFS= read -r line; do
    case $line in
      *"Main benchmark duration is started"*) t0=$EPOCHREALTIME before=$(cpu_ticks "${PID[$target]}") ;;
      *"Main benchmark duration is over"*) t1=$EPOCHREALTIME after=$(cpu_ticks "${PID[$target]}") ;;
    esac
  done < <(timeout $((seconds + H2_WARMUP_TIME + 30)) taskset -c "$LOAD_CPU" h2load -t1 -c"$conns" \
    -m"$H2_STREAMS" -D "$seconds" --warm-up-time "$H2_WARMUP_TIME" --npn-list=h2 \
    ${H2_CIPHERS:+--tls13-ciphers="$H2_CIPHERS"} -d "$WORK/body.json" \
    -H 'content-type: application/json' -H 'authorization: Bearer sk-nexus-bench-0000000000000000' \
    "https://127.0.0.1:${H2_PORT[$target]}$URL_PATH" 2>&1 | tee "$out")
  if [[ -z $before || -z $after ]] || ! grep -q '^finished in' "$out"; then
    log "h2load against $target failed: $(grep -v '^progress' "$out" | tail -3)"
    return 1
  fi
  read -r rps mean sd max n_done failed tls < <(tools h2load "$out") || return 1
  awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="$n_done" -v t0="$t0" -v t1="$t1" \
    -v line="$rps $mean $sd $max $n_done $failed" -v tls="$tls" \
    'BEGIN { s = t1 - t0; printf "%s %.2f %.0f %s\n", line, n ? t / hz * 1e6 / n : 0,
             (s > 0 ? t / hz / s * 100 : 0), tls }'
}

# --- warm-up, then interleaved repetitions ----------------------------------------------------
WRK_REPS=$REPS WRK_WARMUP=$WARMUP
[[ $PHASES == *" throughput "* ]] || WRK_REPS=0 WRK_WARMUP=1
for t in "${TARGETS[@]}"; do
  log "warm-up $t (${WRK_WARMUP}s)"
  run_wrk "$t" 64 "$WRK_WARMUP" "$WORK/warmup-$t.txt" >/dev/null || true
  running "$t" "after its warm-up" || true
done
: >"$WORK/wrk.tsv"
for rep in $(seq "$WRK_REPS"); do
  for conns in $CONNS; do
    for t in "${TARGETS[@]}"; do
      running "$t" "before rep $rep at $conns connections" || continue
      log "rep $rep/$REPS: $t, $conns connections, ${DURATION}s"
      if result=$(run_wrk "$t" "$conns" "$DURATION" "$WORK/wrk-$rep-$conns-$t.txt") &&
        running "$t" "after rep $rep at $conns connections"; then
        echo "$rep $conns $t $result" >>"$WORK/wrk.tsv"
        log "  -> $result"
      fi
    done
  done
done

# --- fixed-rate latency (bench/open_loop.cc: evenly spaced, timed from when each was due) -----
: >"$WORK/rate.tsv"
[[ $PHASES == *" rate "* ]] || RATES=""
for rate in $RATES; do
  for t in "${TARGETS[@]}"; do
    running "$t" "before the $rate req/s run" || continue
    log "fixed rate $rate req/s through $t (${RATE_DURATION}s)"
    logf="$WORK/rate-$rate-$t.log"
    if timeout $((RATE_DURATION + 30)) taskset -c "$LOAD_CPU" "$OPEN_LOOP_BIN" --rate "$rate" \
      --duration "$RATE_DURATION" --connections $RATE_CLIENTS --body "$WORK/body.json" \
      --header 'content-type: application/json' --log "$logf" \
      --url "http://127.0.0.1:${PORT[$t]}$URL_PATH" >"$WORK/rate-$rate-$t.txt" 2>&1; then
      if running "$t" "after the $rate req/s run" && r=$(tools open-loop-log "$logf"); then
        echo "$t $rate $r" >>"$WORK/rate.tsv"
      fi
    else
      log "the fixed-rate run against $t failed: $(tail -3 "$WORK/rate-$rate-$t.txt")"
    fi
  done
done

# --- SSE time to first event ------------------------------------------------------------------
: >"$WORK/sse.tsv"
for t in "${TARGETS[@]}"; do
  [[ $PHASES == *" sse "* ]] || break
  running "$t" "before the SSE measurement" || continue
  log "SSE time to first event through $t ($SSE_SAMPLES samples)"
  if r=$(timeout 120 python3 "$WORK/tools.py" sse "${PORT[$t]}" "$SSE_SAMPLES" "$SSE_INTERVAL_MS" \
    2>"$WORK/sse-$t.err") && running "$t" "after the SSE measurement"; then
    echo "$t $r" >>"$WORK/sse.tsv"
  else
    log "SSE measurement through $t failed: $(tail -2 "$WORK/sse-$t.err")"
  fi
done

# --- memory: idle, and with IDLE_CONNS idle keep-alive connections ----------------------------
: >"$WORK/rss.tsv"
for t in "${TARGETS[@]}"; do
  [[ $PHASES == *" memory "* ]] || break
  [[ $t == direct ]] && continue
  running "$t" "before the idle-connection test" || continue
  [[ -x $IDLE_BIN ]] || { log "no $IDLE_BIN: skipping the idle-connection test"; break; }
  sleep 1
  before=$(rss_kib "${PID[$t]}")
  log "$IDLE_CONNS idle keep-alive connections to $t"
  out="$WORK/idle-$t.txt"
  timeout 300 taskset -c "$LOAD_CPU" "$IDLE_BIN" --host 127.0.0.1 --port "${PORT[$t]}" \
    --connections "$IDLE_CONNS" --hold-seconds 120 --path "$URL_PATH" >"$out" 2>&1 &
  PID[idle]=$!
  loaded=-
  for _ in $(seq 1200); do
    if grep -q '^ready' "$out"; then
      sleep 2
      loaded=$(rss_kib "${PID[$t]}")
      break
    fi
    kill -0 "${PID[idle]}" 2>/dev/null || break
    sleep 0.1
  done
  [[ $loaded == - ]] && log "idle clients against $t failed: $(tail -3 "$out")"
  running "$t" "after the idle-connection test" || loaded=-
  kill -TERM "${PID[idle]}" 2>/dev/null || true
  wait "${PID[idle]}" 2>/dev/null || true
  unset 'PID[idle]'
  echo "$t ${RSS_FRESH[$t]} $before $loaded $IDLE_CONNS" >>"$WORK/rss.tsv"
done

# --- HTTP/2 over TLS: nginx and Nexus, h2load; last, so a new HTTP/2 bug cannot cost the others -
: >"$WORK/h2.tsv"
if [[ $PHASES == *" h2 "* ]]; then
  for t in "${H2_TARGETS[@]}"; do
    running "$t" "before its h2 warm-up" || continue
    log "h2 warm-up $t (${WARMUP}s)"
    run_h2load "$t" "${H2_CONNS##* }" "$WARMUP" "$WORK/h2-warmup-$t.txt" >/dev/null || true
  done
  for rep in $(seq "$REPS"); do
    for conns in $H2_CONNS; do
      for t in "${H2_TARGETS[@]}"; do
        running "$t" "before h2 rep $rep at $conns connections" || continue
        log "h2 rep $rep/$REPS: $t, $conns connections x $H2_STREAMS streams, ${DURATION}s"
        if result=$(run_h2load "$t" "$conns" "$DURATION" "$WORK/h2-$rep-$conns-$t.txt") &&
          running "$t" "after h2 rep $rep at $conns connections"; then
          echo "$rep $conns $H2_STREAMS $t $result" >>"$WORK/h2.tsv"
          log "  -> $result"
          read -r _ _ _ _ n_done failed _ <<<"$result"
          ((failed == 0)) || echo "h2 FAILURES: $failed of $n_done requests through $t failed" \
            "(rep $rep, $conns connections; see h2-$rep-$conns-$t.txt)" | tee -a "$WORK/events.txt" >&2
        fi
      done
    done
  done
fi

# --- report -----------------------------------------------------------------------------------
BUSY_END=$(busy_pct)
{
  echo "Nexus benchmark $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($(uname -r))"
  echo "proxies pinned to core $PROXY_CPU (1 worker); wrk/h2load/upstream on core $LOAD_CPU"
  echo "nginx $("$NGINX_BIN" -v 2>&1 | sed 's/.*nginx\///'); nexus: $([[ -n ${PID[nexus]:-} ]] &&
    "$NEXUS_BIN" version 2>&1 | head -1 || echo 'not measured')"
  echo "machine CPU busy with other jobs before/after: ${BUSY_START}% / ${BUSY_END}%" \
    "(over ~10% the absolute numbers are depressed; compare ratios only)"
  echo "reps=$REPS duration=${DURATION}s conns={$CONNS} rates={$RATES} x ${RATE_DURATION}s"
  [[ $PHASES == *" h2 "* ]] && echo "h2: h2load -t1 conns={$H2_CONNS} x $H2_STREAMS streams," \
    "--warm-up-time ${H2_WARMUP_TIME}s, TLS 1.3 suites offered: ${H2_CIPHERS:-h2load default}"
  [[ -s $WORK/events.txt ]] && cat "$WORK/events.txt"
  tools summary "$WORK"
} | tee "$WORK/summary.txt"
log "raw outputs kept in $RESULTS_DIR"
