#include "filters/auth/auth_filter.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "http/http1/message.h"

namespace nexus::filters::auth {

// What authentication found: an identity, a refusal (401 or 403) or nothing presented.
struct AuthFactory::Outcome {
  enum class Kind { kNone, kOk, kUnauthorized, kForbidden };
  Kind kind = Kind::kNone;
  filter::Identity identity;
  std::string message;          // for refusals
  std::string bearer_error;     // RFC 6750 error code for a refused bearer credential
  boost::json::object payload;  // the JWT's claims, for require_claims
};

namespace {

class AuthFilter final : public filter::Filter {
 public:
  explicit AuthFilter(const AuthFactory& factory) : factory_(factory) {}
  filter::FilterStatus on_request_headers(filter::Context& ctx) override {
    return factory_.authenticate(ctx);
  }

 private:
  const AuthFactory& factory_;
};

std::string_view trim(std::string_view text) {
  const size_t start = text.find_first_not_of(" \t");
  if (start == std::string_view::npos) {
    return {};
  }
  return text.substr(start, text.find_last_not_of(" \t") - start + 1);
}

// A compact JWS has exactly two dots; opaque API keys normally have none.
bool looks_like_jwt(std::string_view token) { return std::ranges::count(token, '.') == 2; }

bool listed(const std::vector<std::string>& list, std::string_view subject) {
  return std::ranges::find(list, subject) != list.end();
}

}  // namespace

AuthFactory::AuthFactory(AuthConfig config) : config_(std::move(config)) {
  if (config_.jwt_enabled) {
    jwks_ = std::make_unique<JwksSource>(config_.jwt.jwks, config_.jwt.configured_keys);
    if (!config_.jwt.jwks.file.empty()) {
      // Checked at config time; if the file broke since, the configured keys stay and the
      // refresh thread tries again.
      if (auto loaded = jwks_->refresh(); !loaded) {
        spdlog::warn("auth: {}", loaded.error().message());
      }
    }
  }
}

filter::ArenaPtr<filter::Filter> AuthFactory::create(filter::Arena& arena) const {
  return arena.make<AuthFilter>(*this);
}

Result<void> AuthFactory::start() { return jwks_ ? jwks_->start() : Result<void>{}; }

AuthFactory::Outcome AuthFactory::check_api_key(std::string_view key) const {
  Outcome out;
  const KeyMatch match = find_api_key(config_.api_keys, key);
  if (match.key == nullptr) {
    out.kind = Outcome::Kind::kUnauthorized;
    out.message = "invalid API key";
    out.bearer_error = "invalid_token";
    return out;
  }
  out.kind = Outcome::Kind::kOk;
  out.identity = {.method = "api_key", .subject = match.key->name, .key_id = match.key->id};
  return out;
}

AuthFactory::Outcome AuthFactory::check_jwt(filter::Context& ctx, std::string_view token) const {
  Outcome out;
  const std::shared_ptr<const KeyList> keys = jwks_->keys();
  auto verified = verify_jwt(token, config_.jwt.policy, *keys, ctx.clock().wall());
  if (!verified) {
    if (verified.error().failure == JwtFailure::kUnknownKey) {
      jwks_->request_early_refresh(ctx.clock().steady());  // key rotation: look again soon
    }
    out.kind = Outcome::Kind::kUnauthorized;
    out.message = "invalid token: " + verified.error().message;
    out.bearer_error = "invalid_token";
    return out;
  }
  out.kind = Outcome::Kind::kOk;
  out.identity = {.method = "jwt",
                  .subject = std::move(verified->subject),
                  .key_id = std::move(verified->kid),
                  .claims = scalar_claims(verified->payload)};
  out.payload = std::move(verified->payload);
  return out;
}

AuthFactory::Outcome AuthFactory::from_authorization(filter::Context& ctx,
                                                     std::string_view value) const {
  const size_t space = value.find(' ');
  const std::string_view scheme = value.substr(0, space);
  const std::string_view credential =
      space == std::string_view::npos ? std::string_view() : trim(value.substr(space + 1));
  Outcome out;
  out.kind = Outcome::Kind::kUnauthorized;
  if (http1::iequals(scheme, "bearer") && (config_.jwt_enabled || config_.api_keys_enabled)) {
    if (credential.empty()) {
      out.message = "empty bearer credential";
      out.bearer_error = "invalid_request";
      return out;
    }
    const bool jwt =
        config_.jwt_enabled && (!config_.api_keys_enabled || looks_like_jwt(credential));
    return jwt ? check_jwt(ctx, credential) : check_api_key(credential);
  }
  if (http1::iequals(scheme, "basic") && config_.basic_enabled) {
    const BasicUser* user = check_basic(config_.basic_users, credential);
    if (user == nullptr) {
      out.message = "invalid user name or password";
      return out;
    }
    out.kind = Outcome::Kind::kOk;
    out.identity = {.method = "basic", .subject = user->name};
    return out;
  }
  out.message = "unsupported authorization scheme";
  return out;
}

void AuthFactory::authorise(Outcome& outcome) const {
  const std::string& subject = outcome.identity.subject;
  std::string refusal;
  if (listed(config_.deny, subject) ||
      (!config_.allow.empty() && !listed(config_.allow, subject))) {
    refusal = "identity '" + subject + "' is not allowed here";
  } else if (outcome.identity.method == "jwt" && !config_.jwt.require_claims.empty()) {
    const std::string unmet = unmet_claim(outcome.payload, config_.jwt.require_claims);
    if (!unmet.empty()) {
      refusal = "token lacks the required claim '" + unmet + "'";
      outcome.bearer_error = "insufficient_scope";
    }
  }
  if (!refusal.empty()) {
    outcome.kind = Outcome::Kind::kForbidden;
    outcome.message = std::move(refusal);
  }
}

filter::LocalReply AuthFactory::unauthorized(std::string_view message,
                                             std::string_view bearer_error) const {
  filter::LocalReply reply =
      filter::LocalReply::from_error(Error(ErrorCode::kUnauthorized, std::string(message)));
  const std::string realm = "realm=\"" + config_.realm + "\"";
  if (config_.jwt_enabled || config_.api_keys_enabled) {
    std::string bearer = "Bearer " + realm;
    if (!bearer_error.empty()) {
      bearer += ", error=\"" + std::string(bearer_error) + "\"";
    }
    reply.headers.emplace_back("www-authenticate", std::move(bearer));
  }
  if (config_.basic_enabled) {
    reply.headers.emplace_back("www-authenticate", "Basic " + realm + ", charset=\"UTF-8\"");
  }
  return reply;
}

filter::FilterStatus AuthFactory::authenticate(filter::Context& ctx) const {
  filter::HeaderMap* headers = ctx.request_headers();
  if (headers == nullptr) {
    return filter::FilterStatus::kContinue;
  }
  const std::string_view authorization = headers->get("authorization");
  Outcome outcome;
  std::string_view credential_header;
  if (!authorization.empty()) {
    outcome = from_authorization(ctx, authorization);
    credential_header = "authorization";
  } else if (config_.api_keys_enabled && headers->has(config_.api_key_header)) {
    outcome = check_api_key(trim(headers->get(config_.api_key_header)));
    credential_header = config_.api_key_header;
  }
  if (outcome.kind == Outcome::Kind::kOk) {
    authorise(outcome);
  }
  switch (outcome.kind) {
    case Outcome::Kind::kNone:
      ctx.reply(unauthorized("authentication required", ""));
      return filter::FilterStatus::kStop;
    case Outcome::Kind::kUnauthorized:
      ctx.reply(unauthorized(outcome.message, outcome.bearer_error));
      return filter::FilterStatus::kStop;
    case Outcome::Kind::kForbidden: {
      // Authenticated but refused: the identity is known, and the access log says who it was.
      ctx.slots().emplace(filter::kIdentity, outcome.identity);
      filter::LocalReply reply =
          filter::LocalReply::from_error(Error(ErrorCode::kForbidden, outcome.message));
      if (!outcome.bearer_error.empty()) {
        reply.headers.emplace_back(
            "www-authenticate",
            std::string(R"(Bearer realm=")") + config_.realm + R"(", error="insufficient_scope")");
      }
      ctx.reply(std::move(reply));
      return filter::FilterStatus::kStop;
    }
    case Outcome::Kind::kOk:
      break;
  }
  if (!config_.forward_credentials) {
    headers->remove(credential_header);
  }
  ctx.slots().emplace(filter::kIdentity, std::move(outcome.identity));
  return filter::FilterStatus::kContinue;
}

}  // namespace nexus::filters::auth
