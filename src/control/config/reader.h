// Typed, located access to the parsed YAML tree for the section parsers.
//
// A Field is one value together with its dotted key path ("routes[2].match.prefix") and its line,
// so that every error can be reported as "FILE:LINE: KEY.PATH: message". The line is the line of
// the key (or of the sequence item); for an absent key it is the parent's line. Scalars are
// interpolated (${VAR}) on access, after parsing, so lines stay those of the file. No function
// here throws: yaml-cpp is only used through calls that do not throw on a loaded tree.
#pragma once

#include <yaml-cpp/yaml.h>

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "control/config/interpolate.h"
#include "nexus/config/config.h"
#include "nexus/core/result.h"

// Returns early from a function returning Result<U> when `expr` (a Result<T>) holds an error.
#define NEXUS_CONFIG_TRY(expr)                                      \
  do {                                                              \
    auto&& nexus_config_try_ = (expr);                              \
    if (!nexus_config_try_) {                                       \
      return std::unexpected(std::move(nexus_config_try_.error())); \
    }                                                               \
  } while (false)

namespace nexus::control::config_internal {

struct Field {
  Field(const YAML::Node& node_in, std::string path_in, int line_in, bool present_in)
      : node(node_in), path(std::move(path_in)), line(line_in), present(present_in) {}
  Field(const Field&) = default;
  // Assigning a YAML::Node writes through to the tree it refers to (it does not rebind), so
  // assigning a Field would silently rewrite the document: forbid it.
  Field& operator=(const Field&) = delete;
  ~Field() = default;

  YAML::Node node;   // meaningless when !present
  std::string path;  // dotted key path with indices
  int line;          // 1-based
  bool present;      // the key exists (it may still be null)
};

// "a" + "b" -> "a.b"; "" + "b" -> "b".
std::string join_path(std::string_view parent, std::string_view key);

class Reader {
 public:
  // Relative file paths in the config are resolved against `base_dir` (empty: the working dir).
  Reader(std::string source_name, std::filesystem::path base_dir, EnvLookup lookup = getenv_lookup);

  // The file name errors start with.
  [[nodiscard]] const std::string& source_name() const { return source_name_; }
  [[nodiscard]] std::unexpected<Error> error(const Field& at, std::string_view message) const;
  [[nodiscard]] std::unexpected<Error> error(int line, std::string_view path,
                                             std::string_view message) const;

  [[nodiscard]] Field root(const YAML::Node& document) const;
  // The value under `key` of the mapping `map` (not present when `map` is null or lacks it).
  [[nodiscard]] Field child(const Field& map, std::string_view key) const;

  // Error "required key is missing" (at the parent's line) unless `field` is present.
  [[nodiscard]] Result<void> require(const Field& field) const;
  // `field` must be a mapping (null counts as empty) with unique keys, all in `allowed`.
  [[nodiscard]] Result<void> check_mapping(const Field& field,
                                           std::span<const std::string_view> allowed) const;
  [[nodiscard]] Result<void> check_mapping(const Field& field,
                                           std::initializer_list<std::string_view> allowed) const;
  // The key/value pairs of a mapping (null: none), keys interpolation-free and unique.
  [[nodiscard]] Result<std::vector<std::pair<std::string, Field>>> entries(
      const Field& field) const;
  // The elements of a sequence; `non_empty` makes an empty (or null) one an error.
  [[nodiscard]] Result<std::vector<Field>> items(const Field& field, bool non_empty) const;

  // Checks one item of a string list: it may normalise `text` in place or refuse the item with
  // error(item, ...).
  using StringCheck = std::function<Result<void>(const Field& item, std::string& text)>;
  // The scalars of a list, as items() reads it (absent or null: none; `non_empty`: an empty one is
  // an error), each read as string() and then passed with its item to `check` (if any). With
  // `choices` (not empty), each item is read as one_of(item, choices) instead.
  [[nodiscard]] Result<std::vector<std::string>> strings(const Field& field, bool non_empty,
                                                         const StringCheck& check = {}) const;
  [[nodiscard]] Result<std::vector<std::string>> strings(const Field& field, bool non_empty,
                                                         std::span<const std::string_view> choices,
                                                         const StringCheck& check = {}) const;

  [[nodiscard]] Result<std::string> string(const Field& field) const;  // any scalar
  [[nodiscard]] Result<bool> boolean(const Field& field) const;
  [[nodiscard]] Result<uint64_t> integer(const Field& field, uint64_t min, uint64_t max) const;
  [[nodiscard]] Result<config::Duration> duration(const Field& field) const;
  // A decimal number (prices, shares, multipliers) from min to max.
  [[nodiscard]] Result<double> number(const Field& field, double min, double max) const;
  [[nodiscard]] Result<uint64_t> size(const Field& field, uint64_t min, uint64_t max) const;
  // A string from `choices`; otherwise "unknown value 'x' (expected a, b, c)".
  [[nodiscard]] Result<std::string> one_of(const Field& field,
                                           std::span<const std::string_view> choices) const;
  // A path (resolved against the base dir) to a regular file that can be opened for reading.
  [[nodiscard]] Result<std::string> readable_file(const Field& field) const;
  // A path resolved against the base dir, not checked (e.g. a log file still to be created).
  [[nodiscard]] std::string resolve_path(const std::string& path) const;

  // Optional fields: leave `out` (its default) alone when `map` has no `key`.
  [[nodiscard]] Result<void> read(const Field& map, std::string_view key, std::string& out) const;
  [[nodiscard]] Result<void> read(const Field& map, std::string_view key, bool& out) const;
  [[nodiscard]] Result<void> read(const Field& map, std::string_view key,
                                  config::Duration& out) const;
  [[nodiscard]] Result<void> read_number(const Field& map, std::string_view key, double& out,
                                         double min, double max) const;
  template <std::unsigned_integral T>
  [[nodiscard]] Result<void> read_integer(const Field& map, std::string_view key, T& out,
                                          uint64_t min, uint64_t max) const {
    Field field = child(map, key);
    if (!field.present) {
      return {};
    }
    Result<uint64_t> value = integer(field, min, max);
    if (!value) {
      return std::unexpected(std::move(value.error()));
    }
    out = static_cast<T>(*value);
    return {};
  }
  template <std::unsigned_integral T>
  [[nodiscard]] Result<void> read_size(const Field& map, std::string_view key, T& out, uint64_t min,
                                       uint64_t max) const {
    Field field = child(map, key);
    if (!field.present) {
      return {};
    }
    Result<uint64_t> value = size(field, min, max);
    if (!value) {
      return std::unexpected(std::move(value.error()));
    }
    out = static_cast<T>(*value);
    return {};
  }

 private:
  // The interpolated text of a scalar, or an error "expected <what>".
  [[nodiscard]] Result<std::string> scalar(const Field& field, std::string_view what) const;

  std::string source_name_;
  std::filesystem::path base_dir_;
  EnvLookup lookup_;
};

}  // namespace nexus::control::config_internal
