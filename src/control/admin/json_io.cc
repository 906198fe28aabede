// Reading request bodies field by field.
#include "control/admin/json_io.h"

#include <boost/json/parse.hpp>
#include <charconv>
#include <cmath>

#include "control/admin/time_text.h"

namespace nexus::control::admin {
namespace {

constexpr double kNanoPerUsd = 1e9;
constexpr double kMaxUsd = 9e9;  // below INT64_MAX nano-dollars

ApiResult<void> read_limits(const FieldReader& fields, governance::Limits& limits) {
  if (auto allowed = fields.allow_only({"rpm", "tpm", "max_parallel"}); !allowed) {
    return allowed;
  }
  auto rpm = fields.count("rpm", UINT32_MAX);
  auto tpm = fields.count("tpm", UINT64_MAX);
  auto parallel = fields.count("max_parallel", UINT32_MAX);
  for (const auto* read : {&rpm, &tpm, &parallel}) {
    if (!*read) {
      return std::unexpected(read->error());
    }
  }
  limits.rpm = static_cast<uint32_t>(rpm->value_or(limits.rpm));
  limits.tpm = tpm->value_or(limits.tpm);
  limits.max_parallel = static_cast<uint32_t>(parallel->value_or(limits.max_parallel));
  return {};
}

ApiResult<void> read_model_limits(const FieldReader& fields, std::string_view name,
                                  std::vector<governance::ModelLimits>& out) {
  const json::value* list = fields.find(name);
  if (list == nullptr) {
    return {};
  }
  if (!list->is_array()) {
    return std::unexpected(bad_request(fields.path(name), "expected an array of objects"));
  }
  std::vector<governance::ModelLimits> parsed;
  for (size_t i = 0; i < list->get_array().size(); ++i) {
    const std::string item_path = fields.path(name) + "[" + std::to_string(i) + "]";
    const json::value& item = list->get_array()[i];
    if (!item.is_object()) {
      return std::unexpected(bad_request(item_path, "expected an object"));
    }
    const FieldReader entry(item.get_object(), item_path + ".");
    auto model = entry.string("model");
    if (!model) {
      return std::unexpected(model.error());
    }
    const std::optional<std::string>& model_name = *model;
    if (!model_name || model_name->empty()) {
      return std::unexpected(bad_request(entry.path("model"), "required: the model's name"));
    }
    governance::ModelLimits limits{.model = *model_name, .limits = {}};
    json::object rest = item.get_object();
    rest.erase("model");
    if (auto read = read_limits(FieldReader(rest, item_path + "."), limits.limits); !read) {
      return read;
    }
    parsed.push_back(std::move(limits));
  }
  out = std::move(parsed);
  return {};
}

ApiResult<void> read_budget(const FieldReader& fields, std::string_view name,
                            std::optional<governance::Budget>& budget) {
  const json::value* value = fields.find(name);
  if (value == nullptr) {
    return {};
  }
  if (value->is_null()) {
    budget.reset();
    return {};
  }
  auto nested = fields.object(name);
  if (!nested) {
    return std::unexpected(nested.error());
  }
  const std::optional<FieldReader>& found = *nested;
  if (!found) {
    return {};
  }
  const FieldReader& entry = *found;

  if (auto allowed = entry.allow_only({"hard_usd", "soft_usd", "period"}); !allowed) {
    return allowed;
  }
  governance::Budget parsed = budget.value_or(governance::Budget{});
  auto hard = entry.usd("hard_usd");
  auto soft = entry.usd("soft_usd");
  auto period = entry.string("period");
  if (!hard || !soft || !period) {
    return std::unexpected(!hard ? hard.error() : !soft ? soft.error() : period.error());
  }
  parsed.hard = hard->value_or(parsed.hard);
  parsed.soft = soft->value_or(parsed.soft);
  if (const std::optional<std::string>& period_text = *period; period_text) {
    const auto kind = parse_period(*period_text);
    if (!kind) {
      return std::unexpected(
          bad_request(entry.path("period"), "expected daily, weekly, monthly or total"));
    }
    parsed.period = *kind;
  }
  if (parsed.hard == 0 && parsed.soft == 0) {
    return std::unexpected(
        bad_request(fields.path(name), "a budget needs hard_usd or soft_usd (null removes it)"));
  }
  budget = parsed;
  return {};
}

}  // namespace

ApiResult<json::object> parse_object(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return json::object{};
  }
  boost::system::error_code error;
  json::value value = json::parse(body, error);
  if (error) {
    return std::unexpected(bad_request("", "the body is not JSON: " + error.message()));
  }
  if (!value.is_object()) {
    return std::unexpected(bad_request("", "the body must be a JSON object"));
  }
  return std::move(value.get_object());
}

