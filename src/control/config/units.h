// Durations, sizes and integers as written in the configuration.
//
// Only whole numbers with one unit are accepted ("250ms", "10s", "64KiB"): fractions and compound
// forms ("1m30s") are rejected rather than guessed at. Sizes use binary units only, so "1KB" is an
// error instead of silently meaning 1000 or 1024.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "nexus/config/config.h"

namespace nexus::control::config_internal {

// Plain decimal digits (no sign, no spaces); nullopt on anything else or on overflow.
std::optional<uint64_t> parse_uint(std::string_view text);

// "<integer>ms|s|m|h", or "0" meaning zero (no limit). nullopt on anything else or on overflow.
std::optional<config::Duration> parse_duration(std::string_view text);

// "<integer>" bytes or "<integer>B|KiB|MiB|GiB". nullopt on anything else or on overflow.
std::optional<uint64_t> parse_size(std::string_view text);

}  // namespace nexus::control::config_internal
