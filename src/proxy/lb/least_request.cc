// Least request by the power of two choices: draw two candidates at random and take the one with
// fewer requests in flight per unit of weight. Two random candidates avoid the herd that "always
// the global minimum" causes when many workers each see a stale picture, at O(1) per pick.
//
// With unequal weights the candidates are drawn in proportion to weight, so an idle cluster is
// still shared by weight (a plain uniform draw would ignore weights until load builds up).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "proxy/lb/policies.h"

namespace nexus::proxy::lb {
namespace {

class LeastRequest final : public LoadBalancer {
 public:
  LeastRequest(const config::Cluster& cluster, uint64_t seed)
      : endpoints_(pickable_endpoints(cluster)),
        weights_(cluster.endpoints.size(), 0),
        in_flight_(cluster.endpoints.size(), 0),
        rng_(seed) {
    uint64_t sum = 0;
    bool uniform = true;
    for (uint32_t index : endpoints_) {
      weights_[index] = cluster.endpoints[index].weight;
      uniform = uniform && weights_[index] == weights_[endpoints_.front()];
      sum += weights_[index];
      cumulative_.push_back(sum);
    }
    if (uniform) {
      cumulative_.clear();  // uniform draws need no table
    }
  }

  std::optional<size_t> pick(const LbContext& /*context*/) override {
    size_t n = endpoints_.size();
    if (n <= 1) {
      return n == 0 ? std::nullopt : std::optional<size_t>(endpoints_.front());
    }
    // Two distinct candidates, the second drawn from the others.
    size_t i;
    size_t j;
    if (cumulative_.empty()) {
      i = rng_.below(n);
      j = rng_.below(n - 1);
      j = j >= i ? j + 1 : j;
    } else {
      i = position_of(rng_.below(cumulative_.back()));
      uint64_t before_i = i == 0 ? 0 : cumulative_[i - 1];
      uint64_t r = rng_.below(cumulative_.back() - (cumulative_[i] - before_i));
      j = position_of(r >= before_i ? r + (cumulative_[i] - before_i) : r);
    }
    uint32_t a = endpoints_[i];
    uint32_t b = endpoints_[j];
    // load(x) = in_flight[x] / weight[x], compared without division.
    uint64_t load_a = static_cast<uint64_t>(in_flight_[a]) * weights_[b];
    uint64_t load_b = static_cast<uint64_t>(in_flight_[b]) * weights_[a];
    return load_b < load_a ? b : a;
  }

  void on_request_start(size_t endpoint) override {
    if (endpoint < in_flight_.size()) {
      ++in_flight_[endpoint];
    }
  }

  void on_request_end(size_t endpoint) override {
    if (endpoint < in_flight_.size() && in_flight_[endpoint] > 0) {
      --in_flight_[endpoint];
    }
  }

 private:
  // The position in endpoints_ whose weight interval [cumulative[k-1], cumulative[k]) holds r.
  size_t position_of(uint64_t r) const {
    auto it = std::ranges::upper_bound(cumulative_, r);
    return static_cast<size_t>(it - cumulative_.begin());
  }

  std::vector<uint32_t> endpoints_;
  std::vector<uint32_t> weights_;     // by endpoint index
  std::vector<uint32_t> in_flight_;   // by endpoint index
  std::vector<uint64_t> cumulative_;  // running sum of weights over endpoints_; empty if uniform
  Rng rng_;
};

}  // namespace

std::unique_ptr<LoadBalancer> make_least_request(const config::Cluster& cluster, uint64_t seed) {
  return std::make_unique<LeastRequest>(cluster, seed);
}

}  // namespace nexus::proxy::lb
