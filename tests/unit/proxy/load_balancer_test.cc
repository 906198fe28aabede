#include "proxy/lb/load_balancer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace nexus::proxy {
namespace {

using config::Cluster;
using config::LbPolicy;

Cluster make_cluster(LbPolicy policy, std::vector<uint32_t> weights) {
  Cluster cluster;
  cluster.name = "c";
  cluster.lb = policy;
  for (size_t i = 0; i < weights.size(); ++i) {
    cluster.endpoints.push_back(
        {"10.0.0." + std::to_string(i + 1), static_cast<uint16_t>(8000 + i), weights[i]});
  }
  return cluster;
}

std::vector<int> count_picks(LoadBalancer& lb, int picks, size_t endpoints) {
  std::vector<int> counts(endpoints, 0);
  for (int i = 0; i < picks; ++i) {
    auto chosen = lb.pick({});
    EXPECT_TRUE(chosen.has_value());
    if (chosen) {
      ++counts.at(*chosen);
    }
  }
  return counts;
}

constexpr LbPolicy kAllPolicies[] = {LbPolicy::kRoundRobin, LbPolicy::kWeightedRoundRobin,
                                     LbPolicy::kLeastRequest, LbPolicy::kConsistentHash};

TEST(LoadBalancerTest, NoPickableEndpointGivesNullopt) {
  for (LbPolicy policy : kAllPolicies) {
    for (const auto& weights : {std::vector<uint32_t>{}, std::vector<uint32_t>{0, 0}}) {
      auto lb = make_load_balancer(make_cluster(policy, weights), 1);
      EXPECT_FALSE(lb->pick({}).has_value()) << static_cast<int>(policy);
      EXPECT_FALSE(lb->pick({.hash_key = "k"}).has_value()) << static_cast<int>(policy);
    }
  }
}

TEST(LoadBalancerTest, WeightZeroIsNeverPicked) {
  for (LbPolicy policy : kAllPolicies) {
    for (uint64_t seed : {1, 2, 3}) {
      auto lb = make_load_balancer(make_cluster(policy, {1, 0, 2, 0}), seed);
      std::vector<int> counts(4, 0);
      for (int i = 0; i < 2000; ++i) {
        std::string key = "key" + std::to_string(i);
        auto chosen = lb->pick({.hash_key = i % 2 == 0 ? std::string_view(key) : ""});
        ASSERT_TRUE(chosen.has_value());
        ++counts.at(*chosen);
      }
      EXPECT_EQ(counts[1], 0) << static_cast<int>(policy);
      EXPECT_EQ(counts[3], 0) << static_cast<int>(policy);
      EXPECT_GT(counts[0], 0) << static_cast<int>(policy);
      EXPECT_GT(counts[2], 0) << static_cast<int>(policy);
    }
  }
}

TEST(LoadBalancerTest, SingleEndpointAlwaysPicked) {
  for (LbPolicy policy : kAllPolicies) {
    auto lb = make_load_balancer(make_cluster(policy, {3}), 7);
    for (int i = 0; i < 10; ++i) {
      EXPECT_EQ(lb->pick({.hash_key = i % 2 ? "x" : ""}), 0u);
    }
  }
}

TEST(RoundRobinTest, CyclesInOrderIgnoringWeights) {
  auto lb = make_load_balancer(make_cluster(LbPolicy::kRoundRobin, {1, 5, 0, 2}), 42);
  std::vector<size_t> order;
  for (int i = 0; i < 9; ++i) {
    order.push_back(*lb->pick({}));
  }
  // Whatever the starting point, the sequence cycles 0 -> 1 -> 3 -> 0.
  const std::map<size_t, size_t> next = {{0, 1}, {1, 3}, {3, 0}};
  for (size_t i = 1; i < order.size(); ++i) {
    EXPECT_EQ(order[i], next.at(order[i - 1]));
  }
  auto counts = count_picks(*lb, 3000, 4);
  EXPECT_EQ(counts, (std::vector<int>{1000, 1000, 0, 1000}));
}

TEST(RoundRobinTest, SeedsChangeTheStartingPoint) {
  std::set<size_t> firsts;
  for (uint64_t seed = 0; seed < 32; ++seed) {
    firsts.insert(
        *make_load_balancer(make_cluster(LbPolicy::kRoundRobin, {1, 1, 1}), seed)->pick({}));
  }
  EXPECT_EQ(firsts.size(), 3u);
}

TEST(WeightedRoundRobinTest, SmoothNginxSequence) {
  auto lb = make_load_balancer(make_cluster(LbPolicy::kWeightedRoundRobin, {5, 1, 1}), 9);
  std::string sequence;
  for (int i = 0; i < 14; ++i) {
    sequence += static_cast<char>('a' + *lb->pick({}));
  }
  EXPECT_EQ(sequence, "aabacaaaabacaa");
}

TEST(WeightedRoundRobinTest, ExactProportions) {
  auto lb = make_load_balancer(make_cluster(LbPolicy::kWeightedRoundRobin, {3, 0, 2, 5}), 1);
  // Every window of sum(weights) = 10 picks is exact.
  for (int round = 0; round < 100; ++round) {
    auto counts = count_picks(*lb, 10, 4);
    ASSERT_EQ(counts, (std::vector<int>{3, 0, 2, 5})) << "round " << round;
  }
}

TEST(WeightedRoundRobinTest, EqualWeightsAreRoundRobin) {
  auto lb = make_load_balancer(make_cluster(LbPolicy::kWeightedRoundRobin, {4, 4, 4}), 1);
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(*lb->pick({}), static_cast<size_t>(i % 3));
  }
}

