// Head sampling, decided once per request when its server span starts: parent-based (a valid
// traceparent from the client decides by its sampled flag), else the configured ratio applied
// to the trace id (OpenTelemetry's TraceIdRatioBased: the same trace id always gets the same
// answer, so instances with the same ratio agree).
#pragma once

#include <optional>

#include "obs/tracing/trace_context.h"

namespace nexus::obs::tracing {

class Sampler {
 public:
  // `ratio` in [0, 1].
  explicit Sampler(double ratio);

  [[nodiscard]] bool sample(const std::optional<TraceParent>& parent,
                            const TraceId& trace_id) const;

 private:
  uint64_t threshold_ = 0;  // sampled when the trace id's low 63 bits are below it
  bool always_ = false;
};

}  // namespace nexus::obs::tracing
