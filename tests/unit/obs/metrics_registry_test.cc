// The registry: declaration rules, shards summed at scrape, histogram buckets and sums, and
// label values bounded (closed sets and caps fold into "other", counted).
#include <gtest/gtest.h>

#include <array>
#include <string_view>

#include "obs/metrics/registry.h"

namespace nexus::obs::metrics {
namespace {

FamilySpec counter(std::string name, std::vector<LabelSpec> labels = {}) {
  return {.name = std::move(name), .help = "h", .labels = std::move(labels)};
}

Family& must(Result<Family*> added) {
  EXPECT_TRUE(added.has_value()) << added.error().message();
  return *added.value_or(nullptr);
}

TEST(MetricsRegistry, CountersAreSummedOverShards) {
  Registry registry;
  Family& family = must(registry.add(counter("nexus_test_events")));
  registry.freeze(3);
  const SeriesId series = family.series_at({});
  registry.shard(0).add(series);
  registry.shard(1).add(series, 5);
  registry.shard(2).add(series);
  registry.shard(2).add(series);
  EXPECT_EQ(registry.total(series.slot), 8U);
  EXPECT_EQ(registry.shard(1).load(series.slot), 5U);
}

TEST(MetricsRegistry, GaugesMayGoBelowZeroOnOneShard) {
  Registry registry;
  Family& family = must(registry.add({.name = "nexus_test_open", .type = Type::kGauge}));
  registry.freeze(2);
  const SeriesId series = family.series_at({});
  registry.shard(0).add_signed(series, 3);
  registry.shard(1).add_signed(series, -1);
  EXPECT_EQ(static_cast<int64_t>(registry.total(series.slot)), 2);
}

TEST(MetricsRegistry, HistogramCountsEachBucketAndTheSum) {
  Registry registry;
  Family& family = must(registry.add({.name = "nexus_test_duration_seconds",
                                      .unit = "seconds",
                                      .type = Type::kHistogram,
                                      .buckets = {0.1, 1},
                                      .scale = 1000}));  // milliseconds
  registry.freeze(2);
  const HistogramId histogram = family.histogram_at({});
  registry.shard(0).observe(histogram, 50);    // <= 0.1 s
  registry.shard(1).observe(histogram, 100);   // == 0.1 s: the bound is inclusive
  registry.shard(1).observe(histogram, 700);   // <= 1 s
  registry.shard(0).observe(histogram, 5000);  // +Inf
  EXPECT_EQ(family.slots_per_series(), 4U);    // two bounds, +Inf, sum
  EXPECT_EQ(registry.total(histogram.slot), 2U);
  EXPECT_EQ(registry.total(histogram.slot + 1), 1U);
  EXPECT_EQ(registry.total(histogram.slot + 2), 1U);
  EXPECT_EQ(registry.total(histogram.slot + 3), 5850U);
}

TEST(MetricsRegistry, SeriesByNameAndByIndexAgree) {
  Registry registry;
  Family& family = must(registry.add(
      counter("nexus_test_requests", {{.name = "route", .values = {"a", "b"}},
                                      {.name = "protocol", .values = {"http1", "http2"}}})));
  registry.freeze(1);
  const std::array<std::string_view, 2> names = {"b", "http2"};
  const std::array<uint32_t, 2> indices = {1, 1};
  EXPECT_EQ(family.series(names).slot, family.series_at(indices).slot);
  EXPECT_EQ(family.series_count(), 9U);  // (2 + other) x (2 + other)
  const size_t index = family.series_at(indices).slot - family.first_slot();
  EXPECT_EQ(family.label_values(index), (std::vector<std::string>{"b", "http2"}));
  EXPECT_EQ(family.folded(), 0U);
}

TEST(MetricsRegistry, ClosedLabelFoldsAnUnknownValueIntoOther) {
  Registry registry;
  Family& family =
      must(registry.add(counter("nexus_test_requests", {{.name = "route", .values = {"a"}}})));
  registry.freeze(1);
  const std::array<std::string_view, 1> unknown = {"zzz"};
  const SeriesId series = family.series(unknown);
  EXPECT_EQ(family.label_values(series.slot - family.first_slot()),
            (std::vector<std::string>{"other"}));
  EXPECT_EQ(family.folded(), 1U);
}

TEST(MetricsRegistry, CappedLabelLearnsUpToItsCapThenFolds) {
  Registry registry;
  Family& family = must(
      registry.add(counter("nexus_test_models", {{.name = "model", .values = {"gpt"}, .cap = 3}})));
  registry.freeze(1);
  std::vector<uint32_t> slots;
  for (std::string_view model : {"gpt", "claude", "gemini", "llama", "mistral", "claude"}) {
    const std::array<std::string_view, 1> value = {model};
    slots.push_back(family.series(value).slot - family.first_slot());
  }
  EXPECT_EQ(family.label_values(slots[0]), std::vector<std::string>{"gpt"});
  EXPECT_EQ(family.label_values(slots[1]), std::vector<std::string>{"claude"});
  EXPECT_EQ(family.label_values(slots[2]), std::vector<std::string>{"gemini"});
  EXPECT_EQ(family.label_values(slots[3]), std::vector<std::string>{"other"});
  EXPECT_EQ(slots[4], slots[3]);
  EXPECT_EQ(slots[5], slots[1]);  // a learnt value keeps its series
  EXPECT_EQ(family.folded(), 2U);
  EXPECT_EQ(family.series_count(), 4U);  // the cap and "other"
}

TEST(MetricsRegistry, DeclarationErrorsNameTheFamily) {
  Registry registry;
  ASSERT_TRUE(registry.add(counter("nexus_test_events")).has_value());
  const auto expect_refused = [&](FamilySpec spec, std::string_view why) {
    const std::string name = spec.name;
    auto added = registry.add(std::move(spec));
    ASSERT_FALSE(added.has_value()) << name;
    EXPECT_NE(added.error().message().find(name), std::string::npos);
    EXPECT_NE(added.error().message().find(why), std::string::npos) << added.error().message();
  };
  expect_refused(counter("nexus_test_events"), "declared twice");
  expect_refused(counter("nexus_test_events_total"), "without _total");
  expect_refused(counter("nexus-bad"), "not a valid metric name");
  expect_refused({.name = "nexus_test_latency", .unit = "seconds", .type = Type::kGauge},
                 "must end with _seconds");
  expect_refused({.name = "nexus_test_h_seconds",
                  .unit = "seconds",
                  .type = Type::kHistogram,
                  .buckets = {1, 0.5}},
                 "increasing");
  expect_refused(counter("nexus_test_le", {{.name = "le"}}), "bad label name");
  registry.freeze(1);
  expect_refused(counter("nexus_test_late"), "after the registry was frozen");
}

}  // namespace
}  // namespace nexus::obs::metrics
