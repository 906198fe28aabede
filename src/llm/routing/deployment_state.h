// What one worker knows about each deployment of the model groups: its requests in flight, its
// observed latencies, and whether it is resting (an open circuit breaker, a rate-limit
// cool-down after a 429, or a wrong key after a 401). Per worker, like the clusters' breakers:
// nothing here is shared between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "proxy/resilience/adaptive_timeout.h"
#include "proxy/resilience/circuit_breaker.h"

namespace nexus::llm::routing {

using Clock = std::chrono::steady_clock;

// An exponentially weighted moving average of durations in microseconds: recent answers count
// most, so a deployment that turns slow is noticed within a few requests.
class Ewma {
 public:
  static constexpr double kWeight = 0.3;  // of each new sample

  void add(Clock::duration sample) {
    const auto micros =
        static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(sample).count());
    value_ = known_ ? value_ + kWeight * (micros - value_) : micros;
    known_ = true;
  }
  [[nodiscard]] bool known() const { return known_; }
  [[nodiscard]] double micros() const { return value_; }

 private:
  double value_ = 0;
  bool known_ = false;
};

struct DeploymentState {
  uint32_t in_flight = 0;
  Ewma first_byte;  // time to the first token of a stream, or to the head of a whole answer
  Ewma total;       // the whole answer
  std::optional<proxy::CircuitBreaker> breaker;  // the group has circuit_breaker enabled
  Clock::time_point resting_until{};             // 429 cool-down or misconfigured key
  bool misconfigured = false;                    // resting because of a 401/403
  int64_t round_robin_weight = 0;                // smooth weighted round robin's running weight
  // The route's adaptive first-byte timeout (timeouts.adaptive_first_byte), learnt from this
  // deployment's times to first token.
  std::optional<proxy::AdaptiveTimeout> first_byte_timeout;

  [[nodiscard]] bool resting(Clock::time_point now) const { return now < resting_until; }
};

}  // namespace nexus::llm::routing
