// W3C Trace Context level 1: the spec's examples and its rules for invalid values, future
// versions and tracestate lists.
#include "obs/tracing/trace_context.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace nexus::obs::tracing {
namespace {

constexpr std::string_view kSpecExample = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContextTest, ParsesTheSpecExample) {
  const auto parent = parse_traceparent(kSpecExample);
  ASSERT_TRUE(parent.has_value());
  EXPECT_EQ(parent->version, 0);
  EXPECT_EQ(parent->trace_id.high, 0x4bf92f3577b34da6ULL);
  EXPECT_EQ(parent->trace_id.low, 0xa3ce929d0e0e4736ULL);
  EXPECT_EQ(parent->parent_id, 0x00f067aa0ba902b7ULL);
  EXPECT_TRUE(parent->sampled());
  const auto unsampled =
      parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(unsampled.has_value());
  EXPECT_FALSE(unsampled->sampled());
}

TEST(TraceContextTest, FormatsBackToTheSameText) {
  const auto parent = parse_traceparent(kSpecExample);
  ASSERT_TRUE(parent.has_value());
  std::array<char, kTraceparentSize> out{};
  format_traceparent(parent->trace_id, parent->parent_id, parent->flags, out);
  EXPECT_EQ(std::string_view(out.data(), out.size()), kSpecExample);
}

TEST(TraceContextTest, RefusesInvalidVersion00Values) {
  for (const std::string_view bad : {
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",   // all-zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",   // all-zero parent id
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",   // uppercase
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // forbidden version
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",  // extra field in 00
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",    // short
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // separator
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",   // not hex
           "",
       }) {
    EXPECT_FALSE(parse_traceparent(bad).has_value()) << bad;
  }
}

// A later version is parsed as 00 where it can be: its first fields are 00's, and what follows
// a further '-' is ignored; flags other than sampled mean nothing to us.
TEST(TraceContextTest, ParsesFutureVersionsLeniently) {
  const auto future =
      parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-extra-fields");
  ASSERT_TRUE(future.has_value());
  EXPECT_EQ(future->version, 0xcc);
  EXPECT_EQ(future->parent_id, 0x00f067aa0ba902b7ULL);
  EXPECT_EQ(future->flags, kSampledFlag);
  EXPECT_TRUE(
      parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").has_value());
  // Without a '-' after the flags, the field is longer than version 00's: not parseable.
  EXPECT_FALSE(
      parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0900").has_value());
}

TEST(TraceContextTest, KeepsAValidTracestate) {
  EXPECT_EQ(parse_tracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
            "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  // Multi-tenant keys, empty members and spaces around commas are allowed.
  EXPECT_EQ(parse_tracestate(" fw529a3039@dt=ZjQ3, ,congo=a b "), "fw529a3039@dt=ZjQ3, ,congo=a b");
}

TEST(TraceContextTest, DropsAnInvalidTracestate) {
  for (const std::string_view bad : {
           "a=1,a=2",              // duplicate key
           "Rojo=1",               // uppercase key
           "rojo",                 // no value
           "rojo=",                // empty value
           "rojo=a,b",             // member without '='
           "1abc=x",               // simple key must start with a letter
           "t@toolongsystemid=x",  // system id over 14 characters
           "rojo=a=b",             // '=' in a value
           "",
           " , ",
       }) {
    EXPECT_FALSE(parse_tracestate(bad).has_value()) << bad;
  }
  std::string many;
  for (int i = 0; i < 33; ++i) {
    many += (i > 0 ? "," : "") + std::string("k") + std::to_string(i) + "=v";
  }
  EXPECT_FALSE(parse_tracestate(many).has_value()) << "33 members";
}

TEST(TraceContextTest, CutsALongTracestateAtAMemberBoundary) {
  std::string value;
  for (int i = 0; i < 20; ++i) {
    value += (i > 0 ? "," : "") + std::string("k") + std::to_string(i) + "=" + std::string(30, 'v');
  }
  ASSERT_GT(value.size(), kMaxTracestateSize);
  const auto kept = parse_tracestate(value);
  ASSERT_TRUE(kept.has_value());
  EXPECT_LE(kept->size(), kMaxTracestateSize);
  EXPECT_TRUE(value.starts_with(*kept));
  EXPECT_EQ(value[kept->size()], ',');  // whole members only
}

}  // namespace
}  // namespace nexus::obs::tracing
