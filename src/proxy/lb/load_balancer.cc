#include "proxy/lb/load_balancer.h"

#include "proxy/lb/policies.h"

namespace nexus::proxy {

namespace lb {

std::vector<uint32_t> pickable_endpoints(const config::Cluster& cluster) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < cluster.endpoints.size(); ++i) {
    if (cluster.endpoints[i].weight > 0) {
      out.push_back(static_cast<uint32_t>(i));
    }
  }
  return out;
}

}  // namespace lb

std::unique_ptr<LoadBalancer> make_load_balancer(const config::Cluster& cluster, uint64_t seed) {
  switch (cluster.lb) {
    case config::LbPolicy::kRoundRobin:
      return lb::make_round_robin(cluster, seed);
    case config::LbPolicy::kWeightedRoundRobin:
      return lb::make_weighted_round_robin(cluster);
    case config::LbPolicy::kLeastRequest:
      return lb::make_least_request(cluster, seed);
    case config::LbPolicy::kConsistentHash:
      return lb::make_consistent_hash(cluster, seed);
  }
  return lb::make_round_robin(cluster, seed);
}

// FNV-1a walks every byte; its low bits mix poorly, so the murmur3 64-bit finalizer spreads them
// before the value is used to place keys on a ring. Both are fixed, byte-order independent
// arithmetic, so the result is the same on every platform and run.
uint64_t stable_hash(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : key) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace nexus::proxy
