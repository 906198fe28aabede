#include "llm/health_request.h"

#include <string_view>

#include "llm/codecs.h"

namespace nexus::llm {
namespace {

// Cohere's model list is on its v1 API only (its chat is on v2, the default base URL's).
constexpr std::string_view kCohereChatVersion = "/v2";
constexpr std::string_view kCohereListVersion = "/v1";

// The model list's path and query under `provider`'s base URL.
Result<std::string> models_path(const config::Provider& provider) {
  std::string path = provider.base_path;
  switch (provider.type) {
    case config::ProviderType::kOpenAi:
    case config::ProviderType::kAnthropic:
    case config::ProviderType::kGemini:
      path += "/models";
      return path;
    case config::ProviderType::kAzureOpenAi:
      // Under the resource's /openai: the models the resource can deploy, with the API version.
      path += "/models?api-version=";
      path += provider.api_version;
      return path;
    case config::ProviderType::kCohere:
      if (path.ends_with(kCohereChatVersion)) {
        path.resize(path.size() - kCohereChatVersion.size());
        path += kCohereListVersion;
      }
      path += "/models";
      return path;
    default:
      break;
  }
  return fail(ErrorCode::kInvalidConfig, "provider '" + provider.name +
                                             "' has no free health check (echo, bedrock and vertex "
                                             "deployments are not actively checked)");
}

}  // namespace

Result<std::string> health_check_request(const config::Provider& provider) {
  if (provider.oauth.grant != config::TokenGrant::kNone) {
    return fail(ErrorCode::kInvalidConfig,
                "provider '" + provider.name + "' fetches OAuth tokens: not actively checked");
  }
  auto path = models_path(provider);
  if (!path) {
    return std::unexpected(std::move(path.error()));
  }
  std::string request = "GET ";
  request += *path;
  request += " HTTP/1.1\r\nhost: ";
  request += provider.host;
  request += "\r\naccept: application/json\r\nuser-agent: nexus-health-check\r\nconnection: close";
  append_upstream_auth(provider, {}, request);
  request += "\r\n\r\n";
  return request;
}

}  // namespace nexus::llm
