// nexus_llm_provider_auth_failures_total{provider}: upstream 401/403 answers from an LLM
// provider (a revoked or wrong provider key), what alert rules of kind provider_auth_failures
// read. Apart from llm_metrics.cc so that the family is easy to find and to drop.
#include <map>

#include "server/server_metrics.h"

namespace nexus::server {
namespace metrics = obs::metrics;

Result<void> declare_provider_auth_failures(metrics::Registry& registry, const Snapshot& snapshot,
                                            LlmFamilies& out) {
  std::vector<std::string> providers;  // config names, one value each
  std::map<std::string, uint32_t, std::less<>> index;
  out.auth_failure_label.reserve(snapshot.deployments.size());
  for (const Snapshot::LlmDeployment& deployment : snapshot.deployments) {
    const auto [at, added] =
        index.emplace(deployment.provider->name, static_cast<uint32_t>(providers.size()));
    if (added) {
      providers.push_back(deployment.provider->name);
    }
    out.auth_failure_label.push_back(at->second);
  }
  auto family = registry.add(
      {.name = "nexus_llm_provider_auth_failures",
       .help = "LLM provider answers 401 or 403 (the provider refused Nexus's credentials), by "
               "provider.",
       .labels = {{.name = "provider", .values = std::move(providers)}}});
  if (!family) {
    return std::unexpected(std::move(family.error()));
  }
  out.auth_failures = *family;
  return {};
}

void WorkerMetrics::llm_auth_failure(size_t deployment) {
  const LlmFamilies& llm = families_.llm_;
  if (llm.auth_failures == nullptr || deployment >= llm.auth_failure_label.size()) {
    return;
  }
  const uint32_t index[] = {llm.auth_failure_label[deployment]};
  shard_.add(llm.auth_failures->series_at(index));
}

}  // namespace nexus::server
