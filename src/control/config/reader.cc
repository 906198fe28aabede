#include "control/config/reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>
#include <system_error>

#include "control/config/units.h"

namespace nexus::control::config_internal {
namespace {

int line_of(const YAML::Node& node, int fallback) {
  // yaml-cpp marks a null value at the start of the *next* token, often the next line.
  if (node.IsNull() || node.Mark().is_null()) {
    return fallback;
  }
  return node.Mark().line + 1;
}

std::string quoted_list(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) {
      out += ", ";
    }
    out += name;
  }
  return out;
}

}  // namespace

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) {
    return std::string(key);
  }
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

Reader::Reader(std::string source_name, std::filesystem::path base_dir, EnvLookup lookup)
    : source_name_(std::move(source_name)),
      base_dir_(std::move(base_dir)),
      lookup_(std::move(lookup)) {}

std::unexpected<Error> Reader::error(int line, std::string_view path,
                                     std::string_view message) const {
  std::string text = source_name_ + ":" + std::to_string(line) + ": ";
  text += path.empty() ? std::string_view("(root)") : path;
  text += ": ";
  text += message;
  return fail(ErrorCode::kInvalidConfig, std::move(text));
}

std::unexpected<Error> Reader::error(const Field& at, std::string_view message) const {
  return error(at.line, at.path, message);
}

Field Reader::root(const YAML::Node& document) const { return {document, "", 1, true}; }

Field Reader::child(const Field& map, std::string_view key) const {
  if (map.present && map.node.IsMap()) {
    for (auto it = map.node.begin(); it != map.node.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key) {
        return {it->second, join_path(map.path, key), line_of(it->first, map.line), true};
      }
    }
  }
  return {YAML::Node(), join_path(map.path, key), map.line, false};
}

Result<void> Reader::require(const Field& field) const {
  if (!field.present) {
    return error(field, "required key is missing");
  }
  return {};
}

Result<std::vector<std::pair<std::string, Field>>> Reader::entries(const Field& field) const {
  std::vector<std::pair<std::string, Field>> out;
  if (!field.present || field.node.IsNull()) {
    return out;
  }
  if (!field.node.IsMap()) {
    return error(field, "expected a mapping (key: value)");
  }
  std::set<std::string, std::less<>> seen;
  for (auto it = field.node.begin(); it != field.node.end(); ++it) {
    int line = line_of(it->first, field.line);
    if (!it->first.IsScalar()) {
      return error(line, field.path, "keys must be plain strings");
    }
    const std::string& key = it->first.Scalar();
    std::string path = join_path(field.path, key);
    if (!seen.insert(key).second) {
      return error(line, path, "duplicate key '" + key + "'");
    }
    out.emplace_back(key, Field(it->second, path, line, true));
  }
  return out;
}

Result<void> Reader::check_mapping(const Field& field,
                                   std::initializer_list<std::string_view> allowed) const {
  return check_mapping(field, std::span<const std::string_view>(allowed.begin(), allowed.size()));
}

Result<void> Reader::check_mapping(const Field& field,
                                   std::span<const std::string_view> allowed) const {
  auto pairs = entries(field);
  if (!pairs) {
    return std::unexpected(std::move(pairs.error()));
  }
  for (const auto& [key, value] : *pairs) {
    bool known = false;
    for (std::string_view name : allowed) {
      known = known || name == key;
    }
    if (!known) {
      return error(value.line, field.path,
                   "unknown key '" + key + "' (expected one of: " +
                       quoted_list(std::span(allowed.begin(), allowed.size())) + ")");
    }
  }
  return {};
}

Result<std::vector<Field>> Reader::items(const Field& field, bool non_empty) const {
  std::vector<Field> out;
  if (field.present && !field.node.IsNull()) {
    if (!field.node.IsSequence()) {
      return error(field, "expected a list");
    }
    size_t index = 0;
    for (auto it = field.node.begin(); it != field.node.end(); ++it, ++index) {
      const YAML::Node& item = *it;
      out.emplace_back(item, field.path + "[" + std::to_string(index) + "]",
                       line_of(item, field.line), true);
    }
  }
  if (non_empty && out.empty()) {
    return error(field, "must list at least one entry");
  }
  return out;
}

Result<std::vector<std::string>> Reader::strings(const Field& field, bool non_empty,
                                                 const StringCheck& check) const {
  return strings(field, non_empty, {}, check);
}

Result<std::vector<std::string>> Reader::strings(const Field& field, bool non_empty,
                                                 std::span<const std::string_view> choices,
                                                 const StringCheck& check) const {
  auto list = items(field, non_empty);
  if (!list) {
    return std::unexpected(std::move(list.error()));
  }
  std::vector<std::string> out;
  out.reserve(list->size());
  for (const Field& item : *list) {
    auto text = choices.empty() ? string(item) : one_of(item, choices);
    if (!text) {
      return std::unexpected(std::move(text.error()));
    }
    if (check) {
      NEXUS_CONFIG_TRY(check(item, *text));
    }
    out.push_back(std::move(*text));
  }
  return out;
}

Result<std::string> Reader::scalar(const Field& field, std::string_view what) const {
  if (!field.present || !field.node.IsScalar()) {
    return error(field, "expected " + std::string(what));
  }
  auto text = interpolate(field.node.Scalar(), lookup_);
  if (!text) {
    return error(field, text.error());
  }
  return std::move(*text);
}

