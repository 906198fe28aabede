// The load-balancing policies behind make_load_balancer, and what they share.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "nexus/config/config.h"
#include "proxy/lb/load_balancer.h"

namespace nexus::proxy::lb {

// splitmix64: one word of state, good enough mixing for picking endpoints, and cheap to hold per
// worker and cluster (std::mt19937 would carry 2.5 KB each).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, bound) without a division (Lemire); bound > 0.
  uint64_t below(uint64_t bound) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * bound) >> 64);
  }

 private:
  uint64_t state_;
};

// Indices of the endpoints that may be picked (weight above 0), in config order.
std::vector<uint32_t> pickable_endpoints(const config::Cluster& cluster);

std::unique_ptr<LoadBalancer> make_round_robin(const config::Cluster& cluster, uint64_t seed);
std::unique_ptr<LoadBalancer> make_weighted_round_robin(const config::Cluster& cluster);
std::unique_ptr<LoadBalancer> make_least_request(const config::Cluster& cluster, uint64_t seed);
std::unique_ptr<LoadBalancer> make_consistent_hash(const config::Cluster& cluster, uint64_t seed);

}  // namespace nexus::proxy::lb
