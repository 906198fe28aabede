// Head sampling: parent-based when a valid traceparent came in, else the ratio applied to the
// trace id (deterministic per id); ids are non-zero and differ.
#include "obs/tracing/sampler.h"

#include <gtest/gtest.h>

#include <set>

#include "obs/tracing/ids.h"

namespace nexus::obs::tracing {
namespace {

TraceParent parent(bool sampled) {
  return {.trace_id = {.high = 1, .low = 2}, .parent_id = 3, .flags = sampled ? kSampledFlag : 0};
}

TEST(SamplerTest, HonoursTheParentsFlag) {
  EXPECT_TRUE(Sampler(0.0).sample(parent(true), {.high = 1, .low = 2}));
  EXPECT_FALSE(Sampler(1.0).sample(parent(false), {.high = 1, .low = 2}));
}

TEST(SamplerTest, RatioBoundsWithoutParent) {
  int sampled_all = 0;
  int sampled_none = 0;
  for (int i = 0; i < 1000; ++i) {
    const TraceId id = new_trace_id();
    sampled_all += Sampler(1.0).sample(std::nullopt, id) ? 1 : 0;
    sampled_none += Sampler(0.0).sample(std::nullopt, id) ? 1 : 0;
  }
  EXPECT_EQ(sampled_all, 1000);
  EXPECT_EQ(sampled_none, 0);
}

TEST(SamplerTest, RatioIsAppliedToTheTraceId) {
  const Sampler half(0.5);
  // The decision depends on the id's low 63 bits only: the same id, the same answer.
  EXPECT_TRUE(half.sample(std::nullopt, {.high = 9, .low = 0}));
  EXPECT_FALSE(half.sample(std::nullopt, {.high = 9, .low = (uint64_t{1} << 62) + 1}));
  EXPECT_TRUE(half.sample(std::nullopt, {.high = 9, .low = (uint64_t{1} << 63) | 5}));
  int sampled = 0;
  for (int i = 0; i < 10000; ++i) {
    sampled += half.sample(std::nullopt, new_trace_id()) ? 1 : 0;
  }
  EXPECT_GT(sampled, 4000);  // generous bounds: 10,000 draws of a fair coin
  EXPECT_LT(sampled, 6000);
}

TEST(SamplerTest, IdsAreNonZeroAndDistinct) {
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const SpanId id = new_span_id();
    EXPECT_NE(id, 0U);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000U);
}

TEST(SamplerTest, GeneratorNeverSticksAtZero) {
  Xoshiro256 generator({0, 0, 0, 0});
  EXPECT_NE(generator.next() | generator.next(), 0U);
}

}  // namespace
}  // namespace nexus::obs::tracing
