// An identity provider for the admin API's tests: keys generated in-test (the auth filter's
// helpers, tests/unit/filters/auth/test_tokens.h), their JWK Set in a file, and tokens they sign.
#pragma once

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "../../filters/auth/test_tokens.h"
#include "control/admin/jwt_identity.h"
#include "governance/store.h"

namespace nexus::control::admin::testing {

inline constexpr std::string_view kIssuer = "https://idp.test/";
inline constexpr std::string_view kAudience = "nexus-admin";

struct SigningKey {
  std::string alg;  // "ES256" or "RS256"
  std::string kid;
  filters::auth::PkeyPtr key = filters::auth::testing::generate_key(alg);

  // A compact JWS of `claims` with this key (the header names `kid` and `alg`).
  [[nodiscard]] std::string sign(const boost::json::object& claims) const {
    const std::string header = R"({"alg":")" + alg + R"(","typ":"JWT","kid":")" + kid + "\"}";
    return filters::auth::testing::make_token(alg, key.get(), "", header,
                                              boost::json::serialize(claims));
  }
};

// The JWK Set of `keys`, written to `path`.
inline void write_jwks(const std::filesystem::path& path,
                       const std::vector<const SigningKey*>& keys) {
  std::string text = R"({"keys":[)";
  for (const SigningKey* key : keys) {
    if (text.back() != '[') {
      text += ",";
    }
    text += filters::auth::testing::public_jwk(key->alg, key->key.get(), key->kid);
  }
  text += "]}";
  std::ofstream(path, std::ios::trunc) << text;
}

// The registered claims of a good token at `now`: iss, aud, sub, iat and exp (an hour later).
inline boost::json::object good_claims(governance::UnixMillis now, std::string_view subject) {
  const int64_t seconds = now / 1000;
  return boost::json::object{{"iss", kIssuer},
                             {"aud", kAudience},
                             {"sub", subject},
                             {"iat", seconds},
                             {"exp", seconds + 3600}};
}

// The config of the issuer whose JWK Set is `jwks_file`.
inline config::Governance::Admin::Jwt jwt_config(const std::filesystem::path& jwks_file) {
  config::Governance::Admin::Jwt config;
  config.issuer = std::string(kIssuer);
  config.audiences = {std::string(kAudience)};
  config.jwks_file = jwks_file.string();
  return config;
}

}  // namespace nexus::control::admin::testing
