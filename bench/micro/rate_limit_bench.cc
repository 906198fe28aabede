// The cost of one rate-limit decision: the bare algorithm, the shared store for one key and for
// many keys, and the store contended by several threads (one key, and keys spread over shards).
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "filters/rate_limit/algorithms.h"
#include "filters/rate_limit/store.h"

namespace {

using nexus::filters::rate_limit::Algorithm;
using nexus::filters::rate_limit::LimitSpec;
using nexus::filters::rate_limit::LimitStore;
using nexus::filters::rate_limit::State;
using nexus::filters::rate_limit::WhenFull;

constexpr int64_t kStepNs = 1000;  // simulated time between two decisions on one key
// Many keys: 100k keys come round within 1ms of simulated time, so that none idles out, and the
// store holds them all (max_keys twice that): every timed decision finds its key.
constexpr size_t kManyKeys = 100'000;
constexpr int64_t kManyKeysStepNs = 10;
constexpr size_t kManyKeysMax = 2 * kManyKeys;

// 1000 requests per second with a burst of 100: most decisions allow, some reject.
LimitSpec spec_for(int64_t algorithm) {
  LimitSpec spec{.algorithm = static_cast<Algorithm>(algorithm),
                 .rate = 1000,
                 .period_ns = 1'000'000'000,
                 .burst = 100,
                 .max_wait_ns = 100'000'000};
  spec.derive();
  return spec;
}

void set_label(benchmark::State& state) {
  static constexpr std::array<const char*, 4> kNames = {"token_bucket", "leaky_bucket",
                                                        "sliding_window", "fixed_window"};
  state.SetLabel(kNames[static_cast<size_t>(state.range(0))]);
}

const std::vector<std::string>& many_keys() {
  static const std::vector<std::string> kKeys = [] {
    std::vector<std::string> out;
    out.reserve(kManyKeys);
    for (size_t i = 0; i < kManyKeys; ++i) {
      out.push_back("10." + std::to_string(i >> 16) + "." + std::to_string((i >> 8) & 255) + "." +
                    std::to_string(i & 255));
    }
    return out;
  }();
  return kKeys;
}

// The algorithm alone: no lock, no lookup.
void bm_decide(benchmark::State& state) {
  const LimitSpec spec = spec_for(state.range(0));
  State key_state;
  int64_t now = 0;
  for (auto _ : state) {
    now += kStepNs;
    benchmark::DoNotOptimize(decide(spec, key_state, now));
  }
  set_label(state);
}
BENCHMARK(bm_decide)->DenseRange(0, 3);

// One key through the store: hash, shard lock, lookup, LRU touch, decide.
void bm_store_single_key(benchmark::State& state) {
  LimitStore store(spec_for(state.range(0)), kManyKeys, WhenFull::kEvict);
  int64_t now = 0;
  for (auto _ : state) {
    now += kStepNs;
    benchmark::DoNotOptimize(store.acquire("10.0.0.1", now));
  }
  set_label(state);
}
BENCHMARK(bm_store_single_key)->DenseRange(0, 3);

// 100k distinct keys, all already in the store, decided in turn: mostly cache misses.
void bm_store_many_keys(benchmark::State& state) {
  LimitStore store(spec_for(state.range(0)), kManyKeysMax, WhenFull::kEvict);
  const auto& keys = many_keys();
  int64_t now = 0;
  for (const std::string& key : keys) {
    store.acquire(key, now += kManyKeysStepNs);
  }
  size_t next = 0;
  for (auto _ : state) {
    now += kManyKeysStepNs;
    benchmark::DoNotOptimize(store.acquire(keys[next], now));
    next = next + 1 == keys.size() ? 0 : next + 1;
  }
  set_label(state);
}
BENCHMARK(bm_store_many_keys)->DenseRange(0, 3);

// One store per algorithm shared by every benchmark thread, as the workers share a factory's.
LimitStore& shared_store(int64_t algorithm) {
  static const std::array<std::unique_ptr<LimitStore>, 4> kStores = [] {
    std::array<std::unique_ptr<LimitStore>, 4> out;
    for (int64_t i = 0; i < 4; ++i) {
      out[static_cast<size_t>(i)] =
          std::make_unique<LimitStore>(spec_for(i), kManyKeysMax, WhenFull::kEvict);
      for (const std::string& key : many_keys()) {
        out[static_cast<size_t>(i)]->acquire(key, 0);
      }
    }
    return out;
  }();
  return *kStores[static_cast<size_t>(algorithm)];
}

// Every thread on one key (a global limit): they all meet on one shard's mutex.
void bm_contended_one_key(benchmark::State& state) {
  LimitStore& store = shared_store(state.range(0));
  int64_t now = 0;
  for (auto _ : state) {
    now += kStepNs;
    benchmark::DoNotOptimize(store.acquire("global", now));
  }
  set_label(state);
}
BENCHMARK(bm_contended_one_key)->DenseRange(0, 3)->ThreadRange(1, 8)->UseRealTime();

// Every thread on its own stride of 100k keys: threads meet only when their keys share a shard.
void bm_contended_many_keys(benchmark::State& state) {
  LimitStore& store = shared_store(state.range(0));
  const auto& keys = many_keys();
  size_t next = static_cast<size_t>(state.thread_index()) * 7919 % keys.size();
  int64_t now = 0;
  for (auto _ : state) {
    now += kManyKeysStepNs;
    benchmark::DoNotOptimize(store.acquire(keys[next], now));
    next = next + 1 == keys.size() ? 0 : next + 1;
  }
  set_label(state);
}
BENCHMARK(bm_contended_many_keys)->DenseRange(0, 3)->ThreadRange(1, 8)->UseRealTime();

}  // namespace
