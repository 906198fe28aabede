// Active health checks' pure parts: which statuses pass, the threshold state machine, and the
// flags the workers read.
#include "proxy/health/endpoint_health.h"

#include <gtest/gtest.h>

namespace nexus::proxy {
namespace {

using Change = HealthTracker::Change;

TEST(HealthStatus, DefaultIsAny2xx) {
  const config::HealthCheck check;
  EXPECT_TRUE(status_expected(check.expected_status, 200));
  EXPECT_TRUE(status_expected(check.expected_status, 204));
  EXPECT_TRUE(status_expected(check.expected_status, 299));
  EXPECT_FALSE(status_expected(check.expected_status, 199));
  EXPECT_FALSE(status_expected(check.expected_status, 301));
  EXPECT_FALSE(status_expected(check.expected_status, 503));
}

TEST(HealthStatus, CodesAndRangesCombine) {
  const std::vector<config::StatusRange> expected = {{200, 200}, {300, 399}};
  EXPECT_TRUE(status_expected(expected, 200));
  EXPECT_FALSE(status_expected(expected, 201));
  EXPECT_TRUE(status_expected(expected, 300));
  EXPECT_TRUE(status_expected(expected, 399));
  EXPECT_FALSE(status_expected(expected, 400));
  EXPECT_FALSE(status_expected({}, 200));  // nothing expected: nothing passes
}

class HealthTrackerTest : public ::testing::Test {
 protected:
  HealthTrackerTest() {
    config_.unhealthy_threshold = 3;
    config_.healthy_threshold = 2;
  }
  config::HealthCheck config_;
};

TEST_F(HealthTrackerTest, StartsHealthyAndStaysSoWhilePassing) {
  HealthTracker tracker(config_);
  EXPECT_TRUE(tracker.healthy());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(tracker.record(true), Change::kNone);
  }
  EXPECT_TRUE(tracker.healthy());
}

TEST_F(HealthTrackerTest, UnhealthyAfterThresholdFailuresInARow) {
  HealthTracker tracker(config_);
  EXPECT_EQ(tracker.record(false), Change::kNone);
  EXPECT_EQ(tracker.record(false), Change::kNone);
  EXPECT_TRUE(tracker.healthy());
  EXPECT_EQ(tracker.record(false), Change::kBecameUnhealthy);
  EXPECT_FALSE(tracker.healthy());
  EXPECT_EQ(tracker.record(false), Change::kNone);  // reported once, not per check
}

TEST_F(HealthTrackerTest, APassBreaksTheFailureStreak) {
  HealthTracker tracker(config_);
  tracker.record(false);
  tracker.record(false);
  tracker.record(true);
  EXPECT_EQ(tracker.record(false), Change::kNone);
  EXPECT_EQ(tracker.record(false), Change::kNone);
  EXPECT_TRUE(tracker.healthy());
  EXPECT_EQ(tracker.record(false), Change::kBecameUnhealthy);
}

TEST_F(HealthTrackerTest, HealthyAgainAfterThresholdPassesInARow) {
  HealthTracker tracker(config_);
  for (int i = 0; i < 3; ++i) {
    tracker.record(false);
  }
  ASSERT_FALSE(tracker.healthy());
  EXPECT_EQ(tracker.record(true), Change::kNone);
  EXPECT_EQ(tracker.record(false), Change::kNone);  // the streak starts over
  EXPECT_EQ(tracker.record(true), Change::kNone);
  EXPECT_FALSE(tracker.healthy());
  EXPECT_EQ(tracker.record(true), Change::kBecameHealthy);
  EXPECT_TRUE(tracker.healthy());
  EXPECT_EQ(tracker.record(true), Change::kNone);
}

TEST_F(HealthTrackerTest, ThresholdsOfOneFlipOnEachChange) {
  config_.unhealthy_threshold = 1;
  config_.healthy_threshold = 1;
  HealthTracker tracker(config_);
  EXPECT_EQ(tracker.record(false), Change::kBecameUnhealthy);
  EXPECT_EQ(tracker.record(true), Change::kBecameHealthy);
  EXPECT_EQ(tracker.record(false), Change::kBecameUnhealthy);
}

TEST(EndpointHealthFlags, StartHealthyAndPanicWhenAllAreDown) {
  EndpointHealth health(3);
  EXPECT_TRUE(health.healthy(0));
  EXPECT_TRUE(health.healthy(2));
  health.set(0, false);
  health.set(2, false);
  EXPECT_FALSE(health.healthy(0));
  EXPECT_TRUE(health.any_healthy());
  health.set(1, false);
  EXPECT_FALSE(health.any_healthy());
  health.set(1, true);
  EXPECT_TRUE(health.any_healthy());
}

}  // namespace
}  // namespace nexus::proxy
