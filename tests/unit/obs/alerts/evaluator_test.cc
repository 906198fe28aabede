// The alert rules' logic with time and samples passed in: each kind's value, `for:` (pending
// before firing), resolution, no data, and the payload a webhook receives.
#include "obs/alerts/evaluator.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "obs/alerts/alert_manager.h"

namespace nexus::obs::alerts {
namespace {

using std::chrono::seconds;
using Kind = config::AlertRule::Kind;

config::AlertRule rule_of(Kind kind, double threshold, seconds hold = seconds(0)) {
  config::AlertRule rule;
  rule.name = "r";
  rule.kind = kind;
  rule.threshold = threshold;
  rule.window = seconds(60);
  rule.for_ = hold;
  return rule;
}

class EvaluatorTest : public ::testing::Test {
 protected:
  // Evaluates `at` seconds after the start.
  std::optional<Notification> at(RuleEvaluator& rule, int second,
                                 const std::optional<Sample>& sample) {
    return rule.evaluate(sample, start_ + seconds(second), wall_ + seconds(second));
  }
  // The notification `got` holds (a default one, failing the test, if none).
  static Notification expect_one(const std::optional<Notification>& got) {
    EXPECT_TRUE(got.has_value());
    return got.value_or(Notification{});
  }
  static Sample requests(uint64_t total, uint64_t errors) { return {.counters = {total, errors}}; }

