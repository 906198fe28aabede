// The four algorithms as pure functions: exact allow/deny sequences, refill, waits and weights.
#include "filters/rate_limit/algorithms.h"

#include <gtest/gtest.h>

#include <string>

namespace nexus::filters::rate_limit {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSecond = 1000 * kMs;

LimitSpec spec(Algorithm algorithm, int64_t rate, int64_t period_ns, int64_t burst = 0,
               int64_t max_wait_ns = 0) {
  LimitSpec s{.algorithm = algorithm,
              .rate = rate,
              .period_ns = period_ns,
              .burst = burst > 0 ? burst : rate,
              .max_wait_ns = max_wait_ns};
  s.derive();
  return s;
}

// "+" for allowed, "-" for rejected: `count` decisions at `now`.
std::string run(const LimitSpec& s, State& state, int64_t now, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    out += decide(s, state, now).allowed ? '+' : '-';
  }
  return out;
}

TEST(RateLimitTokenBucket, BurstThenOneTokenPerInterval) {
  const LimitSpec s = spec(Algorithm::kTokenBucket, 2, kSecond, 3);  // a token every 500ms
  State state;
  Decision first = decide(s, state, 0);
  EXPECT_TRUE(first.allowed);
  EXPECT_EQ(first.limit, 3);
  EXPECT_EQ(first.remaining, 2);
  EXPECT_EQ(first.reset_ns, 500 * kMs);
  EXPECT_EQ(run(s, state, 0, 2), "++");
  Decision denied = decide(s, state, 0);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.remaining, 0);
  EXPECT_EQ(denied.retry_after_ns, 500 * kMs);
  EXPECT_EQ(denied.reset_ns, 1500 * kMs);
  EXPECT_EQ(run(s, state, 499 * kMs, 1), "-");
  EXPECT_EQ(run(s, state, 500 * kMs, 2), "+-");
}

TEST(RateLimitTokenBucket, RefillsOverTimeUpToTheBurst) {
  const LimitSpec s = spec(Algorithm::kTokenBucket, 2, kSecond, 3);
  State state;
  EXPECT_EQ(run(s, state, 0, 4), "+++-");
  EXPECT_EQ(run(s, state, 1000 * kMs, 3), "++-");     // two tokens back after a second
  EXPECT_EQ(run(s, state, 60 * kSecond, 4), "+++-");  // never more than the burst
}

TEST(RateLimitLeakyBucket, QueuesWithAWaitAndRejectsPastMaxWait) {
  const LimitSpec s = spec(Algorithm::kLeakyBucket, 10, kSecond, 0, 250 * kMs);  // 100ms each
  EXPECT_EQ(s.header_limit(), 3);
  State state;
  for (int64_t expected_delay : {0, 100, 200}) {
    Decision d = decide(s, state, 0);
    ASSERT_TRUE(d.allowed);
    EXPECT_EQ(d.delay_ns, expected_delay * kMs);
    EXPECT_EQ(d.remaining, 2 - expected_delay / 100);
  }
  Decision denied = decide(s, state, 0);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after_ns, 50 * kMs);  // a wait of 300ms, 50ms too long
  EXPECT_EQ(denied.reset_ns, 300 * kMs);
  Decision later = decide(s, state, 150 * kMs);
  EXPECT_TRUE(later.allowed);
  EXPECT_EQ(later.delay_ns, 150 * kMs);
  EXPECT_EQ(decide(s, state, 150 * kMs).delay_ns, 250 * kMs);  // exactly max_wait still fits
  EXPECT_FALSE(decide(s, state, 150 * kMs).allowed);
}

TEST(RateLimitLeakyBucket, WithoutMaxWaitOnlyEvenlySpacedRequestsPass) {
  const LimitSpec s = spec(Algorithm::kLeakyBucket, 10, kSecond);
  State state;
  EXPECT_EQ(run(s, state, 0, 2), "+-");
  EXPECT_EQ(run(s, state, 99 * kMs, 1), "-");
  EXPECT_EQ(run(s, state, 100 * kMs, 2), "+-");
}

