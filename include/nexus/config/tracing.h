// `observability.tracing` (docs/observability.md, "Traces"): OpenTelemetry traces exported over
// OTLP/HTTP JSON. Off unless the section is present.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace nexus::config {

struct Tracing {
  bool enabled = false;
  std::string endpoint = "http://127.0.0.1:4318/v1/traces";  // the collector's OTLP/HTTP URL
  double sampling_ratio = 1.0;  // of the requests that arrive without a sampled traceparent
  std::string service_name = "nexus";
  uint32_t max_queue_spans = 2048;  // spans waiting for export; past it they are dropped
  uint32_t batch_size = 512;        // spans per export request at most
  std::chrono::milliseconds flush_interval{1000};
  std::chrono::milliseconds export_timeout{5000};  // one export request
  uint32_t max_retries = 3;                        // of a batch the collector could not take
  std::vector<std::pair<std::string, std::string>> headers;  // sent with every export request
};

}  // namespace nexus::config
