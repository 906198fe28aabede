// The auth filter: in on_request_headers it authenticates the request by what it presents
// (Authorization: Bearer <JWT or API key>, Authorization: Basic, or the API key header),
// authorises the identity (deny, allow, required JWT claims), stores it in the kIdentity slot
// and, unless forward_credentials, removes the credential header before the request goes on.
// Failures are local replies: 401 with WWW-Authenticate challenges, 403 when not allowed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "filters/auth/options.h"
#include "http/filter/filter.h"
#include "http/filter/request_slots.h"

namespace nexus::filters::auth {

class AuthFactory final : public filter::FilterFactory {
 public:
  explicit AuthFactory(AuthConfig config);

  [[nodiscard]] std::string_view type() const override { return "auth"; }
  [[nodiscard]] uint32_t hooks() const override { return filter::kRequestHeadersHook; }
  [[nodiscard]] filter::ArenaPtr<filter::Filter> create(filter::Arena& arena) const override;
  // Starts the JWKS refresh thread (stopped when the factory is destroyed).
  Result<void> start() override;

  // The whole decision for one request: continue (identity stored) or a local reply (kStop).
  filter::FilterStatus authenticate(filter::Context& ctx) const;

  [[nodiscard]] const AuthConfig& config() const { return config_; }
  [[nodiscard]] JwksSource* jwks() const { return jwks_.get(); }

 private:
  struct Outcome;
  Outcome from_authorization(filter::Context& ctx, std::string_view value) const;
  Outcome check_api_key(std::string_view key) const;
  Outcome check_jwt(filter::Context& ctx, std::string_view token) const;
  // Turns an authenticated outcome into a 403 when the identity is not allowed here.
  void authorise(Outcome& outcome) const;
  // 401 with a challenge per configured method; `bearer_error` ("invalid_token") when a bearer
  // credential was presented and refused.
  [[nodiscard]] filter::LocalReply unauthorized(std::string_view message,
                                                std::string_view bearer_error) const;

  AuthConfig config_;
  std::unique_ptr<JwksSource> jwks_;  // JWT keys; null without jwt
};

}  // namespace nexus::filters::auth
