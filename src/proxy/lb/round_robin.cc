// Round robin: every endpoint with a weight above 0 in turn; weights otherwise ignored.
#include <utility>

#include "proxy/lb/policies.h"

namespace nexus::proxy::lb {
namespace {

class RoundRobin final : public LoadBalancer {
 public:
  RoundRobin(std::vector<uint32_t> endpoints, uint64_t seed) : endpoints_(std::move(endpoints)) {
    // Workers start at different places so that they do not all send their first request to the
    // same endpoint.
    if (!endpoints_.empty()) {
      next_ = static_cast<size_t>(Rng(seed).below(endpoints_.size()));
    }
  }

  std::optional<size_t> pick(const LbContext& /*context*/) override {
    if (endpoints_.empty()) {
      return std::nullopt;
    }
    size_t chosen = endpoints_[next_];
    if (++next_ == endpoints_.size()) {
      next_ = 0;
    }
    return chosen;
  }

 private:
  std::vector<uint32_t> endpoints_;
  size_t next_ = 0;
};

}  // namespace

std::unique_ptr<LoadBalancer> make_round_robin(const config::Cluster& cluster, uint64_t seed) {
  return std::make_unique<RoundRobin>(pickable_endpoints(cluster), seed);
}

}  // namespace nexus::proxy::lb