TEST(LeastRequestTest, UniformWhenIdle) {
  auto lb = make_load_balancer(make_cluster(LbPolicy::kLeastRequest, {1, 1, 1, 1}), 12345);
  auto counts = count_picks(*lb, 40000, 4);
  for (int count : counts) {
    EXPECT_NEAR(count, 10000, 600);
  }
}

TEST(LeastRequestTest, WeightsShareAnIdleCluster) {
  auto lb = make_load_balancer(make_cluster(LbPolicy::kLeastRequest, {3, 1}), 99);
  auto counts = count_picks(*lb, 40000, 2);
  EXPECT_NEAR(counts[0], 30000, 800);
  EXPECT_NEAR(counts[1], 10000, 800);
}

TEST(LeastRequestTest, WeightedCandidatesAreDistinct) {
  auto lb = make_load_balancer(make_cluster(LbPolicy::kLeastRequest, {2, 1, 1}), 17);
  auto counts = count_picks(*lb, 40000, 3);
  EXPECT_NEAR(counts[0], 20000, 800);
  EXPECT_NEAR(counts[1], 10000, 800);
  EXPECT_NEAR(counts[2], 10000, 800);

  // The heavy endpoint is busy; the other candidate is always a different, idle endpoint.
  lb->on_request_start(0);
  counts = count_picks(*lb, 4000, 3);
  EXPECT_EQ(counts[0], 0);
}

TEST(LeastRequestTest, PrefersIdleEndpoints) {
  auto lb = make_load_balancer(make_cluster(LbPolicy::kLeastRequest, {1, 1, 1, 1}), 5);
  // Endpoints 0, 1 and 2 are busy; 3 is idle. A pick that draws 3 as a candidate must take it.
  for (size_t e : {0, 1, 2}) {
    for (int i = 0; i < 10; ++i) {
      lb->on_request_start(e);
    }
  }
  auto counts = count_picks(*lb, 12000, 4);
  // 3 is among the two distinct candidates with probability 1/2.
  EXPECT_NEAR(counts[3], 6000, 400);

  // With two endpoints, P2C always compares both: the idle one always wins.
  auto pair = make_load_balancer(make_cluster(LbPolicy::kLeastRequest, {1, 1}), 5);
  pair->on_request_start(0);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(*pair->pick({}), 1u);
  }
  pair->on_request_end(0);
  pair->on_request_start(1);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(*pair->pick({}), 0u);
  }
}

