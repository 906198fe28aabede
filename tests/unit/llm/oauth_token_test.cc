// The OAuth token request and answer, and the refresh rule (llm/oauth_token.h).
#include "llm/oauth_token.h"

#include <gtest/gtest.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <string>

#include "llm/codecs.h"

namespace nexus::llm {
namespace {

using std::chrono::seconds;

TEST(OAuthToken, AnswerGivesTheTokenAndItsLifetime) {
  auto token = parse_token_answer(
      200, R"({"access_token":"ya29.abc","expires_in":3599,"token_type":"Bearer"})");
  ASSERT_TRUE(token.has_value()) << token.error().message();
  EXPECT_EQ(token->value, "ya29.abc");
  EXPECT_EQ(token->lifetime, seconds(3599));
  // Older Entra endpoints write expires_in as a string.
  token = parse_token_answer(200, R"({"access_token":"eyJ0","expires_in":"3600"})");
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->lifetime, seconds(3600));
  token = parse_token_answer(200, R"({"access_token":"t"})");
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->lifetime, kDefaultTokenLifetime);
  token = parse_token_answer(200, R"({"access_token":"t","expires_in":1e15})");
  ASSERT_FALSE(token.has_value());  // a double out of range
  token = parse_token_answer(200, R"({"access_token":"t","expires_in":99999999999})");
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->lifetime, kMaxTokenLifetime);
}

TEST(OAuthToken, BadAnswersAreUpstreamErrors) {
  struct Case {
    int status;
    const char* body;
    const char* message;
  };
  const Case cases[] = {
      {400, R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})",
       "the token endpoint answered 400: invalid_grant: Invalid JWT Signature."},
      {401, R"({"error":"invalid_client"})", "the token endpoint answered 401: invalid_client"},
      {503, "<html>down</html>", "the token endpoint answered 503"},
      {200, "<html>", "the token endpoint's answer is not JSON"},
      {200, R"({"expires_in":10})", "the token endpoint's answer has no usable access_token"},
      {200, R"({"access_token":"a\r\nx: y"})",
       "the token endpoint's answer has no usable access_token"},
      {200, R"({"access_token":"a b"})", "the token endpoint's answer has no usable access_token"},
      {200, R"({"access_token":"a","expires_in":0})",
       "the token endpoint's answer has an invalid expires_in"},
      {200, R"({"access_token":"a","expires_in":"soon"})",
       "the token endpoint's answer has an invalid expires_in"},
      {200, R"({"access_token":"a","expires_in":-5})",
       "the token endpoint's answer has an invalid expires_in"},
  };
  for (const auto& c : cases) {
    auto token = parse_token_answer(c.status, c.body);
    ASSERT_FALSE(token.has_value()) << c.body;
    EXPECT_EQ(token.error().message(), c.message);
    EXPECT_EQ(token.error().http_status(), 502);
  }
  // The endpoint's words are quoted printable and bounded.
  auto token = parse_token_answer(
      400, R"({"error":"x\u0007y","error_description":")" + std::string(1000, 'd') + "\"}");
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().message(),
            "the token endpoint answered 400: x?y: " + std::string(300, 'd'));
}

TEST(OAuthToken, ClientCredentialsForm) {
  config::OAuthClient oauth{.grant = config::TokenGrant::kClientCredentials,
                            .host = "login.microsoftonline.com",
                            .path = "/t/oauth2/v2.0/token",
                            .client_id = "app-1",
                            .client_secret = "s3cr=t&+ x",
                            .scope = "https://cognitiveservices.azure.com/.default"};
  auto body = token_request_body(oauth, 0);
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(*body,
            "grant_type=client_credentials&client_id=app-1&client_secret=s3cr%3Dt%26%2B%20x"
            "&scope=https%3A%2F%2Fcognitiveservices.azure.com%2F.default");
  std::string head;
  write_token_request_head(oauth, body->size(), head);
  EXPECT_EQ(head,
            "POST /t/oauth2/v2.0/token HTTP/1.1\r\nhost: login.microsoftonline.com\r\n"
            "content-type: application/x-www-form-urlencoded\r\ncontent-length: " +
                std::to_string(body->size()) + "\r\naccept: application/json\r\n\r\n");
}

TEST(OAuthToken, JwtBearerFormWithAnUnusableKeyFails) {
  const config::OAuthClient oauth{.grant = config::TokenGrant::kJwtBearer,
                                  .client_email = "a@b",
                                  .private_key = "nope",
                                  .private_key_id = "k"};
  EXPECT_FALSE(token_request_body(oauth, 1).has_value());
}

TEST(OAuthToken, RefreshMarginIsFiveMinutesOrHalfTheLifetime) {
  using std::chrono::milliseconds;
  EXPECT_EQ(refresh_margin(seconds(3600)), seconds(300));
  EXPECT_EQ(refresh_margin(seconds(600)), seconds(300));
  EXPECT_EQ(refresh_margin(seconds(599)), milliseconds(299500));
  EXPECT_EQ(refresh_margin(seconds(4)), seconds(2));
  EXPECT_EQ(refresh_margin(seconds(1)), milliseconds(500));
  using Clock = std::chrono::steady_clock;
  const Clock::time_point obtained{seconds(1000)};
  EXPECT_EQ(refresh_time(obtained, seconds(3599)), obtained + seconds(3299));
  EXPECT_EQ(refresh_time(obtained, seconds(2)), obtained + seconds(1));
}

}  // namespace
}  // namespace nexus::llm

namespace nexus::llm {
namespace {

// The head writer puts a fetched token (or Azure's static Entra token) where the key would go.
std::string passthrough_head(const config::Provider& provider, std::string_view token) {
  boost::json::object request = {{"model", "m"}, {"messages", boost::json::array()}};
  std::string head;
  std::string body;
  passthrough_request(provider, request, "dep", "/chat/completions", head, body, {}, token);
  return head;
}

TEST(OAuthToken, BearerTakesTheKeysPlace) {
  config::Provider azure{.type = config::ProviderType::kAzureOpenAi,
                         .api_key = "az-key",
                         .base_path = "/openai",
                         .host = "r.openai.azure.com"};
  std::string head = passthrough_head(azure, {});
  EXPECT_NE(head.find("\r\napi-key: az-key\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("authorization"), std::string::npos) << head;
  head = passthrough_head(azure, "tok-1");
  EXPECT_NE(head.find("\r\nauthorization: Bearer tok-1\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("api-key"), std::string::npos) << head;
  azure.azure_ad_token = true;
  azure.api_key = "eyJ0";
  head = passthrough_head(azure, {});
  EXPECT_NE(head.find("\r\nauthorization: Bearer eyJ0\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("api-key"), std::string::npos) << head;
}

}  // namespace
}  // namespace nexus::llm
