// Money as integers, so that costs and budgets add up exactly.
//
// A request's cost is integer nano-dollars (1e-9 USD): an int64 holds $9.2 billion, and sums over
// millions of requests lose nothing. Prices are integer micro-dollars per million tokens, which is
// the same number as pico-dollars per token: every published list price ($0.0375 per million
// tokens included) is a whole number of them, so they are read from the config's decimal text
// exactly, never through a double.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nexus::llm::pricing {

using NanoUsd = int64_t;          // 1e-9 USD (the same unit as governance::NanoUsd)
using MicroUsdPerMtok = int64_t;  // 1e-6 USD per 1e6 tokens == 1e-12 USD (pico) per token

inline constexpr int kNanoUsdDecimals = 9;  // a USD amount in nano-USD: 9 decimal places
inline constexpr int kPriceDecimals = 6;    // a per-Mtok price in micro-USD: 6 decimal places
inline constexpr int64_t kPicoPerNano = 1000;

// The plain decimal `text` ("12", "0.0375", "2.50") scaled by 10^decimals, exactly: "0.0375"
// with 6 decimals is 37500. Accepted: digits, optionally a '.' and at least one more digit.
// Refused (nullopt): empty text, signs, exponents, spaces, more fractional digits than
// `decimals` (they would have to be rounded away), and values above `max` (in scaled units).
std::optional<int64_t> parse_decimal(std::string_view text, int decimals, int64_t max);

// `units` / 10^decimals as a decimal: trailing zeros trimmed, but at least one fractional digit
// ("0.0", "2.5", "0.000123"); negative values get a '-'.
std::string format_decimal(int64_t units, int decimals);

// A cost in USD with the rules of format_decimal: 123000 -> "0.000123", 2500000000 -> "2.5".
std::string format_usd(NanoUsd amount);

}  // namespace nexus::llm::pricing