TEST(LeastRequestTest, BalancesInFlightUnderLoad) {
  auto lb = make_load_balancer(make_cluster(LbPolicy::kLeastRequest, {1, 1, 1}), 3);
  // Requests that never finish: the in-flight counts must stay close together.
  std::vector<int> in_flight(3, 0);
  for (int i = 0; i < 300; ++i) {
    size_t e = *lb->pick({});
    lb->on_request_start(e);
    ++in_flight[e];
  }
  for (int count : in_flight) {
    EXPECT_NEAR(count, 100, 3);
  }
}

TEST(LeastRequestTest, LoadIsDividedByWeight) {
  auto lb = make_load_balancer(make_cluster(LbPolicy::kLeastRequest, {4, 1}), 3);
  for (int i = 0; i < 3; ++i) {
    lb->on_request_start(0);  // 3 / 4 < 1 / 1
  }
  lb->on_request_start(1);
  auto counts = count_picks(*lb, 1000, 2);
  EXPECT_EQ(counts[1], 0);  // the two candidates are distinct, and 0 has the lower load
  // Ends for unknown endpoints and below zero are ignored.
  lb->on_request_end(7);
  lb->on_request_end(1);
  lb->on_request_end(1);
  lb->on_request_start(99);
}

TEST(ConsistentHashTest, SameKeySameEndpoint) {
  auto cluster = make_cluster(LbPolicy::kConsistentHash, {1, 1, 1, 1, 1});
  auto lb1 = make_load_balancer(cluster, 1);
  auto lb2 = make_load_balancer(cluster, 2);  // another worker
  for (int i = 0; i < 1000; ++i) {
    std::string key = "user-" + std::to_string(i);
    auto first = lb1->pick({.hash_key = key});
    EXPECT_EQ(lb1->pick({.hash_key = key}), first);
    EXPECT_EQ(lb2->pick({.hash_key = key}), first);
  }
}

TEST(ConsistentHashTest, SpreadFollowsWeights) {
  auto lb = make_load_balancer(make_cluster(LbPolicy::kConsistentHash, {1, 1, 2, 0}), 1);
  std::vector<int> counts(4, 0);
  for (int i = 0; i < 40000; ++i) {
    std::string key = "203.0.113." + std::to_string(i % 256) + ":" + std::to_string(i);
    ++counts.at(*lb->pick({.hash_key = key}));
  }
  EXPECT_NEAR(counts[0], 10000, 1500);
  EXPECT_NEAR(counts[1], 10000, 1500);
  EXPECT_NEAR(counts[2], 20000, 2000);
  EXPECT_EQ(counts[3], 0);
}

// Keys whose endpoint (by host:port) differs between two clusters.
double moved_fraction(const Cluster& before, const Cluster& after, int keys) {
  auto lb_before = make_load_balancer(before, 1);
  auto lb_after = make_load_balancer(after, 1);
  int moved = 0;
  for (int i = 0; i < keys; ++i) {
    std::string key = "session-" + std::to_string(i);
    const auto& a = before.endpoints[*lb_before->pick({.hash_key = key})];
    const auto& b = after.endpoints[*lb_after->pick({.hash_key = key})];
    if (a.host != b.host || a.port != b.port) {
      ++moved;
    }
  }
  return static_cast<double>(moved) / keys;
}

