// The admin API's JSON: reading request bodies field by field (a bad field is a 400 naming it)
// and writing the stored objects (snake_case; amounts as decimal USD; times as RFC 3339).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/admin/api_error.h"
#include "governance/store.h"

namespace nexus::control::admin {

namespace json = boost::json;
using governance::NanoUsd;
using governance::UnixMillis;

// JSON text; numbers with a fraction are written plainly ("10.5", where Boost writes "1.05E1").
std::string to_text(const json::value& value);

// The request body as an object; an empty body is an empty object.
ApiResult<json::object> parse_object(std::string_view body);

// Reads the fields of one object. Absent fields are nullopt; a field of the wrong type is a 400
// that names it with its path ("budget.hard_usd").
class FieldReader {
 public:
  FieldReader(const json::object& object, std::string prefix)
      : object_(object), prefix_(std::move(prefix)) {}

  // A 400 for the first field not in `names` (a misspelt field is not silently ignored).
  [[nodiscard]] ApiResult<void> allow_only(std::initializer_list<std::string_view> names) const;
  [[nodiscard]] const json::value* find(std::string_view name) const;
  [[nodiscard]] std::string path(std::string_view name) const;

  // null reads as "" (clears an optional reference such as team_id).
  [[nodiscard]] ApiResult<std::optional<std::string>> string(std::string_view name) const;
  [[nodiscard]] ApiResult<std::optional<uint64_t>> count(std::string_view name, uint64_t max) const;
  [[nodiscard]] ApiResult<std::optional<NanoUsd>> usd(std::string_view name) const;
  [[nodiscard]] ApiResult<std::optional<std::vector<std::string>>> strings(
      std::string_view name) const;
  // An RFC 3339 string; null reads as 0 ("never").
  [[nodiscard]] ApiResult<std::optional<UnixMillis>> time(std::string_view name) const;
  // A nested object's reader; nullopt when absent; null is refused unless `null_ok`.
  [[nodiscard]] ApiResult<std::optional<FieldReader>> object(std::string_view name) const;

 private:
  const json::object& object_;
  std::string prefix_;
};

// Reads "limits", "model_limits" and "budget" (null removes it) into `controls`, leaving
// what is absent unchanged.
ApiResult<void> read_controls(const FieldReader& fields, governance::Controls& controls);

std::string_view role_name(governance::Role role);
std::optional<governance::Role> parse_role(std::string_view text);
std::string_view period_name(governance::BudgetPeriod period);
std::optional<governance::BudgetPeriod> parse_period(std::string_view text);
std::string_view scope_name(governance::ScopeKind scope);
std::optional<governance::ScopeKind> parse_scope(std::string_view text);

double usd_of(NanoUsd amount);
json::value time_or_null(UnixMillis time);      // 0 is null
json::value id_or_null(const std::string& id);  // "" is null

void write_controls(const governance::Controls& controls, json::object& out);
json::object org_json(const governance::Org& org);
json::object team_json(const governance::Team& team);
json::object user_json(const governance::User& user);
// Never a hash. `status` is "active", "expired", "revoked" or "rotating" (the secret a rotation
// replaced still works, until `previous_valid_until`).
json::object key_json(const governance::VirtualKey& key, UnixMillis now);
json::object usage_row_json(const governance::UsageRow& row);
json::object audit_json(const governance::AuditEntry& entry);

}  // namespace nexus::control::admin
