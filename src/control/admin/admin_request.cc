#include "control/admin/admin_request.h"

#include <array>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace nexus::control::admin {
namespace {

using Kind = RouteMatch::Kind;

constexpr std::array kRoutes = {
    RouteSpec{"GET", "/openapi.json", RouteId::kOpenApi, false},
    RouteSpec{"GET", "/orgs", RouteId::kListOrgs, false},
    RouteSpec{"POST", "/orgs", RouteId::kCreateOrg, true},
    RouteSpec{"GET", "/orgs/{id}", RouteId::kGetOrg, false},
    RouteSpec{"PATCH", "/orgs/{id}", RouteId::kUpdateOrg, true},
    RouteSpec{"DELETE", "/orgs/{id}", RouteId::kDeleteOrg, true},
    RouteSpec{"GET", "/teams", RouteId::kListTeams, false},
    RouteSpec{"POST", "/teams", RouteId::kCreateTeam, true},
    RouteSpec{"GET", "/teams/{id}", RouteId::kGetTeam, false},
    RouteSpec{"PATCH", "/teams/{id}", RouteId::kUpdateTeam, true},
    RouteSpec{"DELETE", "/teams/{id}", RouteId::kDeleteTeam, true},
    RouteSpec{"GET", "/users", RouteId::kListUsers, false},
    RouteSpec{"POST", "/users", RouteId::kCreateUser, true},
    RouteSpec{"GET", "/users/{id}", RouteId::kGetUser, false},
    RouteSpec{"PATCH", "/users/{id}", RouteId::kUpdateUser, true},
    RouteSpec{"DELETE", "/users/{id}", RouteId::kDeleteUser, true},
    RouteSpec{"GET", "/keys", RouteId::kListKeys, false},
    RouteSpec{"POST", "/keys", RouteId::kCreateKey, true},
    RouteSpec{"GET", "/keys/{id}", RouteId::kGetKey, false},
    RouteSpec{"PATCH", "/keys/{id}", RouteId::kUpdateKey, true},
    RouteSpec{"POST", "/keys/{id}/rotate", RouteId::kRotateKey, true},
    RouteSpec{"POST", "/keys/{id}/revoke", RouteId::kRevokeKey, true},
    RouteSpec{"GET", "/usage", RouteId::kUsage, false},
    RouteSpec{"GET", "/budgets/{scope}/{id}", RouteId::kBudget, false},
    RouteSpec{"GET", "/audit", RouteId::kAudit, false},
    RouteSpec{"GET", "/ledger", RouteId::kLedger, false},
};

// The '/'-separated segments of a path that starts with '/' ("/a//b" has an empty middle one).
std::vector<std::string_view> segments_of(std::string_view path) {
  std::vector<std::string_view> segments;
  path.remove_prefix(1);
  while (true) {
    const size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      return segments;
    }
    path.remove_prefix(slash + 1);
  }
}

// Whether `segments` have the shape of `pattern`; the parameters' values go into `params`.
bool matches(std::string_view pattern, const std::vector<std::string_view>& segments,
             std::vector<std::string>& params) {
  const std::vector<std::string_view> expected = segments_of(pattern);
  if (expected.size() != segments.size()) {
    return false;
  }
  params.clear();
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i].starts_with('{')) {
      if (segments[i].empty()) {
        return false;
      }
      params.emplace_back(segments[i]);
    } else if (expected[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool parse_target(std::string_view target, AdminRequest& request) {
  const auto url = boost::urls::parse_origin_form(target);
  if (!url) {
    return false;
  }
  std::string path = url->path();  // percent-decoded
  std::map<std::string, std::string, std::less<>> query;
  boost::urls::encoding_opts options;
  options.space_as_plus = true;
  for (const auto& param : url->params(options)) {
    query[param.key] = param.has_value ? param.value : std::string{};
  }
  request.path = std::move(path);
  request.query = std::move(query);
  return true;
}

std::string_view bearer_credential(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) {
    return {};
  }
  for (size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    const char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != kScheme[i]) {
      return {};
    }
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
    token.remove_prefix(1);
  }
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
    token.remove_suffix(1);
  }
  return token;
}

std::span<const RouteSpec> admin_routes() { return kRoutes; }

RouteMatch match_route(std::string_view method, std::string_view path) {
  RouteMatch result;
  if (!path.starts_with(kApiPrefix)) {
    return result;
  }
  path.remove_prefix(kApiPrefix.size());
  if (!path.starts_with('/')) {
    return result;
  }
  const std::vector<std::string_view> segments = segments_of(path);
  std::vector<std::string> params;
  for (const RouteSpec& route : kRoutes) {
    if (!matches(route.pattern, segments, params)) {
      continue;
    }
    if (route.method != method) {
      result.kind = Kind::kWrongMethod;
      continue;
    }
    result.kind = Kind::kFound;
    result.route = &route;
    result.params = std::move(params);
    return result;
  }
  return result;
}

}  // namespace nexus::control::admin