Result<std::string> Reader::string(const Field& field) const { return scalar(field, "a string"); }

Result<bool> Reader::boolean(const Field& field) const {
  auto text = scalar(field, "true or false");
  if (!text) {
    return std::unexpected(std::move(text.error()));
  }
  if (*text == "true" || *text == "True" || *text == "TRUE") {
    return true;
  }
  if (*text == "false" || *text == "False" || *text == "FALSE") {
    return false;
  }
  return error(field, "expected true or false, got '" + *text + "'");
}

Result<uint64_t> Reader::integer(const Field& field, uint64_t min, uint64_t max) const {
  std::string range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  auto text = scalar(field, range);
  if (!text) {
    return std::unexpected(std::move(text.error()));
  }
  std::optional<uint64_t> value = parse_uint(*text);
  if (!value || *value < min || *value > max) {
    return error(field, "expected " + range + ", got '" + *text + "'");
  }
  return *value;
}

Result<config::Duration> Reader::duration(const Field& field) const {
  static constexpr std::string_view kExpected = "a duration like 10s or 250ms";
  auto text = scalar(field, kExpected);
  if (!text) {
    return std::unexpected(std::move(text.error()));
  }
  std::optional<config::Duration> value = parse_duration(*text);
  if (!value) {
    return error(field, "expected " + std::string(kExpected) + " (units ms, s, m, h; 0 = no " +
                            "limit), got '" + *text + "'");
  }
  return *value;
}

Result<double> Reader::number(const Field& field, double min, double max) const {
  auto text = scalar(field, "a number");
  if (!text) {
    return std::unexpected(std::move(text.error()));
  }
  double value = 0;
  const char* end = text->data() + text->size();
  const auto [stop, error] = std::from_chars(text->data(), end, value);
  if (error != std::errc{} || stop != end || !(value >= min && value <= max)) {
    return this->error(field,
                       fmt::format("expected a number from {} to {}, got '{}'", min, max, *text));
  }
  return value;
}

Result<void> Reader::read_number(const Field& map, std::string_view key, double& out, double min,
                                 double max) const {
  const Field field = child(map, key);
  if (!field.present) {
    return {};
  }
  auto value = number(field, min, max);
  if (!value) {
    return std::unexpected(std::move(value.error()));
  }
  out = *value;
  return {};
}

Result<uint64_t> Reader::size(const Field& field, uint64_t min, uint64_t max) const {
  static constexpr std::string_view kExpected =
      "a size like 64KiB or 1048576 (units B, KiB, MiB, GiB)";
  auto text = scalar(field, kExpected);
  if (!text) {
    return std::unexpected(std::move(text.error()));
  }
  std::optional<uint64_t> value = parse_size(*text);
  if (!value) {
    return error(field, "expected " + std::string(kExpected) + ", got '" + *text + "'");
  }
  if (*value < min || *value > max) {
    return error(field, "size " + std::to_string(*value) + " bytes is out of range (" +
                            std::to_string(min) + " to " + std::to_string(max) + ")");
  }
  return *value;
}

Result<std::string> Reader::one_of(const Field& field,
                                   std::span<const std::string_view> choices) const {
  auto text = scalar(field, "one of " + quoted_list(choices));
  if (!text) {
    return std::unexpected(std::move(text.error()));
  }
  for (std::string_view choice : choices) {
    if (choice == *text) {
      return std::move(*text);
    }
  }
  return error(field, "unknown value '" + *text + "' (expected " + quoted_list(choices) + ")");
}

std::string Reader::resolve_path(const std::string& path) const {
  std::filesystem::path p(path);
  if (p.is_absolute() || base_dir_.empty()) {
    return path;
  }
  return (base_dir_ / p).lexically_normal().string();
}

Result<std::string> Reader::readable_file(const Field& field) const {
  auto text = string(field);
  if (!text) {
    return std::unexpected(std::move(text.error()));
  }
  if (text->empty()) {
    return error(field, "expected a file path, got an empty string");
  }
  std::string path = resolve_path(*text);
  std::string shown = path == *text ? "'" + path + "'" : "'" + *text + "' (" + path + ")";
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
    return error(field, "cannot read file " + shown + ": not a regular file");
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return error(field, "cannot read file " + shown + ": " + std::strerror(errno));
  }
  ::close(fd);
  return path;
}

Result<void> Reader::read(const Field& map, std::string_view key, std::string& out) const {
  Field field = child(map, key);
  if (field.present) {
    auto value = string(field);
    if (!value) {
      return std::unexpected(std::move(value.error()));
    }
    out = std::move(*value);
  }
  return {};
}

Result<void> Reader::read(const Field& map, std::string_view key, bool& out) const {
  Field field = child(map, key);
  if (field.present) {
    auto value = boolean(field);
    if (!value) {
      return std::unexpected(std::move(value.error()));
    }
    out = *value;
  }
  return {};
}

Result<void> Reader::read(const Field& map, std::string_view key, config::Duration& out) const {
  Field field = child(map, key);
  if (field.present) {
    auto value = duration(field);
    if (!value) {
      return std::unexpected(std::move(value.error()));
    }
    out = *value;
  }
  return {};
}

}  // namespace nexus::control::config_internal
