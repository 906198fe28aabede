// Alert rules' pure logic: from samples of the values a rule watches to its state (inactive,
// pending, firing) and the notifications its changes call for. No clock and no I/O: time and
// samples are passed in, so every kind, `for:` and resolution are unit-tested without sleeping.
//
// States follow Prometheus' alerting rules: the condition (value >= threshold) makes a rule
// pending; held for `for:` it fires (at once with for: 0); when the condition stops holding (or
// the value cannot be computed: no traffic, no data), a firing rule resolves and a pending one
// goes back to inactive without notifying.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nexus/config/config.h"

namespace nexus::obs::alerts {

using SteadyClock = std::chrono::steady_clock;
using SystemClock = std::chrono::system_clock;

enum class State : uint8_t { kInactive, kPending, kFiring };
std::string_view state_name(State state);
std::string_view kind_name(config::AlertRule::Kind kind);

// What a rule's source reads at one evaluation. Windowed kinds (error_rate, latency_p95,
// provider_auth_failures) give monotonic counters; the evaluator takes their increase over the
// window. Instant kinds (budget, circuit_open) give `instant`.
struct Sample {
  // error_rate: {requests, 5xx}; latency_p95: per bucket (not cumulative), +Inf last;
  // provider_auth_failures: {failures}.
  std::vector<uint64_t> counters;
  std::vector<double> bounds;     // latency_p95: the buckets' upper bounds in seconds
  std::optional<double> instant;  // budget: spent/budget; circuit_open: circuits open
};

// The rule's counters over time, kept for one window (plus the sample just before it).
class CounterWindow {
 public:
  // Records `counters` at `now` and returns their increase since the newest sample at least
  // `window` old (or the oldest kept, while the process is younger than the window). Empty at
  // the first sample. A counter that went down (a reset) counts from zero.
  std::vector<uint64_t> increase(const std::vector<uint64_t>& counters, SteadyClock::time_point now,
                                 SteadyClock::duration window);

 private:
  std::deque<std::pair<SteadyClock::time_point, std::vector<uint64_t>>> samples_;
};

// The p-quantile of a histogram's bucket counts as Prometheus' histogram_quantile computes it
// (linear within the bucket; in +Inf: the highest finite bound). nullopt without observations.
std::optional<double> bucket_quantile(double q, const std::vector<uint64_t>& counts,
                                      const std::vector<double>& bounds);

// A rule changed state in a way that notifies: it fired or it resolved.
struct Notification {
  const config::AlertRule* rule = nullptr;
  bool firing = true;  // false: resolved
  double value = 0;
  SystemClock::time_point started_at;
  std::optional<SystemClock::time_point> ended_at;  // resolved only
};

// One rule's state as GET /alerts shows it.
struct RuleView {
  const config::AlertRule* rule = nullptr;
  State state = State::kInactive;
  std::optional<double> value;    // at the last evaluation; nullopt: no data
  SystemClock::time_point since;  // when it entered `state` (epoch 0: never evaluated)
};

class RuleEvaluator {
 public:
  explicit RuleEvaluator(const config::AlertRule& rule) : rule_(&rule) {}

  // Evaluates the rule on `sample` (nullopt: its source has nothing, e.g. no such scope).
  // Returns a notification when it fired or resolved.
  std::optional<Notification> evaluate(const std::optional<Sample>& sample,
                                       SteadyClock::time_point now, SystemClock::time_point wall);

  [[nodiscard]] RuleView view() const { return {rule_, state_, value_, since_}; }
  [[nodiscard]] const config::AlertRule& rule() const { return *rule_; }

 private:
  std::optional<double> value_of(const Sample& sample, SteadyClock::time_point now);
  void enter(State state, SystemClock::time_point wall);

  const config::AlertRule* rule_;
  CounterWindow window_;
  State state_ = State::kInactive;
  std::optional<double> value_;
  SystemClock::time_point since_{};
  SteadyClock::time_point pending_since_{};
  SystemClock::time_point fired_at_{};
};

}  // namespace nexus::obs::alerts
