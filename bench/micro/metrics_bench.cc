// The metrics' two costs: recording on a worker (a counter, a histogram observation) and a
// scrape, which sums every shard and renders 1,000 series (the issue asks for < 5 ms).
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "obs/metrics/exposition.h"
#include "obs/metrics/registry.h"

namespace {

using nexus::obs::metrics::Family;
using nexus::obs::metrics::Format;
using nexus::obs::metrics::Registry;
using nexus::obs::metrics::Type;

constexpr size_t kWorkers = 8;
constexpr uint32_t kRoutes = 50;

// 50 routes x 5 status classes x 2 protocols = 500 counter series, plus a duration histogram
// (16 bounds) per route; every series has counted something on every worker.
struct Fixture {
  Registry registry;
  Family* requests = nullptr;
  Family* duration = nullptr;

  Fixture() {
    std::vector<std::string> routes;
    for (uint32_t i = 0; i < kRoutes; ++i) {
      routes.push_back("route-" + std::to_string(i));
    }
    requests =
        registry
            .add(
                {.name = "nexus_http_requests",
                 .help = "Requests.",
                 .labels = {{.name = "route", .values = routes},
                            {.name = "status_class", .values = {"1xx", "2xx", "3xx", "4xx", "5xx"}},
                            {.name = "protocol", .values = {"http1", "http2"}}}})
            .value_or(nullptr);
    duration = registry
                   .add({.name = "nexus_http_request_duration_seconds",
                         .help = "Durations.",
                         .unit = "seconds",
                         .type = Type::kHistogram,
                         .labels = {{.name = "route", .values = routes}},
                         .buckets = nexus::obs::metrics::duration_buckets(),
                         .scale = 1e9})
                   .value_or(nullptr);
    registry.freeze(kWorkers);
  }

  // Series written: 500 counters and 50 histograms of 16 + 3 lines (1,450 lines in all).
  void fill() {
    for (size_t w = 0; w < kWorkers; ++w) {
      for (uint32_t r = 0; r < kRoutes; ++r) {
        const std::array<uint32_t, 1> route = {r};
        registry.shard(w).observe(duration->histogram_at(route), 1'000'000 * (r + 1));
        for (uint32_t s = 0; s < 5; ++s) {
          for (uint32_t p = 0; p < 2; ++p) {
            const std::array<uint32_t, 3> indices = {r, s, p};
            registry.shard(w).add(requests->series_at(indices));
          }
        }
      }
    }
  }
};

void BM_RecordCounter(benchmark::State& state) {
  Fixture fixture;
  const std::array<uint32_t, 3> indices = {7, 1, 0};
  auto& shard = fixture.registry.shard(0);
  for (auto _ : state) {
    shard.add(fixture.requests->series_at(indices));
  }
  benchmark::DoNotOptimize(fixture.registry.total(fixture.requests->series_at(indices).slot));
}
BENCHMARK(BM_RecordCounter);

void BM_RecordHistogram(benchmark::State& state) {
  Fixture fixture;
  const std::array<uint32_t, 1> route = {7};
  const auto histogram = fixture.duration->histogram_at(route);
  auto& shard = fixture.registry.shard(0);
  uint64_t value = 0;
  for (auto _ : state) {
    shard.observe(histogram, value);
    value = (value + 7'919'000) % 20'000'000'000;
  }
}
BENCHMARK(BM_RecordHistogram);

void BM_Scrape(benchmark::State& state) {
  Fixture fixture;
  fixture.fill();
  const auto format = static_cast<Format>(state.range(0));
  std::string out;
  for (auto _ : state) {
    out.clear();
    render(fixture.registry, format, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(std::to_string(out.size()) + " bytes");
}
BENCHMARK(BM_Scrape)
    ->Arg(static_cast<int>(Format::kPrometheus))
    ->Arg(static_cast<int>(Format::kOpenMetrics))
    ->Unit(benchmark::kMicrosecond);

}  // namespace
