// The admin API's handlers (internal to src/control/admin): one function per route, called by
// AdminApi::handle with the caller already authenticated. A handler checks the caller's role
// and scope itself (it knows the object's owner), and describes a change for the audit log.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "control/admin/access.h"
#include "control/admin/admin_api.h"
#include "control/admin/json_io.h"

namespace nexus::control::admin {

struct Context {
  governance::Store& store;
  const AdminSettings& settings;
  const Caller& caller;
  const AdminRequest& request;
  const std::vector<std::string>& params;  // the path's "{...}" segments
  UnixMillis now;
};

struct Reply {
  int status = 200;
  json::value body;
  // For a change: the audit entry's action ("key.create"), target id and detail (never a
  // secret; "org_id" always set, so that an organization's audit log can be read apart).
  std::string action;
  std::string target;
  json::object detail;
};

ApiResult<Reply> list_orgs(const Context& context);
ApiResult<Reply> create_org(const Context& context);
ApiResult<Reply> get_org(const Context& context);
ApiResult<Reply> update_org(const Context& context);
ApiResult<Reply> delete_org(const Context& context);

ApiResult<Reply> list_teams(const Context& context);
ApiResult<Reply> create_team(const Context& context);
ApiResult<Reply> get_team(const Context& context);
ApiResult<Reply> update_team(const Context& context);
ApiResult<Reply> delete_team(const Context& context);

ApiResult<Reply> list_users(const Context& context);
ApiResult<Reply> create_user(const Context& context);
ApiResult<Reply> get_user(const Context& context);
ApiResult<Reply> update_user(const Context& context);
ApiResult<Reply> delete_user(const Context& context);

ApiResult<Reply> list_keys(const Context& context);
ApiResult<Reply> create_key(const Context& context);
ApiResult<Reply> get_key(const Context& context);
ApiResult<Reply> update_key(const Context& context);
ApiResult<Reply> rotate_key(const Context& context);
ApiResult<Reply> revoke_key(const Context& context);

ApiResult<Reply> query_usage(const Context& context);
ApiResult<Reply> budget_state(const Context& context);
ApiResult<Reply> list_audit(const Context& context);
ApiResult<Reply> ledger_state(const Context& context);

// --- shared by the handlers ---------------------------------------------------------------

// `after` and `limit` (1..1000, default 100) of a list's query.
ApiResult<governance::Page> page_of(const AdminRequest& request);

// A query parameter's value; "" when it is absent.
std::string query_value(const AdminRequest& request, std::string_view name);

// The organization a list reads: the query's org_id, else the caller's own for anyone but an
// admin ("" for an admin: every organization).
std::string listed_org_id(const Context& context);

// A list body: {"data": [...], "next": "<cursor>" | null}.
json::object list_body(json::array data, const std::string& next);

// A page of the objects `fetch` lists (by id, from page.after) that `keep` accepts: pages are
// fetched until `page.limit` are kept or the store has no more. `next` is the last kept id
// when the page is full.
template <typename T, typename Fetch, typename Keep>
ApiResult<std::pair<std::vector<T>, std::string>> collect(Fetch fetch, Keep keep,
                                                          governance::Page page) {
  std::vector<T> kept;
  while (true) {
    Result<std::vector<T>> batch = fetch(page);
    if (!batch) {
      return std::unexpected(store_failure(batch.error()));
    }
    if (batch->size() == page.limit) {
      page.after = batch->back().id;  // before the items are moved out
    }
    for (T& item : *batch) {
      if (keep(item)) {
        kept.push_back(std::move(item));
        if (kept.size() == page.limit) {
          std::string next = kept.back().id;
          return std::pair{std::move(kept), std::move(next)};
        }
      }
    }
    if (batch->size() < page.limit) {
      return std::pair{std::move(kept), std::string{}};
    }
  }
}

// The 200 reply to a list: each object as `to_json` writes it, and the cursor of the next page.
template <typename T, typename ToJson>
Reply list_reply(const std::pair<std::vector<T>, std::string>& listed, ToJson to_json) {
  json::array data;
  for (const T& item : listed.first) {
    data.emplace_back(to_json(item));
  }
  return Reply{.status = 200, .body = list_body(std::move(data), listed.second)};
}

// The body of a deletion: {"id": ..., "deleted": true}.
json::object deleted_body(const std::string& id);

// The 200 reply to a deletion, audited as `action` with the deleted object's name.
Reply deletion_reply(std::string action, const std::string& id, std::string_view org_id,
                     const std::string& name);

// A request body: a JSON object (empty when there is none) whose fields are all in `allowed`;
// a 400 otherwise. A FieldReader reads it.
ApiResult<json::object> body_with_only(const AdminRequest& request,
                                       std::initializer_list<std::string_view> allowed);

// Whether a key still works, or will until its rotation's grace period ends.
bool is_live(const governance::VirtualKey& key, UnixMillis now);

// Deletes the organization's revoked and expired keys that `which` selects (the store refuses
// to delete an owner that keys still name).
ApiResult<void> delete_dead_keys(governance::Store& store, const std::string& org_id,
                                 UnixMillis now,
                                 const std::function<bool(const governance::VirtualKey&)>& which);

// The stored object, or a 404.
ApiResult<governance::Org> load_org(governance::Store& store, const std::string& id);
ApiResult<governance::Team> load_team(governance::Store& store, const std::string& id);
ApiResult<governance::User> load_user(governance::Store& store, const std::string& id);
ApiResult<governance::VirtualKey> load_key(governance::Store& store, const std::string& id);

// The object the path's "{id}" names, if the caller may read or change it (`access`): a 404
// when there is none, a 403 when the caller's role or scope refuses it.
ApiResult<governance::Org> accessible_org(const Context& context, Access access);
ApiResult<governance::Team> accessible_team(const Context& context, Access access);
ApiResult<governance::User> accessible_user(const Context& context, Access access);
ApiResult<governance::VirtualKey> accessible_key(const Context& context, Access access);

Owner owner_of(const governance::Org& org);
Owner owner_of(const governance::Team& team);
Owner owner_of(const governance::User& user);
Owner owner_of(const governance::VirtualKey& key);

// A name a body must carry: present, a non-empty string of at most 200 bytes.
ApiResult<std::string> required_name(const FieldReader& fields, std::string_view field);

// A name a change may carry: when the body has `field`, it must be a valid name and replaces
// `name`; otherwise `name` stays.
ApiResult<void> read_new_name(const FieldReader& fields, std::string_view field, std::string& name);

// The changes every mutation reports: the object's new JSON minus what is never logged.
json::object audit_detail(std::string_view org_id, const json::object& fields);

}  // namespace nexus::control::admin
