#include "proxy/resilience/retry_budget.h"

#include <algorithm>

namespace nexus::proxy {

RetryBudget::Second& RetryBudget::current(Clock::time_point now) {
  const int64_t second =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  Second& slot = seconds_[static_cast<size_t>(second) % kSeconds];
  if (slot.second != second) {
    slot = Second{.second = second};
  }
  return slot;
}

void RetryBudget::on_first_attempt(Clock::time_point now) { ++current(now).first_attempts; }

bool RetryBudget::try_spend(Clock::time_point now) {
  Second& now_slot = current(now);
  uint64_t first_attempts = 0;
  uint64_t retries = 0;
  for (const Second& slot : seconds_) {
    if (slot.second > now_slot.second - static_cast<int64_t>(kSeconds)) {
      first_attempts += slot.first_attempts;
      retries += slot.retries;
    }
  }
  const uint64_t allowed = std::max<uint64_t>(uint64_t{config_->min_per_second} * kSeconds,
                                              first_attempts * config_->percent / 100);
  if (retries >= allowed) {
    return false;
  }
  ++now_slot.retries;
  return true;
}

}  // namespace nexus::proxy
