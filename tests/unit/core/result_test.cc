#include "nexus/core/result.h"

#include <gtest/gtest.h>

namespace nexus {
namespace {

TEST(Error, MapsEachCodeToStatusSourceAndRetryability) {
  EXPECT_EQ(Error(ErrorCode::kBadRequest, "").http_status(), 400);
  EXPECT_EQ(Error(ErrorCode::kHeadersTooLarge, "").http_status(), 431);
  EXPECT_EQ(Error(ErrorCode::kVersionNotSupported, "").http_status(), 505);
  EXPECT_EQ(Error(ErrorCode::kUpstreamTimeout, "").http_status(), 504);
  EXPECT_EQ(Error(ErrorCode::kUpstreamUnavailable, "").http_status(), 503);
  EXPECT_EQ(Error(ErrorCode::kUpstreamProtocolError, "").http_status(), 502);
  EXPECT_EQ(Error(ErrorCode::kBadRequest, "").source(), ErrorSource::kClient);
  EXPECT_EQ(Error(ErrorCode::kUpstreamReset, "").source(), ErrorSource::kUpstream);
  EXPECT_TRUE(Error(ErrorCode::kUpstreamConnectFailed, "").retryable());
  EXPECT_FALSE(Error(ErrorCode::kUpstreamProtocolError, "").retryable());
  EXPECT_EQ(Error(ErrorCode::kPayloadTooLarge, "").code_name(), "payload_too_large");
}

TEST(Error, JsonBodyHasTheOpenAiShapeAndEscapes) {
  const Error error(ErrorCode::kNotFound, "no route for \"/x\"\n");
  EXPECT_EQ(error_json(error),
            R"({"error":{"message":"no route for \"/x\"\n","type":"invalid_request_error",)"
            R"("code":"not_found"}})");
}

TEST(Error, ControlCharactersAreEscapedAsUnicode) {
  const Error error(ErrorCode::kInternal, std::string("a\x01"
                                                      "b"));
  EXPECT_NE(error_json(error).find("a\\u0001b"), std::string::npos);
}

TEST(ReasonPhrase, KnowsCommonStatusesAndFallsBack) {
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(299), "Unknown");
}

TEST(Result, FailBuildsAnUnexpected) {
  const Result<int> result = fail(ErrorCode::kOverloaded, "busy");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().http_status(), 503);
  EXPECT_EQ(result.error().message(), "busy");
}

}  // namespace
}  // namespace nexus
