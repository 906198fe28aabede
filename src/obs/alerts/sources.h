// Where alert rules read their values: the metrics registry's shards summed (as a scrape sums
// them), and two small interfaces for state that is not a metric of ours: a scope's budget use
// (governance) and the upstream circuits open now (breakers live per worker).
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
// How many upstream circuits are open now; nullopt: not known. Thread-safe.
using OpenCircuits = std::function<std::optional<double>()>;

// The families the rules read (docs/observability.md).
inline constexpr std::string_view kRequestsFamily = "nexus_http_requests";
inline constexpr std::string_view kDurationFamily = "nexus_http_request_duration_seconds";
inline constexpr std::string_view kAuthFailuresFamily = "nexus_llm_provider_auth_failures";

class Sources {
 public:
  Sources(const metrics::Registry& registry, BudgetUse budget, OpenCircuits circuits)
      : registry_(registry), budget_(std::move(budget)), circuits_(std::move(circuits)) {}

  // What `rule` watches now; nullopt when its source does not exist (a family not declared, no
  // governance, no circuit view).
  [[nodiscard]] std::optional<Sample> sample(const config::AlertRule& rule) const;

 private:
  [[nodiscard]] const metrics::Family* family(std::string_view name) const;

  const metrics::Registry& registry_;
  BudgetUse budget_;
  OpenCircuits circuits_;
};

}  // namespace nexus::obs::alerts
