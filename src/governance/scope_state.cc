#include "governance/scope_state.h"

#include <algorithm>

#include "llm/pricing/money.h"

namespace nexus::governance {
namespace {

constexpr int64_t kMinuteMs = 60'000;

std::string_view kind_name(ScopeKind kind) {
  switch (kind) {
    case ScopeKind::kOrg:
      return "organization";
    case ScopeKind::kTeam:
      return "team";
    case ScopeKind::kUser:
      return "user";
    case ScopeKind::kKey:
      return "key";
  }
  return "scope";
}

}  // namespace

std::string ScopeState::describe() const {
  std::string out(kind_name(kind_));
  out += ' ';
  out += id_;
  return out;
}

void ScopeState::configure(const Controls& controls, const PeriodBounds& period, NanoUsd spent) {
  const std::scoped_lock lock(mutex_);
  if (controls.model_limits != controls_.model_limits) {
    model_windows_.assign(controls.model_limits.size(), Window{});
  }
  controls_ = controls;
  if (period.start != period_.start || period.end != period_.end) {
    period_ = period;
    spent_ = spent;
    soft_alerted_ = false;
  }
}

Controls ScopeState::controls() const {
  const std::scoped_lock lock(mutex_);
  return controls_;
}

PeriodBounds ScopeState::period() const {
  const std::scoped_lock lock(mutex_);
  return period_;
}

ScopeState::Window* ScopeState::model_window(std::string_view model) {
  for (size_t i = 0; i < controls_.model_limits.size(); ++i) {
    if (controls_.model_limits[i].model == model) {
      return &model_windows_[i];
    }
  }
  return nullptr;
}

void ScopeState::roll(Window& window, int64_t minute) {
  if (window.minute != minute) {
    window.minute = minute;
    window.requests = 0;
    window.tokens = 0;
  }
}

std::optional<Refusal> ScopeState::check(const Limits& limits, const Window& window,
                                         uint64_t tokens, int64_t minute, std::string_view who) {
  const UnixMillis next_minute = (minute + 1) * kMinuteMs;
  if (limits.max_parallel != 0 && window.in_flight >= limits.max_parallel) {
    return Refusal{.kind = Refusal::Kind::kRate,
                   .limit = "max_parallel",
                   .message = std::string(who) + " has " + std::to_string(limits.max_parallel) +
                              " requests in flight, its max_parallel limit",
                   .resets_at = 0};
  }
  if (limits.rpm != 0 && window.requests + 1 > limits.rpm) {
    return Refusal{.kind = Refusal::Kind::kRate,
                   .limit = "rpm",
                   .message = std::string(who) + " reached its limit of " +
                              std::to_string(limits.rpm) + " requests per minute",
                   .resets_at = next_minute};
  }
  if (limits.tpm != 0 && window.tokens + tokens > limits.tpm) {
    return Refusal{
        .kind = Refusal::Kind::kRate,
        .limit = "tpm",
        .message = std::string(who) + " reached its limit of " + std::to_string(limits.tpm) +
                   " tokens per minute (this request may use " + std::to_string(tokens) + ", " +
                   std::to_string(limits.tpm - std::min(limits.tpm, window.tokens)) + " are left)",
        .resets_at = next_minute};
  }
  return std::nullopt;
}

void ScopeState::roll_period(UnixMillis now, const TimeZone& zone) {
  if (!controls_.budget || (now >= period_.start && now < period_.end)) {
    return;
  }
  period_ = period_bounds(controls_.budget->period, now, zone);
  spent_ = 0;
  soft_alerted_ = false;
}

std::optional<Refusal> ScopeState::admit(const Demand& demand, UnixMillis now,
                                         const TimeZone& zone) {
  const std::scoped_lock lock(mutex_);
  roll(window_, demand.minute);
  Window* per_model = model_window(demand.model);
  if (per_model != nullptr) {
    roll(*per_model, demand.minute);
  }
  if (auto refused = check(controls_.limits, window_, demand.tokens, demand.minute, describe())) {
    return refused;
  }
  if (per_model != nullptr) {
    const Limits& limits = controls_.model_limits[per_model - model_windows_.data()].limits;
    const std::string who = describe() + " for model " + demand.model;
    if (auto refused = check(limits, *per_model, demand.tokens, demand.minute, who)) {
      return refused;
    }
  }
  if (controls_.budget && controls_.budget->hard != 0) {
    roll_period(now, zone);
    const NanoUsd hard = controls_.budget->hard;
    if (spent_ + reserved_ + demand.reserve > hard) {
      std::string message = describe() + " has spent $" + llm::pricing::format_usd(spent_) +
                            " of its $" + llm::pricing::format_usd(hard) + " budget";
      if (reserved_ != 0) {
        message += " ($" + llm::pricing::format_usd(reserved_) + " held by requests in flight)";
      }
      message += "; this request may cost up to $" + llm::pricing::format_usd(demand.reserve);
      return Refusal{.kind = Refusal::Kind::kBudget,
                     .limit = "budget",
                     .message = std::move(message),
                     .resets_at = period_.end};
    }
  }
  for (Window* window : {&window_, per_model}) {
    if (window != nullptr) {
      window->requests += 1;
      window->tokens += demand.tokens;
      window->in_flight += 1;
    }
  }
  reserved_ += demand.reserve;
  return std::nullopt;
}

void ScopeState::cancel(const Demand& demand) {
  const std::scoped_lock lock(mutex_);
  for (Window* window : {&window_, model_window(demand.model)}) {
    if (window == nullptr) {
      continue;
    }
    if (window->minute == demand.minute) {
      window->requests -= std::min<uint64_t>(window->requests, 1);
      window->tokens -= std::min(window->tokens, demand.tokens);
    }
    window->in_flight -= std::min<uint32_t>(window->in_flight, 1);
  }
  reserved_ -= std::min(reserved_, demand.reserve);
}

bool ScopeState::settle(const Demand& demand, uint64_t used_tokens, NanoUsd cost, UnixMillis now,
                        const TimeZone& zone) {
  const std::scoped_lock lock(mutex_);
  const int64_t minute = now / kMinuteMs;
  for (Window* window : {&window_, model_window(demand.model)}) {
    if (window == nullptr) {
      continue;
    }
    window->in_flight -= std::min<uint32_t>(window->in_flight, 1);
    // The estimate counted in the minute of admission becomes what was used, in the minute the
    // usage became known (a later minute is charged the whole of it).
    if (window->minute == demand.minute) {
      window->tokens -= std::min(window->tokens, demand.tokens);
    }
    roll(*window, minute);
    window->tokens += used_tokens;
  }
  reserved_ -= std::min(reserved_, demand.reserve);
  roll_period(now, zone);
  spent_ += cost;
  if (controls_.budget && controls_.budget->soft != 0 && !soft_alerted_ &&
      spent_ >= controls_.budget->soft) {
    soft_alerted_ = true;
    return true;
  }
  return false;
}

ScopeView ScopeState::view(UnixMillis now, const TimeZone& zone) const {
  const std::scoped_lock lock(mutex_);
  const int64_t minute = now / kMinuteMs;
  ScopeView out{.controls = controls_,
                .requests_this_minute = window_.minute == minute ? window_.requests : 0,
                .tokens_this_minute = window_.minute == minute ? window_.tokens : 0,
                .in_flight = window_.in_flight,
                .period = period_,
                .spent = spent_,
                .reserved = reserved_};
  if (controls_.budget && (now < period_.start || now >= period_.end)) {
    out.period = period_bounds(controls_.budget->period, now, zone);
    out.spent = 0;
  }
  return out;
}

}  // namespace nexus::governance
