#include "proxy/health/endpoint_health.h"

#include <algorithm>

namespace nexus::proxy {

bool status_expected(const std::vector<config::StatusRange>& expected, int status) {
  return std::ranges::any_of(expected, [status](const config::StatusRange& range) {
    return status >= range.first && status <= range.last;
  });
}

HealthTracker::Change HealthTracker::record(bool passed) {
  if (passed == healthy_) {
    streak_ = 0;  // a check that agrees with the state breaks any streak against it
    return Change::kNone;
  }
  ++streak_;
  const uint32_t needed = healthy_ ? config_->unhealthy_threshold : config_->healthy_threshold;
  if (streak_ < needed) {
    return Change::kNone;
  }
  healthy_ = passed;
  streak_ = 0;
  return healthy_ ? Change::kBecameHealthy : Change::kBecameUnhealthy;
}

}  // namespace nexus::proxy
