// rate_limit config: defaults, and every error names the file, the line and the key.
#include <gtest/gtest.h>

#include "filters/rate_limit/rate_limit_filter.h"
#include "rate_limit_test_support.h"

namespace nexus::filters::rate_limit_test {
namespace {

using rate_limit::Algorithm;
using rate_limit::KeyKind;

// The rate_limit filter starts on line 5 of the generated config.
std::string error_of(std::string_view filters) {
  auto factory = load(filters);
  EXPECT_FALSE(factory.has_value());
  return factory.has_value() ? "" : factory.error().message();
}

TEST(RateLimitConfig, Defaults) {
  auto factory = load("  - rate_limit: {limits: [{rate: 5}]}\n");
  ASSERT_TRUE(factory.has_value()) << factory.error().message();
  const auto& config = static_cast<const RateLimitFactory&>(**factory).config();
  EXPECT_TRUE(config.headers);
  ASSERT_EQ(config.limits.size(), 1U);
  const auto& limit = config.limits[0];
  EXPECT_EQ(limit.name, "limits[0]");
  EXPECT_EQ(limit.spec.algorithm, Algorithm::kTokenBucket);
  EXPECT_EQ(limit.spec.rate, 5);
  EXPECT_EQ(limit.spec.period_ns, 1'000'000'000);
  EXPECT_EQ(limit.spec.burst, 5);
  EXPECT_EQ(limit.spec.interval_ns, 200'000'000);
  EXPECT_EQ(limit.key, KeyKind::kClientIp);
  EXPECT_EQ(limit.max_keys, 100000U);
  EXPECT_EQ(limit.when_full, rate_limit::WhenFull::kEvict);
}

TEST(RateLimitConfig, EveryKeyIsRead) {
  auto factory = load(R"(  - rate_limit:
      headers: false
      limits:
        - name: tenants
          algorithm: sliding_window
          key: header
          header: X-Tenant
          missing_header: empty
          rate: 100
          per: 1m
          max_keys: 10
          when_full: allow
        - {algorithm: leaky_bucket, rate: 4, max_wait: 2s, key: identity}
)");
  ASSERT_TRUE(factory.has_value()) << factory.error().message();
  const auto& config = static_cast<const RateLimitFactory&>(**factory).config();
  EXPECT_FALSE(config.headers);
  ASSERT_EQ(config.limits.size(), 2U);
  const auto& tenants = config.limits[0];
  EXPECT_EQ(tenants.name, "tenants");
  EXPECT_EQ(tenants.spec.algorithm, Algorithm::kSlidingWindow);
  EXPECT_EQ(tenants.key, KeyKind::kHeader);
  EXPECT_EQ(tenants.header, "x-tenant");
  EXPECT_FALSE(tenants.skip_missing_header);
  EXPECT_EQ(tenants.spec.period_ns, 60'000'000'000);
  EXPECT_EQ(tenants.max_keys, 10U);
  EXPECT_EQ(tenants.when_full, rate_limit::WhenFull::kAllow);
  const auto& leaky = config.limits[1];
  EXPECT_EQ(leaky.spec.algorithm, Algorithm::kLeakyBucket);
  EXPECT_EQ(leaky.spec.max_wait_ns, 2'000'000'000);
  EXPECT_EQ(leaky.spec.interval_ns, 250'000'000);
  EXPECT_EQ(leaky.key, KeyKind::kIdentity);
}

TEST(RateLimitConfig, ErrorsNameFileLineAndKey) {
  const std::string limits = "filters[0].rate_limit.limits";
  EXPECT_EQ(error_of("  - rate_limit: {}\n"),
            "test.yaml:5: filters[0].rate_limit.limits: required key is missing");
  EXPECT_EQ(error_of("  - rate_limit: {limits: []}\n").substr(0, 43),
            "test.yaml:5: filters[0].rate_limit.limits: ");
  EXPECT_EQ(error_of("  - rate_limit: {limits: [{}]}\n"),
            "test.yaml:5: " + limits + "[0].rate: required key is missing");
  EXPECT_EQ(
      error_of(R"(  - rate_limit:
      limits:
        - rate: 5
          burst: 0
)"),
      "test.yaml:8: " + limits + "[0].burst: expected an integer from 1 to 1000000000, got '0'");
  EXPECT_EQ(error_of(R"(  - rate_limit:
      limits:
        - {rate: 5}
        - {rate: 5, algorithm: fixed_window, burst: 2}
)"),
            "test.yaml:8: " + limits + "[1].burst: only for algorithm: token_bucket");
  EXPECT_EQ(error_of("  - rate_limit: {limits: [{rate: 5, max_wait: 1s}]}\n"),
            "test.yaml:5: " + limits + "[0].max_wait: only for algorithm: leaky_bucket");
  EXPECT_EQ(error_of("  - rate_limit: {limits: [{rate: 5, header: x-a}]}\n"),
            "test.yaml:5: " + limits + "[0].header: only for key: header");
  EXPECT_EQ(error_of("  - rate_limit: {limits: [{rate: 5, key: header}]}\n"),
            "test.yaml:5: " + limits + "[0].header: required key is missing");
  EXPECT_EQ(error_of("  - rate_limit: {limits: [{rate: 5, key: header, header: 'a b'}]}\n"),
            "test.yaml:5: " + limits + "[0].header: expected a header name, got 'a b'");
  EXPECT_EQ(error_of("  - rate_limit: {limits: [{rate: 5, per: 0s}]}\n"),
            "test.yaml:5: " + limits + "[0].per: expected a period from 1ms to 24h");
  EXPECT_EQ(error_of("  - rate_limit: {limits: [{rate: 5, per: 25h}]}\n"),
            "test.yaml:5: " + limits + "[0].per: expected a period from 1ms to 24h");
  EXPECT_EQ(error_of("  - rate_limit: {limits: [{rate: 1000000000, per: 1ms}]}\n"),
            "test.yaml:5: " + limits + "[0].rate: more than one request per nanosecond");
}

TEST(RateLimitConfig, UnknownValuesListTheChoices) {
  EXPECT_NE(error_of("  - rate_limit: {limits: [{rate: 5, algorithm: gcra}]}\n")
                .find("test.yaml:5: filters[0].rate_limit.limits[0].algorithm: unknown value "
                      "'gcra' (expected"),
            std::string::npos);
  EXPECT_NE(error_of("  - rate_limit: {limits: [{rate: 5, key: user}]}\n")
                .find("limits[0].key: unknown value 'user'"),
            std::string::npos);
  EXPECT_NE(error_of("  - rate_limit: {limits: [{rate: 5, when_full: drop}]}\n")
                .find("limits[0].when_full: unknown value 'drop'"),
            std::string::npos);
  EXPECT_NE(error_of("  - rate_limit: {limits: [{rate: 5, burts: 3}]}\n")
                .find("test.yaml:5: filters[0].rate_limit.limits[0]"),
            std::string::npos);
  EXPECT_NE(error_of("  - rate_limit: {limits: [{rate: 0}]}\n")
                .find("test.yaml:5: filters[0].rate_limit.limits[0].rate: "),
            std::string::npos);
}

TEST(RateLimitConfig, AtMostSixteenLimits) {
  std::string text = "  - rate_limit:\n      limits:\n";
  for (int i = 0; i < 17; ++i) {
    text += "        - {rate: 1}\n";
  }
  EXPECT_EQ(error_of(text),
            "test.yaml:6: filters[0].rate_limit.limits: at most 16 limits in one "
            "filter (use several filters)");
}

}  // namespace
}  // namespace nexus::filters::rate_limit_test
