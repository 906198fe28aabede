#!/usr/bin/env bash
# Installs every Debian package that building, testing and benchmarking Nexus needs.
# Idempotent and quiet when everything is present; runs `apt-get update` only when
# something is missing; uses sudo when not root.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git clang-format-19 clang-tidy-19
  # clang with libFuzzer (clang 14 and 16 cannot compile libstdc++'s <expected>)
  clang-19 libclang-rt-19-dev
  # libraries
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libnghttp2-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev
  libre2-dev zlib1g-dev libbrotli-dev libzstd-dev libmimalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # governance: the embedded store, and PostgreSQL and Redis for instances that share one
  libsqlite3-dev sqlite3 libpq-dev libhiredis-dev postgresql redis-server tzdata
  # integration tests and benchmarks
  # (python3-cryptography: the admin API's JWT tests sign their tokens with it;
  # python3-prometheus-client: the metrics tests parse the scrape with it; python3-jsonschema:
  # the tracing tests validate OTLP exports with it; python3-yaml: the packaging test reads the
  # alert rules)
  python3 python3-h2 python3-cryptography python3-prometheus-client python3-jsonschema
  python3-yaml nodejs
  openssl curl nginx-light wrk nghttp2-client procps valgrind
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

# The official SDKs of the end-to-end tests (tests/e2e), pinned by its package-lock.json.
# Debian's npm only when the machine has no npm at all (NodeSource's nodejs ships its own).
install_npm_packages() {
  local dir
  dir="$(dirname "$0")/../tests/e2e"
  if [ -d "$dir/node_modules" ] && [ ! "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    return
  fi
  if ! command -v npm >/dev/null 2>&1; then
    $sudo apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  echo "setup: installing the npm packages of tests/e2e"
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
  touch "$dir/node_modules"
}

if [ ${#missing[@]} -eq 0 ]; then
  install_npm_packages
  exit 0
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# nginx is only a benchmark peer (bench/run.sh starts it on its own config), and PostgreSQL and
# Redis are started by the tests that need them on loopback ports of their own: none of them
# runs as a system service.
for service in nginx postgresql redis-server; do
  if command -v systemctl >/dev/null 2>&1; then $sudo systemctl disable --now "$service" >/dev/null 2>&1 || true; fi
  $sudo service "$service" stop >/dev/null 2>&1 || true
done
$sudo pkill -x nginx 2>/dev/null || true
install_npm_packages
