// Where alert rules read their values: the metrics registry's shards summed (as a scrape sums
// them), and a small interface for state that is not a metric of ours: a scope's budget use
// (governance).
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "obs/alerts/evaluator.h"
#include "obs/metrics/registry.h"

namespace nexus::obs::alerts {

// A scope's spend in its current period over its budget (0.5: half used); nullopt: no such
// scope seen yet, or it has no budget. `kind`: "org", "team" or "key". Called on the alerts
// thread: must be thread-safe.
using BudgetUse = std::function<std::optional<double>(std::string_view kind, std::string_view id)>;

// The families the rules read (docs/observability.md).
inline constexpr std::string_view kRequestsFamily = "nexus_http_requests";
inline constexpr std::string_view kDurationFamily = "nexus_http_request_duration_seconds";
inline constexpr std::string_view kAuthFailuresFamily = "nexus_llm_provider_auth_failures";
// Per state, how many workers' breakers are in it, for each endpoint and each LLM deployment.
inline constexpr std::string_view kCircuitStateFamily = "nexus_upstream_circuit_state";
inline constexpr std::string_view kLlmCircuitStateFamily = "nexus_llm_circuit_state";

class Sources {
 public:
  Sources(const metrics::Registry& registry, BudgetUse budget)
      : registry_(registry), budget_(std::move(budget)) {}

  // What `rule` watches now; nullopt when its source does not exist (a family not declared, no
  // governance).
  [[nodiscard]] std::optional<Sample> sample(const config::AlertRule& rule) const;

 private:
  [[nodiscard]] const metrics::Family* family(std::string_view name) const;
  // Endpoints and deployments refused by at least one worker's breaker; nullopt without any
  // circuit breaker configured.
  [[nodiscard]] std::optional<double> open_circuits() const;

  const metrics::Registry& registry_;
  BudgetUse budget_;
};

}  // namespace nexus::obs::alerts
