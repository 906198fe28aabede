// Spans as an OTLP/HTTP JSON export request (ExportTraceServiceRequest, the JSON Protobuf
// encoding of opentelemetry-proto docs/specification.md): lowerCamelCase keys, trace and span
// ids as lowercase hex, enums as integers, 64-bit integers (times, int attributes) as decimal
// strings. One resource (service.name) and one scope ("nexus") hold every span.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "obs/tracing/span.h"

namespace nexus::obs::tracing {

struct ResourceInfo {
  std::string service_name;
  std::string service_version;  // empty: not sent
};

// Appends the export request for `spans` to `out`.
void encode_export_request(std::span<const Span> spans, const ResourceInfo& resource,
                           std::string& out);

}  // namespace nexus::obs::tracing
