// The admin API's requests and responses as plain values, and its router: which route a method
// and path name, with the path's parameters. Apart from any transport, so that handlers are
// tested without sockets and the parsing of untrusted input is fuzzed (tests/fuzz/admin_request).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nexus::control::admin {

inline constexpr std::string_view kApiPrefix = "/admin/v1";

struct AdminRequest {
  std::string method;  // "GET", "POST", "PATCH", "DELETE"
  std::string path;    // percent-decoded, without the query ("/admin/v1/keys/key_x")
  std::map<std::string, std::string, std::less<>> query;  // decoded; the last of a repeated name
  std::string body;
  std::string bearer;     // the credential of "Authorization: Bearer ..." (empty if none)
  std::string client_ip;  // the peer's address, as text
  // The client's X-Request-Id when sane, else a new one: in the audit log line and the reply.
  std::string request_id;
};

struct AdminResponse {
  int status = 200;
  std::string body;  // JSON
};

// Fills `request.path` and `request.query` from an origin-form target ("/a/b?x=1&y=%20").
// False (nothing filled) when the target is not one: no leading '/', bad percent-encoding.
bool parse_target(std::string_view target, AdminRequest& request);

// The credential of an Authorization header value, "Bearer <token>" (scheme case-insensitive);
// empty for any other scheme.
std::string_view bearer_credential(std::string_view authorization);

enum class RouteId : uint8_t {
  kOpenApi,
  kListOrgs,
  kCreateOrg,
  kGetOrg,
  kUpdateOrg,
  kDeleteOrg,
  kListTeams,
  kCreateTeam,
  kGetTeam,
  kUpdateTeam,
  kDeleteTeam,
  kListUsers,
  kCreateUser,
  kGetUser,
  kUpdateUser,
  kDeleteUser,
  kListKeys,
  kCreateKey,
  kGetKey,
  kUpdateKey,
  kRotateKey,
  kRevokeKey,
  kUsage,
  kBudget,
  kAudit,
  kLedger,
};

struct RouteSpec {
  std::string_view method;
  std::string_view pattern;  // under kApiPrefix; "{name}" matches one non-empty segment
  RouteId id;
  bool mutates;  // audited, and the data plane is told
};

// Every route, in the order they are tried.
std::span<const RouteSpec> admin_routes();

struct RouteMatch {
  enum class Kind : uint8_t { kFound, kUnknownPath, kWrongMethod } kind = Kind::kUnknownPath;
  const RouteSpec* route = nullptr;  // when found
  std::vector<std::string> params;   // the "{...}" segments, in order
};

RouteMatch match_route(std::string_view method, std::string_view path);

}  // namespace nexus::control::admin
