// The `jwt` section of the auth filter: allowed algorithms, claim checks and key sources.
#include <algorithm>

#include "filters/auth/options.h"

namespace nexus::filters::auth {
namespace {

Result<void> parse_algorithms(const Reader& r, const Field& field, JwtPolicy& policy) {
  Field list = r.child(field, "algorithms");
  NEXUS_CONFIG_TRY(r.require(list));
  auto algorithms = r.strings(list, /*non_empty=*/true, kJwtAlgorithms);
  if (!algorithms) {
    return std::unexpected(std::move(algorithms.error()));
  }
  policy.algorithms = std::move(*algorithms);
  return {};
}

bool allows(const JwtPolicy& policy, std::string_view alg) {
  return std::ranges::find(policy.algorithms, alg) != policy.algorithms.end();
}

Result<void> parse_required_claims(const Reader& r, const Field& field, JwtConfig& jwt) {
  auto entries = r.entries(r.child(field, "require_claims"));
  if (!entries) {
    return std::unexpected(std::move(entries.error()));
  }
  for (const auto& [name, value] : *entries) {
    auto text = r.string(value);
    if (!text) {
      return std::unexpected(std::move(text.error()));
    }
    jwt.require_claims.emplace(name, std::move(*text));
  }
  return {};
}

// The inline secret and the PEM public key, checked against the allowed algorithms.
Result<void> parse_configured_keys(const Reader& r, const Field& field, JwtConfig& jwt) {
  if (Field secret = r.child(field, "secret"); secret.present) {
    auto text = r.string(secret);
    if (!text) {
      return std::unexpected(std::move(text.error()));
    }
    if (text->size() < kMinHmacSecretBytes) {
      return r.error(secret, "an HS256 secret needs at least 32 bytes");
    }
    if (!allows(jwt.policy, "HS256")) {
      return r.error(secret, "a secret is only used with HS256: add it to algorithms");
    }
    auto key = std::make_shared<VerifyKey>();
    key->secret = std::move(*text);
    jwt.configured_keys.push_back(std::move(key));
  }
  if (Field file = r.child(field, "public_key_file"); file.present) {
    auto pem = read_file(r, file);
    if (!pem) {
      return std::unexpected(std::move(pem.error()));
    }
    auto key = load_pem_public_key(*pem);
    if (!key) {
      return r.error(file, key.error().message());
    }
    if (!allows(jwt.policy, algorithm_of((*key)->kind))) {
      return r.error(file, "this key verifies " + std::string(algorithm_of((*key)->kind)) +
                               ", which algorithms does not list");
    }
    jwt.configured_keys.push_back(std::move(*key));
  }
  return {};
}

Result<void> parse_jwks(const Reader& r, const Field& field, JwtConfig& jwt) {
  Field file = r.child(field, "jwks_file");
  Field url = r.child(field, "jwks_url");
  if (file.present && url.present) {
    return r.error(url, "give jwks_file or jwks_url, not both");
  }
  JwksOptions& jwks = jwt.jwks;
  if (file.present) {
    auto path = r.readable_file(file);
    if (!path) {
      return std::unexpected(std::move(path.error()));
    }
    jwks.file = *path;
  }
  NEXUS_CONFIG_TRY(r.read(field, "jwks_url", jwks.url));
  if (url.present && !jwks.url.starts_with("http://") && !jwks.url.starts_with("https://")) {
    return r.error(url, "expected an http:// or https:// URL");
  }
  NEXUS_CONFIG_TRY(r.read(field, "refresh_interval", jwks.refresh_interval));
  NEXUS_CONFIG_TRY(r.read(field, "retry_interval", jwks.retry_interval));
  NEXUS_CONFIG_TRY(r.read(field, "fetch_timeout", jwks.fetch.timeout));
  for (const char* key : {"refresh_interval", "retry_interval", "fetch_timeout"}) {
    Field value = r.child(field, key);
    if (value.present && r.duration(value).value_or(config::Duration(0)).count() < 100) {
      return r.error(value, "expected a duration of at least 100ms");
    }
  }
  if (Field ca = r.child(field, "ca_file"); ca.present) {
    auto path = r.readable_file(ca);
    if (!path) {
      return std::unexpected(std::move(path.error()));
    }
    jwks.fetch.ca_file = *path;
  }
  return {};
}

}  // namespace

Result<void> parse_jwt_config(const Reader& r, const Field& field, JwtConfig& jwt) {
  NEXUS_CONFIG_TRY(r.check_mapping(
      field, {"algorithms", "issuers", "audiences", "clock_skew", "require_exp", "require_claims",
              "secret", "public_key_file", "jwks_file", "jwks_url", "refresh_interval",
              "retry_interval", "fetch_timeout", "ca_file"}));
  NEXUS_CONFIG_TRY(parse_algorithms(r, field, jwt.policy));
  NEXUS_CONFIG_TRY(read_strings(r, field, "issuers", jwt.policy.issuers));
  NEXUS_CONFIG_TRY(read_strings(r, field, "audiences", jwt.policy.audiences));
  config::Duration skew = jwt.policy.clock_skew;
  NEXUS_CONFIG_TRY(r.read(field, "clock_skew", skew));
  jwt.policy.clock_skew = std::chrono::duration_cast<std::chrono::seconds>(skew);
  NEXUS_CONFIG_TRY(r.read(field, "require_exp", jwt.policy.require_exp));
  NEXUS_CONFIG_TRY(parse_required_claims(r, field, jwt));
  NEXUS_CONFIG_TRY(parse_configured_keys(r, field, jwt));
  NEXUS_CONFIG_TRY(parse_jwks(r, field, jwt));
  if (jwt.configured_keys.empty() && jwt.jwks.file.empty() && jwt.jwks.url.empty()) {
    return r.error(field, "configure a key: secret, public_key_file, jwks_file or jwks_url");
  }
  if (!jwt.jwks.file.empty()) {
    // Loaded now so that a broken file is a config error, not a 401 for every request.
    JwksSource probe(jwt.jwks, {});
    if (auto loaded = probe.refresh(); !loaded) {
      return r.error(r.child(field, "jwks_file"), loaded.error().message());
    }
  }
  return {};
}

}  // namespace nexus::filters::auth
