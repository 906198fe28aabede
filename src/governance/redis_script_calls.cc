#include "governance/redis_script_calls.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "llm/pricing/money.h"

namespace nexus::governance {
namespace {

constexpr int64_t kMinuteMs = 60'000;

const ModelLimits* limits_for(const Controls& controls, std::string_view model) {
  const auto found = std::ranges::find(controls.model_limits, model, &ModelLimits::model);
  return found == controls.model_limits.end() ? nullptr : &*found;
}

// The refusal ScopeState::check or ScopeState::admit would make, from the script's numbers.
Refusal rate_refusal(std::string_view limit, const std::string& who, uint64_t maximum,
                     uint64_t used, const Demand& demand) {
  const UnixMillis next_minute = (demand.minute + 1) * kMinuteMs;
  if (limit == "max_parallel") {
    return {.kind = Refusal::Kind::kRate,
            .limit = "max_parallel",
            .message = who + " has " + std::to_string(maximum) +
                       " requests in flight, its max_parallel limit",
            .resets_at = 0};
  }
  if (limit == "rpm") {
    return {.kind = Refusal::Kind::kRate,
            .limit = "rpm",
            .message =
                who + " reached its limit of " + std::to_string(maximum) + " requests per minute",
            .resets_at = next_minute};
  }
  return {.kind = Refusal::Kind::kRate,
          .limit = "tpm",
          .message = who + " reached its limit of " + std::to_string(maximum) +
                     " tokens per minute (this request may use " + std::to_string(demand.tokens) +
                     ", " + std::to_string(maximum - std::min(maximum, used)) + " are left)",
          .resets_at = next_minute};
}

Refusal budget_refusal(const ScopeState& scope, const Budget& budget, NanoUsd spent,
                       NanoUsd reserved, const Demand& demand, UnixMillis period_end) {
  std::string message = scope.describe() + " has spent $" + llm::pricing::format_usd(spent) +
                        " of its $" + llm::pricing::format_usd(budget.hard) + " budget";
  if (reserved != 0) {
    message += " ($" + llm::pricing::format_usd(reserved) + " held by requests in flight)";
  }
  message += "; this request may cost up to $" + llm::pricing::format_usd(demand.reserve);
  return {.kind = Refusal::Kind::kBudget,
          .limit = "budget",
          .message = std::move(message),
          .resets_at = period_end};
}

}  // namespace

std::string scope_tag(const ScopeState& scope) {
  static constexpr std::array<char, 4> kLetters{'o', 't', 'u', 'k'};
  std::string out(1, kLetters.at(static_cast<size_t>(scope.kind())));
  out += ':';
  out += scope.id();
  return out;
}

bool limits_anything(const Controls& controls) {
  return controls.limits != Limits{} || !controls.model_limits.empty() || controls.budget;
}

bool has_hard_budget(const Controls& controls) {
  return controls.budget && controls.budget->hard != 0;
}

int64_t reply_integer(const RedisReply& reply) {
  if (reply.type == RedisReply::Type::kInteger) {
    return reply.integer;
  }
  int64_t value = 0;
  std::from_chars(reply.text.data(), reply.text.data() + reply.text.size(), value);
  return value;
}

std::string budget_key(const ScopeState& scope, UnixMillis period_start) {
  return "nx:{" + scope_tag(scope) + "}:b:" + std::to_string(period_start);
}

std::vector<std::string> admit_script_args(Scopes scopes, const Demand& demand, UnixMillis now,
                                           std::string_view member, std::chrono::milliseconds lease,
                                           const TimeZone& zone) {
  std::vector<std::string> args{std::to_string(now),
                                std::to_string(demand.minute),
                                std::to_string(demand.tokens),
                                std::to_string(demand.reserve),
                                demand.model,
                                std::string(member),
                                std::to_string(lease.count()),
                                std::to_string(scopes.size())};
  for (const auto& scope : scopes) {
    const Controls controls = scope->controls();
    const ModelLimits* per_model = limits_for(controls, demand.model);
    const Limits model_limits = per_model != nullptr ? per_model->limits : Limits{};
    const NanoUsd hard = controls.budget ? controls.budget->hard : 0;
    const UnixMillis start =
        controls.budget && hard != 0 ? period_bounds(controls.budget->period, now, zone).start : 0;
    for (std::string value :
         {scope_tag(*scope), std::to_string(controls.limits.rpm),
          std::to_string(controls.limits.tpm), std::to_string(controls.limits.max_parallel),
          std::string(per_model ? "1" : "0"), std::to_string(model_limits.rpm),
          std::to_string(model_limits.tpm), std::to_string(model_limits.max_parallel),
          std::to_string(hard), std::to_string(start)}) {
      args.push_back(std::move(value));
    }
  }
  return args;
}

std::vector<std::string> settle_script_args(Scopes scopes, const Demand& demand, UnixMillis now,
                                            uint64_t used_tokens, NanoUsd cost,
                                            std::string_view member, const TimeZone& zone) {
  std::vector<std::string> args{std::to_string(now),
                                std::to_string(now / kMinuteMs),
                                std::to_string(demand.minute),
                                std::to_string(demand.tokens),
                                std::to_string(used_tokens),
                                std::to_string(cost),
                                demand.model,
                                std::string(member),
                                std::to_string(scopes.size())};
  for (const auto& scope : scopes) {
    const Controls controls = scope->controls();
    const bool per_model = limits_for(controls, demand.model) != nullptr;
    const UnixMillis start =
        controls.budget ? period_bounds(controls.budget->period, now, zone).start : 0;
    for (std::string value : {scope_tag(*scope), std::string(per_model ? "1" : "0"),
                              std::string(controls.budget ? "1" : "0"), std::to_string(start),
                              std::to_string(controls.budget ? controls.budget->soft : 0)}) {
      args.push_back(std::move(value));
    }
  }
  return args;
}

Refusal script_refusal(const std::vector<RedisReply>& fields, const ScopeState& scope,
                       const Demand& demand, UnixMillis now, const TimeZone& zone) {
  const std::string& limit = fields.at(3).text;
  const Controls controls = scope.controls();
  if (limit == "budget" && controls.budget) {
    const PeriodBounds period = period_bounds(controls.budget->period, now, zone);
    return budget_refusal(scope, *controls.budget, reply_integer(fields.at(4)),
                          reply_integer(fields.at(5)), demand, period.end);
  }
  std::string who = scope.describe();
  if (reply_integer(fields.at(2)) == 1) {
    who += " for model " + demand.model;
  }
  return rate_refusal(limit, who, static_cast<uint64_t>(reply_integer(fields.at(4))),
                      static_cast<uint64_t>(reply_integer(fields.at(5))), demand);
}

}  // namespace nexus::governance
