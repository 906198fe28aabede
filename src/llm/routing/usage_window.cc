#include "llm/routing/usage_window.h"

#include <algorithm>

namespace nexus::llm::routing {
namespace {

int64_t minute_of(UsageWindow::Clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::minutes>(now.time_since_epoch()).count();
}

// The share of the current minute that has passed, from 0 to 1.
double minute_elapsed(UsageWindow::Clock::time_point now) {
  const auto into = now.time_since_epoch() % std::chrono::minutes(1);
  return std::chrono::duration<double>(into).count() / 60.0;
}

}  // namespace

void UsageWindow::roll(Clock::time_point now) {
  const int64_t minute = minute_of(now);
  if (minute == minute_) {
    return;
  }
  const bool adjacent = minute == minute_ + 1;
  previous_requests_ = adjacent ? requests_ : 0;
  previous_tokens_ = adjacent ? tokens_ : 0;
  requests_ = 0;
  tokens_ = 0;
  minute_ = minute;
}

UsageWindow::Estimate UsageWindow::estimate(Clock::time_point now) {
  roll(now);
  const double previous_share = 1.0 - minute_elapsed(now);
  return {.requests = static_cast<double>(requests_) +
                      static_cast<double>(previous_requests_) * previous_share,
          .tokens = static_cast<double>(tokens_) +
                    static_cast<double>(previous_tokens_) * previous_share};
}

bool UsageWindow::has_room(uint32_t rpm, uint64_t tpm, uint64_t tokens, Clock::time_point now) {
  if (rpm == 0 && tpm == 0) {
    return true;
  }
  const std::scoped_lock lock(mutex_);
  const Estimate used = estimate(now);
  return (rpm == 0 || used.requests + 1 <= static_cast<double>(rpm)) &&
         (tpm == 0 || used.tokens + static_cast<double>(tokens) <= static_cast<double>(tpm));
}

double UsageWindow::utilisation(uint32_t rpm, uint64_t tpm, Clock::time_point now) {
  if (rpm == 0 && tpm == 0) {
    return 0;
  }
  const std::scoped_lock lock(mutex_);
  const Estimate used = estimate(now);
  double share = 0;
  if (rpm != 0) {
    share = used.requests / static_cast<double>(rpm);
  }
  if (tpm != 0) {
    share = std::max(share, used.tokens / static_cast<double>(tpm));
  }
  return share;
}

bool UsageWindow::has_capacity(uint32_t max_concurrent) {
  if (max_concurrent == 0) {
    return true;
  }
  const std::scoped_lock lock(mutex_);
  return in_flight_ < max_concurrent;
}

void UsageWindow::add_request(uint64_t tokens, Clock::time_point now) {
  const std::scoped_lock lock(mutex_);
  roll(now);
  ++requests_;
  ++in_flight_;
  tokens_ += tokens;
}

void UsageWindow::end_request(uint64_t expected, uint64_t used, Clock::time_point now) {
  const std::scoped_lock lock(mutex_);
  roll(now);
  in_flight_ -= std::min<uint32_t>(in_flight_, 1);
  if (used >= expected) {
    tokens_ += used - expected;
  } else {
    tokens_ -= std::min(tokens_, expected - used);
  }
}

}  // namespace nexus::llm::routing
