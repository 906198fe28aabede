// `governance.admin.jwt`: the identity provider whose JWTs the admin API accepts
// (docs/governance.md, "JWT callers"). The keys are loaded by the auth filter's JwksSource; a
// jwks_file is read here once so that a broken one is a config error, not a 401 for everyone.
#include <array>

#include "control/config/sections.h"
#include "filters/auth/jwks_source.h"

namespace nexus::control::config_internal {
namespace {

using AdminJwt = config::Governance::Admin::Jwt;

// Only public-key algorithms: the provider's JWK Set is public, an HMAC secret would not be.
constexpr std::array<std::string_view, 3> kAsymmetric = {"RS256", "ES256", "EdDSA"};
constexpr auto kMaxClockSkew = std::chrono::minutes(5);

Result<void> parse_claim_name(const Reader& r, const Field& field, std::string_view key,
                              std::string& out) {
  const Field name = r.child(field, key);
  NEXUS_CONFIG_TRY(r.read(field, key, out));
  if (name.present && out.empty()) {
    return r.error(name, "expected the name of a claim");
  }
  return {};
}

Result<void> parse_key_source(const Reader& r, const Field& field, AdminJwt& out) {
  const Field file = r.child(field, "jwks_file");
  const Field uri = r.child(field, "jwks_uri");
  if (file.present && uri.present) {
    return r.error(uri, "give jwks_file or jwks_uri, not both");
  }
  if (!file.present && !uri.present) {
    return r.error(field, "the provider's keys are required: give jwks_file or jwks_uri");
  }
  if (file.present) {
    auto path = r.readable_file(file);
    if (!path) {
      return std::unexpected(std::move(path.error()));
    }
    out.jwks_file = std::move(*path);
    filters::auth::JwksSource probe(filters::auth::JwksOptions{.file = out.jwks_file}, {});
    if (auto loaded = probe.refresh(); !loaded) {
      return r.error(file, loaded.error().message());
    }
  }
  NEXUS_CONFIG_TRY(r.read(field, "jwks_uri", out.jwks_uri));
  if (uri.present && !out.jwks_uri.starts_with("http://") &&
      !out.jwks_uri.starts_with("https://")) {
    return r.error(uri, "expected an http:// or https:// URL");
  }
  if (const Field ca = r.child(field, "ca_file"); ca.present) {
    if (!uri.present) {
      return r.error(ca, "only used with an https jwks_uri");
    }
    auto path = r.readable_file(ca);
    if (!path) {
      return std::unexpected(std::move(path.error()));
    }
    out.ca_file = std::move(*path);
  }
  NEXUS_CONFIG_TRY(r.read(field, "refresh_interval", out.refresh_interval));
  if (out.refresh_interval < std::chrono::seconds(1)) {
    return r.error(r.child(field, "refresh_interval"), "expected at least 1s");
  }
  return {};
}

}  // namespace

Result<void> parse_admin_jwt(const Reader& r, const Field& field, AdminJwt& out) {
  NEXUS_CONFIG_TRY(r.check_mapping(
      field, {"issuer", "audiences", "jwks_file", "jwks_uri", "ca_file", "refresh_interval",
              "algorithms", "clock_skew", "role_claim", "org_claim", "team_claim", "user_claim"}));
  const Field issuer = r.child(field, "issuer");
  NEXUS_CONFIG_TRY(r.require(issuer));
  NEXUS_CONFIG_TRY(r.read(field, "issuer", out.issuer));
  if (out.issuer.empty()) {
    return r.error(issuer, "expected the identity provider's issuer (the tokens' iss)");
  }
  const Field audiences = r.child(field, "audiences");
  NEXUS_CONFIG_TRY(r.require(audiences));
  auto audience_list = r.strings(audiences, /*non_empty=*/true,
                                 [&r](const Field& item, std::string& text) -> Result<void> {
                                   if (text.empty()) {
                                     return r.error(item, "expected an audience");
                                   }
                                   return {};
                                 });
  if (!audience_list) {
    return std::unexpected(std::move(audience_list.error()));
  }
  out.audiences = std::move(*audience_list);
  NEXUS_CONFIG_TRY(parse_key_source(r, field, out));
  if (const Field algorithms = r.child(field, "algorithms"); algorithms.present) {
    auto list = r.strings(algorithms, /*non_empty=*/true, kAsymmetric);
    if (!list) {
      return std::unexpected(std::move(list.error()));
    }
    out.algorithms = std::move(*list);
  }
  config::Duration skew = out.clock_skew;
  NEXUS_CONFIG_TRY(r.read(field, "clock_skew", skew));
  if (skew > kMaxClockSkew) {
    return r.error(r.child(field, "clock_skew"), "expected at most 5m");
  }
  out.clock_skew = std::chrono::duration_cast<std::chrono::seconds>(skew);
  NEXUS_CONFIG_TRY(parse_claim_name(r, field, "role_claim", out.role_claim));
  NEXUS_CONFIG_TRY(parse_claim_name(r, field, "org_claim", out.org_claim));
  NEXUS_CONFIG_TRY(parse_claim_name(r, field, "team_claim", out.team_claim));
  NEXUS_CONFIG_TRY(parse_claim_name(r, field, "user_claim", out.user_claim));
  return {};
}

}  // namespace nexus::control::config_internal
