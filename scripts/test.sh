#!/usr/bin/env bash
# `make test`: release build + unit and integration tests; the same tests again on the
# ASan+UBSan build (the integration tests then run the sanitized nexus); the fuzz targets
# replaying their corpora (clang + libFuzzer); clang-tidy; the format check.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
failed=()
step() { echo; echo "== $*"; }

step "release build"
cmake --preset release >/dev/null && cmake --build --preset release -j "$jobs" || { echo "release build failed"; exit 1; }

step "unit and integration tests (release)"
ctest --test-dir build/release --output-on-failure -j "$jobs" || failed+=("release tests")

step "ASan+UBSan build: unit tests, and the integration tests against the sanitized binary"
if cmake --preset asan >/dev/null &&
  cmake --build --preset asan -j "$jobs" --target nexus_unit_tests nexus_filter_tests nexus; then
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan --output-on-failure -j "$jobs" || failed+=("asan tests")
else
  failed+=("asan build")
fi

step "fuzz targets replaying their corpora"
if cmake --preset fuzz >/dev/null && cmake --build --preset fuzz -j "$jobs"; then
  for dir in tests/fuzz/*/; do
    name=$(basename "$dir")
    echo "-- ${name}"
    "build/fuzz/${name}_fuzz" -runs=0 -timeout=10 "${dir}corpus" 2>&1 | tail -2 || failed+=("fuzz ${name}")
  done
else
  failed+=("fuzz build")
fi

step "clang-tidy (.clang-tidy: bugprone, performance, modernize, naming; warnings are errors)"
if ! git ls-files 'src/*.cc' | xargs -P "$jobs" -n 4 clang-tidy-19 -p build/release --quiet 2>/dev/null; then
  failed+=("clang-tidy")
fi

step "format check"
if ! git ls-files '*.cc' '*.h' | xargs clang-format-19 --dry-run --Werror; then
  failed+=("format")
fi

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "make test: FAILED: ${failed[*]}"
  exit 1
fi
echo "make test: all steps passed"
