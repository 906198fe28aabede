#include "governance/limiter.h"

#include <spdlog/spdlog.h>

#include "llm/pricing/money.h"

namespace nexus::governance {

Refused refused_by(Refusal refusal, UnixMillis now) {
  std::string message = std::move(refusal.message);
  uint64_t retry_after = 0;
  if (refusal.resets_at > now) {
    retry_after = static_cast<uint64_t>((refusal.resets_at - now + 999) / 1000);
    message += "; it resets in " + std::to_string(retry_after) + " s";
  }
  const ErrorCode code =
      refusal.kind == Refusal::Kind::kBudget ? ErrorCode::kBudgetExceeded : ErrorCode::kRateLimited;
  return {.error = Error(code, std::move(message)), .retry_after_seconds = retry_after};
}

void alert_soft_budget(const ScopeState& scope, NanoUsd spent) {
  const Controls controls = scope.controls();
  if (!controls.budget) {
    return;
  }
  spdlog::warn("governance: {} passed its soft budget: ${} spent of ${} (hard ${})",
               scope.describe(), llm::pricing::format_usd(spent),
               llm::pricing::format_usd(controls.budget->soft),
               llm::pricing::format_usd(controls.budget->hard));
}

void LocalLimiter::admit(Scopes scopes, const Demand& demand, UnixMillis now, Decided decided) {
  for (size_t i = 0; i < scopes.size(); ++i) {
    auto refused = scopes[i]->admit(demand, now, *zone_);
    if (!refused) {
      continue;
    }
    for (size_t j = 0; j < i; ++j) {
      scopes[j]->cancel(demand);
    }
    decided(refused_by(std::move(*refused), now));
    return;
  }
  decided(std::nullopt);
}

void LocalLimiter::settle(Scopes scopes, const Demand& demand, uint64_t used_tokens, NanoUsd cost,
                          UnixMillis now) {
  for (const auto& scope : scopes) {
    if (scope->settle(demand, used_tokens, cost, now, *zone_)) {
      alert_soft_budget(*scope, scope->view(now, *zone_).spent);
    }
  }
}

}  // namespace nexus::governance
