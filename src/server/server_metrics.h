// The server's metric families (docs/observability.md) and what records into them: one call when
// an exchange ends, one per upstream attempt, one when a stream opens or closes. Created only
// when the ops listener is configured; otherwise workers hold no WorkerMetrics and record
// nothing.
//
// Adding a family: a Family* (or handles) in ServerMetrics, its FamilySpec in create(), and a
// method on WorkerMetrics that the exchange code calls (see docs/observability.md).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "nexus/core/result.h"
#include "obs/metrics/registry.h"
#include "server/downstream.h"
#include "server/snapshot.h"

namespace nexus::server {

enum class StreamKind : uint8_t { kHttp2, kLlmSse };

// The families, declared once from the snapshot (route and cluster names are their label values)
// and shared read-only by the workers.
class ServerMetrics {
 public:
  // Declares the families in `registry` (not frozen yet). `connections`: the process's open
  // client connections (SharedCounters), read at scrape.
  static Result<std::unique_ptr<ServerMetrics>> create(obs::metrics::Registry& registry,
                                                       const Snapshot& snapshot,
                                                       const std::atomic<uint32_t>& connections);

 private:
  friend class WorkerMetrics;
  ServerMetrics() = default;

  const config::Route* routes_ = nullptr;  // the snapshot's routes: a route's index is its label
  size_t route_count_ = 0;
  std::vector<uint32_t> route_label_;  // per route index (then "none"): its value index
  obs::metrics::Family* requests_ = nullptr;
  std::vector<obs::metrics::HistogramId> request_duration_;  // per route_label_ entry
  std::vector<obs::metrics::HistogramId> overhead_;
  std::vector<obs::metrics::HistogramId> upstream_duration_;  // per cluster id
  obs::metrics::SeriesId streams_[2];                         // per StreamKind
};

// What one worker records, into its own shard. Worker thread only.
class WorkerMetrics {
 public:
  using Clock = std::chrono::steady_clock;

  WorkerMetrics(const ServerMetrics& families, obs::metrics::Shard& shard)
      : families_(families), shard_(shard) {}

  // The exchange is over (Downstream::complete): its count, duration and overhead.
  void exchange_done(const ExchangeRecord& record, int status, Clock::time_point now);
  void upstream_attempt(size_t cluster, Clock::duration elapsed);
  void stream(StreamKind kind, int64_t delta) {
    shard_.add_signed(families_.streams_[static_cast<size_t>(kind)], delta);
  }

 private:
  const ServerMetrics& families_;
  obs::metrics::Shard& shard_;
};

// One upstream attempt, timed from construction to destruction: the time is added to the
// exchange's upstream total (what the overhead leaves out) and observed for the cluster.
class UpstreamTiming {
 public:
  UpstreamTiming(ExchangeRecord& record, WorkerMetrics* metrics, size_t cluster)
      : record_(record), metrics_(metrics), cluster_(cluster), start_(Clock::now()) {}
  ~UpstreamTiming();
  UpstreamTiming(const UpstreamTiming&) = delete;
  UpstreamTiming& operator=(const UpstreamTiming&) = delete;

 private:
  using Clock = std::chrono::steady_clock;
  ExchangeRecord& record_;
  WorkerMetrics* metrics_;  // null: metrics are off
  size_t cluster_;
  Clock::time_point start_;
};

// An open stream, counted in nexus_streams_active while it lives.
class ActiveStream {
 public:
  ActiveStream(WorkerMetrics* metrics, StreamKind kind) : metrics_(metrics), kind_(kind) {
    if (metrics_ != nullptr) {
      metrics_->stream(kind_, 1);
    }
  }
  ~ActiveStream() {
    if (metrics_ != nullptr) {
      metrics_->stream(kind_, -1);
    }
  }
  ActiveStream(const ActiveStream&) = delete;
  ActiveStream& operator=(const ActiveStream&) = delete;

 private:
  WorkerMetrics* metrics_;
  StreamKind kind_;
};

}  // namespace nexus::server
