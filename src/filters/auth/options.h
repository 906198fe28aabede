// The auth filter's parsed configuration (config.cc and jwt_config.cc fill it in).
#pragma once

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "filters/auth/credentials.h"
#include "filters/auth/jwks_source.h"
#include "filters/auth/jwt.h"
#include "filters/registry.h"

namespace nexus::filters::auth {

struct JwtConfig {
  JwtPolicy policy;
  std::map<std::string, std::string, std::less<>> require_claims;
  KeyList configured_keys;  // inline secret and PEM public key
  JwksOptions jwks;
};

struct AuthConfig {
  std::string realm = "nexus";
  bool forward_credentials = false;  // false: the credential header is removed before upstream
  std::vector<std::string> allow;    // subjects allowed (empty: every authenticated one)
  std::vector<std::string> deny;     // subjects refused even when allowed

  bool api_keys_enabled = false;
  std::string api_key_header = "x-api-key";  // besides "Authorization: Bearer <key>"
  std::vector<ApiKey> api_keys;

  bool basic_enabled = false;
  std::vector<BasicUser> basic_users;

  bool jwt_enabled = false;
  JwtConfig jwt;
};

// The algorithms a config may allow.
inline constexpr std::array<std::string_view, 4> kJwtAlgorithms = {"HS256", "RS256", "ES256",
                                                                   "EdDSA"};

// Shared by config.cc and jwt_config.cc.
Result<void> parse_jwt_config(const Reader& r, const Field& field, JwtConfig& jwt);
// The list of non-empty strings under `key` of `map` (absent: none) replaces `out`.
Result<void> read_strings(const Reader& r, const Field& map, std::string_view key,
                          std::vector<std::string>& out);
// The contents of the readable file named by `field`.
Result<std::string> read_file(const Reader& r, const Field& field);

}  // namespace nexus::filters::auth
