// Load balancers pick one endpoint of a cluster for each request.
//
// One instance per worker thread and cluster: no locks, no atomics. Endpoints are identified by
// their index in config::Cluster::endpoints; weights come from there too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "nexus/config/config.h"

namespace nexus::proxy {

struct LbContext {
  // For consistent hashing: the key to hash (header value or client IP); empty = none.
  std::string_view hash_key;
};

class LoadBalancer {
 public:
  virtual ~LoadBalancer() = default;

  // Called once per request (attempt), on the worker thread. nullopt only if the cluster has no
  // endpoint with a weight above 0.
  virtual std::optional<size_t> pick(const LbContext& context) = 0;

  // The proxy reports every request it starts and ends on an endpoint (least-request uses them).
  virtual void on_request_start(size_t /*endpoint*/) {}
  virtual void on_request_end(size_t /*endpoint*/) {}
};

// `seed` makes the random choices of one worker differ from another's (and tests repeatable).
std::unique_ptr<LoadBalancer> make_load_balancer(const config::Cluster& cluster, uint64_t seed);

// A stable 64-bit hash of a key (the same on every worker and across restarts).
uint64_t stable_hash(std::string_view key);

}  // namespace nexus::proxy
