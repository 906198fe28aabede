// The rate_limit filter end to end through a ChainRun: replies, headers, keys, several limits,
// the leaky bucket's pause, and the process-wide count from many threads.
#include "filters/rate_limit/rate_limit_filter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "rate_limit_test_support.h"

namespace nexus::filters::rate_limit_test {
namespace {

using std::chrono::milliseconds;

std::shared_ptr<filter::FilterFactory> must_load(std::string_view filters) {
  auto factory = load(filters);
  EXPECT_TRUE(factory.has_value()) << factory.error().message();
  return factory.value_or(nullptr);
}

class RateLimitFilterTest : public ::testing::Test {
 protected:
  FakeClock clock_;
};

TEST_F(RateLimitFilterTest, TokenBucketAnswers429WithRetryAfterAndTheOpenAiErrorShape) {
  auto factory = must_load("  - rate_limit: {limits: [{rate: 2, burst: 3}]}\n");
  for (const char* remaining : {"2", "1", "0"}) {
    Outcome ok = send(factory, clock_);
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(ok.headers["x-ratelimit-limit"], "3");
    EXPECT_EQ(ok.headers["x-ratelimit-remaining"], remaining);
  }
  Outcome denied = send(factory, clock_);
  EXPECT_EQ(denied.status, 429);
  EXPECT_EQ(denied.body,
            R"({"error":{"message":"rate limit 'limits[0]' exceeded","type":"rate_limit_error",)"
            R"("code":"rate_limit_exceeded"}})");
  EXPECT_EQ(denied.headers["retry-after"], "1");  // 500ms, rounded up
  EXPECT_EQ(denied.headers["x-ratelimit-limit"], "3");
  EXPECT_EQ(denied.headers["x-ratelimit-remaining"], "0");
  EXPECT_EQ(denied.headers["x-ratelimit-reset"], "2");  // 1.5s until full
  clock_.advance(milliseconds(500));
  EXPECT_EQ(statuses(factory, clock_, 2), "+429");
}

TEST_F(RateLimitFilterTest, ResetHeaderCountsWholeSecondsUntilTheWindowEnds) {
  auto factory =
      must_load("  - rate_limit: {limits: [{algorithm: fixed_window, rate: 2, per: 10s}]}\n");
  clock_.advance(milliseconds(2500));
  Outcome ok = send(factory, clock_);
  EXPECT_EQ(ok.headers["x-ratelimit-reset"], "8");  // 7.5s left, rounded up
  EXPECT_EQ(ok.headers["x-ratelimit-remaining"], "1");
  send(factory, clock_);
  Outcome denied = send(factory, clock_);
  EXPECT_EQ(denied.status, 429);
  EXPECT_EQ(denied.headers["retry-after"], "8");
}

TEST_F(RateLimitFilterTest, LeakyBucketPausesEachRequestUntilItsTurn) {
  auto factory = must_load(
      "  - rate_limit: {limits: [{algorithm: leaky_bucket, rate: 10, max_wait: 250ms}]}\n");
  EXPECT_FALSE(send(factory, clock_).delay.has_value());
  EXPECT_EQ(send(factory, clock_).delay, milliseconds(100));
  Outcome third = send(factory, clock_);
  EXPECT_EQ(third.status, 200);
  EXPECT_EQ(third.delay, milliseconds(200));
  EXPECT_EQ(third.headers["x-ratelimit-limit"], "3");
  EXPECT_EQ(third.headers["x-ratelimit-remaining"], "0");
  Outcome denied = send(factory, clock_);
  EXPECT_EQ(denied.status, 429);
  EXPECT_FALSE(denied.delay.has_value());
  EXPECT_EQ(denied.headers["retry-after"], "1");
}

TEST_F(RateLimitFilterTest, ClientIpKeysAreSeparate) {
  auto factory = must_load("  - rate_limit: {limits: [{rate: 1}]}\n");
  EXPECT_EQ(statuses(factory, clock_, 2, {.ip = "10.0.0.1"}), "+429");
  EXPECT_EQ(statuses(factory, clock_, 2, {.ip = "10.0.0.2"}), "+429");
}

TEST_F(RateLimitFilterTest, IdentityKeysFallBackToTheClientIp) {
  auto factory = must_load("  - rate_limit: {limits: [{rate: 1, key: identity}]}\n");
  EXPECT_EQ(statuses(factory, clock_, 2, {.ip = "10.0.0.1", .identity = "alice"}), "+429");
  EXPECT_EQ(statuses(factory, clock_, 1, {.ip = "10.0.0.1", .identity = "bob"}), "+");
  // Without identity: the client's address, never confused with a subject that looks like one.
  EXPECT_EQ(statuses(factory, clock_, 1, {.ip = "10.0.0.1", .identity = "10.0.0.1"}), "+");
  EXPECT_EQ(statuses(factory, clock_, 2, {.ip = "10.0.0.1"}), "+429");
  EXPECT_EQ(statuses(factory, clock_, 1, {.ip = "10.0.0.2"}), "+");
}

TEST_F(RateLimitFilterTest, RouteKeysAreSeparate) {
  auto factory = must_load("  - rate_limit: {limits: [{rate: 1, key: route}]}\n");
  EXPECT_EQ(statuses(factory, clock_, 2, {.ip = "10.0.0.1", .route = "a"}), "+429");
  EXPECT_EQ(statuses(factory, clock_, 1, {.ip = "10.0.0.2", .route = "a"}), "429");
  EXPECT_EQ(statuses(factory, clock_, 1, {.ip = "10.0.0.1", .route = "b"}), "+");
}

TEST_F(RateLimitFilterTest, HeaderKeysSkipTheLimitWithoutTheHeader) {
  auto factory =
      must_load("  - rate_limit: {limits: [{rate: 1, key: header, header: X-Tenant}]}\n");
  EXPECT_EQ(statuses(factory, clock_, 2, {.headers = {{"x-tenant", "a"}}}), "+429");
  EXPECT_EQ(statuses(factory, clock_, 1, {.headers = {{"X-TENANT", "b"}}}), "+");
  Outcome unlimited = send(factory, clock_);
  EXPECT_EQ(unlimited.status, 200);
  EXPECT_EQ(unlimited.headers.count("x-ratelimit-limit"), 0U);  // no limit applied
  EXPECT_EQ(statuses(factory, clock_, 3), "+++");
}

TEST_F(RateLimitFilterTest, HeaderKeysCanCountRequestsWithoutTheHeaderTogether) {
  auto factory = must_load(
      "  - rate_limit: {limits: [{rate: 1, key: header, header: x-tenant, "
      "missing_header: empty}]}\n");
  EXPECT_EQ(statuses(factory, clock_, 2, {.ip = "10.0.0.1"}), "+429");
  EXPECT_EQ(statuses(factory, clock_, 1, {.ip = "10.0.0.2"}), "429");
  EXPECT_EQ(statuses(factory, clock_, 1, {.headers = {{"x-tenant", "a"}}}), "+");
}

TEST_F(RateLimitFilterTest, GlobalKeyCountsEveryRequest) {
  auto factory = must_load("  - rate_limit: {limits: [{rate: 2, key: global}]}\n");
  EXPECT_EQ(statuses(factory, clock_, 1, {.ip = "10.0.0.1"}), "+");
  EXPECT_EQ(statuses(factory, clock_, 1, {.ip = "10.0.0.2", .route = "x"}), "+");
  EXPECT_EQ(statuses(factory, clock_, 1, {.ip = "10.0.0.3"}), "429");
}

TEST_F(RateLimitFilterTest, SeveralLimitsRejectionByALaterOneTakesNothingFromEarlierOnes) {
  auto factory = must_load(R"(  - rate_limit:
      limits:
        - {name: everyone, key: global, algorithm: fixed_window, rate: 3}
        - {name: per_client, algorithm: fixed_window, rate: 1}
)");
  Outcome first = send(factory, clock_, {.ip = "10.0.0.1"});
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.headers["x-ratelimit-limit"], "1");  // the most restrictive: per_client
  EXPECT_EQ(first.headers["x-ratelimit-remaining"], "0");
  for (int i = 0; i < 3; ++i) {
    Outcome denied = send(factory, clock_, {.ip = "10.0.0.1"});
    EXPECT_EQ(denied.status, 429);
    EXPECT_NE(denied.body.find("'per_client'"), std::string::npos);
  }
  // The global limit gave back what the rejected requests took: two more clients fit.
  EXPECT_EQ(statuses(factory, clock_, 1, {.ip = "10.0.0.2"}), "+");
  Outcome third = send(factory, clock_, {.ip = "10.0.0.3"});
  EXPECT_EQ(third.status, 200);
  Outcome denied = send(factory, clock_, {.ip = "10.0.0.4"});
  EXPECT_EQ(denied.status, 429);
  EXPECT_NE(denied.body.find("'everyone'"), std::string::npos);
  EXPECT_EQ(denied.headers["x-ratelimit-limit"], "3");
}

TEST_F(RateLimitFilterTest, HeadersCanBeTurnedOff) {
  auto factory = must_load("  - rate_limit: {headers: false, limits: [{rate: 1}]}\n");
  EXPECT_EQ(factory->hooks(), filter::kRequestHeadersHook);
  EXPECT_TRUE(send(factory, clock_).headers.empty());
  Outcome denied = send(factory, clock_);
  EXPECT_EQ(denied.status, 429);
  EXPECT_EQ(denied.headers.size(), 1U);
  EXPECT_EQ(denied.headers["retry-after"], "1");
}

TEST_F(RateLimitFilterTest, MaxKeysFailClosed) {
  auto factory = must_load("  - rate_limit: {limits: [{rate: 5, max_keys: 1, when_full: deny}]}\n");
  EXPECT_EQ(statuses(factory, clock_, 1, {.ip = "10.0.0.1"}), "+");
  Outcome denied = send(factory, clock_, {.ip = "10.0.0.2"});
  EXPECT_EQ(denied.status, 429);
  EXPECT_EQ(denied.headers["retry-after"], "1");  // "10.0.0.1" idles out within a second
  clock_.advance(milliseconds(1000));
  EXPECT_EQ(statuses(factory, clock_, 1, {.ip = "10.0.0.2"}), "+");
}

// The factory's store is shared by the filters of every worker: 8 threads × 300 requests
// against a limit of 1000 let exactly 1000 through.
TEST_F(RateLimitFilterTest, CountIsProcessWideAcrossWorkerThreads) {
  auto factory = must_load("  - rate_limit: {limits: [{rate: 1000, per: 1h, key: global}]}\n");
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const Request request{.ip = "10.0.0." + std::to_string(t)};
      for (int i = 0; i < 300; ++i) {
        if (send(factory, clock_, request).status == 200) {
          allowed.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(allowed.load(), 1000);
}

}  // namespace
}  // namespace nexus::filters::rate_limit_test
