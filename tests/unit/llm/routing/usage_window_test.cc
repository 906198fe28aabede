// Requests and tokens per minute across workers: the sliding estimate and the limits.
#include "llm/routing/usage_window.h"

#include <gtest/gtest.h>

namespace nexus::llm::routing {
namespace {

using namespace std::chrono_literals;
using TimePoint = UsageWindow::Clock::time_point;

const TimePoint kMinute = TimePoint{} + 100min;  // the start of a minute

TEST(UsageWindow, RpmAndTpmLimitsWithinAMinute) {
  UsageWindow window;
  EXPECT_TRUE(window.has_room(0, 0, 1000000, kMinute));  // no limits
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(window.has_room(3, 0, 0, kMinute + 1s));
    window.add_request(100, kMinute + 1s);
  }
  EXPECT_FALSE(window.has_room(3, 0, 0, kMinute + 2s));
  EXPECT_TRUE(window.has_room(0, 400, 100, kMinute + 2s));
  EXPECT_FALSE(window.has_room(0, 400, 101, kMinute + 2s));
  window.end_request(100, 10, kMinute + 3s);  // used less than expected
  EXPECT_TRUE(window.has_room(0, 400, 190, kMinute + 3s));
  EXPECT_NEAR(window.utilisation(6, 0, kMinute + 3s), 0.5, 1e-9);
}

TEST(UsageWindow, ThePreviousMinuteFadesOutOverTheNext) {
  UsageWindow window;
  for (int i = 0; i < 10; ++i) {
    window.add_request(0, kMinute + 30s);
  }
  // A quarter into the next minute, three quarters of the last one still count: 7.5.
  EXPECT_NEAR(window.utilisation(10, 0, kMinute + 75s), 0.75, 1e-6);
  EXPECT_FALSE(window.has_room(8, 0, 0, kMinute + 75s));
  EXPECT_TRUE(window.has_room(9, 0, 0, kMinute + 75s));
  // Two minutes later nothing counts.
  EXPECT_NEAR(window.utilisation(10, 0, kMinute + 150s), 0.0, 1e-9);
}

TEST(UsageWindow, MaxConcurrentCountsRequestsInFlight) {
  UsageWindow window;
  window.add_request(0, kMinute);
  window.add_request(0, kMinute);
  EXPECT_TRUE(window.has_capacity(0));
  EXPECT_TRUE(window.has_capacity(3));
  EXPECT_FALSE(window.has_capacity(2));
  window.end_request(0, 0, kMinute + 1s);
  EXPECT_TRUE(window.has_capacity(2));
}

}  // namespace
}  // namespace nexus::llm::routing
