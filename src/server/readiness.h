// GET /readyz on the ops listener (docs/observability.md): the configuration is loaded (it is,
// once this runs), the usage ledger's store takes writes (governance), and per model group how
// many of its deployments are healthy; with observability.strict_readiness a group without one
// makes the gateway not ready.
#pragma once

#include "obs/ops_api.h"
#include "server/snapshot.h"
#include "server/worker.h"

namespace nexus::server {

// Judged at each call, from any thread: reads only atomics (health flags, ledger counters).
obs::Readiness judge_readiness(const Snapshot& snapshot, const SharedCounters& counters);

}  // namespace nexus::server
