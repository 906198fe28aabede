#include "control/admin/admin_api.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "control/admin/handlers.h"
#include "control/admin/openapi.h"
#include "obs/logging.h"

namespace nexus::control::admin {
namespace {

using Handler = ApiResult<Reply> (*)(const Context&);

Handler handler_of(RouteId id) {
  switch (id) {
    case RouteId::kOpenApi:
      return nullptr;  // answered before authentication
    case RouteId::kListOrgs:
      return list_orgs;
    case RouteId::kCreateOrg:
      return create_org;
    case RouteId::kGetOrg:
      return get_org;
    case RouteId::kUpdateOrg:
      return update_org;
    case RouteId::kDeleteOrg:
      return delete_org;
    case RouteId::kListTeams:
      return list_teams;
    case RouteId::kCreateTeam:
      return create_team;
    case RouteId::kGetTeam:
      return get_team;
    case RouteId::kUpdateTeam:
      return update_team;
    case RouteId::kDeleteTeam:
      return delete_team;
    case RouteId::kListUsers:
      return list_users;
    case RouteId::kCreateUser:
      return create_user;
    case RouteId::kGetUser:
      return get_user;
    case RouteId::kUpdateUser:
      return update_user;
    case RouteId::kDeleteUser:
      return delete_user;
    case RouteId::kListKeys:
      return list_keys;
    case RouteId::kCreateKey:
      return create_key;
    case RouteId::kGetKey:
      return get_key;
    case RouteId::kUpdateKey:
      return update_key;
    case RouteId::kRotateKey:
      return rotate_key;
    case RouteId::kRevokeKey:
      return revoke_key;
    case RouteId::kUsage:
      return query_usage;
    case RouteId::kBudget:
      return budget_state;
    case RouteId::kAudit:
      return list_audit;
    case RouteId::kLedger:
      return ledger_state;
  }
  return nullptr;
}

AdminResponse error_response(const ApiError& error) {
  return AdminResponse{.status = error.status, .body = error_body(error)};
}

// An object's view as GET /<collection>/<id> shows it (JSON text), "null" when there is none
// (not created yet, deleted). The GET views never hold a secret nor a hash, which is why the
// audit log line takes them rather than the handlers' replies (a new key's secret is in one).
std::string object_view(const Context& change, std::string_view collection, const std::string& id) {
  if (id.empty()) {
    return "null";
  }
  AdminRequest get{.method = "GET",
                   .path = std::string(kApiPrefix) + "/" + std::string(collection) + "/" + id};
  const RouteMatch match = match_route(get.method, get.path);
  if (match.kind != RouteMatch::Kind::kFound || match.route->mutates) {
    return "null";
  }
  const Context context{.store = change.store,
                        .settings = change.settings,
                        .caller = change.caller,
                        .request = get,
                        .params = match.params,
                        .now = change.now};
  const ApiResult<Reply> view = handler_of(match.route->id)(context);
  return view ? to_text(view->body) : "null";
}

// The collection a change's path is under: "keys" for /admin/v1/keys/key_x/rotate.
std::string_view collection_of(std::string_view path) {
  path.remove_prefix(std::min(path.size(), kApiPrefix.size() + 1));
  return path.substr(0, path.find('/'));
}

// The process log's line for a change: who, what, the object before and after, the request id.
void log_audit(const Caller& caller, const Reply& reply, const AdminRequest& request,
               const std::string& before, const std::string& after) {
  obs::LogFields fields;
  fields.add("log", "audit")
      .add("actor", caller.actor)
      .add("action", reply.action)
      .add("target", reply.target)
      .add_json("before", before)
      .add_json("after", after)
      .add("request_id", request.request_id);
  std::string message = "admin change: ";
  message.append(reply.action);
  obs::log_with_fields(spdlog::level::info, message, fields);
}

}  // namespace

Clock system_clock() {
  return [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

AdminApi::AdminApi(governance::Store& store, AdminSettings settings, Clock clock,
                   std::function<void()> on_change)
    : store_(store),
      settings_(std::move(settings)),
      clock_(std::move(clock)),
      on_change_(std::move(on_change)) {}

AdminResponse AdminApi::handle(const AdminRequest& request) {
  const RouteMatch match = match_route(request.method, request.path);
  if (match.kind == RouteMatch::Kind::kUnknownPath) {
    return error_response(not_found("path", request.path));
  }
  if (match.kind == RouteMatch::Kind::kWrongMethod) {
    return error_response(method_not_allowed());
  }
  if (match.route->id == RouteId::kOpenApi) {
    // The API's description holds no secret: readable without credentials.
    return AdminResponse{.status = 200, .body = std::string(openapi_document())};
  }
  const UnixMillis now = clock_();
  const ApiResult<Caller> caller =
      authenticate(store_, settings_.credentials, request.bearer, request.client_ip, now);
  if (!caller) {
    return error_response(caller.error());
  }
  const Context context{.store = store_,
                        .settings = settings_,
                        .caller = *caller,
                        .request = request,
                        .params = match.params,
                        .now = now};
  const std::string_view collection = collection_of(request.path);
  const std::string before = match.route->mutates && !match.params.empty()
                                 ? object_view(context, collection, match.params.front())
                                 : std::string("null");
  ApiResult<Reply> reply = handler_of(match.route->id)(context);
  if (!reply) {
    return error_response(reply.error());
  }
  if (match.route->mutates) {
    log_audit(*caller, *reply, request, before, object_view(context, collection, reply->target));
    const governance::AuditEntry entry{.time = now,
                                       .actor = caller->actor,
                                       .action = reply->action,
                                       .target = reply->target,
                                       .detail = to_text(reply->detail)};
    // The change is made: a failed audit write cannot undo it, so it is logged loudly instead.
    if (auto written = store_.append_audit(entry); !written) {
      spdlog::error("admin API: the audit entry {} {} by {} could not be written: {}", entry.action,
                    entry.target, entry.actor, written.error().message());
    }
    if (on_change_) {
      on_change_();
    }
  }
  return AdminResponse{.status = reply->status, .body = to_text(reply->body)};
}

}  // namespace nexus::control::admin
