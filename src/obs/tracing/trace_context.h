// W3C Trace Context (level 1): the `traceparent` and `tracestate` request headers.
// https://www.w3.org/TR/trace-context/ — parsing is strict for version 00 (lowercase hex, exact
// length, no all-zero ids) and lenient for later versions as the spec asks (their first four
// fields are read as version 00's, anything after a further '-' is ignored). Parsing and
// formatting never allocate: they run for every request when tracing is on.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace nexus::obs::tracing {

struct TraceId {
  uint64_t high = 0;
  uint64_t low = 0;

  [[nodiscard]] bool valid() const { return high != 0 || low != 0; }
  friend bool operator==(const TraceId&, const TraceId&) = default;
};

// A span id; 0 is the invalid id (no span).
using SpanId = uint64_t;

inline constexpr uint8_t kSampledFlag = 0x01;
// "00-" + 32 + "-" + 16 + "-" + 2
inline constexpr size_t kTraceparentSize = 55;
// Level 1: vendors propagate at least 512 characters of tracestate; longer lists are cut at an
// entry boundary.
inline constexpr size_t kMaxTracestateSize = 512;
inline constexpr size_t kMaxTracestateMembers = 32;

struct TraceParent {
  uint8_t version = 0;
  TraceId trace_id;
  SpanId parent_id = 0;
  uint8_t flags = 0;

  [[nodiscard]] bool sampled() const { return (flags & kSampledFlag) != 0; }
};

// The header's value; nullopt when it is invalid (the request then starts a new trace and its
// tracestate is ignored, as the spec says).
std::optional<TraceParent> parse_traceparent(std::string_view value);

// Writes a version-00 traceparent into `out` (exactly kTraceparentSize characters).
void format_traceparent(const TraceId& trace_id, SpanId span_id, uint8_t flags,
                        std::span<char, kTraceparentSize> out);

// Writes `id` as 16 (or 32) lowercase hex digits.
void write_hex(SpanId id, std::span<char, 16> out);
void write_hex(const TraceId& id, std::span<char, 32> out);

// The part of a tracestate header to pass on: the value itself when it is a valid list (at most
// 32 members, keys and values per the grammar, no duplicate keys), cut after the last whole
// member that fits in kMaxTracestateSize characters when it is longer; nullopt when it is
// invalid (then it is dropped, not forwarded).
std::optional<std::string_view> parse_tracestate(std::string_view value);

}  // namespace nexus::obs::tracing
