// The upstream families (docs/observability.md): circuit breakers' states and transitions, for
// clusters' endpoints and LLM deployments; the active health checks' verdicts; the connection
// pools. Breakers and pools are per worker, so each worker counts its own into its shard and a
// scrape sums them; health flags are process-wide already and are read at scrape.
#pragma once

#include <cstdint>
#include <vector>

#include "nexus/core/result.h"
#include "obs/metrics/registry.h"
#include "proxy/upstream/cluster_runtime.h"
#include "server/snapshot.h"

namespace nexus::server {

struct SharedCounters;

// Handles shared read-only by the workers; value indices resolved from the snapshot.
struct UpstreamFamilies {
  obs::metrics::Family* circuit_state = nullptr;            // {cluster, endpoint, state}
  obs::metrics::Family* circuit_transitions = nullptr;      // {cluster, to}
  obs::metrics::Family* llm_circuit_state = nullptr;        // {model, deployment, state}
  obs::metrics::Family* llm_circuit_transitions = nullptr;  // {model, to}
  obs::metrics::Family* pool_idle = nullptr;                // {cluster}
  obs::metrics::Family* pool_in_use = nullptr;              // {cluster}
  obs::metrics::Family* pool_opened = nullptr;              // {cluster}
  std::vector<std::vector<uint32_t>> endpoint_label;  // per cluster id, per endpoint: its value
  struct DeploymentLabels {
    uint32_t model = 0;
    uint32_t deployment = 0;
  };
  std::vector<DeploymentLabels> deployments;  // per deployment id
};

// Declares the per-worker families (not frozen yet).
Result<void> declare_upstream_families(obs::metrics::Registry& registry, const Snapshot& snapshot,
                                       UpstreamFamilies& out);
// Declares nexus_upstream_healthy and nexus_llm_deployment_healthy, read at scrape from the
// health flags in `counters` (which outlive the registry's scrapes).
Result<void> declare_health_families(obs::metrics::Registry& registry, const Snapshot& snapshot,
                                     const SharedCounters& counters);

// A deployment's name as a label value: "provider/model".
std::string deployment_label(const Snapshot::LlmDeployment& deployment);

// The series one worker counts a cluster or a deployment into.
proxy::ClusterSeries cluster_series(const UpstreamFamilies& families, obs::metrics::Shard& shard,
                                    size_t cluster);
proxy::CircuitSeries deployment_series(const UpstreamFamilies& families, obs::metrics::Shard& shard,
                                       size_t deployment);

}  // namespace nexus::server
