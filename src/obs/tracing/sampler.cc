#include "obs/tracing/sampler.h"

#include <random>

#include "obs/tracing/ids.h"

namespace nexus::obs::tracing {

Sampler::Sampler(double ratio) : always_(ratio >= 1.0) {
  constexpr double kRange = 9223372036854775808.0;  // 2^63
  if (ratio > 0.0 && !always_) {
    threshold_ = static_cast<uint64_t>(ratio * kRange);
  }
}

bool Sampler::sample(const std::optional<TraceParent>& parent, const TraceId& trace_id) const {
  if (parent.has_value()) {
    return parent->sampled();
  }
  if (always_) {
    return true;
  }
  return (trace_id.low & ~(uint64_t{1} << 63)) < threshold_;
}

uint64_t random_id() {
  thread_local Xoshiro256 generator = [] {
    std::random_device os;
    std::array<uint64_t, 4> seed{};
    for (uint64_t& word : seed) {
      word = (static_cast<uint64_t>(os()) << 32) | os();
    }
    return Xoshiro256(seed);
  }();
  for (;;) {
    if (const uint64_t id = generator.next(); id != 0) {
      return id;
    }
  }
}

}  // namespace nexus::obs::tracing
