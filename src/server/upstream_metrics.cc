#include "server/upstream_metrics.h"

#include <map>
#include <string>

#include "server/worker.h"

namespace nexus::server {
namespace metrics = obs::metrics;

namespace {

// In CircuitBreaker::State's order.
const std::vector<std::string>& circuit_states() {
  static const std::vector<std::string> kStates = {"closed", "open", "half_open"};
  return kStates;
}

// Value index of each name, in first-seen order (names shared by clusters share a value).
uint32_t index_of(std::map<std::string, uint32_t, std::less<>>& seen,
                  std::vector<std::string>& names, const std::string& name) {
  const auto [at, added] = seen.emplace(name, static_cast<uint32_t>(names.size()));
  if (added) {
    names.push_back(name);
  }
  return at->second;
}

std::string endpoint_name(const config::Endpoint& endpoint) {
  return endpoint.host + ":" + std::to_string(endpoint.port);
}

}  // namespace

std::string deployment_label(const Snapshot::LlmDeployment& deployment) {
  std::string label = deployment.provider->name;
  label += '/';
  label += deployment.upstream_model();
  return label;
}

Result<void> declare_upstream_families(metrics::Registry& registry, const Snapshot& snapshot,
                                       UpstreamFamilies& out) {
  std::vector<std::string> clusters;
  std::vector<std::string> endpoints;
  std::map<std::string, uint32_t, std::less<>> endpoint_index;
  for (const config::Cluster* cluster : snapshot.clusters) {
    clusters.push_back(cluster->name);
    auto& labels = out.endpoint_label.emplace_back();
    for (const config::Endpoint& endpoint : cluster->endpoints) {
      labels.push_back(index_of(endpoint_index, endpoints, endpoint_name(endpoint)));
    }
  }
  std::vector<std::string> models;
  std::vector<std::string> deployments;
  std::map<std::string, uint32_t, std::less<>> model_index;
  std::map<std::string, uint32_t, std::less<>> deployment_index;
  for (const Snapshot::LlmDeployment& deployment : snapshot.deployments) {
    out.deployments.push_back(
        {.model = index_of(model_index, models, deployment.group->name),
         .deployment = index_of(deployment_index, deployments, deployment_label(deployment))});
  }
  const metrics::LabelSpec cluster{.name = "cluster", .values = clusters};
  const metrics::LabelSpec model{.name = "model", .values = models};
  const metrics::LabelSpec state{.name = "state", .values = circuit_states()};
  const metrics::LabelSpec to{.name = "to", .values = circuit_states()};
  auto circuit = registry.add(
      {.name = "nexus_upstream_circuit_state",
       .help = "Workers whose circuit breaker for the endpoint is in the state (written when "
               "non-zero; open > 0: some worker refuses the endpoint).",
       .type = metrics::Type::kGauge,
       .labels = {cluster, {.name = "endpoint", .values = endpoints}, state},
       .omit_zero = true});
  auto transitions = registry.add({.name = "nexus_upstream_circuit_transitions",
                                   .help = "Circuit breaker state changes, by the state entered.",
                                   .labels = {cluster, to}});
  auto llm_circuit = registry.add(
      {.name = "nexus_llm_circuit_state",
       .help = "Workers whose circuit breaker for the LLM deployment is in the state (written "
               "when non-zero).",
       .type = metrics::Type::kGauge,
       .labels = {model, {.name = "deployment", .values = deployments}, state},
       .omit_zero = true});
  auto llm_transitions =
      registry.add({.name = "nexus_llm_circuit_transitions",
                    .help = "LLM deployments' circuit breaker state changes, by the state entered.",
                    .labels = {model, to}});
  auto idle = registry.add({.name = "nexus_upstream_pool_idle_connections",
                            .help = "Idle keep-alive upstream connections, all workers.",
                            .type = metrics::Type::kGauge,
                            .labels = {cluster}});
  auto in_use = registry.add(
      {.name = "nexus_upstream_pool_active_connections",
       .help = "Upstream connections in use (carrying or setting up a request; HTTP/2 ones "
               "while open), all workers.",
       .type = metrics::Type::kGauge,
       .labels = {cluster}});
  auto opened = registry.add({.name = "nexus_upstream_connections_opened",
                              .help = "Upstream connections established (TCP, and TLS if any).",
                              .labels = {cluster}});
  for (const auto* added :
       {&circuit, &transitions, &llm_circuit, &llm_transitions, &idle, &in_use, &opened}) {
    if (!*added) {
      return std::unexpected(added->error());
    }
  }
  out.circuit_state = *circuit;
  out.circuit_transitions = *transitions;
  out.llm_circuit_state = *llm_circuit;
  out.llm_circuit_transitions = *llm_transitions;
  out.pool_idle = *idle;
  out.pool_in_use = *in_use;
  out.pool_opened = *opened;
  return {};
}

Result<void> declare_health_families(metrics::Registry& registry, const Snapshot& snapshot,
                                     const SharedCounters& counters) {
  auto upstream = registry.add_callback(
      {.name = "nexus_upstream_healthy",
       .help = "1 while the endpoint passes its active health checks, 0 once they fail "
               "(clusters with a health_check).",
       .type = metrics::Type::kGauge,
       .labels = {{.name = "cluster"}, {.name = "endpoint"}}},
      metrics::ReadSamples([&snapshot, &counters] {
        std::vector<metrics::Sample> samples;
        for (size_t c = 0; c < snapshot.clusters.size() && c < counters.health.size(); ++c) {
          const proxy::EndpointHealth* health = counters.health[c].get();
          if (health == nullptr) {
            continue;
          }
          const config::Cluster& cluster = *snapshot.clusters[c];
          for (size_t e = 0; e < cluster.endpoints.size(); ++e) {
            samples.push_back({.values = {cluster.name, endpoint_name(cluster.endpoints[e])},
                               .value = health->healthy(e) ? 1.0 : 0.0});
          }
        }
        return samples;
      }));
  if (!upstream) {
    return upstream;
  }
  return registry.add_callback(
      {.name = "nexus_llm_deployment_healthy",
       .help = "1 while the LLM deployment passes its active health checks, 0 once they fail "
               "(deployments with a health_check).",
       .type = metrics::Type::kGauge,
       .labels = {{.name = "model"}, {.name = "deployment"}}},
      metrics::ReadSamples([&snapshot, &counters] {
        std::vector<metrics::Sample> samples;
        const proxy::EndpointHealth* health = counters.llm_health.get();
        if (health == nullptr) {
          return samples;
        }
        for (const Snapshot::LlmDeployment& deployment : snapshot.deployments) {
          if (!deployment.deployment->health_check.enabled) {
            continue;
          }
          samples.push_back({.values = {deployment.group->name, deployment_label(deployment)},
                             .value = health->healthy(deployment.id) ? 1.0 : 0.0});
        }
        return samples;
      }));
}

proxy::ClusterSeries cluster_series(const UpstreamFamilies& families, metrics::Shard& shard,
                                    size_t cluster) {
  proxy::ClusterSeries out;
  if (cluster >= families.endpoint_label.size()) {
    return out;
  }
  const auto id = static_cast<uint32_t>(cluster);
  for (const uint32_t endpoint : families.endpoint_label[cluster]) {
    proxy::CircuitSeries& series = out.circuits.emplace_back();
    series.shard = &shard;
    for (uint32_t s = 0; s < 3; ++s) {
      const uint32_t state[] = {id, endpoint, s};
      const uint32_t to[] = {id, s};
      series.state[s] = families.circuit_state->series_at(state);
      series.entered[s] = families.circuit_transitions->series_at(to);
    }
  }
  const uint32_t index[] = {id};
  out.shard = &shard;
  out.idle = families.pool_idle->series_at(index);
  out.in_use = families.pool_in_use->series_at(index);
  out.opened = families.pool_opened->series_at(index);
  return out;
}

proxy::CircuitSeries deployment_series(const UpstreamFamilies& families, metrics::Shard& shard,
                                       size_t deployment) {
  proxy::CircuitSeries series;
  if (deployment >= families.deployments.size()) {
    return series;
  }
  const UpstreamFamilies::DeploymentLabels labels = families.deployments[deployment];
  series.shard = &shard;
  for (uint32_t s = 0; s < 3; ++s) {
    const uint32_t state[] = {labels.model, labels.deployment, s};
    const uint32_t to[] = {labels.model, s};
    series.state[s] = families.llm_circuit_state->series_at(state);
    series.entered[s] = families.llm_circuit_transitions->series_at(to);
  }
  return series;
}

}  // namespace nexus::server