TEST(RateLimitFixedWindow, CountsPerAlignedWindow) {
  const LimitSpec s = spec(Algorithm::kFixedWindow, 3, kSecond);
  State state;
  EXPECT_EQ(run(s, state, 100 * kMs, 3), "+++");
  Decision denied = decide(s, state, 900 * kMs);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after_ns, 100 * kMs);
  EXPECT_EQ(denied.reset_ns, 100 * kMs);
  Decision next = decide(s, state, 1000 * kMs);
  EXPECT_TRUE(next.allowed);
  EXPECT_EQ(next.remaining, 2);
  EXPECT_EQ(run(s, state, 1999 * kMs, 3), "++-");
}

TEST(RateLimitSlidingWindow, WeightsThePreviousWindowByItsOverlap) {
  const LimitSpec s = spec(Algorithm::kSlidingWindow, 10, kSecond);
  State state;
  EXPECT_EQ(run(s, state, 100 * kMs, 10), "++++++++++");
  Decision denied = decide(s, state, 100 * kMs);
  EXPECT_FALSE(denied.allowed);
  // Next window at 10% in: 10 × 0.9 = 9 counted, so one fits at 1.1s.
  EXPECT_EQ(denied.retry_after_ns, 1000 * kMs);
  EXPECT_EQ(run(s, state, 1099 * kMs, 1), "-");
  EXPECT_EQ(run(s, state, 1100 * kMs, 2), "+-");
  // 10 × 0.8 + 1 = 9: one more at 1.2s.
  Decision second = decide(s, state, 1150 * kMs);
  EXPECT_FALSE(second.allowed);
  EXPECT_EQ(second.retry_after_ns, 50 * kMs);
  EXPECT_EQ(run(s, state, 1200 * kMs, 2), "+-");
  // Half way: 10 × 0.5 + 2 = 7, so three more.
  Decision half = decide(s, state, 1500 * kMs);
  EXPECT_TRUE(half.allowed);
  EXPECT_EQ(half.remaining, 2);
  EXPECT_EQ(half.reset_ns, 500 * kMs);
  EXPECT_EQ(run(s, state, 1500 * kMs, 3), "++-");
  // A window without requests in between forgets everything.
  EXPECT_EQ(run(s, state, 3000 * kMs, 11), "++++++++++-");
}

TEST(RateLimitRefund, GivesBackWhatAnAllowedDecisionTook) {
  for (Algorithm algorithm : {Algorithm::kTokenBucket, Algorithm::kLeakyBucket,
                              Algorithm::kFixedWindow, Algorithm::kSlidingWindow}) {
    const LimitSpec s = spec(algorithm, 2, kSecond);
    State state;
    EXPECT_TRUE(decide(s, state, 0).allowed);
    Decision taken = decide(s, state, 0);
    const bool leaky = algorithm == Algorithm::kLeakyBucket;
    EXPECT_EQ(taken.allowed, !leaky);
    refund(s, state, taken);  // nothing to give back for a rejection
    refund(s, state, decide(s, state, leaky ? 500 * kMs : 0));
    EXPECT_EQ(run(s, state, leaky ? 500 * kMs : 0, 2), "+-")
        << "algorithm " << static_cast<int>(algorithm);
  }
}

TEST(RateLimitRefund, SlidingWindowRefundAfterTheWindowMoved) {
  const LimitSpec s = spec(Algorithm::kSlidingWindow, 2, kSecond);
  State state;
  Decision taken = decide(s, state, 900 * kMs);
  EXPECT_EQ(run(s, state, 1000 * kMs, 1), "+");  // the window moved: the count is "previous"
  refund(s, state, taken);
  EXPECT_EQ(state.c, 0);
  EXPECT_EQ(state.b, 1);
}

TEST(RateLimitSpec, IdleTimeIsTheTimeToBeWholeAgain) {
  EXPECT_EQ(spec(Algorithm::kTokenBucket, 2, kSecond, 3).idle_ttl_ns(), 1500 * kMs);
  EXPECT_EQ(spec(Algorithm::kLeakyBucket, 10, kSecond, 0, 250 * kMs).idle_ttl_ns(), 350 * kMs);
  EXPECT_EQ(spec(Algorithm::kFixedWindow, 10, kSecond).idle_ttl_ns(), kSecond);
  EXPECT_EQ(spec(Algorithm::kSlidingWindow, 10, kSecond).idle_ttl_ns(), 2 * kSecond);
}

}  // namespace
}  // namespace nexus::filters::rate_limit
