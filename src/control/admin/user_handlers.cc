// Users: who may call the admin API with which role, and whose keys and usage are whose.
#include "control/admin/handlers.h"
#include "governance/key_secret.h"

namespace nexus::control::admin {
namespace {

using governance::Page;
using governance::User;
using governance::VirtualKey;

const Page kOne{.after = {}, .limit = 1};

// Whether another user already has `name` (names are unique across organizations).
ApiResult<bool> name_taken(governance::Store& store, const std::string& name,
                           const std::string& except_id) {
  auto user = store.get_user_by_name(name);
  if (!user) {
    return std::unexpected(store_failure(user.error()));
  }
  const std::optional<User>& found = *user;
  return found && found->id != except_id;
}

// The team a body names (`team_id`: a team of `org_id` when that is set), or "" for none.
ApiResult<std::optional<governance::Team>> named_team(const Context& context,
                                                      const std::string& team_id,
                                                      const std::string& org_id) {
  if (team_id.empty()) {
    return std::nullopt;
  }
  auto team = context.store.get_team(team_id);
  if (!team) {
    return std::unexpected(store_failure(team.error()));
  }
  const std::optional<governance::Team>& found = *team;
  if (!found) {
    return std::unexpected(bad_request("team_id", "team '" + team_id + "' does not exist"));
  }
  if (!org_id.empty() && found->org_id != org_id) {
    return std::unexpected(bad_request("team_id", "the team belongs to another organization"));
  }
  return found;
}

ApiResult<void> check_role(const Context& context, const User& user) {
  if (user.role == Role::kTeamAdmin && user.team_id.empty()) {
    return std::unexpected(bad_request("team_id", "a team_admin needs a team"));
  }
  if (!may_grant(context.caller, user.role)) {
    return std::unexpected(forbidden("the role " + std::string(role_name(context.caller.role)) +
                                     " may not give the role " +
                                     std::string(role_name(user.role))));
  }
  return {};
}

// Reads name, team_id, role and the controls into `user` (org_id is fixed by then).
ApiResult<void> read_user(const Context& context, const FieldReader& fields, User& user) {
  if (auto renamed = read_new_name(fields, "name", user.name); !renamed) {
    return renamed;
  }
  auto team_id = fields.string("team_id");
  auto role = fields.string("role");
  if (!team_id || !role) {
    return std::unexpected(!team_id ? team_id.error() : role.error());
  }
  if (const std::optional<std::string>& team_text = *team_id; team_text) {
    auto team = named_team(context, *team_text, user.org_id);
    if (!team) {
      return std::unexpected(team.error());
    }
    user.team_id = *team_text;
  }
  if (const std::optional<std::string>& role_text = *role; role_text) {
    const auto parsed = parse_role(*role_text);
    if (!parsed) {
      return std::unexpected(
          bad_request("role", "expected admin, org_admin, team_admin, member or viewer"));
    }
    user.role = *parsed;
  }
  return read_controls(fields, user.controls);
}

// Keys carry their user's team: moving a user moves its keys.
ApiResult<void> move_keys(governance::Store& store, const User& user) {
  Page page{.after = {}, .limit = 500};
  while (true) {
    auto batch = store.list_keys(user.org_id, page);
    if (!batch) {
      return std::unexpected(store_failure(batch.error()));
    }
    for (VirtualKey& key : *batch) {
      if (key.user_id != user.id || key.team_id == user.team_id) {
        continue;
      }
      key.team_id = user.team_id;
      if (auto put = store.put_key(key); !put) {
        return std::unexpected(store_failure(put.error()));
      }
    }
    if (batch->size() < page.limit) {
      return {};
    }
    page.after = batch->back().id;
  }
}

}  // namespace

ApiResult<Reply> list_users(const Context& context) {
  auto page = page_of(context.request);
  if (!page) {
    return std::unexpected(page.error());
  }
  const std::string org_id = listed_org_id(context);
  const std::string team_id = query_value(context.request, "team_id");
  const auto keep = [&](const User& user) {
    return (team_id.empty() || user.team_id == team_id) &&
           allowed(context.caller, Resource::kUser, Access::kRead, owner_of(user));
  };
  auto users = collect<User>(
      [&](const Page& from) { return context.store.list_users(org_id, from); }, keep, *page);
  if (!users) {
    return std::unexpected(users.error());
  }
  return list_reply(*users, user_json);
}

ApiResult<Reply> create_user(const Context& context) {
  auto body = body_with_only(
      context.request, {"name", "org_id", "team_id", "role", "limits", "model_limits", "budget"});
  if (!body) {
    return std::unexpected(body.error());
  }
  const FieldReader fields(*body, "");
  auto name = required_name(fields, "name");
  auto org_id = fields.string("org_id");
  auto team_id = fields.string("team_id");
  if (!name || !org_id || !team_id) {
    return std::unexpected(!name ? name.error() : !org_id ? org_id.error() : team_id.error());
  }
  User user{.id = governance::generate_id("user"),
            .org_id = org_id->value_or(""),
            .team_id = {},
            .name = *name,
            .role = Role::kMember,
            .controls = {},
            .created_at = context.now};
  auto team = named_team(context, team_id->value_or(""), user.org_id);
  if (!team) {
    return std::unexpected(team.error());
  }
  if (user.org_id.empty()) {
    const std::optional<governance::Team>& found = *team;
    user.org_id = found ? found->org_id : context.caller.org_id;
  }
  if (user.org_id.empty()) {
    return std::unexpected(bad_request("org_id", "required: the user's organization"));
  }
  if (auto read = read_user(context, fields, user); !read) {
    return std::unexpected(read.error());
  }
  if (auto refused = require(context.caller, Resource::kUser, Access::kWrite, owner_of(user));
      !refused) {
    return std::unexpected(refused.error());
  }
  if (auto role = check_role(context, user); !role) {
    return std::unexpected(role.error());
  }
  if (auto org = context.store.get_org(user.org_id); !org || !*org) {
    return std::unexpected(
        org ? bad_request("org_id", "organization '" + user.org_id + "' does not exist")
            : store_failure(org.error()));
  }
  auto taken = name_taken(context.store, user.name, user.id);
  if (!taken) {
    return std::unexpected(taken.error());
  }
  if (*taken) {
    return std::unexpected(conflict("a user named '" + user.name + "' already exists"));
  }
  if (auto put = context.store.put_user(user); !put) {
    return std::unexpected(store_failure(put.error()));
  }
  json::object out = user_json(user);
  return Reply{.status = 201,
               .body = out,
               .action = "user.create",
               .target = user.id,
               .detail = audit_detail(user.org_id, out)};
}

ApiResult<Reply> get_user(const Context& context) {
  auto user = accessible_user(context, Access::kRead);
  if (!user) {
    return std::unexpected(user.error());
  }
  return Reply{.status = 200, .body = user_json(*user)};
}

ApiResult<Reply> update_user(const Context& context) {
  auto user = accessible_user(context, Access::kWrite);
  if (!user) {
    return std::unexpected(user.error());
  }
  if (auto role = check_role(context, *user); !role) {
    return std::unexpected(role.error());  // a user more powerful than the caller
  }
  auto body = body_with_only(context.request,
                             {"name", "team_id", "role", "limits", "model_limits", "budget"});
  if (!body) {
    return std::unexpected(body.error());
  }
  const FieldReader fields(*body, "");
  User updated = *user;
  if (auto read = read_user(context, fields, updated); !read) {
    return std::unexpected(read.error());
  }
  if (auto refused = require(context.caller, Resource::kUser, Access::kWrite, owner_of(updated));
      !refused) {
    return std::unexpected(refused.error());  // moved out of the caller's scope
  }
  if (auto role = check_role(context, updated); !role) {
    return std::unexpected(role.error());
  }
  if (updated.name != user->name) {
    auto taken = name_taken(context.store, updated.name, updated.id);
    if (!taken) {
      return std::unexpected(taken.error());
    }
    if (*taken) {
      return std::unexpected(conflict("a user named '" + updated.name + "' already exists"));
    }
  }
  if (auto put = context.store.put_user(updated); !put) {
    return std::unexpected(store_failure(put.error()));
  }
  if (updated.team_id != user->team_id) {
    if (auto moved = move_keys(context.store, updated); !moved) {
      return std::unexpected(moved.error());
    }
  }
  return Reply{.status = 200,
               .body = user_json(updated),
               .action = "user.update",
               .target = updated.id,
               .detail = audit_detail(updated.org_id, *body)};
}

ApiResult<Reply> delete_user(const Context& context) {
  auto user = accessible_user(context, Access::kWrite);
  if (!user) {
    return std::unexpected(user.error());
  }
  if (auto role = check_role(context, *user); !role) {
    return std::unexpected(role.error());
  }
  auto keys = collect<VirtualKey>(
      [&](const Page& page) { return context.store.list_keys(user->org_id, page); },
      [&](const VirtualKey& key) { return key.user_id == user->id && is_live(key, context.now); },
      kOne);
  if (!keys) {
    return std::unexpected(keys.error());
  }
  if (!keys->first.empty()) {
    return std::unexpected(conflict("the user still has live keys: revoke them first"));
  }
  // Its revoked and expired keys go with it (their usage stays in the ledger).
  if (auto removed =
          delete_dead_keys(context.store, user->org_id, context.now,
                           [&](const VirtualKey& key) { return key.user_id == user->id; });
      !removed) {
    return std::unexpected(removed.error());
  }
  if (auto deleted = context.store.delete_user(user->id); !deleted) {
    return std::unexpected(store_failure(deleted.error()));
  }
  return deletion_reply("user.delete", user->id, user->org_id, user->name);
}

}  // namespace nexus::control::admin
