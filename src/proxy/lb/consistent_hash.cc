// Consistent hashing on a ring of virtual nodes (ketama style).
//
// Each endpoint owns points on a 64-bit ring, placed by hashing its host:port and the point's
// number, so the points do not depend on the other endpoints or on the endpoint's position in the
// config: adding or removing one endpoint moves only the keys that land on its points (~1/N).
// A key goes to the first point at or after its hash. Requests without a key go round robin.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "proxy/lb/policies.h"

namespace nexus::proxy::lb {
namespace {

// 100 points per unit of weight keep the spread within a few percent of the weight share; the
// ring is capped so that heavy weights do not cost megabytes per worker.
constexpr uint64_t kPointsPerWeight = 100;
constexpr uint64_t kMaxRingPoints = 1 << 16;

class ConsistentHash final : public LoadBalancer {
 public:
  ConsistentHash(const config::Cluster& cluster, uint64_t seed)
      : endpoints_(pickable_endpoints(cluster)) {
    if (!endpoints_.empty()) {
      next_ = static_cast<size_t>(Rng(seed).below(endpoints_.size()));
    }
    uint64_t total_weight = 0;
    for (uint32_t index : endpoints_) {
      total_weight += cluster.endpoints[index].weight;
    }
    auto scale = static_cast<double>(kPointsPerWeight);
    if (total_weight * kPointsPerWeight > kMaxRingPoints) {
      scale = static_cast<double>(kMaxRingPoints) / static_cast<double>(total_weight);
    }

    std::map<std::string, int> seen;  // the same host:port twice gets distinct points
    for (uint32_t index : endpoints_) {
      const config::Endpoint& endpoint = cluster.endpoints[index];
      std::string id = endpoint.host + ":" + std::to_string(endpoint.port);
      if (int copies = seen[id]++; copies > 0) {
        id += "/" + std::to_string(copies);
      }
      auto points = static_cast<uint64_t>(std::llround(endpoint.weight * scale));
      points = std::max<uint64_t>(points, 1);
      for (uint64_t p = 0; p < points; ++p) {
        ring_.push_back({stable_hash(id + "#" + std::to_string(p)), index});
      }
    }
    std::ranges::sort(ring_, [](const Point& x, const Point& y) {
      return x.hash != y.hash ? x.hash < y.hash : x.endpoint < y.endpoint;
    });
  }

  std::optional<size_t> pick(const LbContext& context) override {
    if (endpoints_.empty()) {
      return std::nullopt;
    }
    if (context.hash_key.empty()) {
      size_t chosen = endpoints_[next_];
      if (++next_ == endpoints_.size()) {
        next_ = 0;
      }
      return chosen;
    }
    uint64_t h = stable_hash(context.hash_key);
    auto it = std::ranges::lower_bound(ring_, h, {}, &Point::hash);
    if (it == ring_.end()) {
      it = ring_.begin();
    }
    return it->endpoint;
  }

 private:
  struct Point {
    uint64_t hash;
    uint32_t endpoint;
  };
  std::vector<uint32_t> endpoints_;
  std::vector<Point> ring_;
  size_t next_ = 0;
};

}  // namespace

std::unique_ptr<LoadBalancer> make_consistent_hash(const config::Cluster& cluster, uint64_t seed) {
  return std::make_unique<ConsistentHash>(cluster, seed);
}

}  // namespace nexus::proxy::lb
