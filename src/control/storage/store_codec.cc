#include "control/storage/store_codec.h"

#include <array>
#include <boost/json.hpp>
#include <limits>
#include <utility>

namespace nexus::storage {
namespace {

namespace json = boost::json;
using governance::Budget;
using governance::BudgetPeriod;
using governance::Controls;
using governance::Limits;
using governance::ModelLimits;
using governance::Role;

constexpr std::array<std::pair<Role, std::string_view>, 5> kRoles = {{
    {Role::kAdmin, "admin"},
    {Role::kOrgAdmin, "org_admin"},
    {Role::kTeamAdmin, "team_admin"},
    {Role::kMember, "member"},
    {Role::kViewer, "viewer"},
}};

constexpr std::array<std::pair<BudgetPeriod, std::string_view>, 4> kPeriods = {{
    {BudgetPeriod::kDaily, "daily"},
    {BudgetPeriod::kWeekly, "weekly"},
    {BudgetPeriod::kMonthly, "monthly"},
    {BudgetPeriod::kTotal, "total"},
}};

std::unexpected<Error> damaged(std::string_view what, std::string_view text) {
  std::string message = "stored ";
  message += what;
  message += " is not valid: ";
  message += text.substr(0, 200);
  return fail(ErrorCode::kInternal, std::move(message));
}

// A missing or null member keeps `out`'s default.
bool read_int(const json::object& object, std::string_view key, int64_t min, int64_t max,
              int64_t& out) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) {
    return true;
  }
  if (!value->is_int64() || value->get_int64() < min || value->get_int64() > max) {
    return false;  // also a uint64 above INT64_MAX: no field of ours holds one
  }
  out = value->get_int64();
  return true;
}

template <typename T>
bool read_count(const json::object& object, std::string_view key, T& out) {
  auto value = static_cast<int64_t>(out);
  int64_t max = std::numeric_limits<int64_t>::max();  // a uint64_t count is stored as int64
  if constexpr (sizeof(T) < sizeof(int64_t)) {
    max = static_cast<int64_t>(std::numeric_limits<T>::max());
  }
  if (!read_int(object, key, 0, max, value)) {
    return false;
  }
  out = static_cast<T>(value);
  return true;
}

json::object limits_to_json(const Limits& limits) {
  return {{"rpm", limits.rpm}, {"tpm", limits.tpm}, {"max_parallel", limits.max_parallel}};
}

bool limits_from_json(const json::value* value, Limits& out) {
  if (value == nullptr || value->is_null()) {
    return true;
  }
  const json::object* object = value->if_object();
  return object != nullptr && read_count(*object, "rpm", out.rpm) &&
         read_count(*object, "tpm", out.tpm) &&
         read_count(*object, "max_parallel", out.max_parallel);
}

bool budget_from_json(const json::value* value, std::optional<Budget>& out) {
  if (value == nullptr || value->is_null()) {
    return true;
  }
  const json::object* object = value->if_object();
  if (object == nullptr) {
    return false;
  }
  Budget budget;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (!read_int(*object, "hard", 0, kMax, budget.hard) ||
      !read_int(*object, "soft", 0, kMax, budget.soft)) {
    return false;
  }
  if (const json::value* period = object->if_contains("period")) {
    const json::string* name = period->if_string();
    const auto parsed = name == nullptr ? std::nullopt : parse_budget_period(*name);
    if (!parsed) {
      return false;
    }
    budget.period = *parsed;
  }
  out = budget;
  return true;
}

bool model_limits_from_json(const json::value* value, std::vector<ModelLimits>& out) {
  if (value == nullptr || value->is_null()) {
    return true;
  }
  const json::array* array = value->if_array();
  if (array == nullptr) {
    return false;
  }
  for (const json::value& element : *array) {
    const json::object* object = element.if_object();
    const json::value* model = object == nullptr ? nullptr : object->if_contains("model");
    if (model == nullptr || !model->is_string()) {
      return false;
    }
    ModelLimits limits{.model = std::string(model->get_string())};
    if (!limits_from_json(object->if_contains("limits"), limits.limits)) {
      return false;
    }
    out.push_back(std::move(limits));
  }
  return true;
}

}  // namespace

std::string controls_to_json(const Controls& controls) {
  json::object object;
  object["limits"] = limits_to_json(controls.limits);
  json::array model_limits;
  for (const ModelLimits& limits : controls.model_limits) {
    model_limits.push_back(
        json::object{{"model", limits.model}, {"limits", limits_to_json(limits.limits)}});
  }
  object["model_limits"] = std::move(model_limits);
  if (controls.budget) {
    object["budget"] = json::object{{"hard", controls.budget->hard},
                                    {"soft", controls.budget->soft},
                                    {"period", budget_period_name(controls.budget->period)}};
  }
  return json::serialize(object);
}

Result<Controls> controls_from_json(std::string_view text) {
  boost::system::error_code error;
  const json::value value = json::parse(text, error);
  const json::object* object = error ? nullptr : value.if_object();
  Controls controls;
  if (object == nullptr || !limits_from_json(object->if_contains("limits"), controls.limits) ||
      !model_limits_from_json(object->if_contains("model_limits"), controls.model_limits) ||
      !budget_from_json(object->if_contains("budget"), controls.budget)) {
    return damaged("controls", text);
  }
  return controls;
}

std::string strings_to_json(const std::vector<std::string>& strings) {
  json::array array;
  array.reserve(strings.size());
  for (const std::string& string : strings) {
    array.emplace_back(string);
  }
  return json::serialize(array);
}

Result<std::vector<std::string>> strings_from_json(std::string_view text) {
  boost::system::error_code error;
  const json::value value = json::parse(text, error);
  const json::array* array = error ? nullptr : value.if_array();
  if (array == nullptr) {
    return damaged("list", text);
  }
  std::vector<std::string> strings;
  strings.reserve(array->size());
  for (const json::value& element : *array) {
    if (!element.is_string()) {
      return damaged("list", text);
    }
    strings.emplace_back(element.get_string());
  }
  return strings;
}

std::string_view role_name(Role role) {
  for (const auto& [value, name] : kRoles) {
    if (value == role) {
      return name;
    }
  }
  return "viewer";  // unreachable: every role is in the table
}

std::optional<Role> parse_role(std::string_view name) {
  for (const auto& [value, role_text] : kRoles) {
    if (role_text == name) {
      return value;
    }
  }
  return std::nullopt;
}

std::string_view budget_period_name(BudgetPeriod period) {
  for (const auto& [value, name] : kPeriods) {
    if (value == period) {
      return name;
    }
  }
  return "monthly";  // unreachable: every period is in the table
}

std::optional<BudgetPeriod> parse_budget_period(std::string_view name) {
  for (const auto& [value, period_text] : kPeriods) {
    if (period_text == name) {
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace nexus::storage
