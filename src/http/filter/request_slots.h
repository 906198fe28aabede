// Per-request values that several filters share (see slots.h). A filter that produces one stores
// it; the others read it. New shared values are declared here, next to these.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/filter/slots.h"

namespace nexus::filter {

// Who made the request, as the auth filter established it. Read by rate_limit (key: identity),
// access_log and, later, budgets.
struct Identity {
  std::string method;   // "api_key", "basic" or "jwt"
  std::string subject;  // the key's name, the Basic user name, or the JWT "sub"
  std::string key_id;   // the API key's id or the JWT "kid"; may be empty
  // Top-level JWT claims whose value is a string, number or boolean, as text (arrays and
  // objects are left out), in token order.
  std::vector<std::pair<std::string, std::string>> claims;
};
inline const SlotKey<Identity> kIdentity;

// The request's id (request_id filter), for logs and for headers sent on; the text is in the
// exchange's arena.
inline const SlotKey<std::string_view> kRequestId;

}  // namespace nexus::filter
