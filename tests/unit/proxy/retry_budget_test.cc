// The retry budget: a share of first attempts over 10 seconds, with a floor per second.
#include "proxy/resilience/retry_budget.h"

#include <gtest/gtest.h>

#include <chrono>

namespace nexus::proxy {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

int spend_all(RetryBudget& budget, RetryBudget::Clock::time_point now) {
  int spent = 0;
  while (spent < 10000 && budget.try_spend(now)) {
    ++spent;
  }
  return spent;
}

TEST(RetryBudget, TheFloorAllowsMinPerSecondTimesTheWindow) {
  config::RetryBudget config{.percent = 20, .min_per_second = 3};
  RetryBudget budget(config);
  EXPECT_EQ(spend_all(budget, RetryBudget::Clock::time_point(seconds(1000))), 30);
}

TEST(RetryBudget, AShareOfFirstAttemptsAboveTheFloor) {
  config::RetryBudget config{.percent = 20, .min_per_second = 0};
  RetryBudget budget(config);
  const RetryBudget::Clock::time_point now(seconds(1000));
  for (int i = 0; i < 500; ++i) {
    budget.on_first_attempt(now);
  }
  EXPECT_EQ(spend_all(budget, now), 100);
}

TEST(RetryBudget, RetriesOlderThanTenSecondsNoLongerCount) {
  config::RetryBudget config{.percent = 0, .min_per_second = 1};
  RetryBudget budget(config);
  RetryBudget::Clock::time_point now(seconds(1000));
  EXPECT_EQ(spend_all(budget, now), 10);
  now += seconds(5);
  EXPECT_FALSE(budget.try_spend(now));  // the ten are still in the window
  now += seconds(5) + milliseconds(1);
  EXPECT_EQ(spend_all(budget, now), 10);
}

TEST(RetryBudget, ZeroMeansNoRetries) {
  config::RetryBudget config{.percent = 0, .min_per_second = 0};
  RetryBudget budget(config);
  const RetryBudget::Clock::time_point now(seconds(1000));
  budget.on_first_attempt(now);
  EXPECT_FALSE(budget.try_spend(now));
}

}  // namespace
}  // namespace nexus::proxy
