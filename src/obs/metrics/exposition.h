// The text a scrape returns: the registry's families summed over the shards, in the Prometheus
// text format 0.0.4 or OpenMetrics 1.0.0, chosen by the scraper's Accept header.
//
// Counter and histogram series are written once they have counted something (a family without
// labels always is), so the output grows with what happened, not with every combination of
// label values; gauges are written for every known combination of values.
#pragma once

#include <string>
#include <string_view>

#include "obs/metrics/registry.h"

namespace nexus::obs::metrics {

enum class Format : uint8_t { kPrometheus, kOpenMetrics };

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";
inline constexpr std::string_view kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

// OpenMetrics when `accept` asks for application/openmetrics-text (without q=0), else Prometheus.
Format negotiate(std::string_view accept);
std::string_view content_type(Format format);

// Appends the exposition of `registry` to `out`. Any thread (shards are read with relaxed
// loads); callbacks run on the caller's thread.
void render(const Registry& registry, Format format, std::string& out);

// Label value escaping (\ " and newline), appended to `out`.
void append_escaped(std::string_view value, std::string& out);

}  // namespace nexus::obs::metrics
