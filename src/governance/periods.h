// Budget periods on the calendar of the governance time zone: a daily budget resets at local
// midnight, a weekly one on Monday at midnight, a monthly one on the 1st.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "governance/store.h"
#include "nexus/core/result.h"

namespace nexus::governance {

struct PeriodBounds {
  UnixMillis start = 0;  // inclusive
  UnixMillis end = 0;    // exclusive; the reset time (INT64_MAX for `total`)
};

// A time zone's rules, loaded once (from the system's zoneinfo) and then read by any thread.
class TimeZone {
 public:
  // "UTC", an IANA name ("Europe/Paris"), or a fixed offset ("+05:30", "-08:00"). An unknown
  // name is an error naming it.
  static Result<std::shared_ptr<const TimeZone>> load(std::string_view name);
  virtual ~TimeZone() = default;
  // The offset from UTC, in seconds, in force at `utc` (ms since the epoch).
  [[nodiscard]] virtual int64_t offset_seconds(UnixMillis utc) const = 0;
  [[nodiscard]] virtual const std::string& name() const = 0;
};

// The period holding `now`.
PeriodBounds period_bounds(BudgetPeriod period, UnixMillis now, const TimeZone& zone);

}  // namespace nexus::governance
