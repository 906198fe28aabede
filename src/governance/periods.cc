// Time zones without a time zone library: g++ 12's libstdc++ has no std::chrono::tzdb, so an
// IANA name is read from the system's zoneinfo (Debian's tzdata), whose TZif files end with a
// POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3") for the present and future; Boost.DateTime
// evaluates that rule. Past transitions are not needed: a budget period is always the current
// one.
#include "governance/periods.h"

#include <boost/date_time/local_time/local_time.hpp>
#include <boost/date_time/posix_time/conversion.hpp>
#include <cctype>
#include <chrono>
#include <fstream>
#include <limits>
#include <sstream>

namespace nexus::governance {
namespace {

namespace chrono = std::chrono;

class FixedZone final : public TimeZone {
 public:
  FixedZone(std::string name, int64_t offset) : name_(std::move(name)), offset_(offset) {}
  [[nodiscard]] int64_t offset_seconds(UnixMillis /*utc*/) const override { return offset_; }
  [[nodiscard]] const std::string& name() const override { return name_; }

 private:
  std::string name_;
  int64_t offset_;
};

class RuleZone final : public TimeZone {
 public:
  RuleZone(std::string name, boost::local_time::time_zone_ptr zone)
      : name_(std::move(name)), zone_(std::move(zone)) {}
  [[nodiscard]] int64_t offset_seconds(UnixMillis utc) const override {
    const boost::posix_time::ptime instant =
        boost::posix_time::from_time_t(static_cast<time_t>(utc / 1000));
    const boost::local_time::local_date_time local(instant, zone_);
    int64_t offset = zone_->base_utc_offset().total_seconds();
    if (local.is_dst()) {
      offset += zone_->dst_offset().total_seconds();
    }
    return offset;
  }
  [[nodiscard]] const std::string& name() const override { return name_; }

 private:
  std::string name_;
  boost::local_time::time_zone_ptr zone_;
};

// "+05:30" / "-08:00" / "+0530" into seconds east of UTC.
std::optional<int64_t> parse_offset(std::string_view text) {
  if (text.size() < 3 || (text[0] != '+' && text[0] != '-')) {
    return std::nullopt;
  }
  std::string digits;
  for (const char c : text.substr(1)) {
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c != ':') {
      return std::nullopt;
    }
  }
  if (digits.size() != 2 && digits.size() != 4) {
    return std::nullopt;
  }
  const int hours = std::stoi(digits.substr(0, 2));
  const int minutes = digits.size() == 4 ? std::stoi(digits.substr(2)) : 0;
  if (hours > 14 || minutes > 59) {
    return std::nullopt;
  }
  const int64_t seconds = (int64_t{hours} * 3600) + (int64_t{minutes} * 60);
  return text[0] == '-' ? -seconds : seconds;
}

// The POSIX rule at the end of a TZif (version 2+) file: its last line.
std::optional<std::string> posix_rule_of(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return std::nullopt;
  }
  std::stringstream content;
  content << file.rdbuf();
  const std::string bytes = content.str();
  if (!bytes.starts_with("TZif") || bytes.size() < 2 || bytes.back() != '\n') {
    return std::nullopt;
  }
  const size_t start = bytes.rfind('\n', bytes.size() - 2);
  if (start == std::string::npos) {
    return std::nullopt;
  }
  std::string rule = bytes.substr(start + 1, bytes.size() - start - 2);
  if (rule.empty()) {
    return std::nullopt;
  }
  return rule;
}

