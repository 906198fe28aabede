# Nexus front door. `make run` and `make test` work on a fresh Debian 12 machine.
.PHONY: all setup build run test bench bench-filters bench-llm bench-observability fuzz format clean

all: build

setup:
	@scripts/setup.sh

build: setup
	@cmake --preset release >/dev/null
	@cmake --build --preset release

run: build
	@scripts/run.sh

test: setup
	@scripts/test.sh

bench: build
	@bench/run.sh

# What the filter chain costs: one route with the everyday filters against one without, in
# requests/s, then each filter's instructions per request (under callgrind).
bench-filters: build
	@bench/filters.sh
	@bench/filter_instructions.sh

# The LLM path: Nexus's LLM route (OpenAI -> OpenAI, -> Anthropic, streamed) next to nginx as a
# plain proxy and Portkey's gateway, against the same test upstream.
bench-llm: build
	@bench/llm.sh

# What metrics, tracing (sampling 1.0 and 0.01) and the access log cost, next to a bare Nexus
# and nginx; then instructions per request under callgrind.
bench-observability: build
	@bench/observability.sh

# Long fuzzing runs (make test only replays the corpora). FUZZ_SECONDS per target.
fuzz: setup
	@scripts/fuzz.sh $${FUZZ_SECONDS:-300}

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format-19 -i

clean:
	rm -rf build
