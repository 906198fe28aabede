// Admin API callers that bring a JWT from an identity provider (governance.admin.jwt): the token
// is verified with the auth filter's verifier (filters/auth/jwt.h) against the provider's JWK Set,
// then its claims name the caller's role and scope, which must exist in the store.
//
// Threads: authenticate() is called by the admin server's thread only. The JWK Set is reread by
// the JwksSource's own thread (every refresh_interval, and early when a token names an unknown
// kid), never on the request path; a request with an unknown kid waits, bounded, for that one
// early refresh.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

#include "control/admin/access.h"
#include "control/admin/api_error.h"
#include "filters/auth/jwks_source.h"
#include "filters/auth/jwt.h"
#include "governance/store.h"
#include "nexus/config/config.h"

namespace nexus::control::admin {

// A compact JWS: three non-empty base64url parts. Virtual keys ("nx-...") never look like one.
bool looks_like_jwt(std::string_view token);

class JwtIdentity {
 public:
  // For the early refresh's rate limit: a monotonic clock (tests pass their own).
  using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

  // Loads a jwks_file now (an error names it); a jwks_uri is first fetched by start().
  static Result<std::unique_ptr<JwtIdentity>> create(const config::Governance::Admin::Jwt& config,
                                                     SteadyClock steady = {});
  JwtIdentity(const JwtIdentity&) = delete;
  JwtIdentity& operator=(const JwtIdentity&) = delete;
  ~JwtIdentity();  // stops the refresh thread

  // Starts the JWK Set's refresh thread; a jwks_uri is fetched once first, in the calling thread
  // (if that fails, tokens get 401 until a retry succeeds).
  Result<void> start();

  // The caller a token names at `now`: 401 naming the reason when the token does not verify
  // (signature, iss, aud, exp/nbf with the skew); 403 when its role claim is missing or unknown,
  // when a scope id it names is not in the store, or when its user or team is outside its org.
  ApiResult<Caller> authenticate(governance::Store& store, std::string_view token,
                                 governance::UnixMillis now);

  // Completed JWK Set loads (for tests).
  [[nodiscard]] uint64_t refresh_attempts() const { return jwks_.attempts(); }

 private:
  JwtIdentity(const config::Governance::Admin::Jwt& config, SteadyClock steady);
  std::expected<filters::auth::VerifiedJwt, filters::auth::JwtError> verify(
      std::string_view token, std::chrono::system_clock::time_point now);
  ApiResult<Caller> caller_of(governance::Store& store, const filters::auth::VerifiedJwt& token);

  const config::Governance::Admin::Jwt config_;
  filters::auth::JwtPolicy policy_;
  filters::auth::JwksSource jwks_;
  SteadyClock steady_;
};

}  // namespace nexus::control::admin
