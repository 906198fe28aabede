// Reports: usage by key, user, team, organization, model or day; a scope's limits and budget
// state; the audit log.
#include <boost/json/parse.hpp>
#include <charconv>

#include "control/admin/handlers.h"
#include "control/admin/time_text.h"

namespace nexus::control::admin {
namespace {

using governance::ScopeKind;

struct Scope {
  std::optional<ScopeKind> kind;
  std::string id;
  Owner owner;
  governance::Controls controls;
};

// The stored scope `kind`/`id`: its owner (for the access check) and controls; 404 if unknown.
ApiResult<Scope> load_scope(governance::Store& store, ScopeKind kind, const std::string& id) {
  Scope scope{.kind = kind, .id = id, .owner = {}, .controls = {}};
  const auto fill = [&scope](auto loaded) -> ApiResult<Scope> {
    if (!loaded) {
      return std::unexpected(loaded.error());
    }
    scope.owner = owner_of(*loaded);
    scope.controls = loaded->controls;
    return scope;
  };
  switch (kind) {
    case ScopeKind::kOrg:
      return fill(load_org(store, id));
    case ScopeKind::kTeam:
      return fill(load_team(store, id));
    case ScopeKind::kUser:
      return fill(load_user(store, id));
    case ScopeKind::kKey:
      return fill(load_key(store, id));
  }
  return scope;
}

// The scope a usage query names (at most one of org_id, team_id, user_id, key_id), or the
// caller's own when it names none: an admin's is everything.
ApiResult<Scope> usage_scope(const Context& context) {
  std::optional<ScopeKind> named;
  std::string id;
  for (const ScopeKind kind :
       {ScopeKind::kOrg, ScopeKind::kTeam, ScopeKind::kUser, ScopeKind::kKey}) {
    std::string name(scope_name(kind));
    name += "_id";
    std::string value = query_value(context.request, name);
    if (value.empty()) {
      continue;
    }
    if (named) {
      return std::unexpected(
          bad_request(name, "give at most one of org_id, team_id, user_id and key_id"));
    }
    named = kind;
    id = std::move(value);
  }
  if (!named) {
    const Caller& caller = context.caller;
    switch (caller.role) {
      case Role::kAdmin:
        return Scope{};
      case Role::kOrgAdmin:
      case Role::kViewer:
        named = ScopeKind::kOrg;
        id = caller.org_id;
        break;
      case Role::kTeamAdmin:
        named = ScopeKind::kTeam;
        id = caller.team_id;
        break;
      case Role::kMember:
        named = ScopeKind::kUser;
        id = caller.user_id;
        break;
    }
  }
  if (!named) {
    return Scope{};
  }
  return load_scope(context.store, *named, id);
}

std::optional<governance::UsageGroup> parse_group(std::string_view text) {
  using governance::UsageGroup;
  constexpr std::pair<std::string_view, UsageGroup> kGroups[] = {
      {"key", UsageGroup::kKey}, {"user", UsageGroup::kUser},   {"team", UsageGroup::kTeam},
      {"org", UsageGroup::kOrg}, {"model", UsageGroup::kModel}, {"day", UsageGroup::kDay}};
  for (const auto& [name, group] : kGroups) {
    if (name == text) {
      return group;
    }
  }
  return std::nullopt;
}

// A time query parameter (RFC 3339 or a date); `fallback` when absent.
ApiResult<UnixMillis> time_param(const AdminRequest& request, std::string_view name,
                                 UnixMillis fallback) {
  const std::string text = query_value(request, name);
  if (text.empty()) {
    return fallback;
  }
  const std::optional<UnixMillis> time = parse_time(text);
  if (!time) {
    return std::unexpected(
        bad_request(std::string(name), "expected an RFC 3339 time or a date (2026-01-31)"));
  }
  return *time;
}

// The audit log's cursor: the time of the last entry read and how many entries of that
// millisecond were read ("<ms>.<count>"), so that a page boundary never skips nor repeats.
struct AuditCursor {
  UnixMillis time = 0;
  uint32_t seen = 0;
};

// The whole of `text` as a number.
template <typename Number>
bool read_number(std::string_view text, Number& value) {
  const std::string digits(text);
  const char* end = digits.data() + digits.size();
  const auto read = std::from_chars(digits.data(), end, value);
  return !digits.empty() && read.ec == std::errc{} && read.ptr == end;
}

std::optional<AuditCursor> parse_cursor(std::string_view text) {
  const size_t dot = text.find('.');
  AuditCursor cursor;
  if (dot == std::string_view::npos || !read_number(text.substr(0, dot), cursor.time) ||
      !read_number(text.substr(dot + 1), cursor.seen)) {
    return std::nullopt;
  }
  return cursor;
}

// What this process's counters say of the scope right now, next to the ledger's spend: requests
// in flight and the cost they hold, and this minute's requests and tokens.
void add_live_state(const Context& context, ScopeKind kind, const std::string& id,
                    json::object& body) {
  if (!context.settings.live_scope) {
    return;
  }
  const std::optional<governance::ScopeView> view = context.settings.live_scope(kind, id);
  if (!view) {
    return;
  }
  body["live"] = json::object{{"in_flight", view->in_flight},
                              {"reserved_usd", usd_of(view->reserved)},
                              {"requests_this_minute", view->requests_this_minute},
                              {"tokens_this_minute", view->tokens_this_minute}};
}

}  // namespace

ApiResult<Reply> query_usage(const Context& context) {
  const std::string group_text = query_value(context.request, "group_by");
  const auto group = parse_group(group_text.empty() ? "day" : group_text);
  if (!group) {
    return std::unexpected(bad_request("group_by", "expected key, user, team, org, model or day"));
  }
  auto from = time_param(context.request, "from", 0);
  auto to = time_param(context.request, "to", context.now);
  auto page = page_of(context.request);
  if (!from || !to || !page) {
    return std::unexpected(!from ? from.error() : !to ? to.error() : page.error());
  }
  auto scope = usage_scope(context);
  if (!scope) {
    return std::unexpected(scope.error());
  }
  if (scope->kind) {
    if (auto refused = require(context.caller, Resource::kUsage, Access::kRead, scope->owner);
        !refused) {
      return std::unexpected(refused.error());
    }
  }
  const governance::UsageQuery query{.group_by = *group,
                                     .from = *from,
                                     .to = *to,
                                     .scope = scope->kind,
                                     .scope_id = scope->id,
                                     .page = *page};
  auto rows = context.store.query_usage(query);
  if (!rows) {
    return std::unexpected(store_failure(rows.error()));
  }
  json::array data;
  for (const governance::UsageRow& row : *rows) {
    data.emplace_back(usage_row_json(row));
  }
  const std::string next = rows->size() == page->limit ? rows->back().group : "";
  json::object body = list_body(std::move(data), next);
  body["group_by"] = group_text.empty() ? "day" : group_text;
  body["from"] = format_time(*from);
  body["to"] = format_time(*to);
  if (const std::optional<ScopeKind>& kind = scope->kind; kind) {
    body["scope"] = json::object{{"kind", scope_name(*kind)}, {"id", scope->id}};
  }
  return Reply{.status = 200, .body = std::move(body)};
}

ApiResult<Reply> budget_state(const Context& context) {
  const auto kind = parse_scope(context.params[0]);
  if (!kind) {
    return std::unexpected(bad_request("scope", "expected org, team, user or key"));
  }
  auto scope = load_scope(context.store, *kind, context.params[1]);
  if (!scope) {
    return std::unexpected(scope.error());
  }
  if (auto refused = require(context.caller, Resource::kUsage, Access::kRead, scope->owner);
      !refused) {
    return std::unexpected(refused.error());
  }
  json::object body{{"scope", scope_name(*kind)}, {"id", scope->id}};
  write_controls(scope->controls, body);
  const std::optional<governance::Budget>& budget = scope->controls.budget;
  if (!budget) {
    body["period"] = nullptr;
    body["spend_usd"] = nullptr;
    return Reply{.status = 200, .body = std::move(body)};
  }
  if (!context.settings.time_zone) {
    return std::unexpected(ApiError{
        500, "server_error", "no_time_zone", "the admin API was started without a time zone", {}});
  }
  const governance::PeriodBounds bounds =
      governance::period_bounds(budget->period, context.now, *context.settings.time_zone);
  auto spent = context.store.spend(*kind, scope->id, bounds.start);
  if (!spent) {
    return std::unexpected(store_failure(spent.error()));
  }
  const bool ends = budget->period != governance::BudgetPeriod::kTotal;
  body["period"] = json::object{{"start", format_time(bounds.start)},
                                {"end", ends ? json::value(format_time(bounds.end)) : nullptr}};
  body["resets_at"] = ends ? json::value(format_time(bounds.end)) : nullptr;
  body["spend_usd"] = usd_of(*spent);
  body["remaining_usd"] = budget->hard == 0
                              ? json::value(nullptr)
                              : json::value(usd_of(std::max<NanoUsd>(0, budget->hard - *spent)));
  body["hard_exceeded"] = budget->hard != 0 && *spent >= budget->hard;
  body["soft_exceeded"] = budget->soft != 0 && *spent >= budget->soft;
  add_live_state(context, *kind, scope->id, body);
  return Reply{.status = 200, .body = std::move(body)};
}

ApiResult<Reply> ledger_state(const Context& context) {
  if (context.caller.role != Role::kAdmin) {
    return std::unexpected(ApiError{403,
                                    "permission_error",
                                    "insufficient_permissions",
                                    "only the admin may read the ledger's state",
                                    {}});
  }
  if (!context.settings.ledger_stats) {
    return std::unexpected(
        ApiError{404, "invalid_request_error", "not_found", "this server has no usage ledger", {}});
  }
  const governance::LedgerWriter::Stats stats = context.settings.ledger_stats();
  json::object body{{"pending", stats.pending},
                    {"pending_high_water", stats.pending_high_water},
                    {"records_written", stats.records_written},
                    {"batches", stats.batches},
                    {"commit_failures", stats.commit_failures},
                    {"retries", stats.retries},
                    {"abandoned", stats.abandoned},
                    {"last_commit_us", stats.last_commit.count()}};
  return Reply{.status = 200, .body = std::move(body)};
}

ApiResult<Reply> list_audit(const Context& context) {
  const Caller& caller = context.caller;
  if (auto refused = require(caller, Resource::kAudit, Access::kRead, Owner{caller.org_id, {}, {}});
      !refused) {
    return std::unexpected(refused.error());
  }
  auto from = time_param(context.request, "from", 0);
  auto page = page_of(context.request);
  if (!from || !page) {
    return std::unexpected(!from ? from.error() : page.error());
  }
  AuditCursor cursor{.time = *from, .seen = 0};
  if (!page->after.empty()) {
    const auto parsed = parse_cursor(page->after);
    if (!parsed) {
      return std::unexpected(bad_request("after", "expected the `next` of a previous page"));
    }
    cursor = *parsed;
  }
  const auto readable = [&caller](const governance::AuditEntry& entry) {
    if (caller.role == Role::kAdmin) {
      return true;
    }
    boost::system::error_code error;
    const json::value detail = json::parse(entry.detail, error);
    const json::value* org =
        error || !detail.is_object() ? nullptr : detail.get_object().if_contains("org_id");
    return org != nullptr && org->is_string() && org->get_string() == caller.org_id;
  };
  json::array data;
  while (true) {
    const uint32_t wanted = cursor.seen + page->limit;
    auto batch = context.store.list_audit(cursor.time, wanted);
    if (!batch) {
      return std::unexpected(store_failure(batch.error()));
    }
    uint32_t to_skip = cursor.seen;
    for (const governance::AuditEntry& entry : *batch) {
      if (entry.time == cursor.time && to_skip > 0) {
        --to_skip;  // read on an earlier page
        continue;
      }
      to_skip = 0;
      cursor.seen = entry.time == cursor.time ? cursor.seen + 1 : 1;
      cursor.time = entry.time;
      if (!readable(entry)) {
        continue;
      }
      data.emplace_back(audit_json(entry));
      if (data.size() == page->limit) {
        return Reply{.status = 200,
                     .body = list_body(std::move(data), std::to_string(cursor.time) + "." +
                                                            std::to_string(cursor.seen))};
      }
    }
    if (batch->size() < wanted) {
      return Reply{.status = 200, .body = list_body(std::move(data), "")};
    }
  }
}

}  // namespace nexus::control::admin
