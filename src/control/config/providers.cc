// The `providers` and `models` sections: LLM providers (each reached over the network gets a
// cluster of its own, built from its base URL) and the model names clients may send.
#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>
#include <set>
#include <string>
#include <utility>

#include "control/config/address.h"
#include "control/config/provider_auth.h"
#include "control/config/sections.h"
#include "providers/openai_compatible/presets.h"

namespace nexus::control::config_internal {
namespace {

constexpr std::string_view kOpenAiUrl = "https://api.openai.com/v1";
constexpr std::string_view kAnthropicUrl = "https://api.anthropic.com/v1";
constexpr std::string_view kGeminiUrl = "https://generativelanguage.googleapis.com/v1beta";
constexpr std::string_view kCohereUrl = "https://api.cohere.com/v2";

}  // namespace

Result<void> parse_endpoint_url(const Reader& r, const Field& at, const std::string& url_text,
                                std::string& host, std::string& path, config::Cluster& cluster) {
  auto url = boost::urls::parse_absolute_uri(url_text);
  if (!url) {
    return r.error(at, "'" + url_text + "' is not an absolute URL");
  }
  const bool https = url->scheme_id() == boost::urls::scheme::https;
  if (!https && url->scheme_id() != boost::urls::scheme::http) {
    return r.error(at, "expected an http:// or https:// URL");
  }
  if (url->has_userinfo() || url->has_query() || url->has_fragment() ||
      url->encoded_host().empty()) {
    return r.error(at,
                   "expected scheme://host[:port][/path], without credentials, query or "
                   "fragment");
  }
  config::Endpoint endpoint;
  endpoint.host = to_lower_ascii(url->host_address());
  if (!is_ip_literal(endpoint.host) && !is_dns_name(endpoint.host)) {
    return r.error(at, "'" + endpoint.host + "' is not a valid host name");
  }
  const uint64_t port = url->has_port() ? url->port_number() : (https ? 443 : 80);
  if (port == 0) {
    return r.error(at, "the port must be 1-65535");
  }
  endpoint.port = static_cast<uint16_t>(port);
  host = url->encoded_host_and_port();
  path = url->encoded_path();
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  cluster.endpoints.push_back(std::move(endpoint));
  cluster.tls.enabled = https;
  return {};
}

namespace {

Result<void> parse_headers(const Reader& r, const Field& field, config::Provider& out) {
  auto entries = r.entries(field);
  if (!entries) {
    return std::unexpected(std::move(entries.error()));
  }
  for (auto& [name, value] : *entries) {
    if (!is_token(name)) {
      return r.error(value, "'" + name + "' is not a valid header name");
    }
    auto text = r.string(value);
    if (!text) {
      return std::unexpected(std::move(text.error()));
    }
    if (text->find_first_of("\r\n") != std::string::npos) {
      return r.error(value, "a header value cannot contain a line break");
    }
    out.headers.emplace_back(to_lower_ascii(name), std::move(*text));
  }
  return {};
}

// An api-version goes into the query as it is: letters, digits, '-' and '.' only.
bool is_api_version(std::string_view version) {
  return !version.empty() && std::ranges::all_of(version, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.';
  });
}

constexpr std::string_view kTypes[] = {"echo",         "openai",    "openai_compatible",
                                       "azure_openai", "anthropic", "gemini",
                                       "vertex",       "cohere",    "bedrock"};
// A GA version with every feature the OpenAI dialect maps (tools, json_schema,
// max_completion_tokens, stream usage).
constexpr std::string_view kAzureApiVersion = "2024-10-21";

// The type's defaults: the base URL, whether an API key is required.
Result<bool> parse_type(const Reader& r, const Field& field, config::Provider& out) {
  Field type_field = r.child(field, "type");
  NEXUS_CONFIG_TRY(r.require(type_field));
  auto type = r.one_of(type_field, kTypes);
  if (!type) {
    return std::unexpected(std::move(type.error()));
  }
  Field preset_field = r.child(field, "preset");
  if (preset_field.present && *type != "openai_compatible") {
    return r.error(preset_field, "only allowed with type: openai_compatible");
  }
  out.kind = *type;  // a preset's name replaces it below
  if (*type == "echo") {
    out.type = config::ProviderType::kEcho;
    return false;
  }
  if (*type == "anthropic") {
    out.type = config::ProviderType::kAnthropic;
    out.base_url = kAnthropicUrl;
    return true;
  }
  if (*type == "gemini") {
    out.type = config::ProviderType::kGemini;
    out.base_url = kGeminiUrl;
    return true;
  }
  if (*type == "cohere") {
    out.type = config::ProviderType::kCohere;
    out.base_url = kCohereUrl;
    return true;
  }
  if (*type == "vertex") {
    out.type = config::ProviderType::kVertex;  // base_url: from the location (parse_vertex)
    return true;
  }
  if (*type == "bedrock") {
    out.type = config::ProviderType::kBedrock;  // signed with AWS credentials, not an API key
    return false;
  }
  if (*type == "azure_openai") {
    out.type = config::ProviderType::kAzureOpenAi;  // base_url is the resource's: required
    out.api_version = kAzureApiVersion;
    out.max_completion_tokens = true;
    return true;
  }
  out.type = config::ProviderType::kOpenAi;
  if (*type == "openai") {
    out.base_url = kOpenAiUrl;
    out.max_completion_tokens = true;
    return true;
  }
  if (!preset_field.present) {
    return true;  // a server of the user's own: base_url is required
  }
  NEXUS_CONFIG_TRY(r.read(field, "preset", out.preset));
  const auto preset = providers::openai_compatible::find_preset(out.preset);
  if (!preset) {
    std::string names;
    for (const auto& known : providers::openai_compatible::presets()) {
      names += names.empty() ? "" : ", ";
      names += known.name;
    }
    return r.error(preset_field, "unknown preset '" + out.preset + "' (expected " + names + ")");
  }
  out.base_url = preset->base_url;
  out.reasoning_content = preset->reasoning_content;
  out.kind = out.preset;
  return preset->needs_api_key;
}

constexpr std::string_view kAwsKeys[] = {"region", "access_key_id", "secret_access_key",
                                         "session_token"};

// An AWS region, a Google Cloud project or location: lower-case letters, digits and '-'.
bool is_cloud_name(std::string_view region) {
  return !region.empty() && std::ranges::all_of(region, [](char c) {
    return std::islower(static_cast<unsigned char>(c)) != 0 ||
           std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '-';
  });
}

// bedrock's region and credentials; false when they are not set and the provider is optional.
Result<bool> parse_aws(const Reader& r, const Field& field, bool optional, config::Provider& out) {
  if (Field key = r.child(field, "api_key"); key.present) {
    return r.error(key,
                   "not used with type: bedrock (requests are signed with access_key_id and "
                   "secret_access_key)");
  }
  std::string* values[] = {&out.aws_region, &out.aws_access_key_id, &out.aws_secret_access_key,
                           &out.aws_session_token};
  for (size_t i = 0; i < std::size(kAwsKeys); ++i) {
    NEXUS_CONFIG_TRY(r.read(field, kAwsKeys[i], *values[i]));
    if (values[i]->find_first_of("\r\n") != std::string::npos) {
      return r.error(r.child(field, kAwsKeys[i]), "cannot contain a line break");
    }
  }
  if (out.aws_access_key_id.empty() || out.aws_secret_access_key.empty()) {
    if (optional) {
      return false;
    }
    const std::string_view missing =
        out.aws_access_key_id.empty() ? "access_key_id" : "secret_access_key";
    Field at = r.child(field, missing);
    std::string message(missing);
    message += " is required (or optional: true to leave the provider out when it is not set)";
    return r.error(at.present ? at : field, message);
  }
  if (!is_cloud_name(out.aws_region)) {
    Field at = r.child(field, "region");
    return r.error(at.present ? at : field, "region is required: an AWS region such as us-east-1");
  }
  if (out.base_url.empty()) {
    out.base_url = "https://bedrock-runtime.";
    out.base_url += out.aws_region;
    out.base_url += ".amazonaws.com";
  }
  return true;
}

// vertex's project and location; the default base URL is the location's endpoint.
Result<void> parse_vertex(const Reader& r, const Field& field, config::Provider& out) {
  for (auto [key, value] :
       {std::pair{"project", &out.gcp_project}, {"location", &out.gcp_location}}) {
    NEXUS_CONFIG_TRY(r.read(field, key, *value));
    if (!is_cloud_name(*value)) {
      Field at = r.child(field, key);
      std::string message(key);
      message += " is required: lower-case letters, digits and '-' (";
      message += key == std::string_view("project") ? "my-project-123" : "us-central1, global";
      message += ")";
      return r.error(at.present ? at : field, message);
    }
  }
  out.base_url = out.gcp_location == "global"
                     ? std::string("https://aiplatform.googleapis.com")
                     : "https://" + out.gcp_location + "-aiplatform.googleapis.com";
  return {};
}

// Returns false when the provider is optional and has no API key: it is left out.
Result<bool> parse_provider(const Reader& r, const Field& field, config::Provider& out,
                            config::Cluster& cluster, config::Cluster& token_cluster) {
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"type",
                                           "preset",
                                           "api_key",
                                           "base_url",
                                           "headers",
                                           "optional",
                                           "drop_unsupported_params",
                                           "default_max_tokens",
                                           "anthropic_version",
                                           "api_version",
                                           "region",
                                           "access_key_id",
                                           "secret_access_key",
                                           "session_token",
                                           "project",
                                           "location",
                                           "credentials_file",
                                           "azure_ad_token",
                                           "tenant_id",
                                           "client_id",
                                           "client_secret",
                                           "token_url"}));
  auto needs_key = parse_type(r, field, out);
  if (!needs_key) {
    return std::unexpected(std::move(needs_key.error()));
  }
  for (std::string_view key : {"default_max_tokens", "anthropic_version"}) {
    if (Field option = r.child(field, key);
        option.present && out.type != config::ProviderType::kAnthropic) {
      return r.error(option, "only allowed with type: anthropic");
    }
  }
  if (Field option = r.child(field, "api_version");
      option.present && out.type != config::ProviderType::kAzureOpenAi) {
    return r.error(option, "only allowed with type: azure_openai");
  }
  for (std::string_view key : {"project", "location"}) {
    if (Field option = r.child(field, key);
        option.present && out.type != config::ProviderType::kVertex) {
      return r.error(option, "only allowed with type: vertex");
    }
  }
  if (out.type == config::ProviderType::kVertex) {
    NEXUS_CONFIG_TRY(parse_vertex(r, field, out));
  }
  for (std::string_view key : kAwsKeys) {
    if (Field option = r.child(field, key);
        option.present && out.type != config::ProviderType::kBedrock) {
      return r.error(option, "only allowed with type: bedrock");
    }
  }
  if (out.type == config::ProviderType::kEcho) {
    for (std::string_view key : {"api_key", "base_url", "headers"}) {
      if (Field option = r.child(field, key); option.present) {
        return r.error(option, "not allowed with type: echo (it answers in-process)");
      }
    }
    return true;
  }
  bool optional = false;
  NEXUS_CONFIG_TRY(r.read(field, "optional", optional));
  if (out.type == config::ProviderType::kBedrock) {
    auto credentials = parse_aws(r, field, optional, out);
    if (!credentials || !*credentials) {
      return credentials;
    }
  }
  const bool oauth_capable =
      out.type == config::ProviderType::kVertex || out.type == config::ProviderType::kAzureOpenAi;
  if (oauth_capable) {
    auto kept = parse_provider_auth(r, field, optional, out, token_cluster);
    if (!kept || !*kept) {
      return kept;
    }
  } else {
    for (std::string_view key : kOAuthKeys) {
      if (Field option = r.child(field, key); option.present) {
        return r.error(option, "only allowed with type: vertex or azure_openai");
      }
    }
    NEXUS_CONFIG_TRY(r.read(field, "api_key", out.api_key));
  }
  if (out.api_key.empty() && *needs_key && !oauth_capable) {
    if (optional) {
      return false;
    }
    return r.error(r.child(field, "api_key"),
                   "an API key is required (or optional: true to leave the provider out when "
                   "its key is not set)");
  }
  if (out.api_key.find_first_of("\r\n") != std::string::npos) {
    return r.error(r.child(field, "api_key"), "an API key cannot contain a line break");
  }
  NEXUS_CONFIG_TRY(r.read(field, "base_url", out.base_url));
  Field url_field = r.child(field, "base_url");
  if (out.base_url.empty()) {
    return r.error(url_field.present ? url_field : field,
                   "base_url is required (no preset gives it)");
  }
  NEXUS_CONFIG_TRY(parse_endpoint_url(r, url_field.present ? url_field : field, out.base_url,
                                      out.host, out.base_path, cluster));
  NEXUS_CONFIG_TRY(parse_headers(r, r.child(field, "headers"), out));
  NEXUS_CONFIG_TRY(r.read(field, "drop_unsupported_params", out.drop_unsupported_params));
  NEXUS_CONFIG_TRY(
      r.read_integer(field, "default_max_tokens", out.default_max_tokens, 1, 1ULL << 32));
  NEXUS_CONFIG_TRY(r.read(field, "anthropic_version", out.anthropic_version));
  NEXUS_CONFIG_TRY(r.read(field, "api_version", out.api_version));
  if (out.type == config::ProviderType::kAzureOpenAi && !is_api_version(out.api_version)) {
    return r.error(r.child(field, "api_version"),
                   "expected an Azure OpenAI api-version such as 2024-10-21");
  }
  return true;
}

}  // namespace

