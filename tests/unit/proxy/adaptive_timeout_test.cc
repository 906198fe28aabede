// The adaptive first-byte timeout: a quantile of recent samples times a multiplier, clamped,
// the ceiling until enough samples were seen.
#include "proxy/resilience/adaptive_timeout.h"

#include <gtest/gtest.h>

#include <chrono>

namespace nexus::proxy {
namespace {

using std::chrono::milliseconds;

config::AdaptiveTimeout make_config() {
  return {.enabled = true,
          .percentile = 95,
          .multiplier = 2,
          .floor = milliseconds(100),
          .ceiling = milliseconds(10000),
          .min_samples = 20};
}

void observe_n(AdaptiveTimeout& timeout, int n, milliseconds each) {
  for (int i = 0; i < n; ++i) {
    timeout.observe(each);
  }
}

TEST(AdaptiveTimeout, TheCeilingUntilMinSamples) {
  const config::AdaptiveTimeout config = make_config();
  AdaptiveTimeout timeout(config);
  EXPECT_EQ(timeout.current(), milliseconds(10000));
  observe_n(timeout, 19, milliseconds(200));
  EXPECT_EQ(timeout.current(), milliseconds(10000));
  timeout.observe(milliseconds(200));
  EXPECT_EQ(timeout.current(), milliseconds(400));  // p95 200ms x 2
}

TEST(AdaptiveTimeout, ThePercentileOfTheSamples) {
  const config::AdaptiveTimeout config = make_config();
  AdaptiveTimeout timeout(config);
  // 100 samples 1..100 x 10ms, in a scrambled order: p95 = 950ms.
  for (int i = 0; i < 100; ++i) {
    timeout.observe(milliseconds(((i * 37) % 100 + 1) * 10));
  }
  EXPECT_EQ(timeout.current(), milliseconds(1900));
}

TEST(AdaptiveTimeout, ClampedToTheFloorAndTheCeiling) {
  const config::AdaptiveTimeout config = make_config();
  AdaptiveTimeout fast(config);
  observe_n(fast, 40, milliseconds(1));
  EXPECT_EQ(fast.current(), milliseconds(100));
  AdaptiveTimeout slow(config);
  observe_n(slow, 40, milliseconds(8000));
  EXPECT_EQ(slow.current(), milliseconds(10000));
}

TEST(AdaptiveTimeout, OnlyTheRecentWindowCounts) {
  const config::AdaptiveTimeout config = make_config();
  AdaptiveTimeout timeout(config);
  observe_n(timeout, 200, milliseconds(3000));
  EXPECT_EQ(timeout.current(), milliseconds(6000));
  // The upstream got fast: once the window holds only fast samples, the slow ones are forgotten.
  observe_n(timeout, static_cast<int>(AdaptiveTimeout::kWindow), milliseconds(300));
  EXPECT_EQ(timeout.current(), milliseconds(600));
}

TEST(AdaptiveTimeout, RecomputedEveryFewSamplesNotEachOne) {
  const config::AdaptiveTimeout config = make_config();
  AdaptiveTimeout timeout(config);
  observe_n(timeout, 20, milliseconds(200));
  ASSERT_EQ(timeout.current(), milliseconds(400));
  // A burst of slow samples moves it only at the next recomputation.
  observe_n(timeout, AdaptiveTimeout::kRecomputeEvery - 1, milliseconds(4000));
  EXPECT_EQ(timeout.current(), milliseconds(400));
  timeout.observe(milliseconds(4000));
  EXPECT_EQ(timeout.current(), milliseconds(8000));
}

TEST(AdaptiveTimeout, AFractionalMultiplierRoundsUp) {
  config::AdaptiveTimeout config = make_config();
  config.multiplier = 1.5;
  config.percentile = 50;
  config.min_samples = 1;
  AdaptiveTimeout timeout(config);
  timeout.observe(std::chrono::microseconds(200'001));
  EXPECT_EQ(timeout.current(), milliseconds(301));
}

}  // namespace
}  // namespace nexus::proxy
