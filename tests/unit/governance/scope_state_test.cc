#include "governance/scope_state.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace nexus::governance {
namespace {

constexpr UnixMillis kMinute = 60'000;
// 2026-11-23T00:00:00Z, a Monday, at the start of a minute.
constexpr UnixMillis kMonday = 1'795'392'000'000;

class ScopeStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = TimeZone::load("UTC");
    ASSERT_TRUE(loaded.has_value());
    zone_ = *loaded;
  }

  void configure(const Controls& controls, NanoUsd spent = 0) {
    const PeriodBounds period =
        controls.budget ? period_bounds(controls.budget->period, kMonday, *zone_) : PeriodBounds{};
    state_.configure(controls, period, spent);
  }

  static Demand demand(UnixMillis now, uint64_t tokens = 10, NanoUsd reserve = 0,
                       std::string model = "gpt") {
    return {
        .model = std::move(model), .tokens = tokens, .reserve = reserve, .minute = now / kMinute};
  }

  // What refused a request: an empty limit when it was admitted.
  static Refusal refusal(const std::optional<Refusal>& refused) {
    return refused.value_or(Refusal{});
  }

  std::shared_ptr<const TimeZone> zone_;
  ScopeState state_{ScopeKind::kTeam, "team_a"};
};

TEST_F(ScopeStateTest, RequestsPerMinuteIsAFixedWindowOnTheWallClock) {
  configure({.limits = {.rpm = 3}});
  const UnixMillis now = kMonday + 10'000;
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(state_.admit(demand(now), now, *zone_).has_value()) << i;
  }
  const Refusal refused = refusal(state_.admit(demand(now), now, *zone_));
  ASSERT_FALSE(refused.limit.empty());
  EXPECT_EQ(refused.limit, "rpm");
  EXPECT_EQ(refused.kind, Refusal::Kind::kRate);
  EXPECT_EQ(refused.resets_at, kMonday + kMinute);
  EXPECT_NE(refused.message.find("team team_a"), std::string::npos) << refused.message;
  const UnixMillis next = kMonday + kMinute;
  EXPECT_FALSE(state_.admit(demand(next), next, *zone_).has_value());
}

TEST_F(ScopeStateTest, TokensPerMinuteAreEstimatedThenCorrectedFromUsage) {
  configure({.limits = {.tpm = 1000}});
  const UnixMillis now = kMonday;
  const Demand big = demand(now, 800);
  ASSERT_FALSE(state_.admit(big, now, *zone_).has_value());
  const Refusal refused = refusal(state_.admit(demand(now, 300), now, *zone_));
  ASSERT_FALSE(refused.limit.empty());
  EXPECT_EQ(refused.limit, "tpm");
  // It used 100 tokens, not 800: 900 are left this minute.
  state_.settle(big, 100, 0, now + 1000, *zone_);
  EXPECT_FALSE(state_.admit(demand(now, 900), now, *zone_).has_value());
  EXPECT_EQ(state_.view(now, *zone_).tokens_this_minute, 1000U);
}

TEST_F(ScopeStateTest, MaxParallelCountsRequestsInFlight) {
  configure({.limits = {.max_parallel = 2}});
  const UnixMillis now = kMonday;
  const Demand first = demand(now);
  ASSERT_FALSE(state_.admit(first, now, *zone_).has_value());
  ASSERT_FALSE(state_.admit(demand(now), now, *zone_).has_value());
  const Refusal refused = refusal(state_.admit(demand(now), now, *zone_));
  ASSERT_FALSE(refused.limit.empty());
  EXPECT_EQ(refused.limit, "max_parallel");
  EXPECT_EQ(refused.resets_at, 0);
  state_.settle(first, 10, 0, now, *zone_);
  EXPECT_FALSE(state_.admit(demand(now), now, *zone_).has_value());
}

TEST_F(ScopeStateTest, ABudgetReservesTheWorstCaseAndSettlesTheActualCost) {
  configure({.budget = Budget{.hard = 1000, .period = BudgetPeriod::kMonthly}});
  const UnixMillis now = kMonday;
  const Demand first = demand(now, 10, 300);
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(state_.admit(first, now, *zone_).has_value());
  }
  const Refusal refused = refusal(state_.admit(first, now, *zone_));  // 900 + 300 > 1000
  ASSERT_FALSE(refused.limit.empty());
  EXPECT_EQ(refused.kind, Refusal::Kind::kBudget);
  EXPECT_EQ(refused.resets_at, period_bounds(BudgetPeriod::kMonthly, now, *zone_).end);
  state_.settle(first, 10, 100, now, *zone_);  // cost 100 of the 300 reserved
  const ScopeView view = state_.view(now, *zone_);
  EXPECT_EQ(view.spent, 100);
  EXPECT_EQ(view.reserved, 600);
  EXPECT_FALSE(state_.admit(first, now, *zone_).has_value());  // 100 + 600 + 300 == 1000
  EXPECT_TRUE(state_.admit(demand(now, 10, 1), now, *zone_).has_value());
}

