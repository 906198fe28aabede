// What the handlers share: pages, bodies, loading by id with the access check, owners, names.
#include <charconv>

#include "control/admin/handlers.h"

namespace nexus::control::admin {
namespace {

constexpr uint32_t kDefaultPage = 100;
constexpr uint32_t kMaxPage = 1000;
constexpr size_t kMaxName = 200;

template <typename T>
ApiResult<T> loaded(Result<std::optional<T>> found, std::string_view what, const std::string& id) {
  if (!found) {
    return std::unexpected(store_failure(found.error()));
  }
  std::optional<T>& value = *found;
  if (!value) {
    return std::unexpected(not_found(what, id));
  }
  return std::move(*value);
}

// Loaded first, so that an unknown id is a 404 whoever asks; then the caller's right to it.
template <typename T>
ApiResult<T> accessible(ApiResult<T> object, const Caller& caller, Resource resource,
                        Access access) {
  if (!object) {
    return object;
  }
  if (auto refused = require(caller, resource, access, owner_of(*object)); !refused) {
    return std::unexpected(refused.error());
  }
  return object;
}

}  // namespace

ApiResult<governance::Page> page_of(const AdminRequest& request) {
  governance::Page page{.after = {}, .limit = kDefaultPage};
  if (const auto after = request.query.find("after"); after != request.query.end()) {
    page.after = after->second;
  }
  if (const auto limit = request.query.find("limit"); limit != request.query.end()) {
    const std::string& text = limit->second;
    uint32_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value == 0 ||
        value > kMaxPage) {
      return std::unexpected(bad_request("limit", "expected a number from 1 to 1000"));
    }
    page.limit = value;
  }
  return page;
}

std::string query_value(const AdminRequest& request, std::string_view name) {
  const auto found = request.query.find(name);
  return found == request.query.end() ? std::string{} : found->second;
}

std::string listed_org_id(const Context& context) {
  std::string org_id = query_value(context.request, "org_id");
  if (org_id.empty() && context.caller.role != Role::kAdmin) {
    org_id = context.caller.org_id;  // the only organization a non-admin can see
  }
  return org_id;
}

json::object list_body(json::array data, const std::string& next) {
  return json::object{{"data", std::move(data)}, {"next", id_or_null(next)}};
}

bool is_live(const governance::VirtualKey& key, UnixMillis now) {
  return (key.revoked_at == 0 || key.revoked_at > now) &&
         (key.expires_at == 0 || key.expires_at > now);
}

ApiResult<void> delete_dead_keys(governance::Store& store, const std::string& org_id,
                                 UnixMillis now,
                                 const std::function<bool(const governance::VirtualKey&)>& which) {
  governance::Page page{.after = {}, .limit = 500};
  std::vector<std::string> dead;
  while (true) {
    auto batch = store.list_keys(org_id, page);
    if (!batch) {
      return std::unexpected(store_failure(batch.error()));
    }
    for (const governance::VirtualKey& key : *batch) {
      if (!is_live(key, now) && which(key)) {
        dead.push_back(key.id);
      }
    }
    if (batch->size() < page.limit) {
      break;
    }
    page.after = batch->back().id;
  }
  for (const std::string& id : dead) {
    if (auto deleted = store.delete_key(id); !deleted) {
      return std::unexpected(store_failure(deleted.error()));
    }
  }
  return {};
}

json::object deleted_body(const std::string& id) {
  return json::object{{"id", id}, {"deleted", true}};
}

Reply deletion_reply(std::string action, const std::string& id, std::string_view org_id,
                     const std::string& name) {
  return Reply{.status = 200,
               .body = deleted_body(id),
               .action = std::move(action),
               .target = id,
               .detail = audit_detail(org_id, {{"name", name}})};
}

ApiResult<json::object> body_with_only(const AdminRequest& request,
                                       std::initializer_list<std::string_view> allowed) {
  auto body = parse_object(request.body);
  if (!body) {
    return body;
  }
  if (auto known = FieldReader(*body, "").allow_only(allowed); !known) {
    return std::unexpected(known.error());
  }
  return body;
}

ApiResult<governance::Org> load_org(governance::Store& store, const std::string& id) {
  return loaded(store.get_org(id), "organization", id);
}

ApiResult<governance::Team> load_team(governance::Store& store, const std::string& id) {
  return loaded(store.get_team(id), "team", id);
}

ApiResult<governance::User> load_user(governance::Store& store, const std::string& id) {
  return loaded(store.get_user(id), "user", id);
}

ApiResult<governance::VirtualKey> load_key(governance::Store& store, const std::string& id) {
  return loaded(store.get_key(id), "key", id);
}

ApiResult<governance::Org> accessible_org(const Context& context, Access access) {
  return accessible(load_org(context.store, context.params[0]), context.caller, Resource::kOrg,
                    access);
}

ApiResult<governance::Team> accessible_team(const Context& context, Access access) {
  return accessible(load_team(context.store, context.params[0]), context.caller, Resource::kTeam,
                    access);
}

ApiResult<governance::User> accessible_user(const Context& context, Access access) {
  return accessible(load_user(context.store, context.params[0]), context.caller, Resource::kUser,
                    access);
}

ApiResult<governance::VirtualKey> accessible_key(const Context& context, Access access) {
  return accessible(load_key(context.store, context.params[0]), context.caller, Resource::kKey,
                    access);
}

Owner owner_of(const governance::Org& org) { return {org.id, {}, {}}; }
Owner owner_of(const governance::Team& team) { return {team.org_id, team.id, {}}; }
Owner owner_of(const governance::User& user) { return {user.org_id, user.team_id, user.id}; }
Owner owner_of(const governance::VirtualKey& key) { return {key.org_id, key.team_id, key.user_id}; }

ApiResult<std::string> required_name(const FieldReader& fields, std::string_view field) {
  auto name = fields.string(field);
  if (!name) {
    return std::unexpected(name.error());
  }
  const std::optional<std::string>& value = *name;
  if (!value || value->empty() || value->size() > kMaxName) {
    return std::unexpected(
        bad_request(fields.path(field), "required: a non-empty string of at most 200 bytes"));
  }
  return *value;
}

ApiResult<void> read_new_name(const FieldReader& fields, std::string_view field,
                              std::string& name) {
  if (fields.find(field) == nullptr) {
    return {};
  }
  auto read = required_name(fields, field);
  if (!read) {
    return std::unexpected(read.error());
  }
  name = std::move(*read);
  return {};
}

json::object audit_detail(std::string_view org_id, const json::object& fields) {
  json::object detail = fields;
  detail["org_id"] = org_id;
  return detail;
}

}  // namespace nexus::control::admin
