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
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/filter/context.h"
#include "llm/ir/usage.h"
#include "nexus/core/result.h"
#include "obs/metrics/registry.h"
#include "server/downstream.h"
#include "server/llm_metrics.h"
#include "server/snapshot.h"
#include "server/upstream_metrics.h"

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
  obs::metrics::SeriesId rate_limit_decisions_[2];            // allowed, limited
  LlmFamilies llm_;                                           // llm_metrics.h
  UpstreamFamilies upstream_;                                 // upstream_metrics.h
};

// What one worker records, into its own shard. Worker thread only.
class WorkerMetrics final : public filter::FilterMetrics {
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

  // An LLM request a deployment answered (llm_metrics.cc).
  struct LlmOutcome {
    size_t deployment = 0;                       // its index in Snapshot::deployments
    const llm::Usage* usage = nullptr;           // null: the provider reported none
    Clock::duration total{};                     // first request byte to the answer's end
    std::optional<Clock::duration> first_token;  // streams: first request byte to first token
    uint64_t cost_nano_usd = 0;                  // at the deployment's price; 0: unpriced
    std::string_view team;                       // the virtual key's team; empty: none
  };
  void llm_done(const LlmOutcome& outcome);
  // A provider answered 401/403 (provider_auth_metrics.cc).
  void llm_auth_failure(size_t deployment);
  void admission(AdmissionDecision decision);
  void rate_limit_decision(bool limited) override {
    shard_.add(families_.rate_limit_decisions_[limited ? 1 : 0]);
  }

  // Where this worker counts a cluster's breakers and pool, and a deployment's breaker.
  [[nodiscard]] proxy::ClusterSeries cluster_series(size_t cluster) const {
    return server::cluster_series(families_.upstream_, shard_, cluster);
  }
  [[nodiscard]] proxy::CircuitSeries deployment_series(size_t deployment) const {
    return server::deployment_series(families_.upstream_, shard_, deployment);
  }

 private:
  // The cost series of a team, per model value index: resolved (under the family's mutex) the
  // first time this worker sees the team, then found without allocating.
  const std::vector<obs::metrics::SeriesId>& cost_series(std::string_view team);

  struct TeamHash {
    using is_transparent = void;
    size_t operator()(std::string_view team) const { return std::hash<std::string_view>{}(team); }
  };
  const ServerMetrics& families_;
  obs::metrics::Shard& shard_;
  std::unordered_map<std::string, std::vector<obs::metrics::SeriesId>, TeamHash, std::equal_to<>>
      team_cost_;
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
