// What `nexus diagnose` reaches over the network: every endpoint of every cluster (the
// providers' own clusters, built from their base URLs, and their OAuth token endpoints
// included), and the governance Redis, each with how it is reached (TLS settings, ALPN) and, for
// a provider with --probe, the request that checks its key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nexus/config/config.h"

namespace nexus::cli::diagnose {

struct Target {
  std::string label;  // "cluster backend", "provider openai", "provider vertex token", "redis"
  std::string host;   // a DNS name or an IP literal
  uint16_t port = 0;
  std::optional<config::UpstreamTls> tls;  // set when the data plane uses TLS to it
  bool http2 = false;                      // ALPN offers h2 (as the cluster's connections do)
  // A provider's model-list request (llm/health_request.h), sent on the checked connection. It
  // carries the provider's key: it is sent, never printed.
  std::optional<std::string> probe_request;
  std::string probe_path;  // its path without the query, for the report
  // A provider without a probe: why ("not requested (--probe)", "bedrock has no free call").
  // Empty for clusters that are not a provider's: they get no api_probe line at all.
  std::string no_probe_reason;

  // "cluster backend 10.0.0.1:8080" ([v6]:port): how the report names it.
  [[nodiscard]] std::string name() const;
};

// The targets of `config`, in a stable order (clusters by name, then Redis). With `probe`, the
// providers' main clusters carry their probe request where the provider has one.
std::vector<Target> network_targets(const config::Config& config, bool probe);

}  // namespace nexus::cli::diagnose
