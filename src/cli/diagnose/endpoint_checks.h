// The network checks of one target (targets.h): DNS resolution, TCP connect, the TLS handshake
// with the certificate's expiry, and the provider's API probe, in that order on one connection.
#pragma once

#include <chrono>
#include <vector>

#include "cli/diagnose/check_result.h"
#include "cli/diagnose/targets.h"

namespace nexus::cli::diagnose {

struct NetworkOptions {
  std::chrono::milliseconds timeout{5000};  // each step: resolve, connect, handshake, probe
};

// Runs the steps of `target` on a private event loop, blocking (call it from a worker thread:
// runner.h). Each step is bounded by options.timeout; one that cannot run (no address, no
// connection) is reported skipped. Results: "dns", "tcp_connect", then "tls" for TLS targets and
// "api_probe" for providers. A DNS lookup that outlives the timeout is reported as timed out, but
// the call returns only once the system resolver gives up (getaddrinfo cannot be cancelled).
std::vector<CheckResult> check_target(const Target& target, const NetworkOptions& options);

}  // namespace nexus::cli::diagnose
