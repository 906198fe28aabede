// vertex's and azure_openai's credentials: a static key or token, a service account's key file
// (vertex) or an Entra application's client credentials (azure_openai), and the token endpoint.
#include "control/config/provider_auth.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>

#include "providers/vertex/service_account.h"

namespace nexus::control::config_internal {
namespace {

constexpr std::string_view kAzureScope = "https://cognitiveservices.azure.com/.default";
// A service account's key is about 2.4 KB; anything far larger is not one.
constexpr std::streamsize kMaxKeyFileBytes = std::streamsize{64} * 1024;

// A value that is set: present and not empty (so "${VAR:-}" with VAR unset counts as unset).
Result<bool> read_set(const Reader& r, const Field& field, std::string_view key, std::string& out) {
  NEXUS_CONFIG_TRY(r.read(field, key, out));
  if (out.find_first_of("\r\n") != std::string::npos) {
    return r.error(r.child(field, key), "cannot contain a line break");
  }
  return !out.empty();
}

// An Entra tenant: a GUID or a domain name.
bool is_tenant(std::string_view tenant) {
  return !tenant.empty() && std::ranges::all_of(tenant, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.';
  });
}

// credentials_file: the service account's key, read and checked now so that a bad file stops
// the configuration instead of the first request.
Result<void> read_service_account(const Reader& r, const Field& at, config::OAuthClient& oauth) {
  auto path = r.readable_file(at);
  if (!path) {
    return std::unexpected(std::move(path.error()));
  }
  std::ifstream file(*path, std::ios::binary);
  std::string text;
  text.resize(static_cast<size_t>(kMaxKeyFileBytes) + 1);
  file.read(text.data(), kMaxKeyFileBytes + 1);
  if (file.bad()) {
    return r.error(at, "cannot read '" + *path + "'");
  }
  text.resize(static_cast<size_t>(file.gcount()));
  if (text.size() > static_cast<size_t>(kMaxKeyFileBytes)) {
    return r.error(at, "'" + *path + "' is too large for a service account's key");
  }
  auto key = providers::vertex::parse_service_account_key(text);
  if (!key) {
    return r.error(at, "'" + *path + "': " + key.error().message());
  }
  oauth.grant = config::TokenGrant::kJwtBearer;
  oauth.client_email = std::move(key->client_email);
  oauth.private_key = std::move(key->private_key);
  oauth.private_key_id = std::move(key->private_key_id);
  oauth.audience = key->token_uri;
  oauth.token_url = std::move(key->token_uri);
  oauth.scope = providers::vertex::kCloudPlatformScope;
  return {};
}

// The first of `names` that is set, for "X and Y are mutually exclusive" messages.
std::unexpected<Error> exclusive(const Reader& r, const Field& field, std::string_view first,
                                 std::string_view second) {
  std::string message(second);
  message += " and ";
  message += first;
  message += " are mutually exclusive: set one way to authenticate";
  return r.error(r.child(field, second), message);
}

Result<bool> parse_vertex_auth(const Reader& r, const Field& field, bool optional,
                               config::Provider& out) {
  auto has_key = read_set(r, field, "api_key", out.api_key);
  std::string file;
  auto has_file = read_set(r, field, "credentials_file", file);
  if (!has_key || !has_file) {
    return std::unexpected(!has_key ? std::move(has_key.error()) : std::move(has_file.error()));
  }
  if (*has_key && *has_file) {
    return exclusive(r, field, "api_key", "credentials_file");
  }
  for (std::string_view key : {"azure_ad_token", "tenant_id", "client_id", "client_secret"}) {
    if (Field option = r.child(field, key); option.present) {
      return r.error(option, "only allowed with type: azure_openai");
    }
  }
  if (*has_file) {
    NEXUS_CONFIG_TRY(read_service_account(r, r.child(field, "credentials_file"), out.oauth));
    return true;
  }
  if (*has_key || optional) {
    return *has_key;
  }
  return r.error(r.child(field, "api_key"),
                 "api_key (an OAuth access token) or credentials_file (a service account's key) "
                 "is required (or optional: true to leave the provider out when neither is set)");
}

Result<bool> parse_azure_auth(const Reader& r, const Field& field, bool optional,
                              config::Provider& out) {
  if (Field option = r.child(field, "credentials_file"); option.present) {
    return r.error(option, "only allowed with type: vertex");
  }
  std::string token;
  config::OAuthClient& oauth = out.oauth;
  std::string tenant;
  bool set[5] = {};
  std::string* values[] = {&out.api_key, &token, &tenant, &oauth.client_id, &oauth.client_secret};
  constexpr std::string_view kKeys[] = {"api_key", "azure_ad_token", "tenant_id", "client_id",
                                        "client_secret"};
  for (size_t i = 0; i < std::size(kKeys); ++i) {
    auto is_set = read_set(r, field, kKeys[i], *values[i]);
    if (!is_set) {
      return std::unexpected(std::move(is_set.error()));
    }
    set[i] = *is_set;
  }
  const bool client = set[2] || set[3] || set[4];
  if (set[0] && set[1]) {
    return exclusive(r, field, "api_key", "azure_ad_token");
  }
  if ((set[0] || set[1]) && client) {
    const std::string_view other = set[0] ? "api_key" : "azure_ad_token";
    const std::string_view at = set[2] ? "tenant_id" : (set[3] ? "client_id" : "client_secret");
    return exclusive(r, field, other, at);
  }
  if (client) {
    for (size_t i = 2; i < std::size(kKeys); ++i) {
      if (!set[i]) {
        std::string message(kKeys[i]);
        message += " is required with client credentials (tenant_id, client_id, client_secret)";
        return r.error(field, message);
      }
    }
    if (!is_tenant(tenant)) {
      return r.error(r.child(field, "tenant_id"),
                     "expected a tenant id (a GUID) or domain: letters, digits, '-' and '.'");
    }
    oauth.grant = config::TokenGrant::kClientCredentials;
    oauth.scope = kAzureScope;
    oauth.token_url = "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token";
    return true;
  }
  if (set[1]) {
    out.api_key = std::move(token);
    out.azure_ad_token = true;
  }
  if (set[0] || set[1] || optional) {
    return set[0] || set[1];
  }
  return r.error(r.child(field, "api_key"),
                 "api_key, azure_ad_token or client credentials (tenant_id, client_id, "
                 "client_secret) are required (or optional: true to leave the provider out when "
                 "none is set)");
}

}  // namespace

Result<bool> parse_provider_auth(const Reader& r, const Field& field, bool optional,
                                 config::Provider& out, config::Cluster& token_cluster) {
  auto kept = out.type == config::ProviderType::kVertex ? parse_vertex_auth(r, field, optional, out)
                                                        : parse_azure_auth(r, field, optional, out);
  if (!kept || !*kept) {
    return kept;
  }
  Field url_field = r.child(field, "token_url");
  if (out.oauth.grant == config::TokenGrant::kNone) {
    if (url_field.present) {
      return r.error(url_field, out.type == config::ProviderType::kVertex
                                    ? "only used with credentials_file"
                                    : "only used with client credentials (tenant_id, ...)");
    }
    return true;
  }
  NEXUS_CONFIG_TRY(r.read(field, "token_url", out.oauth.token_url));
  // Without token_url, an error in the URL the key file gave is reported at credentials_file.
  const Field at = url_field.present                           ? url_field
                   : out.type == config::ProviderType::kVertex ? r.child(field, "credentials_file")
                                                               : field;
  NEXUS_CONFIG_TRY(parse_endpoint_url(r, at, out.oauth.token_url, out.oauth.host, out.oauth.path,
                                      token_cluster));
  return true;
}

}  // namespace nexus::control::config_internal
