#include "control/config/units.h"

#include <array>
#include <charconv>
#include <limits>
#include <utility>

namespace nexus::control::config_internal {
namespace {

// Splits "123unit" into its digits and its unit.
std::pair<std::string_view, std::string_view> split_number(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  return {text.substr(0, digits), text.substr(digits)};
}

std::optional<uint64_t> checked_multiply(uint64_t value, uint64_t factor, uint64_t max) {
  if (value > max / factor) {
    return std::nullopt;
  }
  return value * factor;
}

}  // namespace

std::optional<uint64_t> parse_uint(std::string_view text) {
  auto [digits, rest] = split_number(text);
  if (digits.empty() || !rest.empty()) {
    return std::nullopt;
  }
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<config::Duration> parse_duration(std::string_view text) {
  struct Unit {
    std::string_view suffix;
    uint64_t millis;
  };
  static constexpr std::array<Unit, 4> kUnits = {{{.suffix = "ms", .millis = 1},
                                                  {.suffix = "s", .millis = 1000},
                                                  {.suffix = "m", .millis = 60ULL * 1000},
                                                  {.suffix = "h", .millis = 60 * 60ULL * 1000}}};
  auto [digits, unit] = split_number(text);
  std::optional<uint64_t> value = parse_uint(digits);
  if (!value) {
    return std::nullopt;
  }
  if (unit.empty()) {
    // A bare number is ambiguous (seconds? milliseconds?) except for the "no limit" zero.
    return *value == 0 ? std::optional(config::Duration(0)) : std::nullopt;
  }
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<config::Duration::rep>::max());
  for (const Unit& candidate : kUnits) {
    if (candidate.suffix == unit) {
      auto millis = checked_multiply(*value, candidate.millis, kMax);
      if (!millis) {
        return std::nullopt;
      }
      return config::Duration(static_cast<config::Duration::rep>(*millis));
    }
  }
  return std::nullopt;
}

std::optional<uint64_t> parse_size(std::string_view text) {
  struct Unit {
    std::string_view suffix;
    uint64_t bytes;
  };
  static constexpr std::array<Unit, 5> kUnits = {{{.suffix = "", .bytes = 1},
                                                  {.suffix = "B", .bytes = 1},
                                                  {.suffix = "KiB", .bytes = 1ULL << 10},
                                                  {.suffix = "MiB", .bytes = 1ULL << 20},
                                                  {.suffix = "GiB", .bytes = 1ULL << 30}}};
  auto [digits, unit] = split_number(text);
  std::optional<uint64_t> value = parse_uint(digits);
  if (!value) {
    return std::nullopt;
  }
  for (const Unit& candidate : kUnits) {
    if (candidate.suffix == unit) {
      return checked_multiply(*value, candidate.bytes, std::numeric_limits<uint64_t>::max());
    }
  }
  return std::nullopt;
}

}  // namespace nexus::control::config_internal
