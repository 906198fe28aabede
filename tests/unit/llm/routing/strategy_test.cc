// The routing strategies of a model group, on deployment states set by hand (no clock, no
// network): what each picks, and in what proportions.
#include "llm/routing/strategy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace nexus::llm::routing {
namespace {

using namespace std::chrono_literals;

struct Fixture {
  explicit Fixture(std::vector<config::Deployment> list, config::RoutingStrategy strategy)
      : deployments(std::move(list)), states(deployments.size()), usage(deployments.size()) {
    group.strategy = strategy;
    group.exploration = 0;
    for (size_t i = 0; i < deployments.size(); ++i) {
      candidates.push_back({&deployments[i], &states[i], &usage[i]});
    }
  }
  size_t pick(const RequestNeeds& needs = {}) {
    return routing::pick(group, candidates, needs, random, Clock::time_point{} + 1h);
  }
  std::map<size_t, int> picks(int count, const RequestNeeds& needs = {}) {
    std::map<size_t, int> counted;
    for (int i = 0; i < count; ++i) {
      ++counted[pick(needs)];
    }
    return counted;
  }

  config::Model group;
  std::vector<config::Deployment> deployments;
  std::vector<DeploymentState> states;
  std::vector<UsageWindow> usage;
  std::vector<Candidate> candidates;
  std::minstd_rand random{42};
};

config::Deployment weighted(uint32_t weight) {
  config::Deployment deployment;
  deployment.weight = weight;
  return deployment;
}

TEST(RoutingStrategy, WeightedRandomFollowsTheWeights) {
  Fixture f({weighted(3), weighted(1)}, config::RoutingStrategy::kWeighted);
  auto counted = f.picks(4000);
  EXPECT_NEAR(counted[0], 3000, 150);
  EXPECT_NEAR(counted[1], 1000, 150);
}

TEST(RoutingStrategy, RoundRobinIsSmoothAndWeighted) {
  Fixture f({weighted(5), weighted(1), weighted(1)}, config::RoutingStrategy::kRoundRobin);
  std::string order;
  for (int i = 0; i < 14; ++i) {
    order += static_cast<char>('a' + f.pick());
  }
  EXPECT_EQ(order, "aabacaaaabacaa");
}

TEST(RoutingStrategy, LeastBusyTakesTheFewestInFlight) {
  Fixture f({weighted(1), weighted(1), weighted(1)}, config::RoutingStrategy::kLeastBusy);
  f.states[0].in_flight = 4;
  f.states[1].in_flight = 1;
  f.states[2].in_flight = 2;
  EXPECT_EQ(f.picks(50), (std::map<size_t, int>{{1, 50}}));
  f.states[2].in_flight = 1;  // a tie is shared
  auto counted = f.picks(400);
  EXPECT_GT(counted[1], 150);
  EXPECT_GT(counted[2], 150);
}

TEST(RoutingStrategy, LeastLatencyMeasuresUnknownFirstThenTakesTheFastest) {
  Fixture f({weighted(1), weighted(1)}, config::RoutingStrategy::kLeastLatency);
  f.states[0].total.add(20ms);
  EXPECT_EQ(f.pick(), 1U);  // never measured
  f.states[1].total.add(50ms);
  EXPECT_EQ(f.picks(50), (std::map<size_t, int>{{0, 50}}));
  // Streams are judged by their time to first token.
  f.states[0].first_byte.add(900ms);
  f.states[1].first_byte.add(100ms);
  EXPECT_EQ(f.picks(50, RequestNeeds{.stream = true}), (std::map<size_t, int>{{1, 50}}));
}

TEST(RoutingStrategy, LeastLatencyExploresTheConfiguredShare) {
  Fixture f({weighted(1), weighted(1)}, config::RoutingStrategy::kLeastLatency);
  f.group.exploration = 0.2;
  f.states[0].total.add(10ms);
  f.states[1].total.add(500ms);
  auto counted = f.picks(4000);
  EXPECT_NEAR(counted[1], 400, 80);  // half of the 20 % random picks land on the slow one
}

TEST(RoutingStrategy, EwmaFollowsAChangeWithinAFewSamples) {
  Ewma ewma;
  EXPECT_FALSE(ewma.known());
  for (int i = 0; i < 10; ++i) {
    ewma.add(10ms);
  }
  EXPECT_NEAR(ewma.micros(), 10000, 1);
  for (int i = 0; i < 5; ++i) {
    ewma.add(210ms);
  }
  EXPECT_GT(ewma.micros(), 160000);  // 1 - 0.7^5 of the step
}

// USD per million tokens as the pricing unit (micro-USD per million tokens).
pricing::ModelPrice price(double input, double output) {
  pricing::ModelPrice out;
  out.tokens.input = std::llround(input * 1e6);
  out.tokens.output = std::llround(output * 1e6);
  return out;
}

TEST(RoutingStrategy, CostTakesTheCheapestForTheRequestUnlessTooSlow) {
  Fixture f({weighted(1), weighted(1), weighted(1)}, config::RoutingStrategy::kCost);
  pricing::ModelPrice dear = price(5, 15);
  pricing::ModelPrice cheap = price(0.15, 0.6);
  f.candidates[1].price = &dear;
  f.candidates[2].price = &cheap;  // candidates[0] is unpriced
  EXPECT_EQ(f.picks(20), (std::map<size_t, int>{{2, 20}}));
  // Output-heavy against input-heavy prices: the request's own tokens decide.
  dear = price(0.1, 20);
  cheap = price(1, 1);
  EXPECT_EQ(f.pick(RequestNeeds{.prompt_tokens = 100000, .max_output = 10}), 1U);
  EXPECT_EQ(f.pick(RequestNeeds{.prompt_tokens = 10, .max_output = 100000}), 2U);
  // Over the latency ceiling: the next cheapest; all over it: the cheapest again.
  f.group.latency_ceiling = 100ms;
  f.states[2].total.add(300ms);
  EXPECT_EQ(f.pick(RequestNeeds{.prompt_tokens = 10, .max_output = 100000}), 1U);
  f.states[1].total.add(300ms);
  f.states[0].total.add(300ms);
  EXPECT_EQ(f.pick(RequestNeeds{.prompt_tokens = 10, .max_output = 100000}), 2U);
}

TEST(RoutingStrategy, CostCountsTheLongContextTierAndPerRequestFees) {
  Fixture f({weighted(1), weighted(1)}, config::RoutingStrategy::kCost);
  pricing::ModelPrice tiered = price(1, 1);
  tiered.long_context =
      pricing::LongContextTier{.above_input_tokens = 1000, .rates = price(10, 10).tokens};
  pricing::ModelPrice flat = price(2, 2);
  f.candidates[0].price = &tiered;
  f.candidates[1].price = &flat;
  EXPECT_EQ(f.pick(RequestNeeds{.prompt_tokens = 1000, .max_output = 10}), 0U);
  EXPECT_EQ(f.pick(RequestNeeds{.prompt_tokens = 1001, .max_output = 10}), 1U);  // the tier
  // A fee per request outweighs cheaper tokens on small requests.
  tiered.long_context.reset();
  tiered.per_request = 1'000'000;  // $0.001
  EXPECT_EQ(f.pick(RequestNeeds{.prompt_tokens = 100, .max_output = 10}), 1U);
}

TEST(RoutingStrategy, UsageTakesTheLeastUsedShareOfItsLimits) {
  config::Deployment small = weighted(1);
  small.rpm = 10;
  config::Deployment large = weighted(1);
  large.rpm = 100;
  Fixture f({small, large}, config::RoutingStrategy::kUsage);
  const auto now = Clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) {
    f.usage[0].add_request(0, now);  // 30 % of its limit
  }
  for (int i = 0; i < 20; ++i) {
    f.usage[1].add_request(0, now);  // 20 %
  }
  EXPECT_EQ(f.pick(), 1U);
  for (int i = 0; i < 20; ++i) {
    f.usage[1].add_request(0, now);  // 40 %
  }
  EXPECT_EQ(f.pick(), 0U);
}

TEST(RoutingStrategy, VariantsAreStickyAndFollowThePercentages) {
  const std::vector<config::Variant> split = {{"a", 70}, {"b", 30}};
  int a = 0;
  for (int user = 0; user < 2000; ++user) {
    const std::string key = "user-" + std::to_string(user);
    const size_t variant = pick_variant(split, key);
    EXPECT_EQ(pick_variant(split, key), variant);
    a += variant == 0 ? 1 : 0;
  }
  EXPECT_NEAR(a, 1400, 80);
  // A left-out variant's share goes to the others.
  EXPECT_EQ(pick_variant(std::vector<config::Variant>{{"b", 30}}, "anyone"), 0U);
}

}  // namespace
}  // namespace nexus::llm::routing
