#include "proxy/resilience/circuit_breaker.h"

#include <algorithm>

namespace nexus::proxy {

CircuitBreaker::Admission CircuitBreaker::allow(Clock::time_point now) {
  if (state_ == State::kOpen) {
    if (now < reopens_at()) {
      return Admission::kRefused;
    }
    move_to(State::kHalfOpen);
    probes_in_flight_ = 0;
    probe_successes_ = 0;
  }
  if (state_ == State::kClosed) {
    return Admission::kAdmitted;
  }
  if (probes_in_flight_ >= config_->half_open_probes) {
    return Admission::kRefused;
  }
  ++probes_in_flight_;
  return Admission::kProbe;
}

void CircuitBreaker::report(Admission admission, Verdict verdict, Clock::time_point now) {
  if (admission == Admission::kProbe) {
    probes_in_flight_ = probes_in_flight_ > 0 ? probes_in_flight_ - 1 : 0;
    if (state_ != State::kHalfOpen || verdict == Verdict::kNeutral) {
      return;  // a probe of an earlier half-open period, or one that tells nothing
    }
    if (verdict == Verdict::kFailure) {
      open(now);
    } else if (++probe_successes_ >= config_->close_after) {
      close();
    }
    return;
  }
  if (admission != Admission::kAdmitted || state_ != State::kClosed ||
      verdict == Verdict::kNeutral) {
    return;  // admitted before the breaker opened (stale news), or nothing to judge
  }
  count(verdict, now);
  consecutive_failures_ = verdict == Verdict::kFailure ? consecutive_failures_ + 1 : 0;
  const bool in_a_row =
      config_->consecutive_failures > 0 && consecutive_failures_ >= config_->consecutive_failures;
  if (in_a_row || rates_trip(now)) {
    open(now);
  }
}

int64_t CircuitBreaker::slot_of(Clock::time_point now) const {
  const Clock::duration window = config_->window;
  const Clock::duration width =
      std::max(window / static_cast<int64_t>(kBuckets), Clock::duration(1));
  return now.time_since_epoch() / width;
}

void CircuitBreaker::count(Verdict verdict, Clock::time_point now) {
  const int64_t slot = slot_of(now);
  Bucket& bucket = buckets_[static_cast<size_t>(slot) % kBuckets];
  if (bucket.slot != slot) {
    bucket = Bucket{.slot = slot};
  }
  ++bucket.calls;
  bucket.failures += verdict == Verdict::kFailure ? 1 : 0;
  bucket.slow += verdict == Verdict::kSlowSuccess ? 1 : 0;
}

bool CircuitBreaker::rates_trip(Clock::time_point now) const {
  const int64_t newest = slot_of(now);
  uint64_t calls = 0;
  uint64_t failures = 0;
  uint64_t slow = 0;
  for (const Bucket& bucket : buckets_) {
    if (bucket.slot > newest - static_cast<int64_t>(kBuckets)) {
      calls += bucket.calls;
      failures += bucket.failures;
      slow += bucket.slow;
    }
  }
  if (calls == 0 || calls < config_->min_requests) {
    return false;
  }
  const bool failing =
      config_->failure_percent > 0 && failures * 100 >= calls * config_->failure_percent;
  const bool slowing =
      config_->slow_call_percent > 0 && slow * 100 >= calls * config_->slow_call_percent;
  return failing || slowing;
}

void CircuitBreaker::open(Clock::time_point now) {
  move_to(State::kOpen);
  opened_at_ = now;
  probes_in_flight_ = 0;
  probe_successes_ = 0;
}

void CircuitBreaker::close() {
  move_to(State::kClosed);
  consecutive_failures_ = 0;
  buckets_ = {};  // the failures that opened it are history
}

void CircuitBreaker::count_into(const CircuitSeries& series) {
  series_ = series;
  if (series_.shard != nullptr) {
    series_.shard->add_signed(series_.state[static_cast<size_t>(state_)], 1);
  }
}

void CircuitBreaker::move_to(State next) {
  if (series_.shard != nullptr && next != state_) {
    series_.shard->add_signed(series_.state[static_cast<size_t>(state_)], -1);
    series_.shard->add_signed(series_.state[static_cast<size_t>(next)], 1);
    series_.shard->add(series_.entered[static_cast<size_t>(next)]);
  }
  state_ = next;
}

}  // namespace nexus::proxy
