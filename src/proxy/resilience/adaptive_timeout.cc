#include "proxy/resilience/adaptive_timeout.h"

#include <algorithm>
#include <cmath>

namespace nexus::proxy {

AdaptiveTimeout::AdaptiveTimeout(const config::AdaptiveTimeout& config)
    : config_(&config), current_(config.ceiling) {}

void AdaptiveTimeout::observe(std::chrono::steady_clock::duration first_byte) {
  samples_[next_] = first_byte;
  next_ = (next_ + 1) % kWindow;
  ++observed_;
  ++since_recompute_;
  if (observed_ < config_->min_samples) {
    return;
  }
  if (observed_ == config_->min_samples || since_recompute_ >= kRecomputeEvery) {
    recompute();
  }
}

void AdaptiveTimeout::recompute() {
  since_recompute_ = 0;
  const size_t count = std::min<uint64_t>(observed_, kWindow);
  std::array<std::chrono::steady_clock::duration, kWindow> sorted = samples_;
  const auto end = sorted.begin() + static_cast<std::ptrdiff_t>(count);
  // Nearest rank: the smallest sample with at least `percentile` % of them at or below it.
  const size_t rank = std::max<size_t>(1, (count * config_->percentile + 99) / 100);
  const auto at = sorted.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::ranges::nth_element(sorted.begin(), at, end);
  const double scaled_ms =
      std::chrono::duration<double, std::milli>(*at).count() * config_->multiplier;
  const auto wanted = std::chrono::milliseconds(static_cast<int64_t>(std::ceil(scaled_ms)));
  current_ = std::max(config_->floor, std::min(wanted, config_->ceiling));
}

}  // namespace nexus::proxy