ApiResult<void> FieldReader::allow_only(std::initializer_list<std::string_view> names) const {
  for (const auto& [name, value] : object_) {
    if (std::ranges::find(names, std::string_view(name)) == names.end()) {
      return std::unexpected(bad_request(path(name), "unknown field"));
    }
  }
  return {};
}

const json::value* FieldReader::find(std::string_view name) const {
  return object_.if_contains(name);
}

std::string FieldReader::path(std::string_view name) const {
  std::string out = prefix_;
  out += name;
  return out;
}

ApiResult<std::optional<std::string>> FieldReader::string(std::string_view name) const {
  const json::value* value = find(name);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->is_null()) {
    return std::string{};
  }
  if (!value->is_string()) {
    return std::unexpected(bad_request(path(name), "expected a string"));
  }
  return std::string(value->get_string());
}

ApiResult<std::optional<uint64_t>> FieldReader::count(std::string_view name, uint64_t max) const {
  const json::value* value = find(name);
  if (value == nullptr) {
    return std::nullopt;
  }
  std::optional<uint64_t> number;
  if (value->is_uint64()) {
    number = value->get_uint64();
  } else if (value->is_int64() && value->get_int64() >= 0) {
    number = static_cast<uint64_t>(value->get_int64());
  }
  if (!number || *number > max) {
    return std::unexpected(
        bad_request(path(name), "expected a whole number from 0 to " + std::to_string(max)));
  }
  return number;
}

ApiResult<std::optional<NanoUsd>> FieldReader::usd(std::string_view name) const {
  const json::value* value = find(name);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->is_null()) {
    return NanoUsd{0};
  }
  std::optional<double> number;
  if (value->is_number()) {
    number = value->to_number<double>();
  }
  if (!number || !std::isfinite(*number) || *number < 0 || *number > kMaxUsd) {
    return std::unexpected(bad_request(path(name), "expected an amount of USD, from 0"));
  }
  return static_cast<NanoUsd>(std::llround(*number * kNanoPerUsd));
}

ApiResult<std::optional<std::vector<std::string>>> FieldReader::strings(
    std::string_view name) const {
  const json::value* value = find(name);
  if (value == nullptr) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  if (value->is_null()) {
    return out;
  }
  if (!value->is_array()) {
    return std::unexpected(bad_request(path(name), "expected an array of strings"));
  }
  for (const json::value& item : value->get_array()) {
    if (!item.is_string() || item.get_string().empty()) {
      return std::unexpected(bad_request(path(name), "expected an array of non-empty strings"));
    }
    out.emplace_back(item.get_string());
  }
  return out;
}

ApiResult<std::optional<UnixMillis>> FieldReader::time(std::string_view name) const {
  const json::value* value = find(name);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->is_null()) {
    return UnixMillis{0};
  }
  std::optional<UnixMillis> parsed;
  if (value->is_string()) {
    parsed = parse_time(value->get_string());
  }
  if (!parsed) {
    return std::unexpected(
        bad_request(path(name), "expected an RFC 3339 time (\"2026-01-31T12:00:00Z\")"));
  }
  return parsed;
}

ApiResult<std::optional<FieldReader>> FieldReader::object(std::string_view name) const {
  const json::value* value = find(name);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_object()) {
    return std::unexpected(bad_request(path(name), "expected an object"));
  }
  return FieldReader(value->get_object(), path(name) + ".");
}

ApiResult<void> read_controls(const FieldReader& fields, governance::Controls& controls) {
  auto limits = fields.object("limits");
  if (!limits) {
    return std::unexpected(limits.error());
  }
  if (const std::optional<FieldReader>& nested = *limits; nested) {
    if (auto read = read_limits(*nested, controls.limits); !read) {
      return read;
    }
  }
  if (auto read = read_model_limits(fields, "model_limits", controls.model_limits); !read) {
    return read;
  }
  return read_budget(fields, "budget", controls.budget);
}

}  // namespace nexus::control::admin
