// Smooth weighted round robin as nginx does it: each pick adds every endpoint's weight to its
// running score, takes the highest score and subtracts the total weight from it. Over any
// window of sum(weights) picks each endpoint is chosen exactly `weight` times, and the heavy
// endpoint's turns are spread out (5,1,1 -> a a b a c a a) instead of coming in a burst.
#include <cstdint>
#include <vector>

#include "proxy/lb/policies.h"

namespace nexus::proxy::lb {
namespace {

class WeightedRoundRobin final : public LoadBalancer {
 public:
  explicit WeightedRoundRobin(const config::Cluster& cluster) {
    for (uint32_t index : pickable_endpoints(cluster)) {
      int64_t weight = cluster.endpoints[index].weight;
      entries_.push_back({index, weight, 0});
      total_ += weight;
    }
  }

  std::optional<size_t> pick(const LbContext& /*context*/) override {
    if (entries_.empty()) {
      return std::nullopt;
    }
    Entry* best = nullptr;
    for (Entry& entry : entries_) {
      entry.current += entry.weight;
      if (best == nullptr || entry.current > best->current) {
        best = &entry;
      }
    }
    best->current -= total_;
    return best->endpoint;
  }

 private:
  struct Entry {
    uint32_t endpoint;
    int64_t weight;
    int64_t current;  // stays within (-total, total): 64 bits never overflow for 32-bit weights
  };
  std::vector<Entry> entries_;
  int64_t total_ = 0;
};

}  // namespace

std::unique_ptr<LoadBalancer> make_weighted_round_robin(const config::Cluster& cluster) {
  return std::make_unique<WeightedRoundRobin>(cluster);
}

}  // namespace nexus::proxy::lb
