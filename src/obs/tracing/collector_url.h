// The OTLP collector's URL, split for the exporter's HTTP client; parsed when the config loads
// (so a bad endpoint is a config error naming its line).
#pragma once

#include <string>

#include "nexus/core/result.h"

namespace nexus::obs::tracing {

struct CollectorUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;  // "/v1/traces" when the URL has no path
};

// An http:// or https:// URL; an error saying what is wrong otherwise.
Result<CollectorUrl> parse_collector_url(const std::string& text);

}  // namespace nexus::obs::tracing
