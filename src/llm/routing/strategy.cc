#include "llm/routing/strategy.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace nexus::llm::routing {
namespace {

using config::RoutingStrategy;

// Output tokens assumed for the cost of a request that sets no max_tokens.
constexpr uint64_t kAssumedOutputTokens = 500;

size_t weighted_random(std::span<const Candidate> candidates, std::minstd_rand& random) {
  uint64_t total = 0;
  for (const Candidate& candidate : candidates) {
    total += candidate.deployment->weight;
  }
  uint64_t draw = std::uniform_int_distribution<uint64_t>(0, total - 1)(random);
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (draw < candidates[i].deployment->weight) {
      return i;
    }
    draw -= candidates[i].deployment->weight;
  }
  return candidates.size() - 1;
}

// nginx's smooth weighted round robin: each pick raises every running weight by its weight and
// takes the highest, which then drops by the total; weights 5,1,1 give a a b a c a a.
size_t round_robin(std::span<const Candidate> candidates) {
  int64_t total = 0;
  size_t best = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    DeploymentState& state = *candidates[i].state;
    state.round_robin_weight += candidates[i].deployment->weight;
    total += candidates[i].deployment->weight;
    if (state.round_robin_weight > candidates[best].state->round_robin_weight) {
      best = i;
    }
  }
  candidates[best].state->round_robin_weight -= total;
  return best;
}

// The lowest score, ties at random (so equal deployments share the traffic).
template <typename Score>
size_t lowest(std::span<const Candidate> candidates, std::minstd_rand& random, Score score) {
  std::vector<size_t> best;
  double best_score = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < candidates.size(); ++i) {
    const double value = score(candidates[i]);
    if (value < best_score) {
      best_score = value;
      best.assign(1, i);
    } else if (value == best_score) {
      best.push_back(i);
    }
  }
  if (best.empty()) {  // every score infinite
    return std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(random);
  }
  return best[std::uniform_int_distribution<size_t>(0, best.size() - 1)(random)];
}

const Ewma& latency_of(const Candidate& candidate, bool stream) {
  return stream ? candidate.state->first_byte : candidate.state->total;
}

size_t least_latency(const config::Model& group, std::span<const Candidate> candidates, bool stream,
                     std::minstd_rand& random) {
  if (candidates.size() > 1 &&
      std::uniform_real_distribution<double>(0, 1)(random) < group.exploration) {
    return std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(random);
  }
  return lowest(candidates, random, [&](const Candidate& candidate) {
    const Ewma& latency = latency_of(candidate, stream);
    return latency.known() ? latency.micros() : -1.0;  // measure the unknown first
  });
}

size_t cheapest(const config::Model& group, std::span<const Candidate> candidates,
                const RequestNeeds& needs, std::minstd_rand& random) {
  const double ceiling = static_cast<double>(
      std::chrono::duration_cast<std::chrono::microseconds>(group.latency_ceiling).count());
  auto too_slow = [&](const Candidate& candidate) {
    const Ewma& latency = latency_of(candidate, needs.stream);
    return ceiling > 0 && latency.known() && latency.micros() > ceiling;
  };
  const bool all_too_slow = std::ranges::all_of(candidates, too_slow);
  const Usage estimate{.input = needs.prompt_tokens,
                       .output = needs.max_output != 0 ? needs.max_output : kAssumedOutputTokens};
  return lowest(candidates, random, [&](const Candidate& candidate) {
    // Unpriced after every priced one, slow after every fast one.
    double cost = std::numeric_limits<double>::max() / 4;
    if (candidate.price != nullptr) {
      cost = static_cast<double>(pricing::cost(*candidate.price, estimate));
    }
    if (!all_too_slow && too_slow(candidate)) {
      cost += std::numeric_limits<double>::max() / 2;
    }
    return cost;
  });
}

}  // namespace

size_t pick(const config::Model& group, std::span<const Candidate> candidates,
            const RequestNeeds& needs, std::minstd_rand& random, Clock::time_point now) {
  if (candidates.size() == 1) {
    return 0;
  }
  switch (group.strategy) {
    case RoutingStrategy::kWeighted:
      return weighted_random(candidates, random);
    case RoutingStrategy::kRoundRobin:
      return round_robin(candidates);
    case RoutingStrategy::kLeastBusy:
      return lowest(candidates, random, [](const Candidate& candidate) {
        return static_cast<double>(candidate.state->in_flight);
      });
    case RoutingStrategy::kLeastLatency:
      return least_latency(group, candidates, needs.stream, random);
    case RoutingStrategy::kCost:
      return cheapest(group, candidates, needs, random);
    case RoutingStrategy::kUsage:
      return lowest(candidates, random, [&](const Candidate& candidate) {
        return candidate.usage->utilisation(candidate.deployment->rpm, candidate.deployment->tpm,
                                            now);
      });
  }
  return 0;
}

size_t pick_variant(std::span<const config::Variant> split, std::string_view sticky_key) {
  // FNV-1a, then a finaliser (splitmix64's) so that similar keys land far apart; stable across
  // runs and builds, unlike std::hash.
  uint64_t hash = 14695981039346656037ULL;
  for (const char c : sticky_key) {
    hash = (hash ^ static_cast<uint8_t>(c)) * 1099511628211ULL;
  }
  hash ^= hash >> 30;
  hash *= 0xbf58476d1ce4e5b9ULL;
  hash ^= hash >> 27;
  hash *= 0x94d049bb133111ebULL;
  hash ^= hash >> 31;
  uint64_t total = 0;
  for (const config::Variant& variant : split) {
    total += variant.percent;
  }
  uint64_t point = hash % std::max<uint64_t>(total, 1);
  for (size_t i = 0; i < split.size(); ++i) {
    if (point < split[i].percent) {
      return i;
    }
    point -= split[i].percent;
  }
  return split.size() - 1;
}

}  // namespace nexus::llm::routing
