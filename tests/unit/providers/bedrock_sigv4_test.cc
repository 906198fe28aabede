// SigV4 against AWS's published test suite (aws-sdk-js-v3's suite.fixture.ts: AKIDEXAMPLE,
// 20150830T123600Z, us-east-1, service "service"), and a Bedrock-style request with a session
// token against the signature botocore 1.43 (AWS's Python SDK) computes for it.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "providers/bedrock/sigv4.h"

namespace nexus::providers::bedrock {
namespace {

using std::chrono::sys_days;
using namespace std::chrono_literals;

const Credentials kSuite{.access_key_id = "AKIDEXAMPLE",
                         .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
const auto kSuiteTime = sys_days{std::chrono::year{2015} / 8 / 30} + 12h + 36min;
constexpr std::string_view kScope =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ";

std::string authorization(const SigningRequest& request, const Credentials& credentials,
                          std::chrono::system_clock::time_point when) {
  auto headers = sign(request, credentials, when);
  EXPECT_TRUE(headers.has_value());
  if (!headers) {
    return "";
  }
  EXPECT_EQ(headers->front(), (Header{"x-amz-date", amz_date(when)}));
  EXPECT_EQ(headers->back().name, "authorization");
  return headers->back().value;
}

std::string suite(std::string_view method, std::string_view path,
                  std::vector<std::pair<std::string, std::string>> query = {},
                  std::vector<Header> headers = {}, std::string_view body = "") {
  const SigningRequest request{.method = method,
                               .host = "example.amazonaws.com",
                               .path = path,
                               .query = query,
                               .headers = headers,
                               .body = body,
                               .region = "us-east-1",
                               .service = "service"};
  return authorization(request, kSuite, kSuiteTime);
}

std::string expected(std::string_view signed_headers, std::string_view signature) {
  std::string text(kScope);
  text += "SignedHeaders=";
  text += signed_headers;
  text += ", Signature=";
  text += signature;
  return text;
}

TEST(BedrockSigV4, PublishedTestSuite) {
  EXPECT_EQ(suite("GET", "/"),
            expected("host;x-amz-date",
                     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
  EXPECT_EQ(suite("POST", "/"),
            expected("host;x-amz-date",
                     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));
  EXPECT_EQ(suite("GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}),
            expected("host;x-amz-date",
                     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"));
  EXPECT_EQ(suite("GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
            expected("host;x-amz-date",
                     "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"));
  EXPECT_EQ(suite("GET", "/\xE1\x88\xB4"),
            expected("host;x-amz-date",
                     "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"));
  EXPECT_EQ(suite("GET", "/", {}, {{"My-Header1", "value1"}, {"My-Header2", "\"a   b   c\""}}),
            expected("host;my-header1;my-header2;x-amz-date",
                     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"));
  EXPECT_EQ(suite("POST", "/", {}, {{"Content-Type", "application/x-www-form-urlencoded"}},
                  "Param1=value1"),
            expected("content-type;host;x-amz-date",
                     "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"));
  EXPECT_EQ(suite("POST", "/", {{"@#$%^", ""}, {"+", "/,?><`\";:\\|][{}"}}),
            expected("host;x-amz-date",
                     "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"));
}

// The suite's post-sts-header-before: the session token is sent and signed.
TEST(BedrockSigV4, SessionTokenIsSigned) {
  Credentials temporary = kSuite;
  temporary.session_token =
      "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSP"
      "fIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/"
      "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7"
      "WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
      "scqKmlzm8"
      "FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
  const SigningRequest request{.method = "POST",
                               .host = "example.amazonaws.com",
                               .path = "/",
                               .region = "us-east-1",
                               .service = "service"};
  auto headers = sign(request, temporary, kSuiteTime);
  ASSERT_TRUE(headers.has_value());
  ASSERT_EQ(headers->size(), 3u);
  EXPECT_EQ((*headers)[1], (Header{"x-amz-security-token", temporary.session_token}));
  EXPECT_EQ((*headers)[2].value,
            expected("host;x-amz-date;x-amz-security-token",
                     "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"));
}

// botocore's SigV4Auth on POST .../model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse at
// 2024-07-01T12:00:00Z: its canonical path is ".../anthropic.claude-3-5-sonnet-20240620-v1%253A0
// /converse" and its signature the one below.
TEST(BedrockSigV4, BedrockConverseWithSessionToken) {
  std::string path;
  append_model_path("anthropic.claude-3-5-sonnet-20240620-v1:0", false, path);
  EXPECT_EQ(path, "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
  EXPECT_EQ(canonical_uri(path), "/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse");
  const std::string host = runtime_host("us-east-1");
  EXPECT_EQ(host, "bedrock-runtime.us-east-1.amazonaws.com");
  const std::vector<Header> content_type{{"Content-Type", "application/json"}};
  const SigningRequest request{
      .host = host,
      .path = path,
      .headers = content_type,
      .body = R"({"messages":[{"role":"user","content":[{"text":"Hello"}]}]})",
      .region = "us-east-1"};
  Credentials credentials = kSuite;
  credentials.session_token = "session-token-example";
  const auto when = sys_days{std::chrono::year{2024} / 7 / 1} + 12h;
  EXPECT_EQ(amz_date(when), "20240701T120000Z");
  EXPECT_EQ(authorization(request, credentials, when),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240701/us-east-1/bedrock/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
            "Signature=b1ddd2a1dc2b0ec675e548288861ae2469402aeb7a6204e76295028d06eb3a92");
}

TEST(BedrockSigV4, PathsAndContentHash) {
  std::string stream;
  append_model_path("us.anthropic.claude-sonnet-4-20250514-v1:0", true, stream);
  EXPECT_EQ(stream, "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream");
  std::string invoke;
  append_invoke_path("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc",
                     false, invoke);
  EXPECT_EQ(invoke,
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-"
            "profile%2Fabc/invoke");
  EXPECT_EQ(canonical_uri(""), "/");
  const SigningRequest request{
      .host = "h", .path = "/", .region = "r", .content_sha256_header = true};
  auto headers = sign(request, kSuite, kSuiteTime);
  ASSERT_TRUE(headers.has_value());
  ASSERT_EQ(headers->size(), 3u);
  EXPECT_EQ((*headers)[1],
            (Header{"x-amz-content-sha256",
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}));
  EXPECT_NE((*headers)[2].value.find("SignedHeaders=host;x-amz-content-sha256;x-amz-date,"),
            std::string::npos);
}

}  // namespace
}  // namespace nexus::providers::bedrock
