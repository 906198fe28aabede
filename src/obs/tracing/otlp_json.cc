#include "obs/tracing/otlp_json.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

#include "core/json_escape.h"

namespace nexus::obs::tracing {
namespace {

// Whether `text` is valid UTF-8: JSON must be, and request paths may carry any byte.
bool valid_utf8(std::string_view text) {
  size_t i = 0;
  // ASCII, nearly every attribute: 8 bytes at a time while no byte has its high bit set.
  constexpr uint64_t kHighBits = 0x8080808080808080ULL;
  for (uint64_t word = 0; i + sizeof(word) <= text.size(); i += sizeof(word)) {
    std::memcpy(&word, text.data() + i, sizeof(word));
    if ((word & kHighBits) != 0) {
      break;
    }
  }
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t extra = 0;
    if (c < 0x80) {
      extra = 0;
    } else if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
    } else {
      return false;
    }
    for (size_t k = 1; k <= extra; ++k) {
      if (i + k >= text.size() || (static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) {
        return false;
      }
    }
    if (extra >= 2) {  // no overlong forms, surrogates or code points past U+10FFFF
      const auto second = static_cast<unsigned char>(text[i + 1]);
      if ((c == 0xe0 && second < 0xa0) || (c == 0xed && second > 0x9f) ||
          (c == 0xf0 && second < 0x90) || (c == 0xf4 && second > 0x8f)) {
        return false;
      }
    }
    i += extra + 1;
  }
  return true;
}

void append_string(std::string& out, std::string_view text) {
  out += '"';
  if (valid_utf8(text)) {
    append_json_escaped(out, text);
  } else {
    for (const char c : text) {  // rare: non-ASCII bytes that are not UTF-8 become '?'
      const char safe = static_cast<unsigned char>(c) >= 0x80 ? '?' : c;
      append_json_escaped(out, std::string_view(&safe, 1));
    }
  }
  out += '"';
}

void append_hex(std::string& out, const TraceId& id) {
  std::array<char, 32> hex{};
  write_hex(id, hex);
  out += '"';
  out.append(hex.data(), hex.size());
  out += '"';
}

void append_hex(std::string& out, SpanId id) {
  std::array<char, 16> hex{};
  write_hex(id, hex);
  out += '"';
  out.append(hex.data(), hex.size());
  out += '"';
}

void append_integer(std::string& out, int64_t value) {
  std::array<char, 24> digits{};
  const auto written = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  out.append(digits.data(), written.ptr);
}

// 64-bit integers are strings in proto3 JSON.
void append_int64(std::string& out, int64_t value) {
  out += '"';
  append_integer(out, value);
  out += '"';
}

void append_value(std::string& out, const AttributeValue& value) {
  if (const auto* text = std::get_if<std::string>(&value)) {
    out += R"({"stringValue":)";
    append_string(out, *text);
  } else if (const auto* integer = std::get_if<int64_t>(&value)) {
    out += R"({"intValue":)";
    append_int64(out, *integer);
  } else if (const auto* number = std::get_if<double>(&value)) {
    out += R"({"doubleValue":)";
    if (std::isfinite(*number)) {
      std::array<char, 32> digits{};  // the shortest form that reads back the same double
      const auto written = std::to_chars(digits.data(), digits.data() + digits.size(), *number);
      out.append(digits.data(), written.ptr);
    } else {
      out += std::isnan(*number) ? R"("NaN")" : (*number > 0 ? R"("Infinity")" : R"("-Infinity")");
    }
  } else {
    out += R"({"boolValue":)";
    out += std::get<bool>(value) ? "true" : "false";
  }
  out += '}';
}

void append_attributes(std::string& out, std::span<const Attribute> attributes) {
  out += '[';
  for (size_t i = 0; i < attributes.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += R"({"key":)";
    append_string(out, attributes[i].key);
    out += R"(,"value":)";
    append_value(out, attributes[i].value);
    out += '}';
  }
  out += ']';
}

void append_span(std::string& out, const Span& span) {
  out += R"({"traceId":)";
  append_hex(out, span.trace_id);
  out += R"(,"spanId":)";
  append_hex(out, span.span_id);
  if (!span.trace_state.empty()) {
    out += R"(,"traceState":)";
    append_string(out, span.trace_state);
  }
  if (span.parent_span_id != 0) {
    out += R"(,"parentSpanId":)";
    append_hex(out, span.parent_span_id);
  }
  out += R"(,"flags":)";
  append_integer(out, span.flags);
  out += R"(,"name":)";
  append_string(out, span.name);
  out += R"(,"kind":)";
  append_integer(out, static_cast<int64_t>(span.kind));
  out += R"(,"startTimeUnixNano":)";
  append_int64(out, span.start_unix_nano);
  out += R"(,"endTimeUnixNano":)";
  append_int64(out, span.end_unix_nano);
  out += R"(,"attributes":)";
  append_attributes(out, span.attributes);
  if (!span.events.empty()) {
    out += R"(,"events":[)";
    for (size_t i = 0; i < span.events.size(); ++i) {
      const SpanEvent& event = span.events[i];
      out += i > 0 ? R"(,{"timeUnixNano":)" : R"({"timeUnixNano":)";
      append_int64(out, event.time_unix_nano);
      out += R"(,"name":)";
      append_string(out, event.name);
      out += R"(,"attributes":)";
      append_attributes(out, event.attributes);
      out += '}';
    }
    out += ']';
  }
  out += R"(,"status":{)";
  if (!span.status_message.empty()) {
    out += R"("message":)";
    append_string(out, span.status_message);
    out += ',';
  }
  out += R"("code":)";
  append_integer(out, static_cast<int64_t>(span.status));
  out += "}}";
}

}  // namespace

void encode_export_request(std::span<const Span> spans, const ResourceInfo& resource,
                           std::string& out) {
  out += R"({"resourceSpans":[{"resource":{"attributes":[)";
  out += R"({"key":"service.name","value":{"stringValue":)";
  append_string(out, resource.service_name);
  out += "}}";
  if (!resource.service_version.empty()) {
    out += R"(,{"key":"service.version","value":{"stringValue":)";
    append_string(out, resource.service_version);
    out += "}}";
  }
  out += R"(,{"key":"telemetry.sdk.name","value":{"stringValue":"nexus"}})";
  out += R"(,{"key":"telemetry.sdk.language","value":{"stringValue":"cpp"}}]},)";
  out += R"("scopeSpans":[{"scope":{"name":"nexus")";
  if (!resource.service_version.empty()) {
    out += R"(,"version":)";
    append_string(out, resource.service_version);
  }
  out += R"(},"spans":[)";
  for (size_t i = 0; i < spans.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    append_span(out, spans[i]);
  }
  out += "]}]}]}";
}

}  // namespace nexus::obs::tracing