Result<void> parse_providers(const Reader& r, const Field& field,
                             std::map<std::string, config::Cluster>& clusters,
                             std::map<std::string, config::Provider>& out,
                             std::set<std::string>& left_out) {
  auto entries = r.entries(field);
  if (!entries) {
    return std::unexpected(std::move(entries.error()));
  }
  for (auto& [name, value] : *entries) {
    if (!value.node.IsMap()) {
      return r.error(value, "expected a mapping with type (and api_key, base_url, ...)");
    }
    config::Provider provider;
    provider.name = name;
    config::Cluster cluster;
    cluster.name = "provider:" + name;
    config::Cluster token_cluster;
    token_cluster.name = "provider:" + name + ":token";
    auto kept = parse_provider(r, value, provider, cluster, token_cluster);
    if (!kept) {
      return std::unexpected(std::move(kept.error()));
    }
    if (!*kept) {
      left_out.insert(name);
      continue;
    }
    if (!cluster.endpoints.empty()) {
      provider.cluster = cluster.name;
      clusters.emplace(cluster.name, std::move(cluster));
    }
    if (!token_cluster.endpoints.empty()) {
      provider.oauth.cluster = token_cluster.name;
      clusters.emplace(token_cluster.name, std::move(token_cluster));
    }
    out.emplace(name, std::move(provider));
  }
  return {};
}

}  // namespace nexus::control::config_internal