TEST(ConsistentHashTest, AddingAnEndpointMovesAboutOneNth) {
  auto before = make_cluster(LbPolicy::kConsistentHash, {1, 1, 1, 1, 1, 1, 1, 1, 1});
  auto after = make_cluster(LbPolicy::kConsistentHash, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
  double moved = moved_fraction(before, after, 20000);
  EXPECT_GT(moved, 0.05);
  EXPECT_LT(moved, 0.15);  // ideal 1/10; a modulo hash would move ~90%
}

TEST(ConsistentHashTest, RemovingAnEndpointMovesOnlyItsKeys) {
  auto before = make_cluster(LbPolicy::kConsistentHash, {1, 1, 1, 1, 1, 1, 1, 1});
  auto after = before;
  after.endpoints.erase(after.endpoints.begin() + 3);  // indices shift; identity is host:port
  auto lb_before = make_load_balancer(before, 1);
  auto lb_after = make_load_balancer(after, 1);
  int moved = 0;
  const int keys = 20000;
  for (int i = 0; i < keys; ++i) {
    std::string key = "k" + std::to_string(i);
    size_t a = *lb_before->pick({.hash_key = key});
    size_t b = *lb_after->pick({.hash_key = key});
    if (a == 3) {
      ++moved;
      continue;
    }
    EXPECT_EQ(before.endpoints[a].host, after.endpoints[b].host) << key;
  }
  EXPECT_NEAR(static_cast<double>(moved) / keys, 1.0 / 8, 0.04);
}

TEST(ConsistentHashTest, WeightZeroEqualsRemoval) {
  auto before = make_cluster(LbPolicy::kConsistentHash, {1, 1, 1, 1, 1});
  auto drained = before;
  drained.endpoints[2].weight = 0;
  auto lb_before = make_load_balancer(before, 1);
  auto lb_drained = make_load_balancer(drained, 1);
  for (int i = 0; i < 5000; ++i) {
    std::string key = "k" + std::to_string(i);
    size_t a = *lb_before->pick({.hash_key = key});
    size_t b = *lb_drained->pick({.hash_key = key});
    EXPECT_NE(b, 2u);
    if (a != 2) {
      EXPECT_EQ(a, b);
    }
  }
}

TEST(ConsistentHashTest, EmptyKeyFallsBackToRoundRobin) {
  auto lb = make_load_balancer(make_cluster(LbPolicy::kConsistentHash, {1, 1, 0, 1}), 4);
  auto counts = count_picks(*lb, 300, 4);
  EXPECT_EQ(counts, (std::vector<int>{100, 100, 0, 100}));
}

TEST(ConsistentHashTest, DuplicateEndpointsBothServe) {
  auto cluster = make_cluster(LbPolicy::kConsistentHash, {1, 1});
  cluster.endpoints[1] = cluster.endpoints[0];
  auto lb = make_load_balancer(cluster, 1);
  std::vector<int> counts(2, 0);
  for (int i = 0; i < 4000; ++i) {
    ++counts.at(*lb->pick({.hash_key = "k" + std::to_string(i)}));
  }
  EXPECT_GT(counts[0], 1000);
  EXPECT_GT(counts[1], 1000);
}

TEST(StableHashTest, KnownValues) {
  // Pinned so that a change of algorithm (which would remap every session) fails loudly.
  EXPECT_EQ(stable_hash(""), stable_hash(""));
  EXPECT_EQ(stable_hash("hello"), stable_hash("hello"));
  EXPECT_EQ(stable_hash(""), 0xefd01f60ba992926ULL);
  EXPECT_EQ(stable_hash("a"), 0x82a2a958a9bece5bULL);
  EXPECT_EQ(stable_hash("hello world"), 0x7c6d8c019b6ee5d5ULL);
}

TEST(StableHashTest, DifferentInputsDiffer) {
  std::set<uint64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    seen.insert(stable_hash("key" + std::to_string(i)));
  }
  EXPECT_EQ(seen.size(), 10000u);
  EXPECT_NE(stable_hash("ab"), stable_hash("ba"));
  EXPECT_NE(stable_hash(std::string_view("a\0", 2)), stable_hash("a"));
}

TEST(StableHashTest, WellMixed) {
  // Keys differing in the last byte land all over the range: each top-nibble bucket gets some.
  std::vector<int> buckets(16, 0);
  for (int i = 0; i < 1600; ++i) {
    ++buckets[stable_hash("10.0.0." + std::to_string(i)) >> 60];
  }
  for (int count : buckets) {
    EXPECT_NEAR(count, 100, 40);
  }
}

}  // namespace
}  // namespace nexus::proxy
