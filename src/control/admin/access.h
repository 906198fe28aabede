// Who is calling the admin API, and what their role lets them do where.
//
// Roles (governance::Role) and their scope:
//   admin       everything (the admin key, or a user with this role)
//   org_admin   its organization: teams, users, keys, usage, budgets, audit; reads the org itself
//   team_admin  its team: reads the team; manages the team's users and keys; the team's usage
//   member      its own keys (create, rotate, revoke) and usage; reads itself, its team and org
//   viewer      reads everything in its organization; changes nothing
// Nobody grants a role more powerful than their own, nor changes a user more powerful.
#pragma once

#include <string>

#include "control/admin/api_error.h"
#include "governance/store.h"

namespace nexus::control::admin {

using governance::Role;

struct Caller {
  Role role = Role::kViewer;
  std::string actor;  // "admin" for the admin key, else the user's id (written to the audit log)
  std::string org_id;
  std::string team_id;
  std::string user_id;
};

// Where an object sits: what the scope checks compare with the caller's.
struct Owner {
  std::string org_id;
  std::string team_id;
  std::string user_id;
};

enum class Resource : uint8_t { kOrg, kTeam, kUser, kKey, kUsage, kAudit };
enum class Access : uint8_t { kRead, kWrite };

bool allowed(const Caller& caller, Resource resource, Access access, const Owner& owner);

// Whether the caller may give a user `role`, or change a user who has it.
bool may_grant(const Caller& caller, Role role);

// allowed(), or a 403 that says what was refused.
ApiResult<void> require(const Caller& caller, Resource resource, Access access, const Owner& owner);

}  // namespace nexus::control::admin
