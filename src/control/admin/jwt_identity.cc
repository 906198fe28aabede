#include "control/admin/jwt_identity.h"

#include <algorithm>

#include "control/admin/json_io.h"

namespace nexus::control::admin {
namespace {

namespace json = boost::json;
using filters::auth::JwtError;
using filters::auth::JwtFailure;
using filters::auth::VerifiedJwt;

// How long a request with an unknown kid waits for the early JWK Set refresh it asked for: the
// fetch's own bound (FetchOptions::timeout, 5 s), and a little more for the thread to wake up.
constexpr auto kEarlyRefreshWait = std::chrono::milliseconds(5'500);

bool is_base64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

std::string quoted(std::string_view text) {
  std::string out = "'";
  out += text;
  out += "'";
  return out;
}

// A claim's text: empty when absent; 403 when it is there but not a string.
ApiResult<std::string> text_claim(const json::object& payload, std::string_view name) {
  const json::value* value = payload.if_contains(name);
  if (value == nullptr || value->is_null()) {
    return std::string();
  }
  if (!value->is_string()) {
    return std::unexpected(forbidden("the token's claim " + quoted(name) + " is not a string"));
  }
  return std::string(value->as_string());
}

// The claim `name` that `role` needs, or a 403 saying it is missing.
ApiResult<std::string> required_claim(const json::object& payload, std::string_view name, Role role,
                                      std::string_view what) {
  auto text = text_claim(payload, name);
  if (text && text->empty()) {
    std::string message = "the role ";
    message += role_name(role);
    message += " needs ";
    message += what;
    message += ": the token has no claim " + quoted(name);
    return std::unexpected(forbidden(std::move(message)));
  }
  return text;
}

ApiResult<void> check_org(governance::Store& store, const std::string& org_id) {
  auto org = store.get_org(org_id);
  if (!org) {
    return std::unexpected(store_failure(org.error()));
  }
  if (!org->has_value()) {
    return std::unexpected(
        forbidden("the token's organization " + quoted(org_id) + " does not exist"));
  }
  return {};
}

// The team must exist and belong to the caller's organization.
ApiResult<void> check_team(governance::Store& store, const Caller& caller) {
  auto team = store.get_team(caller.team_id);
  if (!team) {
    return std::unexpected(store_failure(team.error()));
  }
  const std::optional<governance::Team>& found = *team;
  if (!found) {
    return std::unexpected(
        forbidden("the token's team " + quoted(caller.team_id) + " does not exist"));
  }
  if (found->org_id != caller.org_id) {
    return std::unexpected(forbidden("the token's team " + quoted(caller.team_id) +
                                     " is not in its organization " + quoted(caller.org_id)));
  }
  return {};
}

// A member is a user of the store, in the token's organization (and team, when it names one);
// its team is the user's.
ApiResult<void> resolve_member(governance::Store& store, const std::string& user_id,
                               Caller& caller) {
  auto user = store.get_user(user_id);
  if (!user) {
    return std::unexpected(store_failure(user.error()));
  }
  const std::optional<governance::User>& found = *user;
  if (!found) {
    return std::unexpected(forbidden("the token's user " + quoted(user_id) + " does not exist"));
  }
  if (found->org_id != caller.org_id) {
    return std::unexpected(forbidden("the token's user " + quoted(user_id) +
                                     " is not in its organization " + quoted(caller.org_id)));
  }
  if (!caller.team_id.empty() && found->team_id != caller.team_id) {
    return std::unexpected(forbidden("the token's user " + quoted(user_id) +
                                     " is not in its team " + quoted(caller.team_id)));
  }
  caller.team_id = found->team_id;
  caller.user_id = found->id;
  return {};
}

}  // namespace

bool looks_like_jwt(std::string_view token) {
  if (std::ranges::count(token, '.') != 2 || token.starts_with('.') || token.ends_with('.') ||
      token.find("..") != std::string_view::npos) {
    return false;
  }
  return std::ranges::all_of(token, [](char c) { return c == '.' || is_base64url(c); });
}

JwtIdentity::JwtIdentity(const config::Governance::Admin::Jwt& config, SteadyClock steady)
    : config_(config),
      policy_{.algorithms = config.algorithms,
              .issuers = {config.issuer},
              .audiences = config.audiences,
              .clock_skew = config.clock_skew,
              .require_exp = true},
      jwks_(filters::auth::JwksOptions{.file = config.jwks_file,
                                       .url = config.jwks_uri,
                                       .fetch = {.ca_file = config.ca_file},
                                       .refresh_interval = config.refresh_interval},
            {}),
      steady_(steady ? std::move(steady) : [] { return std::chrono::steady_clock::now(); }) {}

JwtIdentity::~JwtIdentity() = default;

Result<std::unique_ptr<JwtIdentity>> JwtIdentity::create(
    const config::Governance::Admin::Jwt& config, SteadyClock steady) {
  // The constructor is private so that every identity comes loaded from here.
  std::unique_ptr<JwtIdentity> identity(new JwtIdentity(config, std::move(steady)));
  if (!config.jwks_file.empty()) {
    if (auto loaded = identity->jwks_.refresh(); !loaded) {
      return fail(ErrorCode::kInvalidConfig,
                  "governance.admin.jwt: " + std::string(loaded.error().message()));
    }
  }
  return identity;
}

Result<void> JwtIdentity::start() { return jwks_.start(); }

std::expected<VerifiedJwt, JwtError> JwtIdentity::verify(
    std::string_view token, std::chrono::system_clock::time_point now) {
  auto verified = filters::auth::verify_jwt(token, policy_, *jwks_.keys(), now);
  if (verified || verified.error().failure != JwtFailure::kUnknownKey) {
    return verified;
  }
  // The provider may have rotated its keys: one early refresh (rate-limited by the source), and
  // this request waits for it, bounded, so that the first token of a new key is not refused.
  const uint64_t before = jwks_.attempts();
  if (!jwks_.request_early_refresh(steady_()) ||
      !jwks_.wait_for_attempts(before + 1, kEarlyRefreshWait)) {
    return verified;
  }
  return filters::auth::verify_jwt(token, policy_, *jwks_.keys(), now);
}

ApiResult<Caller> JwtIdentity::authenticate(governance::Store& store, std::string_view token,
                                            governance::UnixMillis now) {
  const std::chrono::system_clock::time_point wall{std::chrono::milliseconds(now)};
  auto verified = verify(token, wall);
  if (!verified) {
    return std::unexpected(unauthorized("invalid token: " + verified.error().message));
  }
  return caller_of(store, *verified);
}

ApiResult<Caller> JwtIdentity::caller_of(governance::Store& store, const VerifiedJwt& token) {
  const json::object& claims = token.payload;
  auto role_text = text_claim(claims, config_.role_claim);
  if (!role_text) {
    return std::unexpected(role_text.error());
  }
  if (role_text->empty()) {
    return std::unexpected(
        forbidden("the token has no role: its claim " + quoted(config_.role_claim) +
                  " is missing (expected admin, org_admin, team_admin, member or viewer)"));
  }
  const std::optional<Role> role = parse_role(*role_text);
  if (!role) {
    return std::unexpected(forbidden("the token's role " + quoted(*role_text) +
                                     " is unknown (expected admin, org_admin, team_admin, "
                                     "member or viewer)"));
  }
  Caller caller{.role = *role, .actor = "jwt:" + config_.issuer + "#" + token.subject};
  if (*role == Role::kAdmin) {
    return caller;  // everything: no scope to check
  }
  auto org = required_claim(claims, config_.org_claim, *role, "an organization");
  if (!org) {
    return std::unexpected(org.error());
  }
  caller.org_id = std::move(*org);
  if (auto checked = check_org(store, caller.org_id); !checked) {
    return std::unexpected(checked.error());
  }
  auto team = *role == Role::kTeamAdmin
                  ? required_claim(claims, config_.team_claim, *role, "a team")
                  : text_claim(claims, config_.team_claim);
  if (!team) {
    return std::unexpected(team.error());
  }
  caller.team_id = std::move(*team);
  if (!caller.team_id.empty()) {
    if (auto checked = check_team(store, caller); !checked) {
      return std::unexpected(checked.error());
    }
  }
  if (*role == Role::kMember) {
    auto user = required_claim(claims, config_.user_claim, *role, "a user");
    if (!user) {
      return std::unexpected(user.error());
    }
    if (auto resolved = resolve_member(store, *user, caller); !resolved) {
      return std::unexpected(resolved.error());
    }
  }
  return caller;
}

}  // namespace nexus::control::admin
