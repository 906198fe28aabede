#!/usr/bin/env bash
# `make run`: serves examples/quickstart.yaml: the LLM API under /v1/ (the echo model offline,
# real providers when their API keys are set), everything else forwarded to 127.0.0.1:9000; when
# nothing listens there, the bundled test upstream (bench/upstream) is started as a demo backend
# so that every route answers.
#
# The LLM API needs a virtual key: the first run makes an admin key (data/admin.key) and a
# virtual key (data/quickstart.key), both readable by their owner only, and prints how to use
# them. NEXUS_ADMIN_KEY, when set, is the admin key instead.
set -euo pipefail
cd "$(dirname "$0")/.."
upstream_port=${UPSTREAM_PORT:-9000}
admin_port=${ADMIN_PORT:-8081}
nexus=build/release/nexus
demo_pid=""
nexus_pid=""
if ! (exec 3<>"/dev/tcp/127.0.0.1/${upstream_port}") 2>/dev/null; then
  build/release/bench/nexus_test_upstream --host 127.0.0.1 --port "${upstream_port}" --threads 1 &
  demo_pid=$!
  echo "run: started the demo upstream on 127.0.0.1:${upstream_port} (pid ${demo_pid})" >&2
fi
cleanup() {
  [ -n "${nexus_pid}" ] && kill "${nexus_pid}" 2>/dev/null && wait "${nexus_pid}" 2>/dev/null
  [ -n "${demo_pid}" ] && kill "${demo_pid}" 2>/dev/null
  true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p data
umask 077
if [ -z "${NEXUS_ADMIN_KEY:-}" ]; then
  [ -s data/admin.key ] || head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > data/admin.key
  NEXUS_ADMIN_KEY=$(cat data/admin.key)
fi
export NEXUS_ADMIN_KEY
NEXUS_ADMIN_KEY_SHA256=$(printf %s "${NEXUS_ADMIN_KEY}" | sha256sum | cut -d' ' -f1)
export NEXUS_ADMIN_KEY_SHA256

"${nexus}" serve --config examples/quickstart.yaml "$@" &
nexus_pid=$!
for _ in $(seq 100); do  # up to 10 s for the admin API
  (exec 3<>"/dev/tcp/127.0.0.1/${admin_port}") 2>/dev/null && break
  kill -0 "${nexus_pid}" 2>/dev/null || exit 1
  sleep 0.1
done

# The quickstart's virtual key: made once, made again when it no longer works.
key=$(cat data/quickstart.key 2>/dev/null || true)
if [ -z "${key}" ] || ! curl -sf -o /dev/null -H "Authorization: Bearer ${key}" \
  "http://127.0.0.1:${PORT:-8080}/v1/models"; then
  org=$(curl -sf -H "Authorization: Bearer ${NEXUS_ADMIN_KEY}" -H 'Content-Type: application/json' \
    -d '{"name":"quickstart"}' "http://127.0.0.1:${admin_port}/admin/v1/orgs" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
  "${nexus}" keys create --name quickstart --org "${org}" \
    --admin-url "http://127.0.0.1:${admin_port}" --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])' > data/quickstart.key
  key=$(cat data/quickstart.key)
fi
echo "run: your virtual key is in data/quickstart.key; try" >&2
echo "  curl -s http://127.0.0.1:${PORT:-8080}/v1/chat/completions -H \"Authorization: Bearer \$(cat data/quickstart.key)\"" \
  "-d '{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello Nexus\"}]}'" >&2
echo "  NEXUS_ADMIN_KEY=\$(cat data/admin.key) ${nexus} usage --group-by model   # what it cost" >&2
echo "  curl -s http://127.0.0.1:${METRICS_PORT:-9464}/metrics   # Prometheus metrics" >&2
wait "${nexus_pid}"
