#include "control/admin/access.h"

#include <string_view>

#include "control/admin/json_io.h"

namespace nexus::control::admin {
namespace {

bool team_admin_allows(const Caller& caller, Resource resource, Access access, const Owner& owner) {
  // A team admin without a team (refused when users are written) holds nothing.
  const bool own_team = !caller.team_id.empty() && owner.team_id == caller.team_id;
  switch (resource) {
    case Resource::kOrg:
      return access == Access::kRead;
    case Resource::kTeam:
      return access == Access::kRead && own_team;
    case Resource::kUser:
    case Resource::kKey:
      return own_team;
    case Resource::kUsage:
      return access == Access::kRead && own_team;
    case Resource::kAudit:
      return false;
  }
  return false;
}

bool member_allows(const Caller& caller, Resource resource, Access access, const Owner& owner) {
  const bool own = !caller.user_id.empty() && owner.user_id == caller.user_id;
  switch (resource) {
    case Resource::kOrg:
      return access == Access::kRead;
    case Resource::kTeam:
      return access == Access::kRead && !caller.team_id.empty() && owner.team_id == caller.team_id;
    case Resource::kUser:
    case Resource::kUsage:
      return access == Access::kRead && own;
    case Resource::kKey:
      return own;
    case Resource::kAudit:
      return false;
  }
  return false;
}

std::string_view resource_name(Resource resource) {
  switch (resource) {
    case Resource::kOrg:
      return "organization";
    case Resource::kTeam:
      return "team";
    case Resource::kUser:
      return "user";
    case Resource::kKey:
      return "key";
    case Resource::kUsage:
      return "usage";
    case Resource::kAudit:
      return "audit log";
  }
  return "object";
}

}  // namespace

bool allowed(const Caller& caller, Resource resource, Access access, const Owner& owner) {
  if (caller.role == Role::kAdmin) {
    return true;
  }
  if (caller.org_id.empty() || owner.org_id != caller.org_id) {
    return false;
  }
  switch (caller.role) {
    case Role::kOrgAdmin:
      return resource != Resource::kOrg || access == Access::kRead;
    case Role::kTeamAdmin:
      return team_admin_allows(caller, resource, access, owner);
    case Role::kMember:
      return member_allows(caller, resource, access, owner);
    case Role::kViewer:
      return access == Access::kRead;
    case Role::kAdmin:
      return true;
  }
  return false;
}

bool may_grant(const Caller& caller, Role role) {
  // Roles are ordered from most to least powerful.
  return static_cast<uint8_t>(role) >= static_cast<uint8_t>(caller.role);
}

ApiResult<void> require(const Caller& caller, Resource resource, Access access,
                        const Owner& owner) {
  if (allowed(caller, resource, access, owner)) {
    return {};
  }
  std::string message = "the role ";
  message += role_name(caller.role);
  message += access == Access::kRead ? " may not read this " : " may not change this ";
  message += resource_name(resource);
  return std::unexpected(forbidden(std::move(message)));
}

}  // namespace nexus::control::admin