// Boost.DateTime reads a POSIX rule's offsets with the opposite sign (its "EST-5EDT" is
// POSIX's "EST5EDT"): flips the standard and daylight offsets, leaves the names and the
// transition rules alone.
std::string boost_rule_of(std::string_view rule) {
  std::string out;
  size_t at = 0;
  const auto copy_name = [&] {
    if (at < rule.size() && rule[at] == '<') {
      const size_t close = rule.find('>', at);
      const size_t end = close == std::string_view::npos ? rule.size() : close + 1;
      out += rule.substr(at, end - at);
      at = end;
      return;
    }
    while (at < rule.size() && std::isalpha(static_cast<unsigned char>(rule[at])) != 0) {
      out += rule[at++];
    }
  };
  const auto flip_offset = [&] {
    if (at >= rule.size() || rule[at] == ',') {
      return;
    }
    const bool negative = rule[at] == '-';
    if (rule[at] == '+' || rule[at] == '-') {
      ++at;
    }
    out += negative ? '+' : '-';
    while (at < rule.size() &&
           (std::isdigit(static_cast<unsigned char>(rule[at])) != 0 || rule[at] == ':')) {
      out += rule[at++];
    }
  };
  copy_name();
  flip_offset();
  copy_name();
  flip_offset();
  out += rule.substr(at);
  return out;
}

bool safe_zone_name(std::string_view name) {
  return !name.empty() && name.front() != '/' && name.find("..") == std::string_view::npos &&
         name.find_first_not_of(
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") ==
             std::string_view::npos;
}

using LocalSeconds = int64_t;  // seconds since the epoch of the zone's wall clock

// The UTC instant (ms) of a wall-clock time: the offset of the instant it names, found by
// asking twice (right except within an hour of a transition at that very time).
UnixMillis to_utc(LocalSeconds local, const TimeZone& zone) {
  int64_t offset = zone.offset_seconds(local * 1000);
  offset = zone.offset_seconds((local - offset) * 1000);
  return (local - offset) * 1000;
}

LocalSeconds midnight(chrono::sys_days day) {
  return chrono::duration_cast<chrono::seconds>(day.time_since_epoch()).count();
}

}  // namespace

Result<std::shared_ptr<const TimeZone>> TimeZone::load(std::string_view name) {
  if (name == "UTC" || name == "Etc/UTC" || name == "Z") {
    return std::make_shared<FixedZone>(std::string(name), 0);
  }
  if (const auto offset = parse_offset(name)) {
    return std::make_shared<FixedZone>(std::string(name), *offset);
  }
  std::string message = "unknown time zone \"";
  message += name;
  message += "\" (an IANA name from /usr/share/zoneinfo, UTC, or an offset like +05:30)";
  if (!safe_zone_name(name)) {
    return fail(ErrorCode::kInvalidConfig, message);
  }
  const auto rule = posix_rule_of("/usr/share/zoneinfo/" + std::string(name));
  if (!rule) {
    return fail(ErrorCode::kInvalidConfig, message);
  }
  try {
    const boost::local_time::time_zone_ptr zone(
        new boost::local_time::posix_time_zone(boost_rule_of(*rule)));
    return std::make_shared<RuleZone>(std::string(name), zone);
  } catch (const std::exception& error) {
    message += ": ";
    message += error.what();
    return fail(ErrorCode::kInvalidConfig, message);
  }
}

PeriodBounds period_bounds(BudgetPeriod period, UnixMillis now, const TimeZone& zone) {
  if (period == BudgetPeriod::kTotal) {
    return {.start = 0, .end = std::numeric_limits<UnixMillis>::max()};
  }
  const LocalSeconds local = (now / 1000) + zone.offset_seconds(now);
  const chrono::sys_days today{
      chrono::floor<chrono::days>(chrono::sys_seconds{chrono::seconds{local}})};
  chrono::sys_days first = today;
  chrono::sys_days next = today + chrono::days{1};
  if (period == BudgetPeriod::kWeekly) {
    // Weeks start on Monday (ISO 8601).
    const chrono::weekday weekday{today};
    first = today - (weekday - chrono::Monday);
    next = first + chrono::days{7};
  } else if (period == BudgetPeriod::kMonthly) {
    const chrono::year_month_day date{today};
    first = chrono::sys_days{date.year() / date.month() / 1};
    next = chrono::sys_days{(date.year() / date.month() + chrono::months{1}) / 1};
  }
  return {.start = to_utc(midnight(first), zone), .end = to_utc(midnight(next), zone)};
}

}  // namespace nexus::governance
