// A first-byte timeout that follows one upstream, as one worker sees it: a multiple of the
// recent p<percentile> of its first-byte times, between a floor and a ceiling. A fixed timeout
// must allow for the slowest answer ever expected; this one lets a request to a normally fast
// upstream give up (and be retried elsewhere) after a few times its usual latency, while a slow
// upstream keeps a long one. Until `min_samples` were seen nothing is known: the ceiling.
//
// observe() is O(1) on the request path: the last kWindow samples sit in a ring buffer, and the
// quantile is recomputed every kRecomputeEvery samples (a partial sort of at most kWindow
// values). Time is passed in, so it is tested with synthetic samples. Used by one thread; it
// knows nothing of the server, so the proxy and the LLM deployments can both keep one.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "nexus/config/config.h"

namespace nexus::proxy {

class AdaptiveTimeout {
 public:
  static constexpr size_t kWindow = 128;
  static constexpr uint32_t kRecomputeEvery = 8;

  // `config` must outlive this object (it lives in the config snapshot).
  explicit AdaptiveTimeout(const config::AdaptiveTimeout& config);

  void observe(std::chrono::steady_clock::duration first_byte);
  // clamp(p<percentile> of recent samples x multiplier, floor, ceiling); the ceiling until
  // `min_samples` have been observed.
  [[nodiscard]] std::chrono::milliseconds current() const { return current_; }
  [[nodiscard]] const config::AdaptiveTimeout& config() const { return *config_; }

 private:
  void recompute();

  const config::AdaptiveTimeout* config_;
  std::array<std::chrono::steady_clock::duration, kWindow> samples_{};
  size_t next_ = 0;        // where the next sample goes
  uint64_t observed_ = 0;  // samples ever observed
  uint32_t since_recompute_ = 0;
  std::chrono::milliseconds current_;
};

}  // namespace nexus::proxy