  SteadyClock::time_point start_{seconds(1000)};
  SystemClock::time_point wall_{seconds(1'700'000'000)};
};

TEST_F(EvaluatorTest, ErrorRateFiresAtOnceWithoutForAndResolves) {
  const config::AlertRule config = rule_of(Kind::kErrorRate, 0.5);
  RuleEvaluator rule(config);
  EXPECT_FALSE(at(rule, 0, requests(0, 0)));  // the first sample: no window yet
  EXPECT_FALSE(rule.view().value);
  EXPECT_FALSE(at(rule, 10, requests(10, 1)));  // 10%
  EXPECT_DOUBLE_EQ(rule.view().value.value_or(-1), 0.1);
  const Notification fired =
      expect_one(at(rule, 20, requests(20, 12)));  // 12 of 20 since the base sample
  EXPECT_TRUE(fired.firing);
  EXPECT_DOUBLE_EQ(fired.value, 0.6);
  EXPECT_EQ(rule.view().state, State::kFiring);
  EXPECT_FALSE(at(rule, 30, requests(40, 30)));  // still firing: no second notification
  // 61 s on, the base is the sample at 10 s... then enough successes bring the share down.
  const Notification resolved = expect_one(at(rule, 80, requests(400, 30)));
  EXPECT_FALSE(resolved.firing);
  EXPECT_EQ(resolved.started_at, wall_ + seconds(20));
  EXPECT_EQ(resolved.ended_at, std::optional(wall_ + seconds(80)));
  EXPECT_EQ(rule.view().state, State::kInactive);
}

TEST_F(EvaluatorTest, ForKeepsTheRulePendingUntilTheConditionHeldThatLong) {
  const config::AlertRule config = rule_of(Kind::kErrorRate, 0.5, seconds(30));
  RuleEvaluator rule(config);
  at(rule, 0, requests(0, 0));
  EXPECT_FALSE(at(rule, 10, requests(10, 10)));
  EXPECT_EQ(rule.view().state, State::kPending);
  EXPECT_FALSE(at(rule, 30, requests(20, 20)));
  EXPECT_EQ(rule.view().state, State::kPending);
  const Notification fired = expect_one(at(rule, 40, requests(30, 30)));  // held from 10 s to 40 s
  EXPECT_TRUE(fired.firing);
  EXPECT_EQ(rule.view().state, State::kFiring);
}

TEST_F(EvaluatorTest, PendingThatStopsHoldingGoesBackToInactiveWithoutNotifying) {
  const config::AlertRule config = rule_of(Kind::kErrorRate, 0.5, seconds(30));
  RuleEvaluator rule(config);
  at(rule, 0, requests(0, 0));
  EXPECT_FALSE(at(rule, 10, requests(10, 10)));
  EXPECT_EQ(rule.view().state, State::kPending);
  EXPECT_FALSE(at(rule, 20, requests(1000, 10)));
  EXPECT_EQ(rule.view().state, State::kInactive);
}

TEST_F(EvaluatorTest, NoTrafficOrNoSourceIsNoDataAndResolves) {
  const config::AlertRule config = rule_of(Kind::kErrorRate, 0.5);
  RuleEvaluator rule(config);
  at(rule, 0, requests(0, 0));
  ASSERT_TRUE(at(rule, 10, requests(10, 10)));
  const Notification resolved =
      expect_one(at(rule, 200, requests(10, 10)));  // nothing over the last minute
  EXPECT_FALSE(resolved.firing);
  EXPECT_FALSE(rule.view().value);
  EXPECT_FALSE(at(rule, 210, std::nullopt));
  EXPECT_EQ(rule.view().state, State::kInactive);
}

TEST_F(EvaluatorTest, LatencyP95FromBucketIncreases) {
  const config::AlertRule config = rule_of(Kind::kLatencyP95, 0.5);
  RuleEvaluator rule(config);
  const std::vector<double> bounds = {0.1, 1.0};
  at(rule, 0, Sample{.counters = {5, 0, 0}, .bounds = bounds});
  // 100 fast requests since: p95 in the first bucket.
  EXPECT_FALSE(at(rule, 10, Sample{.counters = {105, 0, 0}, .bounds = bounds}));
  EXPECT_NEAR(rule.view().value.value_or(-1), 0.095, 1e-9);
  // Then 100 more of which 20 slow (0.1..1 s): rank 190 of 200 falls in the second bucket.
  const Notification fired =
      expect_one(at(rule, 20, Sample{.counters = {185, 20, 0}, .bounds = bounds}));
  EXPECT_NEAR(fired.value, 0.1 + 0.9 * (190.0 - 180.0) / 20.0, 1e-9);
}

TEST(BucketQuantile, InfBucketGivesTheHighestBoundAndEmptyGivesNothing) {
  EXPECT_DOUBLE_EQ(bucket_quantile(0.95, {0, 0, 10}, {0.1, 1.0}).value_or(-1), 1.0);
  EXPECT_FALSE(bucket_quantile(0.95, {0, 0, 0}, {0.1, 1.0}));
}

TEST_F(EvaluatorTest, ProviderAuthFailuresCountsTheIncrease) {
  const config::AlertRule config = rule_of(Kind::kProviderAuthFailures, 3);
  RuleEvaluator rule(config);
  at(rule, 0, Sample{.counters = {7}});
  EXPECT_FALSE(at(rule, 10, Sample{.counters = {9}}));
  EXPECT_DOUBLE_EQ(rule.view().value.value_or(-1), 2);
  EXPECT_TRUE(at(rule, 20, Sample{.counters = {10}}));
}

TEST_F(EvaluatorTest, CounterResetCountsFromZero) {
  const config::AlertRule config = rule_of(Kind::kProviderAuthFailures, 100);
  RuleEvaluator rule(config);
  at(rule, 0, Sample{.counters = {50}});
  at(rule, 10, Sample{.counters = {4}});
  EXPECT_DOUBLE_EQ(rule.view().value.value_or(-1), 4);
}

TEST_F(EvaluatorTest, BudgetAndCircuitOpenAreInstant) {
  const config::AlertRule budget_config = rule_of(Kind::kBudget, 0.8);
  RuleEvaluator budget(budget_config);
  EXPECT_FALSE(at(budget, 0, Sample{.instant = 0.5}));
  EXPECT_TRUE(at(budget, 1, Sample{.instant = 0.85}));
  EXPECT_TRUE(at(budget, 2, Sample{.instant = std::nullopt}));  // the scope is gone: resolved

  const config::AlertRule circuit_config = rule_of(Kind::kCircuitOpen, 1);
  RuleEvaluator circuit(circuit_config);
  const Notification fired = expect_one(at(circuit, 0, Sample{.instant = 2}));
  EXPECT_DOUBLE_EQ(fired.value, 2);
  EXPECT_TRUE(at(circuit, 1, Sample{.instant = 0}));
}

TEST_F(EvaluatorTest, PayloadNamesTheRuleItsStateAndTimes) {
  config::AlertRule config = rule_of(Kind::kErrorRate, 0.5);
  config.name = "checkout errors";
  config.severity = "critical";
  config.route = "checkout";
  const Notification resolved{.rule = &config,
                              .firing = false,
                              .value = 0.25,
                              .started_at = wall_,
                              .ended_at = wall_ + std::chrono::milliseconds(1500)};
  const auto body = boost::json::parse(notification_json(resolved, "host-1")).as_object();
  EXPECT_EQ(body.at("rule").as_string(), "checkout errors");
  EXPECT_EQ(body.at("kind").as_string(), "error_rate");
  EXPECT_EQ(body.at("severity").as_string(), "critical");
  EXPECT_EQ(body.at("state").as_string(), "resolved");
  EXPECT_DOUBLE_EQ(body.at("value").as_double(), 0.25);
  EXPECT_DOUBLE_EQ(body.at("threshold").as_double(), 0.5);
  EXPECT_EQ(body.at("started_at").as_string(), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(body.at("ended_at").as_string(), "2023-11-14T22:13:21.500Z");
  EXPECT_EQ(body.at("labels").at("route").as_string(), "checkout");
  EXPECT_EQ(body.at("instance").as_string(), "host-1");
}

}  // namespace
}  // namespace nexus::obs::alerts
