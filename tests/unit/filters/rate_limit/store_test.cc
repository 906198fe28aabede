// The shared store: idle keys expire, max_keys holds with each full policy, counts are exact
// across threads.
#include "filters/rate_limit/store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace nexus::filters::rate_limit {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSecond = 1000 * kMs;

LimitSpec one_per_second() {
  LimitSpec s{.algorithm = Algorithm::kTokenBucket, .rate = 1, .period_ns = kSecond, .burst = 1};
  s.derive();
  return s;
}

TEST(RateLimitStore, KeysAreCountedSeparately) {
  LimitStore store(one_per_second(), 100, WhenFull::kEvict);
  EXPECT_TRUE(store.acquire("a", 0).allowed);
  EXPECT_FALSE(store.acquire("a", 0).allowed);
  EXPECT_TRUE(store.acquire("b", 0).allowed);
  EXPECT_EQ(store.size(), 2U);
}

TEST(RateLimitStore, IdleKeysExpireAsOtherKeysAreDecided) {
  LimitStore store(one_per_second(), 100, WhenFull::kEvict, /*shards=*/1);
  EXPECT_TRUE(store.acquire("a", 0).allowed);
  EXPECT_TRUE(store.acquire("b", 500 * kMs).allowed);
  EXPECT_EQ(store.size(), 2U);
  EXPECT_TRUE(store.acquire("c", 999 * kMs).allowed);  // "a" is not idle for a second yet
  EXPECT_EQ(store.size(), 3U);
  EXPECT_TRUE(store.acquire("d", 1600 * kMs).allowed);  // "a" and "b" are
  EXPECT_EQ(store.size(), 2U);
}

TEST(RateLimitStore, ExpiringAKeyLosesNothing) {
  LimitStore store(one_per_second(), 100, WhenFull::kEvict, /*shards=*/1);
  EXPECT_TRUE(store.acquire("a", 0).allowed);
  EXPECT_FALSE(store.acquire("a", 999 * kMs).allowed);  // a rejection touches it too
  EXPECT_TRUE(store.acquire("a", 1000 * kMs).allowed);
}

TEST(RateLimitStore, FullStoreEvictsTheLeastRecentlyUsedKey) {
  LimitStore store(one_per_second(), 2, WhenFull::kEvict, /*shards=*/1);
  EXPECT_TRUE(store.acquire("a", 0).allowed);
  EXPECT_TRUE(store.acquire("b", 0).allowed);
  EXPECT_FALSE(store.acquire("a", 0).allowed);  // "a" is the most recent now
  EXPECT_TRUE(store.acquire("c", 0).allowed);   // evicts "b"
  EXPECT_EQ(store.size(), 2U);
  EXPECT_FALSE(store.acquire("a", 0).allowed);  // still known
  EXPECT_TRUE(store.acquire("b", 0).allowed);   // forgotten: starts afresh (evicts "c")
  EXPECT_EQ(store.size(), 2U);
}

TEST(RateLimitStore, FullStoreCanFailOpen) {
  LimitStore store(one_per_second(), 1, WhenFull::kAllow);
  EXPECT_TRUE(store.acquire("a", 0).allowed);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(store.acquire("b", 0).allowed);  // untracked
  }
  EXPECT_FALSE(store.acquire("a", 0).allowed);
  EXPECT_EQ(store.size(), 1U);
}

TEST(RateLimitStore, FullStoreCanFailClosedUntilAKeyExpires) {
  LimitStore store(one_per_second(), 1, WhenFull::kDeny);
  EXPECT_TRUE(store.acquire("a", 0).allowed);
  Decision denied = store.acquire("b", 400 * kMs);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after_ns, 600 * kMs);  // when "a" goes idle
  EXPECT_TRUE(store.acquire("b", 1000 * kMs).allowed);
  EXPECT_EQ(store.size(), 1U);
}

TEST(RateLimitStore, MaxKeysHoldsAcrossShards) {
  LimitStore store(one_per_second(), 100, WhenFull::kEvict);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(store.acquire("key-" + std::to_string(i), 0).allowed);
  }
  EXPECT_EQ(store.size(), 100U);  // 4 shards of 25, all full
}

TEST(RateLimitStore, RefundFindsTheKey) {
  LimitStore store(one_per_second(), 100, WhenFull::kEvict);
  Decision taken = store.acquire("a", 0);
  store.refund("a", taken);
  store.refund("unknown", taken);  // nothing happens
  EXPECT_TRUE(store.acquire("a", 0).allowed);
  EXPECT_FALSE(store.acquire("a", 0).allowed);
}

// 8 threads × 1000 requests for one key against a limit of 1234 (no refill): exactly 1234 pass,
// for each algorithm that can count that many at once.
TEST(RateLimitStore, CountIsExactAcrossThreads) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 1000;
  constexpr int64_t kLimit = 1234;
  for (Algorithm algorithm :
       {Algorithm::kTokenBucket, Algorithm::kFixedWindow, Algorithm::kSlidingWindow}) {
    LimitSpec s{
        .algorithm = algorithm, .rate = kLimit, .period_ns = 3600 * kSecond, .burst = kLimit};
    s.derive();
    LimitStore store(s, 1000, WhenFull::kEvict);
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kPerThread; ++i) {
          if (store.acquire("shared", kSecond).allowed) {
            allowed.fetch_add(1, std::memory_order_relaxed);
          }
        }
      });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
    EXPECT_EQ(allowed.load(), kLimit) << "algorithm " << static_cast<int>(algorithm);
  }
}

}  // namespace
}  // namespace nexus::filters::rate_limit
