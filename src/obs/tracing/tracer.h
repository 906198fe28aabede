// The process's tracer: the sampler and the exporter, made once at start-up (server.cc) and
// shared by the workers (through SharedCounters). Null when tracing is not configured.
#pragma once

#include <memory>
#include <vector>

#include "obs/tracing/exporter.h"
#include "obs/tracing/sampler.h"

namespace nexus::obs::tracing {

class Tracer {
 public:
  Tracer(double sampling_ratio, std::unique_ptr<SpanExporter> exporter)
      : sampler_(sampling_ratio), exporter_(std::move(exporter)) {}

  [[nodiscard]] const Sampler& sampler() const { return sampler_; }
  // Thread-safe (see SpanExporter::submit).
  void submit(std::vector<Span>& spans) { exporter_->submit(spans); }
  // For the metrics family nexus_tracing_dropped_spans_total.
  [[nodiscard]] uint64_t dropped_spans() const { return exporter_->dropped_spans(); }
  [[nodiscard]] uint64_t exported_spans() const { return exporter_->exported_spans(); }

 private:
  Sampler sampler_;
  std::unique_ptr<SpanExporter> exporter_;
};

}  // namespace nexus::obs::tracing
