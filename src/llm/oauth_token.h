// OAuth 2 access tokens for providers that take one (vertex with a service account's key,
// azure_openai with an Entra application's client credentials): the token request (a form
// POST to the provider's token_url), its answer, and when a cached token is refreshed. The
// server (src/server/llm_token.cc) sends the request over the token URL's cluster and keeps
// the token per worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "nexus/config/config.h"
#include "nexus/core/result.h"

namespace nexus::llm {

// The token request's body (application/x-www-form-urlencoded): grant_type=urn:ietf:params:
// oauth:grant-type:jwt-bearer with an assertion signed now (`now`: Unix seconds), or
// grant_type=client_credentials with client_id, client_secret and scope.
Result<std::string> token_request_body(const config::OAuthClient& oauth, int64_t now);
// Its HTTP/1.1 head: POST to token_url's path, Host, the form content type, `body_size`.
void write_token_request_head(const config::OAuthClient& oauth, size_t body_size,
                              std::string& head);

// `text` percent-encoded for a form body: unreserved characters as they are, the rest %XX.
void append_form_encoded(std::string& out, std::string_view text);

struct AccessToken {
  std::string value;
  std::chrono::seconds lifetime{0};
};

// The token assumed to last when the answer has no expires_in (RFC 6749 makes it optional).
inline constexpr std::chrono::seconds kDefaultTokenLifetime{3600};

// The token endpoint's answer: on a 2xx, a JSON object with access_token (a non-empty string
// without line breaks, as it goes into a header) and expires_in (seconds >= 1, a number or a
// numeric string as older Entra endpoints write it; at most kMaxTokenLifetime). Otherwise an error
// naming the status and the endpoint's own "error" and "error_description" (OAuth's error shape)
// when it gave them.
Result<AccessToken> parse_token_answer(int status, std::string_view body);

// A longer expires_in is taken as this (no provider's tokens last longer; it keeps time
// arithmetic far from overflow).
inline constexpr std::chrono::seconds kMaxTokenLifetime{86400};

// When a cached token is refreshed: `margin` before it expires, min(5 minutes, lifetime / 2),
// so that an hour's token is refreshed at 55 minutes and a short-lived one halfway, never
// while requests still need it. Until then requests use it as it is.
std::chrono::milliseconds refresh_margin(std::chrono::seconds lifetime);
template <typename TimePoint>
TimePoint refresh_time(TimePoint obtained, std::chrono::seconds lifetime) {
  return obtained + lifetime - refresh_margin(lifetime);
}

}  // namespace nexus::llm
