#include "llm/pricing/money.h"

namespace nexus::llm::pricing {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<int64_t> parse_decimal(std::string_view text, int decimals, int64_t max) {
  const size_t point = text.find('.');
  const std::string_view whole = text.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  if (whole.empty() || (point != std::string_view::npos && fraction.empty()) ||
      fraction.size() > static_cast<size_t>(decimals)) {
    return std::nullopt;
  }
  // Accumulated with an overflow check per digit: `max` bounds the result, not the text's length.
  uint64_t value = 0;
  const auto limit = static_cast<uint64_t>(max);
  auto push = [&](char digit) {
    value = value * 10 + static_cast<uint64_t>(digit - '0');
    return value <= limit;
  };
  for (const char c : whole) {
    if (!is_digit(c) || !push(c)) {
      return std::nullopt;
    }
  }
  for (int i = 0; i < decimals; ++i) {
    const char digit = static_cast<size_t>(i) < fraction.size() ? fraction[i] : '0';
    if (!is_digit(digit) || !push(digit)) {
      return std::nullopt;
    }
  }
  return static_cast<int64_t>(value);
}

std::string format_decimal(int64_t units, int decimals) {
  // The magnitude as unsigned: -INT64_MIN does not fit an int64.
  const uint64_t magnitude =
      units < 0 ? uint64_t{0} - static_cast<uint64_t>(units) : static_cast<uint64_t>(units);
  std::string digits = std::to_string(magnitude);
  if (digits.size() <= static_cast<size_t>(decimals)) {
    digits.insert(0, static_cast<size_t>(decimals) + 1 - digits.size(), '0');
  }
  std::string out = units < 0 ? "-" : "";
  const size_t whole = digits.size() - static_cast<size_t>(decimals);
  out.append(digits, 0, whole);
  out += '.';
  std::string_view fraction = std::string_view(digits).substr(whole);
  while (fraction.size() > 1 && fraction.back() == '0') {
    fraction.remove_suffix(1);
  }
  out += fraction.empty() ? std::string_view("0") : fraction;
  return out;
}

std::string format_usd(NanoUsd amount) { return format_decimal(amount, kNanoUsdDecimals); }

}  // namespace nexus::llm::pricing
