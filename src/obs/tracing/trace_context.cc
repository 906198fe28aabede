#include "obs/tracing/trace_context.h"

#include <algorithm>
#include <array>

namespace nexus::obs::tracing {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";

// Every byte's two hex digits: ids are formatted for every traced request (the traceparent sent
// upstream), a byte per lookup rather than a digit.
constexpr std::array<std::array<char, 2>, 256> kHexPairs = [] {
  std::array<std::array<char, 2>, 256> pairs{};
  for (size_t byte = 0; byte < pairs.size(); ++byte) {
    pairs[byte] = {kHexDigits[byte >> 4], kHexDigits[byte & 0xf]};
  }
  return pairs;
}();

// A lowercase hex digit's value, or -1 (uppercase is invalid in traceparent).
int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

// `digits` (at most 16) lowercase hex digits as a number; nullopt on any other character.
std::optional<uint64_t> parse_hex(std::string_view digits) {
  uint64_t value = 0;
  for (const char c : digits) {
    const int digit = hex_value(c);
    if (digit < 0) {
      return std::nullopt;
    }
    value = (value << 4) | static_cast<uint64_t>(digit);
  }
  return value;
}

bool is_lcalpha(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_key_char(char c) {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}
bool is_ows(char c) { return c == ' ' || c == '\t'; }
// nblk-chr: printable ASCII except ',' and '='.
bool is_value_char(char c) { return c >= 0x21 && c <= 0x7e && c != ',' && c != '='; }

// key = simple-key / tenant-id "@" system-id
bool valid_key(std::string_view key) {
  const size_t at = key.find('@');
  if (at == std::string_view::npos) {
    return !key.empty() && key.size() <= 256 && is_lcalpha(key.front()) &&
           std::ranges::all_of(key, is_key_char);
  }
  const std::string_view tenant = key.substr(0, at);
  const std::string_view system = key.substr(at + 1);
  return !tenant.empty() && tenant.size() <= 241 &&
         (is_lcalpha(tenant.front()) || is_digit(tenant.front())) &&
         std::ranges::all_of(tenant, is_key_char) && !system.empty() && system.size() <= 14 &&
         is_lcalpha(system.front()) && std::ranges::all_of(system, is_key_char);
}

// value = 0*255(chr) nblk-chr, chr = SP / nblk-chr
bool valid_value(std::string_view value) {
  return !value.empty() && value.size() <= 256 && value.back() != ' ' &&
         std::ranges::all_of(value, [](char c) { return c == ' ' || is_value_char(c); });
}

std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && is_ows(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_ows(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

std::optional<TraceParent> parse_traceparent(std::string_view value) {
  if (value.size() < kTraceparentSize) {
    return std::nullopt;
  }
  const std::optional<uint64_t> version = parse_hex(value.substr(0, 2));
  // ff is forbidden; version 00 has exactly four fields; a later version may add fields after a
  // further '-', which this version does not understand and ignores.
  if (!version || *version == 0xff || value[2] != '-' || value[35] != '-' || value[52] != '-') {
    return std::nullopt;
  }
  if (value.size() > kTraceparentSize && (*version == 0 || value[kTraceparentSize] != '-')) {
    return std::nullopt;
  }
  const std::optional<uint64_t> high = parse_hex(value.substr(3, 16));
  const std::optional<uint64_t> low = parse_hex(value.substr(19, 16));
  const std::optional<uint64_t> parent = parse_hex(value.substr(36, 16));
  const std::optional<uint64_t> flags = parse_hex(value.substr(53, 2));
  if (!high || !low || !parent || !flags) {
    return std::nullopt;
  }
  TraceParent out{.version = static_cast<uint8_t>(*version),
                  .trace_id = {.high = *high, .low = *low},
                  .parent_id = *parent,
                  .flags = static_cast<uint8_t>(*flags)};
  if (!out.trace_id.valid() || out.parent_id == 0) {
    return std::nullopt;
  }
  if (out.version > 0) {
    out.flags &= kSampledFlag;  // flags of a later version mean nothing known to us
  }
  return out;
}

void write_hex(SpanId id, std::span<char, 16> out) {
  for (size_t i = 0; i < 8; ++i) {
    const std::array<char, 2>& pair = kHexPairs[(id >> (8 * (7 - i))) & 0xff];
    out[2 * i] = pair[0];
    out[2 * i + 1] = pair[1];
  }
}

void write_hex(const TraceId& id, std::span<char, 32> out) {
  write_hex(id.high, out.subspan<0, 16>());
  write_hex(id.low, out.subspan<16, 16>());
}

void format_traceparent(const TraceId& trace_id, SpanId span_id, uint8_t flags,
                        std::span<char, kTraceparentSize> out) {
  out[0] = '0';
  out[1] = '0';
  out[2] = '-';
  write_hex(trace_id, out.subspan<3, 32>());
  out[35] = '-';
  write_hex(span_id, out.subspan<36, 16>());
  out[52] = '-';
  out[53] = kHexDigits[(flags >> 4) & 0xf];
  out[54] = kHexDigits[flags & 0xf];
}

std::optional<std::string_view> parse_tracestate(std::string_view value) {
  std::array<std::string_view, kMaxTracestateMembers> keys;
  size_t members = 0;
  size_t cut = 0;  // end of the last member that fits in kMaxTracestateSize
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) {
      comma = value.size();
    }
    const std::string_view member = trim_ows(value.substr(start, comma - start));
    if (!member.empty()) {  // empty members (OWS only) are allowed and skipped
      const size_t equals = member.find('=');
      if (equals == std::string_view::npos || members == kMaxTracestateMembers) {
        return std::nullopt;
      }
      const std::string_view key = member.substr(0, equals);
      if (!valid_key(key) || !valid_value(member.substr(equals + 1)) ||
          std::ranges::find(keys.begin(), keys.begin() + members, key) != keys.begin() + members) {
        return std::nullopt;
      }
      keys[members++] = key;
      const auto end = static_cast<size_t>(member.data() + member.size() - value.data());
      if (end <= kMaxTracestateSize) {
        cut = end;
      }
    }
    start = comma + 1;
  }
  if (members == 0 || cut == 0) {
    return std::nullopt;  // nothing to pass on
  }
  return trim_ows(value.substr(0, value.size() <= kMaxTracestateSize ? value.size() : cut));
}

}  // namespace nexus::obs::tracing
