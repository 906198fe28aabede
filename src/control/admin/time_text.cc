#include "control/admin/time_text.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace nexus::control::admin {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

constexpr int64_t kMillisPerDay = int64_t{86'400'000};

// Reads exactly `width` digits at `text[at]` into `value`.
bool digits(std::string_view text, size_t at, size_t width, int& value) {
  if (at + width > text.size()) {
    return false;
  }
  value = 0;
  for (size_t i = at; i < at + width; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return false;
    }
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

std::optional<int64_t> date_days(std::string_view text) {
  int year = 0;
  int month = 0;
  int day = 0;
  if (text.size() < 10 || !digits(text, 0, 4, year) || text[4] != '-' ||
      !digits(text, 5, 2, month) || text[7] != '-' || !digits(text, 8, 2, day)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  return sys_days{date}.time_since_epoch().count();
}

// ".123456" (any number of digits; milliseconds kept) at text[at]; advances `at`.
bool fraction(std::string_view text, size_t& at, int64_t& millis) {
  if (at >= text.size() || text[at] != '.') {
    return true;
  }
  ++at;
  const size_t start = at;
  int64_t scale = 100;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
    millis += (text[at] - '0') * scale;
    scale /= 10;
    ++at;
  }
  return at > start;
}

// "Z" or "+hh:mm" / "-hh:mm" ending the text at `at`: the offset from UTC in minutes.
std::optional<int> zone_offset_minutes(std::string_view text, size_t at) {
  if (at + 1 == text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    return 0;
  }
  int hours = 0;
  int minutes = 0;
  if (at + 6 != text.size() || (text[at] != '+' && text[at] != '-') ||
      !digits(text, at + 1, 2, hours) || text[at + 3] != ':' || !digits(text, at + 4, 2, minutes) ||
      hours > 23 || minutes > 59) {
    return std::nullopt;
  }
  const int offset = hours * 60 + minutes;
  return text[at] == '-' ? -offset : offset;
}

}  // namespace

std::string format_time(UnixMillis time) {
  const int64_t day_count =
      time >= 0 ? time / kMillisPerDay : (time - kMillisPerDay + 1) / kMillisPerDay;
  const int64_t in_day = time - day_count * kMillisPerDay;
  const std::chrono::year_month_day date{sys_days{days{day_count}}};
  const int64_t seconds = in_day / 1000;
  const int64_t millis = in_day % 1000;
  std::string out(32, '\0');
  const int written = std::snprintf(
      out.data(), out.size(), "%04d-%02u-%02uT%02lld:%02lld:%02lld", static_cast<int>(date.year()),
      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
      static_cast<long long>(seconds / 3600), static_cast<long long>(seconds / 60 % 60),
      static_cast<long long>(seconds % 60));
  out.resize(static_cast<size_t>(written));
  if (millis != 0) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, ".%03lld", static_cast<long long>(millis));
    out += buffer;
  }
  out += 'Z';
  return out;
}

std::optional<UnixMillis> parse_time(std::string_view text) {
  const std::optional<int64_t> day_count = date_days(text);
  if (!day_count) {
    return std::nullopt;
  }
  const int64_t midnight = *day_count * kMillisPerDay;
  if (text.size() == 10) {
    return midnight;
  }
  int hours = 0;
  int minutes = 0;
  int seconds = 0;
  if ((text[10] != 'T' && text[10] != 't') || !digits(text, 11, 2, hours) || text[13] != ':' ||
      !digits(text, 14, 2, minutes) || text[16] != ':' || !digits(text, 17, 2, seconds) ||
      hours > 23 || minutes > 59 || seconds > 59) {
    return std::nullopt;
  }
  size_t at = 19;
  int64_t millis = 0;
  if (!fraction(text, at, millis)) {
    return std::nullopt;
  }
  const std::optional<int> offset = zone_offset_minutes(text, at);
  if (!offset) {
    return std::nullopt;
  }
  return midnight + ((hours * 60 + minutes - *offset) * int64_t{60} + seconds) * 1000 + millis;
}

std::optional<int64_t> parse_duration_seconds(std::string_view text) {
  int64_t count = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), count);
  if (error != std::errc{} || end == text.data() || count < 0) {
    return std::nullopt;
  }
  const std::string_view unit(end, text.data() + text.size() - end);
  int64_t scale = 0;
  if (unit.empty() || unit == "s") {
    scale = 1;
  } else if (unit == "m") {
    scale = 60;
  } else if (unit == "h") {
    scale = 3600;
  } else if (unit == "d") {
    scale = 86400;
  } else if (unit == "w") {
    scale = int64_t{7} * 86400;
  } else {
    return std::nullopt;
  }
  if (count > INT64_MAX / 1000 / scale) {
    return std::nullopt;  // later turned into milliseconds
  }
  return count * scale;
}

}  // namespace nexus::control::admin
