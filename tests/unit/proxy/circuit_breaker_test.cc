// The circuit breaker's state machine, on a clock the test moves.
#include "proxy/resilience/circuit_breaker.h"

#include <gtest/gtest.h>

#include <array>
#include <chrono>

namespace nexus::proxy {
namespace {

using std::chrono::milliseconds;
using Admission = CircuitBreaker::Admission;
using State = CircuitBreaker::State;
using Verdict = CircuitBreaker::Verdict;

class CircuitBreakerTest : public ::testing::Test {
 protected:
  CircuitBreakerTest() {
    config_.enabled = true;
    config_.consecutive_failures = 3;
    config_.failure_percent = 50;
    config_.min_requests = 10;
    config_.window = milliseconds(1000);
    config_.cool_down = milliseconds(500);
    config_.half_open_probes = 1;
    config_.close_after = 2;
  }

  // One request through the breaker at the current time, reported with `verdict`.
  Admission call(CircuitBreaker& breaker, Verdict verdict) {
    const Admission admission = breaker.allow(now_);
    if (admission != Admission::kRefused) {
      breaker.report(admission, verdict, now_);
    }
    return admission;
  }

  config::CircuitBreaker config_;
  CircuitBreaker::Clock::time_point now_{milliseconds(1'000'000)};
};

TEST_F(CircuitBreakerTest, OpensAfterConsecutiveFailuresAndRefusesUntilTheCoolDown) {
  CircuitBreaker breaker(config_);
  call(breaker, Verdict::kFailure);
  call(breaker, Verdict::kFailure);
  EXPECT_EQ(breaker.state(), State::kClosed);
  call(breaker, Verdict::kFailure);
  EXPECT_EQ(breaker.state(), State::kOpen);
  EXPECT_EQ(breaker.allow(now_), Admission::kRefused);
  EXPECT_EQ(breaker.reopens_at(), now_ + milliseconds(500));
  now_ += milliseconds(499);
  EXPECT_EQ(breaker.allow(now_), Admission::kRefused);
}

TEST_F(CircuitBreakerTest, TheRateOpensItWithoutARun) {
  CircuitBreaker breaker(config_);
  for (int i = 0; i < 4; ++i) {
    call(breaker, Verdict::kFailure);
    call(breaker, Verdict::kFailure);
    call(breaker, Verdict::kSuccess);
  }
  EXPECT_EQ(breaker.state(), State::kOpen);  // never 3 in a row, but 8 of 12 failed (>= 50 %)
}

TEST_F(CircuitBreakerTest, ASuccessBreaksTheRunOfConsecutiveFailures) {
  config_.failure_percent = 0;
  CircuitBreaker breaker(config_);
  for (int i = 0; i < 4; ++i) {
    call(breaker, Verdict::kFailure);
    call(breaker, Verdict::kFailure);
    call(breaker, Verdict::kSuccess);
  }
  EXPECT_EQ(breaker.state(), State::kClosed);
}

TEST_F(CircuitBreakerTest, OpensOnTheFailureRateOnceMinRequestsArrived) {
  config_.consecutive_failures = 0;
  CircuitBreaker breaker(config_);
  for (int i = 0; i < 4; ++i) {  // 4 of 8: 50 %, but under min_requests
    call(breaker, Verdict::kFailure);
    call(breaker, Verdict::kSuccess);
  }
  EXPECT_EQ(breaker.state(), State::kClosed);
  call(breaker, Verdict::kSuccess);
  call(breaker, Verdict::kFailure);  // 5 of 10
  EXPECT_EQ(breaker.state(), State::kOpen);
}

TEST_F(CircuitBreakerTest, OldFailuresLeaveTheWindow) {
  config_.consecutive_failures = 0;
  CircuitBreaker breaker(config_);
  for (int i = 0; i < 9; ++i) {
    call(breaker, Verdict::kFailure);
  }
  now_ += milliseconds(1500);  // all nine are out of the window
  for (int i = 0; i < 9; ++i) {
    call(breaker, Verdict::kSuccess);
  }
  call(breaker, Verdict::kFailure);  // 1 of 10 in the window
  EXPECT_EQ(breaker.state(), State::kClosed);
}

TEST_F(CircuitBreakerTest, SlowCallsOpenItWhenConfigured) {
  config_.consecutive_failures = 0;
  config_.failure_percent = 0;
  config_.slow_call = milliseconds(100);
  config_.slow_call_percent = 80;
  CircuitBreaker breaker(config_);
  for (int i = 0; i < 7; ++i) {
    call(breaker, Verdict::kSlowSuccess);
  }
  for (int i = 0; i < 2; ++i) {
    call(breaker, Verdict::kSuccess);
  }
  EXPECT_EQ(breaker.state(), State::kClosed);
  call(breaker, Verdict::kSlowSuccess);  // 8 of 10 slow
  EXPECT_EQ(breaker.state(), State::kOpen);
}

TEST_F(CircuitBreakerTest, HalfOpenLetsOneProbeAtATimeAndClosesAfterEnoughSuccesses) {
  CircuitBreaker breaker(config_);
  for (int i = 0; i < 3; ++i) {
    call(breaker, Verdict::kFailure);
  }
  now_ += milliseconds(500);
  const Admission probe = breaker.allow(now_);
  EXPECT_EQ(probe, Admission::kProbe);
  EXPECT_EQ(breaker.state(), State::kHalfOpen);
  EXPECT_EQ(breaker.allow(now_), Admission::kRefused);  // one probe at a time
  breaker.report(probe, Verdict::kSuccess, now_);
  EXPECT_EQ(breaker.state(), State::kHalfOpen);
  EXPECT_EQ(call(breaker, Verdict::kSuccess), Admission::kProbe);
  EXPECT_EQ(breaker.state(), State::kClosed);
  EXPECT_EQ(breaker.allow(now_), Admission::kAdmitted);
}

TEST_F(CircuitBreakerTest, AFailedProbeOpensItAgainForAnotherCoolDown) {
  CircuitBreaker breaker(config_);
  for (int i = 0; i < 3; ++i) {
    call(breaker, Verdict::kFailure);
  }
  now_ += milliseconds(600);
  EXPECT_EQ(call(breaker, Verdict::kFailure), Admission::kProbe);
  EXPECT_EQ(breaker.state(), State::kOpen);
  EXPECT_EQ(breaker.reopens_at(), now_ + milliseconds(500));
}

TEST_F(CircuitBreakerTest, ANeutralProbeOnlyGivesItsPlaceBack) {
  CircuitBreaker breaker(config_);
  for (int i = 0; i < 3; ++i) {
    call(breaker, Verdict::kFailure);
  }
  now_ += milliseconds(500);
  EXPECT_EQ(call(breaker, Verdict::kNeutral), Admission::kProbe);
  EXPECT_EQ(breaker.state(), State::kHalfOpen);
  EXPECT_EQ(breaker.allow(now_), Admission::kProbe);  // the place is free again
}

TEST_F(CircuitBreakerTest, ReportsOfRequestsAdmittedBeforeItOpenedAreIgnored) {
  CircuitBreaker breaker(config_);
  const Admission early = breaker.allow(now_);  // in flight while the breaker opens
  for (int i = 0; i < 3; ++i) {
    call(breaker, Verdict::kFailure);
  }
  now_ += milliseconds(500);
  const Admission probe = breaker.allow(now_);
  breaker.report(early, Verdict::kSuccess, now_);  // must not count as a probe's success
  breaker.report(probe, Verdict::kSuccess, now_);
  EXPECT_EQ(breaker.state(), State::kHalfOpen);  // close_after is 2: one probe succeeded
}

TEST_F(CircuitBreakerTest, ClosingForgetsTheFailuresThatOpenedIt) {
  config_.close_after = 1;
  CircuitBreaker breaker(config_);
  for (int i = 0; i < 3; ++i) {
    call(breaker, Verdict::kFailure);
  }
  now_ += milliseconds(500);
  call(breaker, Verdict::kSuccess);
  ASSERT_EQ(breaker.state(), State::kClosed);
  call(breaker, Verdict::kFailure);
  call(breaker, Verdict::kFailure);
  EXPECT_EQ(breaker.state(), State::kClosed);  // two in a row, not three
}

}  // namespace
}  // namespace nexus::proxy

