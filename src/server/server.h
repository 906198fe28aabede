// Bootstrap: builds the snapshot, binds every worker's listeners, runs the workers, refreshes
// DNS, and on SIGTERM/SIGINT drains in-flight requests before returning.
#pragma once

#include "nexus/config/config.h"
#include "nexus/core/result.h"

namespace nexus::server {

// Runs until a termination signal and a completed (or timed-out) drain. Errors are startup
// errors (bad certificates, ports in use), reported before any request is accepted.
Result<void> run_server(config::Config config);

}  // namespace nexus::server
