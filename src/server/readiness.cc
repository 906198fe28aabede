#include "server/readiness.h"

#include <string>

#include "core/json_escape.h"
#include "governance/governance.h"
#include "proxy/health/endpoint_health.h"

namespace nexus::server {

obs::Readiness judge_readiness(const Snapshot& snapshot, const SharedCounters& counters) {
  obs::Readiness out;
  std::string checks = R"("config":"ok")";
  if (governance::Governance* governance = counters.governance) {
    const governance::LedgerWriter::Stats stats = governance->ledger().stats();
    const uint32_t queue = governance->config().ledger_queue;
    checks += R"(,"storage":)";
    if (stats.last_commit_failed) {
      checks += R"("failing: the store refused the last ledger write")";
      out.ready = false;
    } else if (queue != 0 && stats.pending >= queue) {
      checks += R"("behind: the ledger queue is full")";
      out.ready = false;
    } else {
      checks += R"("ok")";
    }
  }
  const bool strict = snapshot.config.observability.strict_readiness;
  std::string models;
  for (const auto& [name, group] : snapshot.models) {
    size_t healthy = 0;
    for (size_t i = group.first; i < group.first + group.count; ++i) {
      healthy += counters.llm_health == nullptr || counters.llm_health->healthy(i) ? 1 : 0;
    }
    if (strict && healthy == 0 && group.count != 0) {
      out.ready = false;
    }
    models += models.empty() ? "\"" : ",\"";
    append_json_escaped(models, name);
    models += R"(":{"deployments":)" + std::to_string(group.count) + R"(,"healthy":)" +
              std::to_string(healthy) + "}";
  }
  out.detail =
      out.ready ? R"({"status":"ready","checks":{)" : R"({"status":"not_ready","checks":{)";
  out.detail += checks;
  out.detail += R"(,"models":{)" + models + "}}}";
  return out;
}

}  // namespace nexus::server
