// JSON Web Tokens (RFC 7519) in JWS compact form: parsing, signature verification with OpenSSL
// EVP (HS256, RS256, ES256, EdDSA with Ed25519) and the registered claim checks.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <expected>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "filters/auth/jwk.h"

namespace nexus::filters::auth {

struct JwtPolicy {
  std::vector<std::string> algorithms;  // allowed "alg" values; never "none"
  std::vector<std::string> issuers;     // empty: any "iss"
  std::vector<std::string> audiences;   // empty: any "aud"; else "aud" must name one
  std::chrono::seconds clock_skew{60};  // leeway for exp and nbf
  bool require_exp = true;              // a token without "exp" is rejected
};

enum class JwtFailure {
  kMalformed,    // not three base64url parts of JSON objects, or a bad claim type
  kAlgorithm,    // "alg" not allowed (or "none", or an unknown "crit" extension)
  kUnknownKey,   // no key for the token's kid and alg (a JWKS refresh may help)
  kSignature,    // no candidate key verified the signature
  kExpired,      // exp passed (beyond the skew), or exp missing while required
  kNotYetValid,  // nbf in the future (beyond the skew)
  kIssuer,
  kAudience,
};

struct JwtError {
  JwtFailure failure;
  std::string message;  // short, safe to send to the client
};

struct VerifiedJwt {
  std::string subject;  // "sub", or empty
  std::string kid;      // the header's "kid", or empty
  boost::json::object payload;
};

// Verifies `token` against `keys` (configured keys and the current JWK Set) at time `now`.
std::expected<VerifiedJwt, JwtError> verify_jwt(
    std::string_view token, const JwtPolicy& policy,
    std::span<const std::shared_ptr<const VerifyKey>> keys,
    std::chrono::system_clock::time_point now);

// Whether the signature over `signing_input` verifies with `key` for algorithm `alg` (which must
// be the key kind's own algorithm).
bool verify_signature(std::string_view alg, const VerifyKey& key, std::string_view signing_input,
                      std::string_view signature);

// Top-level claims whose value is a string, number or boolean, as text, in token order.
std::vector<std::pair<std::string, std::string>> scalar_claims(const boost::json::object& payload);

// Every required claim is present with the value: equal, one of an array's strings, or one word
// of a space-separated string (OAuth "scope"). Returns the first unmet claim's name, or "".
std::string unmet_claim(const boost::json::object& payload,
                        const std::map<std::string, std::string, std::less<>>& required);

}  // namespace nexus::filters::auth
