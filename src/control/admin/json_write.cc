// Writing the stored objects as the API shows them, and the names of roles, periods and scopes.
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>

#include "control/admin/json_io.h"
#include "control/admin/time_text.h"

namespace nexus::control::admin {
namespace {

using governance::BudgetPeriod;
using governance::Role;
using governance::ScopeKind;

constexpr double kNanoPerUsd = 1e9;

void append_text(const json::value& value, std::string& out) {
  switch (value.kind()) {
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [name, item] : value.get_object()) {
        if (!first) {
          out += ',';
        }
        first = false;
        out += json::serialize(json::string_view(name));
        out += ':';
        append_text(item, out);
      }
      out += '}';
      return;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const json::value& item : value.get_array()) {
        if (!first) {
          out += ',';
        }
        first = false;
        append_text(item, out);
      }
      out += ']';
      return;
    }
    case json::kind::double_: {
      const double number = value.get_double();
      if (!std::isfinite(number)) {
        out += "null";
        return;
      }
      std::array<char, 32> digits{};
      const auto written = std::to_chars(digits.data(), digits.data() + digits.size(), number);
      out.append(digits.data(), written.ptr);
      return;
    }
    default:
      out += json::serialize(value);
  }
}

}  // namespace

std::string to_text(const json::value& value) {
  std::string out;
  append_text(value, out);
  return out;
}

std::string_view role_name(governance::Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kOrgAdmin:
      return "org_admin";
    case Role::kTeamAdmin:
      return "team_admin";
    case Role::kMember:
      return "member";
    case Role::kViewer:
      return "viewer";
  }
  return "viewer";
}

std::optional<governance::Role> parse_role(std::string_view text) {
  for (const Role role :
       {Role::kAdmin, Role::kOrgAdmin, Role::kTeamAdmin, Role::kMember, Role::kViewer}) {
    if (role_name(role) == text) {
      return role;
    }
  }
  return std::nullopt;
}

std::string_view period_name(governance::BudgetPeriod period) {
  switch (period) {
    case BudgetPeriod::kDaily:
      return "daily";
    case BudgetPeriod::kWeekly:
      return "weekly";
    case BudgetPeriod::kMonthly:
      return "monthly";
    case BudgetPeriod::kTotal:
      return "total";
  }
  return "total";
}

std::optional<governance::BudgetPeriod> parse_period(std::string_view text) {
  for (const BudgetPeriod period : {BudgetPeriod::kDaily, BudgetPeriod::kWeekly,
                                    BudgetPeriod::kMonthly, BudgetPeriod::kTotal}) {
    if (period_name(period) == text) {
      return period;
    }
  }
  return std::nullopt;
}

std::string_view scope_name(governance::ScopeKind scope) {
  switch (scope) {
    case ScopeKind::kOrg:
      return "org";
    case ScopeKind::kTeam:
      return "team";
    case ScopeKind::kUser:
      return "user";
    case ScopeKind::kKey:
      return "key";
  }
  return "key";
}

std::optional<governance::ScopeKind> parse_scope(std::string_view text) {
  for (const ScopeKind scope :
       {ScopeKind::kOrg, ScopeKind::kTeam, ScopeKind::kUser, ScopeKind::kKey}) {
    if (scope_name(scope) == text) {
      return scope;
    }
  }
  return std::nullopt;
}

double usd_of(NanoUsd amount) { return static_cast<double>(amount) / kNanoPerUsd; }

json::value time_or_null(UnixMillis time) {
  if (time == 0) {
    return nullptr;
  }
  json::value text(format_time(time));
  return text;
}

json::value id_or_null(const std::string& id) {
  if (id.empty()) {
    return nullptr;
  }
  json::value text(id);
  return text;
}

