#include "obs/alerts/evaluator.h"

#include <algorithm>

namespace nexus::obs::alerts {
using Kind = config::AlertRule::Kind;

std::string_view state_name(State state) {
  switch (state) {
    case State::kInactive:
      return "inactive";
    case State::kPending:
      return "pending";
    case State::kFiring:
      return "firing";
  }
  return "inactive";
}

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::kErrorRate:
      return "error_rate";
    case Kind::kLatencyP95:
      return "latency_p95";
    case Kind::kBudget:
      return "budget";
    case Kind::kCircuitOpen:
      return "circuit_open";
    case Kind::kProviderAuthFailures:
      return "provider_auth_failures";
  }
  return "error_rate";
}

std::vector<uint64_t> CounterWindow::increase(const std::vector<uint64_t>& counters,
                                              SteadyClock::time_point now,
                                              SteadyClock::duration window) {
  // Keep one sample at least `window` old (the base) and everything newer.
  while (samples_.size() >= 2 && samples_[1].first <= now - window) {
    samples_.pop_front();
  }
  std::vector<uint64_t> out;
  if (!samples_.empty() && samples_.front().second.size() == counters.size()) {
    const std::vector<uint64_t>& base = samples_.front().second;
    out.reserve(counters.size());
    for (size_t i = 0; i < counters.size(); ++i) {
      out.push_back(counters[i] >= base[i] ? counters[i] - base[i] : counters[i]);
    }
  } else {
    samples_.clear();  // first sample, or the shape changed: start over
  }
  samples_.emplace_back(now, counters);
  return out;
}

std::optional<double> bucket_quantile(double q, const std::vector<uint64_t>& counts,
                                      const std::vector<double>& bounds) {
  uint64_t total = 0;
  for (const uint64_t count : counts) {
    total += count;
  }
  if (total == 0 || bounds.empty() || counts.size() != bounds.size() + 1) {
    return std::nullopt;
  }
  const double rank = q * static_cast<double>(total);
  uint64_t below = 0;
  for (size_t b = 0; b < bounds.size(); ++b) {
    const uint64_t in_bucket = counts[b];
    if (static_cast<double>(below + in_bucket) >= rank && in_bucket > 0) {
      const double lower = b == 0 ? 0.0 : bounds[b - 1];
      const double fraction = (rank - static_cast<double>(below)) / static_cast<double>(in_bucket);
      return lower + (bounds[b] - lower) * fraction;
    }
    below += in_bucket;
  }
  return bounds.back();  // in the +Inf bucket: the highest bound we know
}

std::optional<double> RuleEvaluator::value_of(const Sample& sample, SteadyClock::time_point now) {
  if (rule_->kind == Kind::kBudget || rule_->kind == Kind::kCircuitOpen) {
    return sample.instant;
  }
  const std::vector<uint64_t> delta = window_.increase(sample.counters, now, rule_->window);
  if (delta.empty()) {
    return std::nullopt;  // the first sample: no window yet
  }
  switch (rule_->kind) {
    case Kind::kErrorRate:
      if (delta.size() < 2 || delta[0] == 0) {
        return std::nullopt;  // no requests: no rate (as Prometheus' 0/0)
      }
      return static_cast<double>(delta[1]) / static_cast<double>(delta[0]);
    case Kind::kLatencyP95:
      return bucket_quantile(0.95, delta, sample.bounds);
    default:
      return static_cast<double>(delta.front());
  }
}

void RuleEvaluator::enter(State state, SystemClock::time_point wall) {
  state_ = state;
  since_ = wall;
}

std::optional<Notification> RuleEvaluator::evaluate(const std::optional<Sample>& sample,
                                                    SteadyClock::time_point now,
                                                    SystemClock::time_point wall) {
  value_ = sample ? value_of(*sample, now) : std::nullopt;
  const bool holds = value_ && *value_ >= rule_->threshold;
  if (since_ == SystemClock::time_point{}) {
    since_ = wall;  // evaluated at least once: inactive since now
  }
  if (!holds) {
    const State was = state_;
    if (was != State::kInactive) {
      enter(State::kInactive, wall);
    }
    if (was == State::kFiring) {
      return Notification{.rule = rule_,
                          .firing = false,
                          .value = value_.value_or(0),
                          .started_at = fired_at_,
                          .ended_at = wall};
    }
    return std::nullopt;
  }
  if (state_ == State::kInactive) {
    enter(State::kPending, wall);
    pending_since_ = now;
  }
  if (state_ == State::kPending && now - pending_since_ >= rule_->for_) {
    enter(State::kFiring, wall);
    fired_at_ = wall;
    return Notification{.rule = rule_, .firing = true, .value = *value_, .started_at = wall};
  }
  return std::nullopt;
}

}  // namespace nexus::obs::alerts
