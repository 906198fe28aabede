#include "control/admin/identity.h"

#include "control/admin/jwt_identity.h"
#include "core/cidr.h"
#include "core/encoding.h"
#include "governance/key_secret.h"

namespace nexus::control::admin {
namespace {

bool is_admin_key(const Credentials& credentials, std::string_view bearer) {
  const std::optional<Sha256> expected = sha256_from_hex(credentials.admin_key_sha256);
  if (!expected) {
    return false;
  }
  const Sha256 actual = sha256(bearer);
  // Constant time: the comparison must not tell how much of a guess's hash was right.
  return constant_time_equal(
      std::string_view(reinterpret_cast<const char*>(expected->data()), expected->size()),
      std::string_view(reinterpret_cast<const char*>(actual.data()), actual.size()));
}

bool address_allowed(const governance::VirtualKey& key, std::string_view client_ip) {
  if (key.allowed_ips.empty()) {
    return true;
  }
  const std::optional<IpAddress> address = parse_ip(client_ip);
  if (!address) {
    return false;
  }
  for (const std::string& allowed : key.allowed_ips) {
    const auto range = parse_cidr(allowed);
    if (range && range->contains(*address)) {
      return true;
    }
  }
  return false;
}

}  // namespace

ApiResult<Caller> authenticate(governance::Store& store, const Credentials& credentials,
                               std::string_view bearer, std::string_view client_ip,
                               governance::UnixMillis now) {
  if (bearer.empty()) {
    return std::unexpected(unauthorized(
        credentials.jwt ? "send the admin key, a virtual key or a JWT as Authorization: Bearer "
                          "<credential>"
                        : "send the admin key or a virtual key as Authorization: Bearer <key>"));
  }
  if (is_admin_key(credentials, bearer)) {
    return Caller{
        .role = Role::kAdmin, .actor = "admin", .org_id = {}, .team_id = {}, .user_id = {}};
  }
  if (credentials.jwt && looks_like_jwt(bearer)) {
    return credentials.jwt->authenticate(store, bearer, now);
  }
  if (!governance::looks_like_key_secret(bearer)) {
    return std::unexpected(unauthorized("invalid credentials"));
  }
  const std::string hash = governance::hash_key_secret(credentials.pepper, bearer);
  auto found = store.get_key_by_hash(hash);
  if (!found) {
    return std::unexpected(store_failure(found.error()));
  }
  const std::optional<governance::VirtualKey>& key = *found;
  // The previous secret of a rotated key works until the end of its grace period.
  if (!key || !key->hash_valid_at(hash, now) || (key->revoked_at != 0 && key->revoked_at <= now) ||
      (key->expires_at != 0 && key->expires_at <= now)) {
    return std::unexpected(unauthorized("invalid credentials: unknown, revoked or expired key"));
  }
  if (!address_allowed(*key, client_ip)) {
    return std::unexpected(unauthorized("this key is not allowed from this address"));
  }
  if (key->user_id.empty()) {
    return std::unexpected(forbidden(
        "this key belongs to no user: the admin API takes a user's key or the admin key"));
  }
  auto user = store.get_user(key->user_id);
  if (!user) {
    return std::unexpected(store_failure(user.error()));
  }
  const std::optional<governance::User>& owner = *user;
  if (!owner) {
    return std::unexpected(unauthorized("invalid credentials: the key's user no longer exists"));
  }
  return Caller{.role = owner->role,
                .actor = owner->id,
                .org_id = owner->org_id,
                .team_id = owner->team_id,
                .user_id = owner->id};
}

}  // namespace nexus::control::admin
