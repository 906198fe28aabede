// A Google service account's JSON key (the file `gcloud iam service-accounts keys create`
// writes) and the signed JWT assertion it is exchanged for an OAuth access token with (Google's
// "OAuth 2.0 for server to server applications" flow: RS256, one hour at most).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "nexus/core/result.h"

namespace nexus::providers::vertex {

struct ServiceAccountKey {
  std::string client_email;
  std::string private_key;  // PEM
  std::string private_key_id;
  std::string token_uri;
};

// The scope Vertex AI needs.
inline constexpr std::string_view kCloudPlatformScope =
    "https://www.googleapis.com/auth/cloud-platform";
// The assertion's lifetime: the most Google accepts.
inline constexpr int64_t kAssertionLifetimeSeconds = 3600;

// Parses a key file's text: a JSON object with type "service_account", client_email,
// private_key (an RSA private key in PEM that OpenSSL can load), private_key_id and token_uri
// (an http(s) URL). The error says which field is missing or wrong, never the key itself.
Result<ServiceAccountKey> parse_service_account_key(std::string_view json);

// The assertion: base64url(header).base64url(claims).base64url(signature), the header
// {"alg":"RS256","typ":"JWT","kid":private_key_id}, the claims iss = client_email,
// scope = kCloudPlatformScope, aud = `audience`, iat = `issued_at` (Unix seconds),
// exp = iat + kAssertionLifetimeSeconds; signed with RSASSA-PKCS1-v1_5 over SHA-256.
Result<std::string> jwt_assertion(std::string_view client_email, std::string_view private_key_pem,
                                  std::string_view private_key_id, std::string_view audience,
                                  int64_t issued_at);

}  // namespace nexus::providers::vertex
