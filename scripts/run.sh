#!/usr/bin/env bash
# `make run`: serves examples/quickstart.yaml: the LLM API under /v1/ (the echo model offline,
# real providers when their API keys are set), everything else forwarded to 127.0.0.1:9000; when
# nothing listens there, the bundled test upstream (bench/upstream) is started as a demo backend
# so that every route answers.
set -euo pipefail
cd "$(dirname "$0")/.."
upstream_port=${UPSTREAM_PORT:-9000}
demo_pid=""
if ! (exec 3<>"/dev/tcp/127.0.0.1/${upstream_port}") 2>/dev/null; then
  build/release/bench/nexus_test_upstream --host 127.0.0.1 --port "${upstream_port}" --threads 1 &
  demo_pid=$!
  echo "run: started the demo upstream on 127.0.0.1:${upstream_port} (pid ${demo_pid})" >&2
fi
cleanup() { [ -n "${demo_pid}" ] && kill "${demo_pid}" 2>/dev/null || true; }
trap cleanup EXIT
echo "run: try  curl -s http://127.0.0.1:${PORT:-8080}/v1/chat/completions" \
  "-d '{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello Nexus\"}]}'" >&2
build/release/nexus serve --config examples/quickstart.yaml "$@"
