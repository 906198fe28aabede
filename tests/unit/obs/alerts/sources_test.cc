// What rules read from a real registry: requests and 5xx of one route or all, summed over the
// shards; the duration histogram's buckets; the auth failures of one provider; the circuits
// some worker's breaker holds open; and the budget interface (absent: no data).
#include "obs/alerts/sources.h"

#include <gtest/gtest.h>

namespace nexus::obs::alerts {
namespace {

using Kind = config::AlertRule::Kind;

class SourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    requests_ = registry_
                    .add({.name = "nexus_http_requests",
                          .help = "h",
                          .labels = {{.name = "route", .values = {"api", "web"}},
                                     {.name = "status_class", .values = {"2xx", "5xx"}}}})
                    .value();
    duration_ = registry_
                    .add({.name = "nexus_http_request_duration_seconds",
                          .help = "h",
                          .unit = "seconds",
                          .type = metrics::Type::kHistogram,
                          .labels = {{.name = "route", .values = {"api", "web"}}},
                          .buckets = {0.1, 1.0},
                          .scale = 1e9})
                    .value();
    registry_.freeze(2);
  }
  void count(size_t shard, uint32_t route, uint32_t status, uint64_t amount) {
    const uint32_t index[] = {route, status};
    registry_.shard(shard).add(requests_->series_at(index), amount);
  }
  static config::AlertRule rule(Kind kind, std::string route = "") {
    config::AlertRule out;
    out.kind = kind;
    out.route = std::move(route);
    return out;
  }

  metrics::Registry registry_;
  metrics::Family* requests_ = nullptr;
  metrics::Family* duration_ = nullptr;
};

TEST_F(SourcesTest, ErrorRateCountsRequestsAndFiveHundredsOfTheRouteOverShards) {
  count(0, 0, 0, 7);  // api 2xx
  count(1, 0, 1, 3);  // api 5xx, another worker
  count(0, 1, 1, 5);  // web 5xx
  const Sources sources(registry_, nullptr);
  const Sample api = sources.sample(rule(Kind::kErrorRate, "api")).value_or(Sample{});
  EXPECT_EQ(api.counters, (std::vector<uint64_t>{10, 3}));
  const Sample all = sources.sample(rule(Kind::kErrorRate)).value_or(Sample{});
  EXPECT_EQ(all.counters, (std::vector<uint64_t>{15, 8}));
}

TEST_F(SourcesTest, LatencyReadsTheBucketsAndBounds) {
  const uint32_t api[] = {0};
  registry_.shard(0).observe(duration_->histogram_at(api), 50'000'000);     // 0.05 s
  registry_.shard(1).observe(duration_->histogram_at(api), 2'000'000'000);  // 2 s: +Inf
  const Sources sources(registry_, nullptr);
  const Sample sample = sources.sample(rule(Kind::kLatencyP95, "api")).value_or(Sample{});
  EXPECT_EQ(sample.counters, (std::vector<uint64_t>{1, 0, 1}));
  EXPECT_EQ(sample.bounds, (std::vector<double>{0.1, 1.0}));
}

TEST_F(SourcesTest, MissingFamiliesAndInterfacesGiveNoData) {
  const Sources sources(registry_, nullptr);
  EXPECT_FALSE(sources.sample(rule(Kind::kProviderAuthFailures)).has_value());
  EXPECT_FALSE(sources.sample(rule(Kind::kCircuitOpen)).has_value());
  EXPECT_FALSE(sources.sample(rule(Kind::kBudget)).has_value());
}

TEST_F(SourcesTest, BudgetComesFromItsInterface) {
  const Sources sources(
      registry_, [](std::string_view kind, std::string_view id) -> std::optional<double> {
        return kind == "team" && id == "t1" ? std::optional<double>(0.9) : std::nullopt;
      });
  config::AlertRule budget = rule(Kind::kBudget);
  budget.scope_kind = "team";
  budget.scope_id = "t1";
  const Sample used = sources.sample(budget).value_or(Sample{});
  EXPECT_EQ(used.instant, std::optional<double>(0.9));
}

// nexus_upstream_circuit_state as the breakers write it: each worker holds 1 in its breaker's
// state, moving it on a transition.
TEST(SourcesCircuitTest, CountsTheEndpointsSomeWorkerRefuses) {
  metrics::Registry registry;
  metrics::Family* states =
      registry
          .add({.name = std::string(kCircuitStateFamily),
                .help = "h",
                .type = metrics::Type::kGauge,
                .labels = {{.name = "cluster", .values = {"up"}},
                           {.name = "endpoint", .values = {"a", "b", "c"}},
                           {.name = "state", .values = {"closed", "open", "half_open"}}}})
          .value();
  registry.freeze(2);
  const auto move = [&](size_t worker, uint32_t endpoint, uint32_t from, uint32_t to) {
    const uint32_t left[] = {0, endpoint, from};
    const uint32_t entered[] = {0, endpoint, to};
    registry.shard(worker).add_signed(states->series_at(left), -1);
    registry.shard(worker).add_signed(states->series_at(entered), 1);
  };
  for (size_t worker = 0; worker < 2; ++worker) {
    for (uint32_t endpoint = 0; endpoint < 3; ++endpoint) {
      const uint32_t closed[] = {0, endpoint, 0};
      registry.shard(worker).add_signed(states->series_at(closed), 1);
    }
  }
  const Sources sources(registry, nullptr);
  config::AlertRule circuits;
  circuits.kind = Kind::kCircuitOpen;
  EXPECT_EQ(sources.sample(circuits).value_or(Sample{}).instant, std::optional<double>(0));
  move(0, 0, 0, 1);  // a: open on worker 0 only
  move(1, 1, 0, 1);  // b: opened on worker 1, then half-open, then closed again
  move(1, 1, 1, 2);
  move(1, 1, 2, 0);
  move(1, 2, 0, 1);  // c: open on worker 1, then half-open: probes go through
  move(1, 2, 1, 2);
  EXPECT_EQ(sources.sample(circuits).value_or(Sample{}).instant, std::optional<double>(1));
  move(1, 0, 0, 1);  // a: open on both workers is still one endpoint
  EXPECT_EQ(sources.sample(circuits).value_or(Sample{}).instant, std::optional<double>(1));
}

}  // namespace
}  // namespace nexus::obs::alerts
