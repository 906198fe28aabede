// Organizations and teams.
#include "control/admin/handlers.h"
#include "governance/key_secret.h"

namespace nexus::control::admin {
namespace {

using governance::Org;
using governance::Page;
using governance::Team;

const Page kOne{.after = {}, .limit = 1};

// What still belongs to an organization, named for a 409; empty when nothing does. Revoked
// and expired keys do not count: keys are never deleted (the ledger names them).
ApiResult<std::string> org_dependents(governance::Store& store, const std::string& org_id,
                                      UnixMillis now) {
  auto teams = store.list_teams(org_id, kOne);
  if (!teams) {
    return std::unexpected(store_failure(teams.error()));
  }
  auto users = store.list_users(org_id, kOne);
  if (!users) {
    return std::unexpected(store_failure(users.error()));
  }
  auto keys = collect<governance::VirtualKey>(
      [&](const Page& page) { return store.list_keys(org_id, page); },
      [now](const governance::VirtualKey& key) { return is_live(key, now); }, kOne);
  if (!keys) {
    return std::unexpected(keys.error());
  }
  if (!teams->empty()) {
    return std::string("teams");
  }
  if (!users->empty()) {
    return std::string("users");
  }
  return std::string(keys->first.empty() ? "" : "live keys");
}

// What a change to an organization or a team may carry.
const std::initializer_list<std::string_view> kNamedFields = {"name", "limits", "model_limits",
                                                              "budget"};

// Reads a change to an organization or a team into its name and controls; the body, for the
// audit log.
ApiResult<json::object> read_named_change(const AdminRequest& request, std::string& name,
                                          governance::Controls& controls) {
  auto body = body_with_only(request, kNamedFields);
  if (!body) {
    return body;
  }
  const FieldReader fields(*body, "");
  if (auto renamed = read_new_name(fields, "name", name); !renamed) {
    return std::unexpected(renamed.error());
  }
  if (auto read = read_controls(fields, controls); !read) {
    return std::unexpected(read.error());
  }
  return body;
}

// Whether a user or a live key of the organization is in the team.
ApiResult<bool> team_in_use(governance::Store& store, const Team& team, UnixMillis now) {
  auto users = collect<governance::User>(
      [&](const Page& page) { return store.list_users(team.org_id, page); },
      [&team](const governance::User& user) { return user.team_id == team.id; }, kOne);
  if (!users) {
    return std::unexpected(users.error());
  }
  auto keys = collect<governance::VirtualKey>(
      [&](const Page& page) { return store.list_keys(team.org_id, page); },
      [&team, now](const governance::VirtualKey& key) {
        return key.team_id == team.id && is_live(key, now);
      },
      kOne);
  if (!keys) {
    return std::unexpected(keys.error());
  }
  return !users->first.empty() || !keys->first.empty();
}

}  // namespace

ApiResult<Reply> list_orgs(const Context& context) {
  auto page = page_of(context.request);
  if (!page) {
    return std::unexpected(page.error());
  }
  const auto readable = [&context](const Org& org) {
    return allowed(context.caller, Resource::kOrg, Access::kRead, owner_of(org));
  };
  auto orgs = collect<Org>([&](const Page& from) { return context.store.list_orgs(from); },
                           readable, *page);
  if (!orgs) {
    return std::unexpected(orgs.error());
  }
  return list_reply(*orgs, org_json);
}

ApiResult<Reply> create_org(const Context& context) {
  if (auto refused = require(context.caller, Resource::kOrg, Access::kWrite, Owner{}); !refused) {
    return std::unexpected(refused.error());
  }
  auto body = body_with_only(context.request, kNamedFields);
  if (!body) {
    return std::unexpected(body.error());
  }
  const FieldReader fields(*body, "");
  auto name = required_name(fields, "name");
  if (!name) {
    return std::unexpected(name.error());
  }
  Org org{.id = governance::generate_id("org"),
          .name = *name,
          .controls = {},
          .created_at = context.now};
  if (auto read = read_controls(fields, org.controls); !read) {
    return std::unexpected(read.error());
  }
  if (auto put = context.store.put_org(org); !put) {
    return std::unexpected(store_failure(put.error()));
  }
  json::object out = org_json(org);
  return Reply{.status = 201,
               .body = out,
               .action = "org.create",
               .target = org.id,
               .detail = audit_detail(org.id, out)};
}

ApiResult<Reply> get_org(const Context& context) {
  auto org = accessible_org(context, Access::kRead);
  if (!org) {
    return std::unexpected(org.error());
  }
  return Reply{.status = 200, .body = org_json(*org)};
}

ApiResult<Reply> update_org(const Context& context) {
  auto org = accessible_org(context, Access::kWrite);
  if (!org) {
    return std::unexpected(org.error());
  }
  auto body = read_named_change(context.request, org->name, org->controls);
  if (!body) {
    return std::unexpected(body.error());
  }
  if (auto put = context.store.put_org(*org); !put) {
    return std::unexpected(store_failure(put.error()));
  }
  return Reply{.status = 200,
               .body = org_json(*org),
               .action = "org.update",
               .target = org->id,
               .detail = audit_detail(org->id, *body)};
}

ApiResult<Reply> delete_org(const Context& context) {
  auto org = accessible_org(context, Access::kWrite);
  if (!org) {
    return std::unexpected(org.error());
  }
  auto dependents = org_dependents(context.store, org->id, context.now);
  if (!dependents) {
    return std::unexpected(dependents.error());
  }
  if (!dependents->empty()) {
    return std::unexpected(
        conflict("the organization still has " + *dependents + ": delete them first"));
  }
  if (auto removed = delete_dead_keys(context.store, org->id, context.now,
                                      [](const governance::VirtualKey&) { return true; });
      !removed) {
    return std::unexpected(removed.error());
  }
  if (auto deleted = context.store.delete_org(org->id); !deleted) {
    return std::unexpected(store_failure(deleted.error()));
  }
  return deletion_reply("org.delete", org->id, org->id, org->name);
}

ApiResult<Reply> list_teams(const Context& context) {
  auto page = page_of(context.request);
  if (!page) {
    return std::unexpected(page.error());
  }
  const std::string org_id = listed_org_id(context);
  const auto readable = [&context](const Team& team) {
    return allowed(context.caller, Resource::kTeam, Access::kRead, owner_of(team));
  };
  auto teams = collect<Team>(
      [&](const Page& from) { return context.store.list_teams(org_id, from); }, readable, *page);
  if (!teams) {
    return std::unexpected(teams.error());
  }
  return list_reply(*teams, team_json);
}

ApiResult<Reply> create_team(const Context& context) {
  auto body =
      body_with_only(context.request, {"name", "org_id", "limits", "model_limits", "budget"});
  if (!body) {
    return std::unexpected(body.error());
  }
  const FieldReader fields(*body, "");
  auto org_id = fields.string("org_id");
  auto name = required_name(fields, "name");
  if (!org_id || !name) {
    return std::unexpected(!org_id ? org_id.error() : name.error());
  }
  Team team{.id = governance::generate_id("team"),
            .org_id = org_id->value_or(context.caller.org_id),
            .name = *name,
            .controls = {},
            .created_at = context.now};
  if (team.org_id.empty()) {
    return std::unexpected(bad_request("org_id", "required: the team's organization"));
  }
  if (auto refused = require(context.caller, Resource::kTeam, Access::kWrite, owner_of(team));
      !refused) {
    return std::unexpected(refused.error());
  }
  if (auto org = load_org(context.store, team.org_id); !org) {
    return std::unexpected(org.error());
  }
  if (auto read = read_controls(fields, team.controls); !read) {
    return std::unexpected(read.error());
  }
  if (auto put = context.store.put_team(team); !put) {
    return std::unexpected(store_failure(put.error()));
  }
  json::object out = team_json(team);
  return Reply{.status = 201,
               .body = out,
               .action = "team.create",
               .target = team.id,
               .detail = audit_detail(team.org_id, out)};
}

ApiResult<Reply> get_team(const Context& context) {
  auto team = accessible_team(context, Access::kRead);
  if (!team) {
    return std::unexpected(team.error());
  }
  return Reply{.status = 200, .body = team_json(*team)};
}

ApiResult<Reply> update_team(const Context& context) {
  auto team = accessible_team(context, Access::kWrite);
  if (!team) {
    return std::unexpected(team.error());
  }
  auto body = read_named_change(context.request, team->name, team->controls);
  if (!body) {
    return std::unexpected(body.error());
  }
  if (auto put = context.store.put_team(*team); !put) {
    return std::unexpected(store_failure(put.error()));
  }
  return Reply{.status = 200,
               .body = team_json(*team),
               .action = "team.update",
               .target = team->id,
               .detail = audit_detail(team->org_id, *body)};
}

ApiResult<Reply> delete_team(const Context& context) {
  auto team = accessible_team(context, Access::kWrite);
  if (!team) {
    return std::unexpected(team.error());
  }
  auto in_use = team_in_use(context.store, *team, context.now);
  if (!in_use) {
    return std::unexpected(in_use.error());
  }
  if (*in_use) {
    return std::unexpected(
        conflict("the team still has users or live keys: move, delete or revoke them first"));
  }
  if (auto removed = delete_dead_keys(
          context.store, team->org_id, context.now,
          [&team](const governance::VirtualKey& key) { return key.team_id == team->id; });
      !removed) {
    return std::unexpected(removed.error());
  }
  if (auto deleted = context.store.delete_team(team->id); !deleted) {
    return std::unexpected(store_failure(deleted.error()));
  }
  return deletion_reply("team.delete", team->id, team->org_id, team->name);
}

}  // namespace nexus::control::admin