namespace nexus::proxy {
namespace {

// The breaker counts its state (a one-hot gauge per worker) and each state it enters.
TEST(CircuitBreakerMetrics, CountsItsStateAndItsTransitions) {
  config::CircuitBreaker config;
  config.enabled = true;
  config.consecutive_failures = 1;
  config.cool_down = milliseconds(100);
  config.half_open_probes = 1;
  config.close_after = 1;
  obs::metrics::Registry registry;
  auto* states =
      registry
          .add({.name = "nexus_test_circuit_state",
                .help = "State.",
                .type = obs::metrics::Type::kGauge,
                .labels = {{.name = "state", .values = {"closed", "open", "half_open"}}}})
          .value_or(nullptr);
  auto* entered = registry
                      .add({.name = "nexus_test_circuit_transitions",
                            .help = "Transitions.",
                            .labels = {{.name = "to", .values = {"closed", "open", "half_open"}}}})
                      .value_or(nullptr);
  ASSERT_NE(states, nullptr);
  ASSERT_NE(entered, nullptr);
  registry.freeze(1);
  CircuitSeries series{.shard = &registry.shard(0)};
  for (uint32_t s = 0; s < 3; ++s) {
    const std::array<uint32_t, 1> index = {s};
    series.state[s] = states->series_at(index);
    series.entered[s] = entered->series_at(index);
  }
  auto gauge = [&](State state) {
    return static_cast<int64_t>(registry.total(series.state[static_cast<size_t>(state)].slot));
  };
  auto entries = [&](State state) {
    return registry.total(series.entered[static_cast<size_t>(state)].slot);
  };

  CircuitBreaker breaker(config);
  breaker.count_into(series);
  CircuitBreaker::Clock::time_point now{milliseconds(1'000'000)};
  EXPECT_EQ(gauge(State::kClosed), 1);
  EXPECT_EQ(gauge(State::kOpen), 0);

  breaker.report(breaker.allow(now), Verdict::kFailure, now);
  EXPECT_EQ(gauge(State::kClosed), 0);
  EXPECT_EQ(gauge(State::kOpen), 1);
  EXPECT_EQ(entries(State::kOpen), 1U);

  now += milliseconds(100);
  const Admission probe = breaker.allow(now);
  ASSERT_EQ(probe, Admission::kProbe);
  EXPECT_EQ(gauge(State::kOpen), 0);
  EXPECT_EQ(gauge(State::kHalfOpen), 1);
  EXPECT_EQ(entries(State::kHalfOpen), 1U);

  breaker.report(probe, Verdict::kSuccess, now);
  EXPECT_EQ(gauge(State::kClosed), 1);
  EXPECT_EQ(gauge(State::kHalfOpen), 0);
  EXPECT_EQ(gauge(State::kOpen), 0);
  EXPECT_EQ(entries(State::kClosed), 1U);
  EXPECT_EQ(entries(State::kOpen), 1U);
}

}  // namespace
}  // namespace nexus::proxy
