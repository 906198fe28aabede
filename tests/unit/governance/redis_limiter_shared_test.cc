// RedisLimiter instances sharing one real redis-server: exact admissions across instances,
// budgets rebuilt from a real SQLite ledger, leases of a crashed instance, Redis going away and
// coming back.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "governance/redis_limiter.h"
#include "redis_limiter_fixture.h"

namespace nexus::governance::testing {
namespace {

using storage::testing::usage_record;
using RedisLimiterSharedTest = RedisLimiterFixture;

// Requests from many threads of two instances: the shared window admits exactly rpm.
TEST_F(RedisLimiterSharedTest, TwoInstancesAdmitExactlyTheRequestsPerMinute) {
  auto first = limiter();
  auto second = limiter();
  const Controls controls{.limits = {.rpm = 100}};
  const auto scopes_one = std::vector{scope(ScopeKind::kTeam, "team_a", controls)};
  const auto scopes_two = std::vector{scope(ScopeKind::kTeam, "team_a", controls)};
  const UnixMillis now = kMonday + 1000;
  std::atomic<int> admitted{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Limiter& target = t % 2 == 0 ? static_cast<Limiter&>(*first) : *second;
      const auto& scopes = t % 2 == 0 ? scopes_one : scopes_two;
      for (int i = 0; i < 40; ++i) {
        const Decision decision = admit(target, scopes, demand(now), now);
        (decision ? refused : admitted).fetch_add(1);
        if (decision) {
          EXPECT_EQ(decision->error.code(), ErrorCode::kRateLimited);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(admitted.load(), 100);
  EXPECT_EQ(refused.load(), 220);
}

// Admit, then settle at the reserved cost, from many threads of two instances: exactly
// floor(hard / cost) are admitted, and the spend never passes the budget.
TEST_F(RedisLimiterSharedTest, TwoInstancesNeverDoubleSpendABudget) {
  auto first = limiter();
  auto second = limiter();
  const Controls controls{.budget = Budget{.hard = 1000, .period = BudgetPeriod::kDaily}};
  const auto scopes_one = std::vector{scope(ScopeKind::kOrg, "org_a", controls)};
  const auto scopes_two = std::vector{scope(ScopeKind::kOrg, "org_a", controls)};
  const UnixMillis now = kMonday + 1000;
  constexpr NanoUsd kCost = 30;
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Limiter& target = t % 2 == 0 ? static_cast<Limiter&>(*first) : *second;
      const auto& scopes = t % 2 == 0 ? scopes_one : scopes_two;
      for (int i = 0; i < 10; ++i) {
        const Demand wanted = demand(now, 10, kCost);
        const Decision decision = admit(target, scopes, wanted, now);
        if (!decision) {
          admitted.fetch_add(1);
          target.settle(scopes, wanted, 10, kCost, now);
        } else {
          EXPECT_EQ(decision->error.code(), ErrorCode::kBudgetExceeded) << describe(decision);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(admitted.load(), 1000 / kCost);
  first.reset();  // settlements queued are written before a limiter stops
  second.reset();
  const auto period = period_bounds(BudgetPeriod::kDaily, now, *zone_);
  EXPECT_EQ(redis_field("nx:{o:org_a}:b:" + std::to_string(period.start), "s"),
            (1000 / kCost) * kCost);
  EXPECT_EQ(redis_field("nx:{o:org_a}:r", "_total"), 0);
}

// The period's spend comes from the ledger when Redis does not have it: at first use, and
// after Redis lost everything.
TEST_F(RedisLimiterSharedTest, BudgetsAreRebuiltFromTheLedger) {
  const UnixMillis now = kMonday + 1000;
  const std::vector<UsageRecord> earlier{usage_record("req_1", now - 500, 600),
                                         usage_record("req_old", kMonday - 1000, 5000)};
  ASSERT_TRUE(store_->append_usage(earlier).has_value());
  auto redis = limiter();
  const std::vector scopes{scope(ScopeKind::kTeam, "team_a",
                                 {.budget = Budget{.hard = 1000, .period = BudgetPeriod::kDaily}})};
  const Demand spend = demand(now, 10, 400);
  ASSERT_FALSE(admit(*redis, scopes, spend, now).has_value());  // 600 + 400 <= 1000
  ASSERT_TRUE(admit(*redis, scopes, demand(now, 10, 1), now).has_value());
  redis->settle(scopes, spend, 10, 300, now);
  const std::vector<UsageRecord> later{usage_record("req_2", now, 300)};
  ASSERT_TRUE(store_->append_usage(later).has_value());

  redis_command({"FLUSHALL"});
  // 900 spent, per the ledger.
  const Refused after_flush = refusal_of(admit(*redis, scopes, demand(now, 10, 101), now));
  EXPECT_TRUE(after_flush.error.message().starts_with("team team_a has spent $0.0000009 of"))
      << after_flush.error.message();
  EXPECT_FALSE(admit(*redis, scopes, demand(now, 10, 100), now).has_value());
}

// A script Redis forgot (SCRIPT FLUSH, a restart) is sent again.
TEST_F(RedisLimiterSharedTest, ReloadsItsScriptsWhenRedisForgetsThem) {
  auto redis = limiter();
  const std::vector scopes{scope(ScopeKind::kKey, "key_a", {.limits = {.rpm = 2}})};
  ASSERT_FALSE(admit(*redis, scopes, demand(kMonday), kMonday).has_value());
  redis_command({"SCRIPT", "FLUSH"});
  ASSERT_FALSE(admit(*redis, scopes, demand(kMonday), kMonday).has_value());
  EXPECT_TRUE(admit(*redis, scopes, demand(kMonday), kMonday).has_value());
}

// An instance that died with requests in flight: they count until their lease ends, then stop
// counting and their reservations are released.
TEST_F(RedisLimiterSharedTest, ACrashedInstancesRequestsStopCountingWhenTheirLeaseEnds) {
  const Controls controls{.limits = {.max_parallel = 1},
                          .budget = Budget{.hard = 500, .period = BudgetPeriod::kTotal}};
  const UnixMillis now = kMonday;
  {
    auto crashed = limiter(false, milliseconds(1000));
    const std::vector scopes{scope(ScopeKind::kKey, "key_a", controls)};
    ASSERT_FALSE(admit(*crashed, scopes, demand(now, 10, 500), now).has_value());
  }  // never settled
  auto survivor = limiter(false, milliseconds(1000));
  const std::vector scopes{scope(ScopeKind::kKey, "key_a", controls)};
  const Refused during =
      refusal_of(admit(*survivor, scopes, demand(now + 900, 10, 500), now + 900));
  EXPECT_NE(during.error.message().find("max_parallel"), std::string::npos);
  EXPECT_FALSE(admit(*survivor, scopes, demand(now + 1001, 10, 500), now + 1001).has_value());
}

TEST_F(RedisLimiterSharedTest, WithoutRedisBudgetsFailClosedAndRatesFollowThePolicy) {
  auto closed = limiter(false);
  auto open = limiter(true);
  const std::vector budgeted{
      scope(ScopeKind::kTeam, "team_b",
            {.budget = Budget{.hard = 1000, .period = BudgetPeriod::kDaily}})};
  const std::vector rated{scope(ScopeKind::kTeam, "team_r", {.limits = {.rpm = 1}})};
  const UnixMillis now = kMonday;
  ASSERT_FALSE(admit(*closed, rated, demand(now), now).has_value());
  redis_.stop();

  for (Limiter* target : {static_cast<Limiter*>(closed.get()), static_cast<Limiter*>(open.get())}) {
    const Refused budget = refusal_of(admit(*target, budgeted, demand(now, 10, 10), now));
    EXPECT_EQ(budget.error.code(), ErrorCode::kOverloaded);
    EXPECT_TRUE(budget.error.message().starts_with("budget counters unavailable"))
        << budget.error.message();
  }
  const Refused rate_closed = refusal_of(admit(*closed, rated, demand(now), now));
  EXPECT_EQ(rate_closed.error.code(), ErrorCode::kOverloaded);
  EXPECT_TRUE(rate_closed.error.message().starts_with("rate limit counters unavailable"));
  for (int i = 0; i < 3; ++i) {  // uncounted: the rpm of 1 does not apply
    EXPECT_FALSE(admit(*open, rated, demand(now), now).has_value()) << i;
  }
  EXPECT_FALSE(closed->available());

  const std::string restarted = redis_.start();  // empty: everything was lost
  ASSERT_TRUE(restarted.empty()) << restarted;
  // Bounded: the limiter reconnects within its backoff (at most 5 s).
  const UnixMillis later = now + kMinute;
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  Decision decision = admit(*closed, budgeted, demand(later, 10, 10), later);
  while (decision && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
    decision = admit(*closed, budgeted, demand(later, 10, 10), later);
  }
  EXPECT_FALSE(decision.has_value()) << describe(decision);
  EXPECT_TRUE(closed->available());
  // Counting again: the rpm of 1 admits one request in the new minute, not two.
  EXPECT_FALSE(admit(*closed, rated, demand(later), later).has_value());
  const Refused counted = refusal_of(admit(*closed, rated, demand(later), later));
  EXPECT_EQ(counted.error.code(), ErrorCode::kRateLimited);
}

}  // namespace
}  // namespace nexus::governance::testing
