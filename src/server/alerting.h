// Wires observability.alerts into the running server: the AlertManager's families declared in
// the registry, then its thread started on the frozen registry with the governance budget view.
#pragma once

#include <memory>

#include "nexus/core/result.h"
#include "obs/alerts/alert_manager.h"
#include "server/snapshot.h"

namespace nexus::governance {
class Governance;
}

namespace nexus::server {

// Before the registry is frozen: null when no rule is configured.
Result<std::unique_ptr<obs::alerts::AlertManager>> declare_alerts(const Snapshot& snapshot,
                                                                  obs::metrics::Registry& registry);

// After freeze: `shard` is the registry's shard past the workers', the alerts thread's own.
// `governance`: null without governance (budget rules then have no data).
void start_alerts(obs::alerts::AlertManager& alerts, const obs::metrics::Registry& registry,
                  obs::metrics::Shard& shard, governance::Governance* governance);

}  // namespace nexus::server
