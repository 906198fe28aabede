// A circuit breaker for one upstream endpoint, as one worker sees it.
//
// Closed: every request goes through; failures are counted. It opens when `consecutive_failures`
// fail in a row, or when over the last `window` at least `min_requests` finished and the failed
// (or slow) share reached its percentage. Open: nothing goes through for `cool_down`. Then
// half-open: `half_open_probes` requests at a time go through as probes; `close_after`
// successful probes close it, one failed probe opens it again for another cool-down.
//
// Each worker keeps its own breakers, like nginx's max_fails: no locks or atomics on the hot
// path, at the price of each worker learning about a failing endpoint from its own requests.
// Time is passed in, so the state machine is tested without a clock.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "nexus/config/config.h"
#include "obs/metrics/registry.h"

namespace nexus::proxy {

// Where a breaker counts its state, in its worker's shard (docs/observability.md): a gauge
// series per state (closed, open, half_open: the State's order), 1 while the breaker is in it,
// so that summed over the workers it says how many workers' breakers are in each state; and a
// counter series per state entered. Resolved once when the worker builds its breakers.
struct CircuitSeries {
  obs::metrics::Shard* shard = nullptr;  // null: not counted
  std::array<obs::metrics::SeriesId, 3> state{};
  std::array<obs::metrics::SeriesId, 3> entered{};
};

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State : uint8_t { kClosed, kOpen, kHalfOpen };
  // What allow() let through: a probe is reported back as one.
  enum class Admission : uint8_t { kRefused, kAdmitted, kProbe };
  // kNeutral: the request ended before the endpoint could be judged (the client left, the pool
  // was full); it only gives back a probe.
  enum class Verdict : uint8_t { kSuccess, kSlowSuccess, kFailure, kNeutral };

  explicit CircuitBreaker(const config::CircuitBreaker& config) : config_(&config) {}

  Admission allow(Clock::time_point now);
  void report(Admission admission, Verdict verdict, Clock::time_point now);

  [[nodiscard]] State state() const { return state_; }
  // Starts counting this breaker's state and transitions (once, on its worker's thread).
  void count_into(const CircuitSeries& series);
  // While open: when it turns half-open.
  [[nodiscard]] Clock::time_point reopens_at() const { return opened_at_ + config_->cool_down; }

 private:
  struct Bucket {
    int64_t slot = -1;  // which slice of time it counts (now / bucket width)
    uint32_t calls = 0, failures = 0, slow = 0;
  };
  static constexpr size_t kBuckets = 10;

  void count(Verdict verdict, Clock::time_point now);
  [[nodiscard]] bool rates_trip(Clock::time_point now) const;
  [[nodiscard]] int64_t slot_of(Clock::time_point now) const;
  void open(Clock::time_point now);
  void close();
  void move_to(State next);  // the state change, counted

  const config::CircuitBreaker* config_;
  State state_ = State::kClosed;
  Clock::time_point opened_at_{};
  uint32_t consecutive_failures_ = 0;
  uint32_t probes_in_flight_ = 0;
  uint32_t probe_successes_ = 0;
  std::array<Bucket, kBuckets> buckets_{};
  CircuitSeries series_;
};

}  // namespace nexus::proxy
