// A retry budget for one cluster, as one worker sees it: retries over the last 10 seconds may
// not exceed `percent` of the first attempts in that time, or `min_per_second` × 10 when that
// is more (so a quiet cluster can still retry). During an outage every request fails, and
// without a budget each one would be sent `attempts` times: the budget keeps the extra load to
// a fixed share.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "nexus/config/config.h"

namespace nexus::proxy {

class RetryBudget {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RetryBudget(const config::RetryBudget& config) : config_(&config) {}

  void on_first_attempt(Clock::time_point now);
  // True (and the retry counted) when the budget has room for one more retry now.
  bool try_spend(Clock::time_point now);

 private:
  struct Second {
    int64_t second = -1;
    uint32_t first_attempts = 0, retries = 0;
  };
  static constexpr size_t kSeconds = 10;

  Second& current(Clock::time_point now);

  const config::RetryBudget* config_;
  std::array<Second, kSeconds> seconds_{};
};

}  // namespace nexus::proxy
