// A finished span as the exporter sends it (OTLP's Span, trace.proto). Attribute keys and event
// names are string literals (the semantic conventions' names), so a span copies only its values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "obs/tracing/trace_context.h"

namespace nexus::obs::tracing {

// trace.proto's Span.SpanKind values (OTLP JSON writes enums as these integers).
enum class SpanKind : uint8_t { kUnspecified = 0, kInternal = 1, kServer = 2, kClient = 3 };
// trace.proto's Status.StatusCode values.
enum class StatusCode : uint8_t { kUnset = 0, kOk = 1, kError = 2 };

using AttributeValue = std::variant<std::string, int64_t, double, bool>;

struct Attribute {
  std::string_view key;  // a literal
  AttributeValue value;
};

struct SpanEvent {
  std::string_view name;  // a literal
  int64_t time_unix_nano = 0;
  std::vector<Attribute> attributes;
};

struct Span {
  TraceId trace_id;
  SpanId span_id = 0;
  SpanId parent_span_id = 0;  // 0: a root span
  uint8_t flags = 0;          // the W3C trace flags
  std::string trace_state;    // the client's, passed on unchanged
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  int64_t start_unix_nano = 0;
  int64_t end_unix_nano = 0;  // 0: still open
  std::vector<Attribute> attributes;
  std::vector<SpanEvent> events;
  StatusCode status = StatusCode::kUnset;
  std::string status_message;

  void set(std::string_view key, std::string_view value) {
    attributes.push_back({key, std::string(value)});
  }
  void set(std::string_view key, int64_t value) { attributes.push_back({key, value}); }
  void set(std::string_view key, double value) { attributes.push_back({key, value}); }
  void set(std::string_view key, bool value) { attributes.push_back({key, value}); }
  void fail(std::string_view message) {
    status = StatusCode::kError;
    status_message = message;
  }
};

}  // namespace nexus::obs::tracing
