#include "filters/auth/config.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "filters/auth/auth_filter.h"
#include "filters/auth/options.h"

namespace nexus::filters {
namespace auth {

Result<void> read_strings(const Reader& r, const Field& map, std::string_view key,
                          std::vector<std::string>& out) {
  const auto non_empty = [&r](const Field& item, const std::string& text) -> Result<void> {
    if (text.empty()) {
      return r.error(item, "must not be empty");
    }
    return {};
  };
  auto list = r.strings(r.child(map, key), /*non_empty=*/false, non_empty);
  if (!list) {
    return std::unexpected(std::move(list.error()));
  }
  out = std::move(*list);
  return {};
}

Result<std::string> read_file(const Reader& r, const Field& field) {
  auto path = r.readable_file(field);
  if (!path) {
    return std::unexpected(std::move(path.error()));
  }
  std::ifstream in(*path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

}  // namespace auth

namespace {

using auth::AuthConfig;

Result<void> parse_api_keys(const Reader& r, const Field& field, AuthConfig& config) {
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"header", "keys"}));
  config.api_keys_enabled = true;
  NEXUS_CONFIG_TRY(r.read(field, "header", config.api_key_header));
  std::ranges::transform(config.api_key_header, config.api_key_header.begin(),
                         [](unsigned char c) { return std::tolower(c); });
  if (config.api_key_header.empty() || config.api_key_header == "authorization" ||
      config.api_key_header.find_first_of(" :\t\r\n") != std::string::npos) {
    return r.error(r.child(field, "header"),
                   "expected a header name other than authorization (Bearer is always accepted)");
  }
  auto keys = r.items(r.child(field, "keys"), /*non_empty=*/true);
  if (!keys) {
    return std::unexpected(std::move(keys.error()));
  }
  for (const Field& item : *keys) {
    NEXUS_CONFIG_TRY(r.check_mapping(item, {"name", "id", "sha256"}));
    NEXUS_CONFIG_TRY(r.require(r.child(item, "name")));
    NEXUS_CONFIG_TRY(r.require(r.child(item, "sha256")));
    auth::ApiKey key;
    std::string hex;
    NEXUS_CONFIG_TRY(r.read(item, "name", key.name));
    NEXUS_CONFIG_TRY(r.read(item, "id", key.id));
    NEXUS_CONFIG_TRY(r.read(item, "sha256", hex));
    auto hash = sha256_from_hex(hex);
    if (!hash) {
      return r.error(
          r.child(item, "sha256"),
          "expected the key's SHA-256 as 64 hex digits (printf %s \"$KEY\" | sha256sum)");
    }
    key.hash = *hash;
    if (std::ranges::any_of(config.api_keys, [&](const auto& k) { return k.hash == key.hash; })) {
      return r.error(r.child(item, "sha256"), "the same key is listed twice");
    }
    config.api_keys.push_back(std::move(key));
  }
  return {};
}

Result<void> parse_basic(const Reader& r, const Field& field, AuthConfig& config) {
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"users"}));
  config.basic_enabled = true;
  auto users = r.items(r.child(field, "users"), /*non_empty=*/true);
  if (!users) {
    return std::unexpected(std::move(users.error()));
  }
  for (const Field& item : *users) {
    NEXUS_CONFIG_TRY(r.check_mapping(item, {"name", "password_hash"}));
    NEXUS_CONFIG_TRY(r.require(r.child(item, "name")));
    NEXUS_CONFIG_TRY(r.require(r.child(item, "password_hash")));
    auth::BasicUser user;
    std::string text;
    NEXUS_CONFIG_TRY(r.read(item, "name", user.name));
    NEXUS_CONFIG_TRY(r.read(item, "password_hash", text));
    if (user.name.empty() || user.name.find(':') != std::string::npos) {
      return r.error(r.child(item, "name"), "expected a user name without ':'");
    }
    std::string error;
    auto hash = auth::parse_password_hash(text, error);
    if (!hash) {
      return r.error(r.child(item, "password_hash"), error);
    }
    user.password = std::move(*hash);
    if (std::ranges::any_of(config.basic_users,
                            [&](const auto& u) { return u.name == user.name; })) {
      return r.error(r.child(item, "name"), "user '" + user.name + "' is listed twice");
    }
    config.basic_users.push_back(std::move(user));
  }
  return {};
}

}  // namespace

Result<std::shared_ptr<filter::FilterFactory>> parse_auth_filter(const Reader& r,
                                                                 const Field& field) {
  NEXUS_CONFIG_TRY(r.check_mapping(
      field, {"realm", "forward_credentials", "allow", "deny", "api_keys", "basic", "jwt"}));
  AuthConfig config;
  NEXUS_CONFIG_TRY(r.read(field, "realm", config.realm));
  if (config.realm.find_first_of("\"\\\r\n") != std::string::npos) {
    return r.error(r.child(field, "realm"), "must not contain quotes, backslashes or line breaks");
  }
  NEXUS_CONFIG_TRY(r.read(field, "forward_credentials", config.forward_credentials));
  NEXUS_CONFIG_TRY(auth::read_strings(r, field, "allow", config.allow));
  NEXUS_CONFIG_TRY(auth::read_strings(r, field, "deny", config.deny));
  if (Field keys = r.child(field, "api_keys"); keys.present) {
    NEXUS_CONFIG_TRY(parse_api_keys(r, keys, config));
  }
  if (Field basic = r.child(field, "basic"); basic.present) {
    NEXUS_CONFIG_TRY(parse_basic(r, basic, config));
  }
  if (Field jwt = r.child(field, "jwt"); jwt.present) {
    config.jwt_enabled = true;
    NEXUS_CONFIG_TRY(auth::parse_jwt_config(r, jwt, config.jwt));
  }
  if (!config.api_keys_enabled && !config.basic_enabled && !config.jwt_enabled) {
    return r.error(field, "configure at least one of api_keys, basic, jwt");
  }
  return std::make_shared<auth::AuthFactory>(std::move(config));
}

}  // namespace nexus::filters
