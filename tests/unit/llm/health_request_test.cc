// The health check of each provider type: its model list's path under the base URL, and the
// authentication its requests carry (the same headers as encode_upstream_request's).
#include "llm/health_request.h"

#include <gtest/gtest.h>

#include <string>

namespace nexus::llm {
namespace {

config::Provider provider(config::ProviderType type, std::string base_path) {
  return config::Provider{.name = "p",
                          .type = type,
                          .api_key = "key-1",
                          .base_path = std::move(base_path),
                          .host = "api.example.com"};
}

std::string request_of(const config::Provider& p) {
  auto request = health_check_request(p);
  EXPECT_TRUE(request.has_value()) << request.error().message();
  return request.value_or("");
}

bool has_line(const std::string& request, const std::string& line) {
  return request.find("\r\n" + line + "\r\n") != std::string::npos;
}

TEST(HealthRequest, OpenAiListsModelsWithABearerKey) {
  config::Provider openai = provider(config::ProviderType::kOpenAi, "/v1");
  openai.headers = {{"openai-organization", "org-1"}};
  const std::string request = request_of(openai);
  EXPECT_TRUE(request.starts_with("GET /v1/models HTTP/1.1\r\n")) << request;
  EXPECT_TRUE(has_line(request, "host: api.example.com")) << request;
  EXPECT_TRUE(has_line(request, "authorization: Bearer key-1")) << request;
  EXPECT_TRUE(has_line(request, "openai-organization: org-1")) << request;
  EXPECT_TRUE(has_line(request, "connection: close")) << request;
  EXPECT_TRUE(request.ends_with("\r\n\r\n")) << request;
  EXPECT_EQ(request.find("content-length"), std::string::npos) << request;  // no body
}

TEST(HealthRequest, OpenAiCompatibleWithoutAKeySendsNoAuthorization) {
  config::Provider local = provider(config::ProviderType::kOpenAi, "/api/v1");
  local.preset = "ollama";
  local.api_key.clear();
  const std::string request = request_of(local);
  EXPECT_TRUE(request.starts_with("GET /api/v1/models HTTP/1.1\r\n")) << request;
  EXPECT_EQ(request.find("authorization"), std::string::npos) << request;
}

TEST(HealthRequest, AzureListsTheResourcesModelsWithItsApiVersionAndKey) {
  config::Provider azure = provider(config::ProviderType::kAzureOpenAi, "/openai");
  azure.api_version = "2024-10-21";
  std::string request = request_of(azure);
  EXPECT_TRUE(request.starts_with("GET /openai/models?api-version=2024-10-21 HTTP/1.1\r\n"))
      << request;
  EXPECT_TRUE(has_line(request, "api-key: key-1")) << request;
  EXPECT_EQ(request.find("authorization"), std::string::npos) << request;
  azure.azure_ad_token = true;  // a static Entra token: a bearer token instead of api-key
  request = request_of(azure);
  EXPECT_TRUE(has_line(request, "authorization: Bearer key-1")) << request;
  EXPECT_EQ(request.find("api-key"), std::string::npos) << request;
}

TEST(HealthRequest, AnthropicSendsItsKeyAndVersion) {
  config::Provider anthropic = provider(config::ProviderType::kAnthropic, "/v1");
  anthropic.anthropic_version = "2023-06-01";
  const std::string request = request_of(anthropic);
  EXPECT_TRUE(request.starts_with("GET /v1/models HTTP/1.1\r\n")) << request;
  EXPECT_TRUE(has_line(request, "x-api-key: key-1")) << request;
  EXPECT_TRUE(has_line(request, "anthropic-version: 2023-06-01")) << request;
  EXPECT_EQ(request.find("authorization"), std::string::npos) << request;
}

TEST(HealthRequest, GeminiSendsTheKeyInAHeaderNotTheQuery) {
  const std::string request = request_of(provider(config::ProviderType::kGemini, "/v1beta"));
  EXPECT_TRUE(request.starts_with("GET /v1beta/models HTTP/1.1\r\n")) << request;
  EXPECT_TRUE(has_line(request, "x-goog-api-key: key-1")) << request;
  EXPECT_EQ(request.find("key="), std::string::npos) << request;
}

TEST(HealthRequest, CohereListsModelsOnItsV1Api) {
  std::string request = request_of(provider(config::ProviderType::kCohere, "/v2"));
  EXPECT_TRUE(request.starts_with("GET /v1/models HTTP/1.1\r\n")) << request;
  EXPECT_TRUE(has_line(request, "authorization: Bearer key-1")) << request;
  request = request_of(provider(config::ProviderType::kCohere, "/cohere/v2"));  // a gateway
  EXPECT_TRUE(request.starts_with("GET /cohere/v1/models HTTP/1.1\r\n")) << request;
}

TEST(HealthRequest, ProvidersWithoutAFreeCheckAreRefused) {
  for (const config::ProviderType type :
       {config::ProviderType::kEcho, config::ProviderType::kBedrock,
        config::ProviderType::kVertex}) {
    EXPECT_FALSE(health_check_request(provider(type, "")).has_value());
  }
  config::Provider fetched = provider(config::ProviderType::kAzureOpenAi, "/openai");
  fetched.oauth.grant = config::TokenGrant::kClientCredentials;
  EXPECT_FALSE(health_check_request(fetched).has_value());
}

}  // namespace
}  // namespace nexus::llm
