// Who is calling: the admin key (role admin), a live virtual key of a user (that user's role
// and scope), or, when governance.admin.jwt is configured, an identity provider's JWT (its
// claims' role and scope; jwt_identity.h).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "control/admin/access.h"
#include "control/admin/api_error.h"
#include "governance/store.h"

namespace nexus::control::admin {

class JwtIdentity;  // jwt_identity.h

struct Credentials {
  std::string pepper;            // mixed into every key hash (governance::hash_key_secret)
  std::string admin_key_sha256;  // hex SHA-256 of the admin key; empty: no admin key
  // JWT callers; null: a token that looks like a JWT is refused like any unknown credential.
  // Shared: the settings are copied, the verifier (and its refresh thread) is one.
  std::shared_ptr<JwtIdentity> jwt;
};

// 401 without a credential or with an unknown, revoked or expired one, or from an address the
// key does not allow, or with a JWT that does not verify; 403 for a valid key that belongs to no
// user (a service key), or a JWT whose claims name no valid role and scope. The admin key is
// tried first, then a JWT (when configured and the credential looks like one), then a virtual
// key.
ApiResult<Caller> authenticate(governance::Store& store, const Credentials& credentials,
                               std::string_view bearer, std::string_view client_ip,
                               governance::UnixMillis now);

}  // namespace nexus::control::admin
