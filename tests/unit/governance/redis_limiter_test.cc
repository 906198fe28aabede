// RedisLimiter against a real redis-server on loopback, one instance: the same decisions as the
// LocalLimiter (scope_state_test.cc's behaviours through the Limiter interface), messages and
// reset times included.
#include "governance/redis_limiter.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "redis_limiter_fixture.h"

namespace nexus::governance::testing {
namespace {

using RedisLimiterTest = RedisLimiterFixture;

// One script of requests, run through the LocalLimiter and through the RedisLimiter (each on
// scopes of its own): every decision, message and reset time must be the same.
TEST_F(RedisLimiterTest, DecidesExactlyAsTheLocalLimiter) {
  const Controls key_controls{
      .limits = {.rpm = 5, .tpm = 1000, .max_parallel = 3},
      .model_limits = {{.model = "big", .limits = {.rpm = 2, .tpm = 500, .max_parallel = 1}}},
      .budget = Budget{.hard = 1000, .soft = 500, .period = BudgetPeriod::kMonthly}};
  const Controls team_controls{.limits = {.rpm = 4}};
  auto make_scopes = [&](const std::string& suffix) {
    return std::vector{scope(ScopeKind::kKey, "key_a" + suffix, key_controls),
                       scope(ScopeKind::kTeam, "team_a" + suffix, team_controls)};
  };
  LocalLimiter local(zone_);
  auto redis = limiter();
  const auto local_scopes = make_scopes("");
  const auto redis_scopes = make_scopes("");  // separate states, same names

  struct Step {
    UnixMillis at;
    uint64_t tokens;
    NanoUsd reserve;
    const char* model;
    bool settle_first_admitted;  // settle the oldest admitted request before this one
    uint64_t used;
    NanoUsd cost;
  };
  const UnixMillis t = kMonday + 5000;
  const Step steps[] = {
      {t, 100, 300, "gpt", false, 0, 0},
      {t, 200, 300, "big", false, 0, 0},
      {t, 100, 300, "big", false, 0, 0},  // big: max_parallel 1
      {t, 100, 300, "gpt", false, 0, 0},
      {t, 100, 300, "gpt", false, 0, 0},    // 3 in flight
      {t, 100, 300, "gpt", true, 50, 250},  // settled one: budget 250 + 600 + 300 > 1000
      {t, 100, 100, "gpt", false, 0, 0},
      {t, 900, 10, "gpt", true, 10, 100},  // tpm
      {t, 10, 10, "gpt", false, 0, 0},     // team rpm 4 reached
      {t + kMinute, 600, 10, "big", true, 20, 10},
      {t + kMinute, 10, 10, "big", false, 0, 0},
      {t + kMinute, 10, 900, "gpt", true, 0, 0},  // budget
  };
  std::vector<Demand> local_admitted;
  std::vector<Demand> redis_admitted;
  std::string refusals;
  for (size_t i = 0; i < std::size(steps); ++i) {
    const Step& step = steps[i];
    if (step.settle_first_admitted && !local_admitted.empty()) {
      local.settle(local_scopes, local_admitted.front(), step.used, step.cost, step.at);
      redis->settle(redis_scopes, redis_admitted.front(), step.used, step.cost, step.at);
      local_admitted.erase(local_admitted.begin());
      redis_admitted.erase(redis_admitted.begin());
    }
    const Demand wanted = demand(step.at, step.tokens, step.reserve, step.model);
    const Decision expected = admit(local, local_scopes, wanted, step.at);
    const Decision actual = admit(*redis, redis_scopes, wanted, step.at);
    EXPECT_EQ(describe(actual), describe(expected)) << "step " << i;
    refusals += describe(expected) + "\n";
    if (!expected) {
      local_admitted.push_back(wanted);
    }
    if (!actual) {
      redis_admitted.push_back(wanted);
    }
  }
  EXPECT_EQ(local_admitted.size(), redis_admitted.size());
  // The script was refused for each reason at least once, so the comparison covered them all.
  for (const char* reason : {"requests per minute", "tokens per minute", "max_parallel",
                             "for model big", "budget", "team team_a"}) {
    EXPECT_NE(refusals.find(reason), std::string::npos) << reason << " never refused:\n"
                                                        << refusals;
  }
}

TEST_F(RedisLimiterTest, RequestsPerMinuteIsAFixedWindow) {
  auto redis = limiter();
  const std::vector scopes{scope(ScopeKind::kTeam, "team_a", {.limits = {.rpm = 3}})};
  const UnixMillis now = kMonday + 10'000;
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(admit(*redis, scopes, demand(now), now).has_value()) << i;
  }
  const Refused refused = refusal_of(admit(*redis, scopes, demand(now), now));
  EXPECT_EQ(refused.error.code(), ErrorCode::kRateLimited);
  EXPECT_EQ(refused.retry_after_seconds, 50U);
  EXPECT_EQ(refused.error.message(),
            "team team_a reached its limit of 3 requests per minute; it resets in 50 s");
  const UnixMillis next = kMonday + kMinute;
  EXPECT_FALSE(admit(*redis, scopes, demand(next), next).has_value());
}

TEST_F(RedisLimiterTest, TokensPerMinuteAreEstimatedThenCorrected) {
  auto redis = limiter();
  const std::vector scopes{scope(ScopeKind::kTeam, "team_a", {.limits = {.tpm = 1000}})};
  const UnixMillis now = kMonday;
  const Demand big = demand(now, 800);
  ASSERT_FALSE(admit(*redis, scopes, big, now).has_value());
  const Refused refused = refusal_of(admit(*redis, scopes, demand(now, 300), now));
  EXPECT_NE(refused.error.message().find("(this request may use 300, 200 are left)"),
            std::string::npos)
      << refused.error.message();
  redis->settle(scopes, big, 100, 0, now + 1000);  // used 100, not 800
  EXPECT_FALSE(admit(*redis, scopes, demand(now, 900), now).has_value());
  EXPECT_EQ(redis_field("nx:{t:team_a}:m:" + std::to_string(now / kMinute), "t"), 1000);
}

TEST_F(RedisLimiterTest, MaxParallelCountsRequestsInFlight) {
  auto redis = limiter();
  const std::vector scopes{scope(ScopeKind::kKey, "key_a", {.limits = {.max_parallel = 2}})};
  const UnixMillis now = kMonday;
  const Demand first = demand(now);
  ASSERT_FALSE(admit(*redis, scopes, first, now).has_value());
  ASSERT_FALSE(admit(*redis, scopes, demand(now), now).has_value());
  const Refused refused = refusal_of(admit(*redis, scopes, demand(now), now));
  EXPECT_EQ(refused.error.message(), "key key_a has 2 requests in flight, its max_parallel limit");
  EXPECT_EQ(refused.retry_after_seconds, 0U);
  redis->settle(scopes, first, 10, 0, now);
  EXPECT_FALSE(admit(*redis, scopes, demand(now), now).has_value());
}

TEST_F(RedisLimiterTest, ABudgetReservesTheWorstCaseAndSettlesTheActualCost) {
  auto redis = limiter();
  const std::vector scopes{
      scope(ScopeKind::kTeam, "team_a",
            {.budget = Budget{.hard = 1000, .period = BudgetPeriod::kMonthly}})};
  const UnixMillis now = kMonday;
  const Demand first = demand(now, 10, 300);
  std::vector<Demand> admitted;
  for (int i = 0; i < 3; ++i) {
    admitted.push_back(demand(now, 10, 300));
    ASSERT_FALSE(admit(*redis, scopes, admitted.back(), now).has_value());
  }
  const Refused refused = refusal_of(admit(*redis, scopes, demand(now, 10, 300), now));
  EXPECT_EQ(refused.error.code(), ErrorCode::kBudgetExceeded);
  const auto period = period_bounds(BudgetPeriod::kMonthly, now, *zone_);
  EXPECT_EQ(refused.retry_after_seconds, static_cast<uint64_t>((period.end - now) / 1000));
  EXPECT_TRUE(refused.error.message().starts_with(
      "team team_a has spent $0.0 of its $0.000001 budget ($0.0000009 held by requests in "
      "flight); this request may cost up to $0.0000003"))
      << refused.error.message();
  redis->settle(scopes, admitted[0], 10, 100, now);  // cost 100 of the 300 reserved
  const std::string budget = "nx:{t:team_a}:b:" + std::to_string(period.start);
  EXPECT_FALSE(admit(*redis, scopes, demand(now, 10, 300), now).has_value());  // 100+600+300
  EXPECT_EQ(redis_field(budget, "s"), 100);
  EXPECT_EQ(redis_field("nx:{t:team_a}:r", "_total"), 900);
  EXPECT_TRUE(admit(*redis, scopes, demand(now, 10, 1), now).has_value());
}

TEST_F(RedisLimiterTest, ModelLimitsApplyToTheirModelOnly) {
  auto redis = limiter();
  const std::vector scopes{scope(ScopeKind::kUser, "user_a",
                                 {.model_limits = {{.model = "big", .limits = {.rpm = 1}}}})};
  const UnixMillis now = kMonday;
  ASSERT_FALSE(admit(*redis, scopes, demand(now, 10, 0, "big"), now).has_value());
  const Refused refused = refusal_of(admit(*redis, scopes, demand(now, 10, 0, "big"), now));
  EXPECT_TRUE(refused.error.message().starts_with(
      "user user_a for model big reached its limit of 1 requests per minute"))
      << refused.error.message();
  EXPECT_FALSE(admit(*redis, scopes, demand(now, 10, 0, "small"), now).has_value());
}

TEST_F(RedisLimiterTest, ARefusalByOneScopeTakesNothingFromTheOthers) {
  auto redis = limiter();
  const std::vector scopes{scope(ScopeKind::kKey, "key_a", {.limits = {.rpm = 10}}),
                           scope(ScopeKind::kTeam, "team_a", {.limits = {.rpm = 1}})};
  const UnixMillis now = kMonday;
  ASSERT_FALSE(admit(*redis, scopes, demand(now), now).has_value());
  ASSERT_TRUE(admit(*redis, scopes, demand(now), now).has_value());
  const std::string minute = std::to_string(now / kMinute);
  EXPECT_EQ(redis_field("nx:{k:key_a}:m:" + minute, "r"), 1);
  EXPECT_EQ(redis_field("nx:{t:team_a}:m:" + minute, "r"), 1);
}

TEST_F(RedisLimiterTest, AKeyWithoutLimitsNeedsNoRedis) {
  auto redis = limiter(false);
  const std::vector scopes{scope(ScopeKind::kKey, "key_free", {})};
  redis_.stop();
  EXPECT_FALSE(admit(*redis, scopes, demand(kMonday), kMonday).has_value());
}

}  // namespace
}  // namespace nexus::governance::testing