void write_controls(const governance::Controls& controls, json::object& out) {
  const auto limits_json = [](const governance::Limits& limits) {
    return json::object{
        {"rpm", limits.rpm}, {"tpm", limits.tpm}, {"max_parallel", limits.max_parallel}};
  };
  out["limits"] = limits_json(controls.limits);
  json::array models;
  for (const governance::ModelLimits& model : controls.model_limits) {
    json::object entry = limits_json(model.limits);
    entry["model"] = model.model;
    models.emplace_back(std::move(entry));
  }
  out["model_limits"] = std::move(models);
  if (controls.budget) {
    out["budget"] = json::object{{"hard_usd", usd_of(controls.budget->hard)},
                                 {"soft_usd", usd_of(controls.budget->soft)},
                                 {"period", period_name(controls.budget->period)}};
  } else {
    out["budget"] = nullptr;
  }
}

json::object org_json(const governance::Org& org) {
  json::object out{{"id", org.id}, {"name", org.name}};
  write_controls(org.controls, out);
  out["created_at"] = time_or_null(org.created_at);
  return out;
}

json::object team_json(const governance::Team& team) {
  json::object out{{"id", team.id}, {"org_id", team.org_id}, {"name", team.name}};
  write_controls(team.controls, out);
  out["created_at"] = time_or_null(team.created_at);
  return out;
}

json::object user_json(const governance::User& user) {
  json::object out{{"id", user.id},
                   {"org_id", user.org_id},
                   {"team_id", id_or_null(user.team_id)},
                   {"name", user.name},
                   {"role", role_name(user.role)}};
  write_controls(user.controls, out);
  out["created_at"] = time_or_null(user.created_at);
  return out;
}

json::object key_json(const governance::VirtualKey& key, UnixMillis now) {
  json::object out{{"id", key.id},
                   {"prefix", key.prefix},
                   {"name", key.name},
                   {"org_id", key.org_id},
                   {"team_id", id_or_null(key.team_id)},
                   {"user_id", id_or_null(key.user_id)}};
  json::array models(key.allowed_models.begin(), key.allowed_models.end());
  out["allowed_models"] = std::move(models);
  json::array ips(key.allowed_ips.begin(), key.allowed_ips.end());
  out["allowed_ips"] = std::move(ips);
  boost::system::error_code error;
  json::value metadata = json::parse(key.metadata, error);
  out["metadata"] = error || !metadata.is_object() ? json::value(json::object{}) : metadata;
  write_controls(key.controls, out);
  out["created_at"] = time_or_null(key.created_at);
  out["expires_at"] = time_or_null(key.expires_at);
  out["revoked_at"] = time_or_null(key.revoked_at);
  const bool previous_valid = !key.previous_hash.empty() && key.previous_valid_until > now;
  // Until when the secret a rotation replaced still works; null when it no longer does.
  out["previous_valid_until"] = time_or_null(previous_valid ? key.previous_valid_until : 0);
  std::string_view status = "active";
  if (key.revoked_at != 0) {
    // A future revoked_at: a key an older Nexus rotated into a new key, working until then.
    status = key.revoked_at <= now ? "revoked" : "rotating";
  } else if (key.expires_at != 0 && key.expires_at <= now) {
    status = "expired";
  } else if (previous_valid) {
    status = "rotating";
  }
  out["status"] = status;
  return out;
}

json::object usage_row_json(const governance::UsageRow& row) {
  return json::object{{"group", row.group},
                      {"requests", row.requests},
                      {"input_tokens", row.usage.input},
                      {"output_tokens", row.usage.output},
                      {"cache_read_tokens", row.usage.cache_read},
                      {"cache_write_tokens", row.usage.cache_write},
                      {"reasoning_tokens", row.usage.reasoning},
                      {"cost_usd", usd_of(row.cost)}};
}

json::object audit_json(const governance::AuditEntry& entry) {
  boost::system::error_code error;
  json::value detail = json::parse(entry.detail, error);
  return json::object{{"time", format_time(entry.time)},
                      {"actor", entry.actor},
                      {"action", entry.action},
                      {"target", entry.target},
                      {"detail", error ? json::value(json::object{}) : detail}};
}

}  // namespace nexus::control::admin
