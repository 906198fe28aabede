// How vertex and azure_openai providers authenticate (docs/providers.md): a static key or
// token, or an OAuth access token fetched from a token endpoint with a service account's key
// (vertex: credentials_file) or an Entra application's client credentials (azure_openai).
#pragma once

#include <string>

#include "control/config/reader.h"
#include "nexus/config/config.h"
#include "nexus/core/result.h"

namespace nexus::control::config_internal {

// The keys parse_provider_auth reads besides api_key.
inline constexpr std::string_view kOAuthKeys[] = {
    "credentials_file", "azure_ad_token", "tenant_id", "client_id", "client_secret", "token_url"};

// Reads api_key and the keys above for a vertex or azure_openai provider: exactly one way to
// authenticate is set (an empty value counts as unset, so "${VAR:-}" works with optional).
// Returns false when none is and the provider is `optional` (it is left out). With a token
// endpoint, `token_cluster` gets its endpoint and out.oauth its URL's host and path.
Result<bool> parse_provider_auth(const Reader& r, const Field& field, bool optional,
                                 config::Provider& out, config::Cluster& token_cluster);

// An http(s) URL with a host, an optional port and path (no query, fragment or credentials),
// `at` naming it in errors: `host` gets its host[:port], `path` its path without a trailing
// slash, `cluster` its endpoint (and TLS for https). Defined in providers.cc.
Result<void> parse_endpoint_url(const Reader& r, const Field& at, const std::string& url,
                                std::string& host, std::string& path, config::Cluster& cluster);

}  // namespace nexus::control::config_internal
