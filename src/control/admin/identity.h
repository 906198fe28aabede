// Who is calling: the admin key (role admin), or a live virtual key of a user (that user's role
// and scope).
#pragma once

#include <string>
#include <string_view>

#include "control/admin/access.h"
#include "control/admin/api_error.h"
#include "governance/store.h"

namespace nexus::control::admin {

struct Credentials {
  std::string pepper;            // mixed into every key hash (governance::hash_key_secret)
  std::string admin_key_sha256;  // hex SHA-256 of the admin key; empty: no admin key
};

// 401 without a credential or with an unknown, revoked or expired one, or from an address the
// key does not allow; 403 for a valid key that belongs to no user (a service key).
ApiResult<Caller> authenticate(governance::Store& store, const Credentials& credentials,
                               std::string_view bearer, std::string_view client_ip,
                               governance::UnixMillis now);

}  // namespace nexus::control::admin
