// The time source of filters: the real clocks in production, a settable one in tests (so that
// token expiry or a rate limit's refill can be tested without waiting).
#pragma once

#include <chrono>

namespace nexus::filter {

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual std::chrono::system_clock::time_point wall() const = 0;    // JWT exp/nbf
  [[nodiscard]] virtual std::chrono::steady_clock::time_point steady() const = 0;  // intervals
};

// The process's real clocks.
const Clock& real_clock();

}  // namespace nexus::filter
