// The LLM, governance and tracing metric families (docs/observability.md): the OpenTelemetry
// GenAI client metrics in Prometheus names (gen_ai_client_token_usage, gen_ai_client_operation_
// duration_seconds, gen_ai_server_time_to_first_token_seconds, gen_ai_server_time_per_output_
// token_seconds), the cost in USD by model and team, admission decisions, and what the ledger
// writer and the span exporter count (read at scrape).
#pragma once

#include <cstdint>
#include <vector>

#include "nexus/core/result.h"
#include "obs/metrics/registry.h"
#include "server/snapshot.h"

namespace nexus::governance {
class Governance;
}
namespace nexus::obs::tracing {
class Tracer;
}

namespace nexus::server {

// How an admission ended, as nexus_governance_decisions_total counts it.
enum class AdmissionDecision : uint8_t { kAdmitted, kRateLimited, kBudgetExceeded, kUnavailable };

struct LlmFamilies {
  // Per deployment index: its provider's and its model group's value index.
  struct Labels {
    uint32_t provider = 0;
    uint32_t model = 0;
  };
  std::vector<Labels> deployments;
  obs::metrics::Family* tokens = nullptr;            // provider, model, token_type
  obs::metrics::Family* duration = nullptr;          // provider, model
  obs::metrics::Family* first_token = nullptr;       // provider, model
  obs::metrics::Family* per_output_token = nullptr;  // provider, model
  obs::metrics::Family* cost = nullptr;              // model, team (learnt, capped)
  obs::metrics::Family* decisions = nullptr;         // decision
  obs::metrics::Family* auth_failures = nullptr;     // provider (provider_auth_metrics.cc)
  std::vector<uint32_t> auth_failure_label;          // per deployment: its provider's value
};

// Declares the LLM families (labels from the snapshot's providers and model groups).
Result<void> declare_llm_families(obs::metrics::Registry& registry, const Snapshot& snapshot,
                                  LlmFamilies& out);

// Declares nexus_llm_provider_auth_failures_total{provider} (provider_auth_metrics.cc).
Result<void> declare_provider_auth_failures(obs::metrics::Registry& registry,
                                            const Snapshot& snapshot, LlmFamilies& out);

// Declares the families read at scrape from the ledger writer and the span exporter (each only
// when it exists).
Result<void> declare_background_families(obs::metrics::Registry& registry,
                                         governance::Governance* governance,
                                         const obs::tracing::Tracer* tracer);

}  // namespace nexus::server
