// Active health checks: the pure parts (which answers pass, when an endpoint changes state) and
// the flags through which the checker tells every worker the result.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "nexus/config/config.h"

namespace nexus::proxy {

// Whether a check's answer with `status` passes: it is in one of `expected`.
bool status_expected(const std::vector<config::StatusRange>& expected, int status);

// The health of one endpoint as its checks see it. Starts healthy; `unhealthy_threshold` failed
// checks in a row make it unhealthy, `healthy_threshold` passed checks in a row healthy again.
// No clock: it counts outcomes, the checker decides when they happen.
class HealthTracker {
 public:
  enum class Change : uint8_t { kNone, kBecameUnhealthy, kBecameHealthy };

  explicit HealthTracker(const config::HealthCheck& config) : config_(&config) {}

  // Called with each finished check's outcome; says whether the state changed with it.
  Change record(bool passed);
  [[nodiscard]] bool healthy() const { return healthy_; }

 private:
  const config::HealthCheck* config_;
  bool healthy_ = true;
  uint32_t streak_ = 0;  // checks in a row that went against the current state
};

// One flag per endpoint of a cluster. Shared because checks run once per process (on the main
// thread) while every worker's picks read the result: atomics, relaxed, since a pick that sees
// a change a moment late is harmless and nothing else is published through them.
class EndpointHealth {
 public:
  explicit EndpointHealth(size_t endpoints) : healthy_(endpoints) {
    for (auto& flag : healthy_) {
      flag.store(true, std::memory_order_relaxed);
    }
  }

  [[nodiscard]] bool healthy(size_t endpoint) const {
    return healthy_[endpoint].load(std::memory_order_relaxed);
  }
  void set(size_t endpoint, bool healthy) {
    healthy_[endpoint].store(healthy, std::memory_order_relaxed);
  }
  [[nodiscard]] bool any_healthy() const {
    return std::ranges::any_of(
        healthy_, [](const auto& flag) { return flag.load(std::memory_order_relaxed); });
  }

 private:
  std::vector<std::atomic<bool>> healthy_;
};

}  // namespace nexus::proxy
