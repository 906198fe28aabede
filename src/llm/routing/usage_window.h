// Requests and tokens a deployment got over the last minute, and its requests in flight,
// across all workers, so that the deployment's configured rpm, tpm and max_concurrent (the
// provider's own limits, usually) are not exceeded.
//
// Shared between workers because the limits are the provider's, for the whole process: a
// mutex per deployment, taken twice per LLM request (when it starts and when its usage is
// known), which is nothing next to the provider call it guards. The last minute is estimated
// the way sliding-window rate limiters do: this minute's count plus the previous minute's,
// weighted by how much of it is still inside the window.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace nexus::llm::routing {

class UsageWindow {
 public:
  using Clock = std::chrono::steady_clock;

  // Whether one more request of about `tokens` stays within `rpm` and `tpm` (0: no limit).
  [[nodiscard]] bool has_room(uint32_t rpm, uint64_t tpm, uint64_t tokens, Clock::time_point now);
  // Whether one more may be in flight with `max_concurrent` (0: no limit).
  [[nodiscard]] bool has_capacity(uint32_t max_concurrent);
  // The share of its limits the deployment used over the last minute: the larger of the two
  // (0 when it has no limits).
  [[nodiscard]] double utilisation(uint32_t rpm, uint64_t tpm, Clock::time_point now);
  // A request starts (in flight until end_request()), expected to use about `tokens`.
  void add_request(uint64_t tokens, Clock::time_point now);
  // It ended, having used `used` tokens (the difference to `expected` is added).
  void end_request(uint64_t expected, uint64_t used, Clock::time_point now);

 private:
  struct Estimate {
    double requests = 0;
    double tokens = 0;
  };
  void roll(Clock::time_point now);  // with mutex_ held
  Estimate estimate(Clock::time_point now);

  std::mutex mutex_;
  int64_t minute_ = -1;  // the current minute, since the clock's epoch
  uint64_t requests_ = 0, tokens_ = 0;
  uint64_t previous_requests_ = 0, previous_tokens_ = 0;
  uint32_t in_flight_ = 0;
};

}  // namespace nexus::llm::routing
