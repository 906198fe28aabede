#include "filters/rate_limit/algorithms.h"

#include <algorithm>

namespace nexus::filters::rate_limit {
namespace {

// Sliding-window products (count × window) overflow 64 bits for long windows and high rates.
using Wide = __int128;

// Token bucket as GCRA: `a` is the time at which the bucket is full again. A request costs one
// interval; it fits while the bucket's debt (a - now) plus that interval stays within capacity.
Decision token_bucket(const LimitSpec& spec, State& state, int64_t now) {
  const int64_t capacity = spec.burst * spec.interval_ns;
  const int64_t tat = std::max(state.a, now);
  Decision d{.limit = spec.burst};
  if (tat + spec.interval_ns - now > capacity) {
    d.retry_after_ns = tat + spec.interval_ns - now - capacity;
    d.reset_ns = tat - now;
    return d;
  }
  state.a = tat + spec.interval_ns;
  d.allowed = true;
  d.remaining = (capacity - (state.a - now)) / spec.interval_ns;
  d.reset_ns = state.a - now;
  return d;
}

// Leaky bucket as a virtual queue: `a` is when the queue is empty again. A request waits for the
// requests before it (a - now) and then occupies one interval; it is rejected when that wait
// would be longer than max_wait.
Decision leaky_bucket(const LimitSpec& spec, State& state, int64_t now) {
  const int64_t tat = std::max(state.a, now);
  const int64_t wait = tat - now;
  Decision d{.limit = spec.header_limit()};
  if (wait > spec.max_wait_ns) {
    d.retry_after_ns = wait - spec.max_wait_ns;
    d.reset_ns = wait;
    return d;
  }
  state.a = tat + spec.interval_ns;
  d.allowed = true;
  d.delay_ns = wait;
  d.remaining = (spec.max_wait_ns - wait) / spec.interval_ns;
  d.reset_ns = state.a - now;
  return d;
}

Decision fixed_window(const LimitSpec& spec, State& state, int64_t now) {
  const int64_t window = now / spec.period_ns;
  if (state.a != window) {
    state.a = window;
    state.b = 0;
  }
  const int64_t window_end = (window + 1) * spec.period_ns;
  Decision d{.limit = spec.rate, .reset_ns = window_end - now, .window = window};
  if (state.b >= spec.rate) {
    d.retry_after_ns = window_end - now;
    return d;
  }
  ++state.b;
  d.allowed = true;
  d.remaining = spec.rate - state.b;
  return d;
}

// Sliding window (counter-based): the estimate is prev × (W - elapsed) / W + current. Compared
// multiplied by W, so that the decision is exact in integers.
Decision sliding_window(const LimitSpec& spec, State& state, int64_t now) {
  const int64_t w = spec.period_ns;
  const int64_t window = now / w;
  if (state.a == window - 1) {
    state.c = state.b;
    state.b = 0;
  } else if (state.a != window) {
    state.c = 0;
    state.b = 0;
  }
  state.a = window;
  const int64_t elapsed = now - window * w;
  const Wide previous = Wide{state.c} * (w - elapsed);
  const Wide budget = Wide{spec.rate} * w;
  Decision d{.limit = spec.rate, .reset_ns = w - elapsed, .window = window};
  if (previous + Wide{state.b + 1} * w > budget) {
    if (state.b < spec.rate) {
      // Within this window, once the previous window's weight has shrunk enough (c > 0 here).
      const auto room = static_cast<int64_t>(Wide{spec.rate - state.b - 1} * w / state.c);
      d.retry_after_ns = w - room - elapsed;
    } else {
      // In the next window, where this window's count is the previous one.
      const auto room = static_cast<int64_t>(Wide{spec.rate - 1} * w / state.b);
      d.retry_after_ns = (w - elapsed) + (w - room);
    }
    return d;
  }
  ++state.b;
  d.allowed = true;
  d.remaining = std::max<int64_t>(0, static_cast<int64_t>((budget - previous) / w) - state.b);
  return d;
}

}  // namespace

void LimitSpec::derive() { interval_ns = std::max<int64_t>(1, period_ns / rate); }

int64_t LimitSpec::idle_ttl_ns() const {
  switch (algorithm) {
    case Algorithm::kTokenBucket:
      return burst * interval_ns;
    case Algorithm::kLeakyBucket:
      return max_wait_ns + interval_ns;
    case Algorithm::kSlidingWindow:
      return 2 * period_ns;
    case Algorithm::kFixedWindow:
      return period_ns;
  }
  return period_ns;
}

int64_t LimitSpec::header_limit() const {
  switch (algorithm) {
    case Algorithm::kTokenBucket:
      return burst;
    case Algorithm::kLeakyBucket:
      return max_wait_ns / interval_ns + 1;
    case Algorithm::kSlidingWindow:
    case Algorithm::kFixedWindow:
      return rate;
  }
  return rate;
}

Decision decide(const LimitSpec& spec, State& state, int64_t now) {
  switch (spec.algorithm) {
    case Algorithm::kTokenBucket:
      return token_bucket(spec, state, now);
    case Algorithm::kLeakyBucket:
      return leaky_bucket(spec, state, now);
    case Algorithm::kSlidingWindow:
      return sliding_window(spec, state, now);
    case Algorithm::kFixedWindow:
      return fixed_window(spec, state, now);
  }
  return {};
}

void refund(const LimitSpec& spec, State& state, const Decision& decision) {
  if (!decision.allowed) {
    return;
  }
  switch (spec.algorithm) {
    case Algorithm::kTokenBucket:
    case Algorithm::kLeakyBucket:
      state.a -= spec.interval_ns;
      return;
    case Algorithm::kFixedWindow:
      if (state.a == decision.window && state.b > 0) {
        --state.b;
      }
      return;
    case Algorithm::kSlidingWindow:
      if (state.a == decision.window && state.b > 0) {
        --state.b;
      } else if (state.a == decision.window + 1 && state.c > 0) {
        --state.c;
      }
      return;
  }
}

}  // namespace nexus::filters::rate_limit
