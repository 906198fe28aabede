// The exporter's transport: POST of an OTLP/HTTP JSON body to the collector's URL, blocking,
// on the exporter's thread (never on a worker). One connection per batch: batches go out about
// once per flush interval, so keeping one open would save little and need reconnect logic.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "nexus/core/result.h"
#include "obs/tracing/collector_url.h"
#include "obs/tracing/exporter.h"

namespace nexus::obs::tracing {

// A Transport posting to `url` with Content-Type application/json and `headers` (e.g. an
// authorization header the collector wants). https verifies the collector's certificate with
// the system's CAs.
Transport http_transport(const CollectorUrl& url,
                         std::vector<std::pair<std::string, std::string>> headers);

}  // namespace nexus::obs::tracing
