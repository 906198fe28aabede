#include "server/alerting.h"

#include <spdlog/spdlog.h>

#include "governance/governance.h"

namespace nexus::server {
namespace {

std::optional<governance::ScopeKind> scope_kind(std::string_view kind) {
  if (kind == "org") {
    return governance::ScopeKind::kOrg;
  }
  if (kind == "team") {
    return governance::ScopeKind::kTeam;
  }
  if (kind == "key") {
    return governance::ScopeKind::kKey;
  }
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<obs::alerts::AlertManager>> declare_alerts(
    const Snapshot& snapshot, obs::metrics::Registry& registry) {
  const config::Alerts& alerts = snapshot.config.observability.alerts;
  if (!alerts.enabled) {
    return nullptr;
  }
  return obs::alerts::AlertManager::create(alerts, registry, obs::alerts::http_post);
}

void start_alerts(obs::alerts::AlertManager& alerts, const obs::metrics::Registry& registry,
                  obs::metrics::Shard& shard, governance::Governance* governance) {
  obs::alerts::BudgetUse budget;
  if (governance != nullptr) {
    // The scope's spend as this process's limiter counts it (the ledger's spend for the period
    // plus what settled since), over its hard budget, else its soft one.
    budget = [governance](std::string_view kind, std::string_view id) -> std::optional<double> {
      const auto scope = scope_kind(kind);
      if (!scope) {
        return std::nullopt;
      }
      const auto view = governance->live_view(*scope, id);
      if (!view || !view->controls.budget) {
        return std::nullopt;
      }
      const governance::Budget& cap = *view->controls.budget;
      const auto limit = cap.hard > 0 ? cap.hard : cap.soft;
      if (limit == 0) {
        return std::nullopt;
      }
      return static_cast<double>(view->spent) / static_cast<double>(limit);
    };
  }
  alerts.start(obs::alerts::Sources(registry, std::move(budget)), shard);
  spdlog::info("alerts: {} rule(s), evaluated every {} ms", alerts.rule_count(),
               alerts.evaluation_interval().count());
}

}  // namespace nexus::server