TEST_F(ScopeStateTest, SpendAlreadyInTheLedgerCountsAgainstTheBudget) {
  configure({.budget = Budget{.hard = 1000, .period = BudgetPeriod::kDaily}}, 950);
  EXPECT_TRUE(state_.admit(demand(kMonday, 10, 51), kMonday, *zone_).has_value());
  EXPECT_FALSE(state_.admit(demand(kMonday, 10, 50), kMonday, *zone_).has_value());
}

TEST_F(ScopeStateTest, ANewPeriodStartsFromNothing) {
  configure({.budget = Budget{.hard = 1000, .period = BudgetPeriod::kDaily}}, 1000);
  EXPECT_TRUE(state_.admit(demand(kMonday, 10, 1), kMonday, *zone_).has_value());
  constexpr UnixMillis kDay = 1440 * kMinute;
  const UnixMillis tuesday = kMonday + kDay;
  EXPECT_FALSE(state_.admit(demand(tuesday, 10, 1000), tuesday, *zone_).has_value());
  EXPECT_EQ(state_.view(tuesday, *zone_).period.start, tuesday);
}

TEST_F(ScopeStateTest, AReloadInTheSamePeriodKeepsTheRunningSpend) {
  const Controls controls{.budget = Budget{.hard = 1000, .period = BudgetPeriod::kMonthly}};
  configure(controls);
  const Demand spend = demand(kMonday, 10, 400);
  ASSERT_FALSE(state_.admit(spend, kMonday, *zone_).has_value());
  state_.settle(spend, 10, 400, kMonday, *zone_);
  configure(controls, 0);  // what the ledger held before: not newer than the running count
  EXPECT_EQ(state_.view(kMonday, *zone_).spent, 400);
}

TEST_F(ScopeStateTest, CancelGivesBackEverythingAdmitTook) {
  configure({.limits = {.rpm = 1, .tpm = 100, .max_parallel = 1},
             .budget = Budget{.hard = 100, .period = BudgetPeriod::kTotal}});
  const Demand taken = demand(kMonday, 100, 100);
  ASSERT_FALSE(state_.admit(taken, kMonday, *zone_).has_value());
  state_.cancel(taken);
  const ScopeView view = state_.view(kMonday, *zone_);
  EXPECT_EQ(view.requests_this_minute, 0U);
  EXPECT_EQ(view.tokens_this_minute, 0U);
  EXPECT_EQ(view.in_flight, 0U);
  EXPECT_EQ(view.reserved, 0);
  EXPECT_FALSE(state_.admit(taken, kMonday, *zone_).has_value());
}

TEST_F(ScopeStateTest, ModelLimitsApplyToTheirModelOnly) {
  configure({.model_limits = {{.model = "big", .limits = {.rpm = 1}}}});
  EXPECT_FALSE(state_.admit(demand(kMonday, 1, 0, "big"), kMonday, *zone_).has_value());
  const Refusal refused = refusal(state_.admit(demand(kMonday, 1, 0, "big"), kMonday, *zone_));
  ASSERT_FALSE(refused.limit.empty());
  EXPECT_NE(refused.message.find("for model big"), std::string::npos) << refused.message;
  EXPECT_FALSE(state_.admit(demand(kMonday, 1, 0, "small"), kMonday, *zone_).has_value());
}

TEST_F(ScopeStateTest, TheSoftBudgetAlertsOncePerPeriod) {
  configure({.budget = Budget{.hard = 0, .soft = 100, .period = BudgetPeriod::kDaily}});
  const Demand each = demand(kMonday, 1, 0);
  ASSERT_FALSE(state_.admit(each, kMonday, *zone_).has_value());
  EXPECT_FALSE(state_.settle(each, 1, 60, kMonday, *zone_));
  ASSERT_FALSE(state_.admit(each, kMonday, *zone_).has_value());
  EXPECT_TRUE(state_.settle(each, 1, 60, kMonday, *zone_));
  ASSERT_FALSE(state_.admit(each, kMonday, *zone_).has_value());
  EXPECT_FALSE(state_.settle(each, 1, 60, kMonday, *zone_));
}

// Many threads admitting and settling at once: the spend never passes the cap, and exactly as
// many requests as it pays for get through.
TEST_F(ScopeStateTest, ConcurrentRequestsNeverOverspend) {
  configure({.budget = Budget{.hard = 1000, .period = BudgetPeriod::kTotal}});
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        const Demand each = demand(kMonday, 1, 7);
        if (!state_.admit(each, kMonday, *zone_)) {
          admitted.fetch_add(1);
          EXPECT_LE(state_.view(kMonday, *zone_).spent + state_.view(kMonday, *zone_).reserved,
                    1000);
          state_.settle(each, 1, 7, kMonday, *zone_);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(admitted.load(), 1000 / 7);
  EXPECT_EQ(state_.view(kMonday, *zone_).spent, (1000 / 7) * 7);
}

}  // namespace
}  // namespace nexus::governance
