// The four rate-limit algorithms as pure functions over a small per-key state, so that they can
// be tested and benchmarked without locks or clocks. Times are nanoseconds of the steady clock.
//
// A zeroed State is "no history" for every algorithm (as long as `now` is not negative), so a new
// key starts from State{} and an entry whose state has run out (expires_at() passed) can be
// dropped without changing any later decision.
#pragma once

#include <cstdint>

namespace nexus::filters::rate_limit {

enum class Algorithm { kTokenBucket, kLeakyBucket, kSlidingWindow, kFixedWindow };

// One limit's numbers, derived once from its config.
struct LimitSpec {
  Algorithm algorithm = Algorithm::kTokenBucket;
  int64_t rate = 1;  // requests per period
  int64_t period_ns = 1'000'000'000;
  int64_t burst = 1;        // token bucket: capacity (the most requests at once)
  int64_t max_wait_ns = 0;  // leaky bucket: the longest a request may be delayed
  // Token and leaky bucket: the time one request costs (period / rate, whole nanoseconds).
  int64_t interval_ns = 1'000'000'000;

  // Fills interval_ns from rate and period.
  void derive();
  // The most a key's state stays meaningful after its last touch: an entry untouched for longer
  // is in its initial state again and can be removed.
  [[nodiscard]] int64_t idle_ttl_ns() const;
  // What X-RateLimit-Limit says: capacity (token bucket), rate (windows), or how many requests
  // can wait in the queue (leaky bucket: max_wait / interval + 1).
  [[nodiscard]] int64_t header_limit() const;
};

// Per-key state. Token and leaky bucket: `a` is the theoretical arrival time (GCRA: the time at
// which the bucket is full again / the queue is empty). Fixed window: `a` window index, `b`
// count. Sliding window: `a` current window index, `b` its count, `c` the previous one's count.
struct State {
  int64_t a = 0;
  int64_t b = 0;
  int64_t c = 0;
};

struct Decision {
  bool allowed = false;
  int64_t limit = 0;           // for X-RateLimit-Limit
  int64_t remaining = 0;       // requests still allowed now (after this one)
  int64_t reset_ns = 0;        // until the limit is whole again (bucket full, window over)
  int64_t retry_after_ns = 0;  // rejected: until a retry can succeed
  int64_t delay_ns = 0;        // leaky bucket: how long to hold this request back
  int64_t window = 0;          // windows: the window that counted the request (for refund)
};

// Decides one request at `now` and updates `state` when it is allowed.
Decision decide(const LimitSpec& spec, State& state, int64_t now);

// Gives back what an allowed decision took (a later limit rejected the request).
void refund(const LimitSpec& spec, State& state, const Decision& decision);

}  // namespace nexus::filters::rate_limit
