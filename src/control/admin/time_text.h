// Times and durations as the admin API and the CLI write them: RFC 3339 in UTC
// ("2026-11-23T10:00:00Z"), and durations such as "90s", "15m", "1h", "30d".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nexus::control::admin {

using UnixMillis = int64_t;

// "2026-11-23T10:00:00Z", with ".123" when the milliseconds are not zero.
std::string format_time(UnixMillis time);

// RFC 3339 ("2026-11-23T10:00:00Z", "2026-11-23T10:00:00.5+01:00") or a date alone
// ("2026-11-23", its midnight in UTC); nullopt for anything else or an impossible date.
std::optional<UnixMillis> parse_time(std::string_view text);

// Seconds, from a count and one unit: s, m, h, d, w ("90" alone is seconds); nullopt otherwise.
std::optional<int64_t> parse_duration_seconds(std::string_view text);

}  // namespace nexus::control::admin
