// The fixture of the RedisLimiter tests: a real redis-server per test, a real SQLite store (for
// rebuilds from its ledger), scopes, demands, and a bounded wait for a decision.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "../control/storage/store_test_support.h"
#include "governance/redis_limiter.h"
#include "redis_server.h"

namespace nexus::governance::testing {

using std::chrono::milliseconds;
using std::chrono::seconds;
using storage::testing::TempDir;

constexpr UnixMillis kMinute = 60'000;
// 2026-11-23T00:00:00Z, a Monday, at the start of a minute.
constexpr UnixMillis kMonday = 1'795'392'000'000;

using Decision = std::optional<Refused>;

class RedisLimiterFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string started = redis_.start();
    ASSERT_TRUE(started.empty()) << started;
    auto loaded = TimeZone::load("UTC");
    ASSERT_TRUE(loaded.has_value());
    zone_ = *loaded;
    auto opened = open_sqlite_store(dir_.file("nexus.db"));
    ASSERT_TRUE(opened.has_value()) << opened.error().message();
    store_ = std::move(*opened);
  }

  std::unique_ptr<RedisLimiter> limiter(bool rate_limits_open = false,
                                        milliseconds lease = milliseconds(600'000)) {
    RedisLimiterOptions options{.endpoint = redis_.endpoint(),
                                .display = "test redis",
                                .timeout = milliseconds(250),
                                .lease = lease,
                                .rate_limits_open = rate_limits_open};
    return std::make_unique<RedisLimiter>(std::move(options), zone_, *store_);
  }

  std::shared_ptr<ScopeState> scope(ScopeKind kind, std::string id, const Controls& controls) {
    auto state = std::make_shared<ScopeState>(kind, std::move(id));
    const PeriodBounds period =
        controls.budget ? period_bounds(controls.budget->period, kMonday, *zone_) : PeriodBounds{};
    state->configure(controls, period, 0);
    return state;
  }

  Demand demand(UnixMillis now, uint64_t tokens = 10, NanoUsd reserve = 0,
                std::string model = "gpt") {
    return {.model = std::move(model),
            .tokens = tokens,
            .reserve = reserve,
            .minute = now / kMinute,
            .id = next_id_.fetch_add(1)};
  }

  // The limiter's decision, waited for (bounded).
  static Decision admit(Limiter& limiter, const std::vector<std::shared_ptr<ScopeState>>& scopes,
                        const Demand& demand, UnixMillis now) {
    auto promise = std::make_shared<std::promise<Decision>>();
    auto future = promise->get_future();
    limiter.admit(scopes, demand, now,
                  [promise](Decision decision) { promise->set_value(std::move(decision)); });
    if (future.wait_for(seconds(10)) != std::future_status::ready) {
      ADD_FAILURE() << "no decision within 10 s";
      return Refused{.error = Error(ErrorCode::kInternal, "no decision")};
    }
    return future.get();
  }

  // A Redis integer field (0 when absent), from the test's own connection.
  int64_t redis_field(const std::string& key, const std::string& field) {
    auto connection = redis_.connect();
    if (connection == nullptr) {
      ADD_FAILURE() << "cannot connect to the test redis";
      return -1;
    }
    const std::vector<std::string> command{"HGET", key, field};
    auto reply = connection->command(command);
    EXPECT_TRUE(reply.has_value());
    return reply && reply->type == RedisReply::Type::kString ? std::stoll(reply->text) : 0;
  }

  void redis_command(std::vector<std::string> command) {
    auto connection = redis_.connect();
    ASSERT_NE(connection, nullptr);
    auto reply = connection->command(command);
    ASSERT_TRUE(reply.has_value());
    ASSERT_FALSE(reply->is_error()) << reply->text;
  }

  RedisServer redis_;
  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::shared_ptr<const TimeZone> zone_;
  std::atomic<uint64_t> next_id_{1};
};

// The refusal; a test failure (and a refusal saying so) when the request was admitted.
inline Refused refusal_of(const Decision& decision) {
  if (!decision) {
    ADD_FAILURE() << "admitted, where a refusal was expected";
    return Refused{.error = Error(ErrorCode::kInternal, "admitted")};
  }
  return *decision;
}

inline std::string describe(const Decision& decision) {
  if (!decision) {
    return "admitted";
  }
  return std::to_string(static_cast<int>(decision->error.code())) + " " +
         decision->error.message() + " (retry " + std::to_string(decision->retry_after_seconds) +
         ")";
}

}  // namespace nexus::governance::testing
