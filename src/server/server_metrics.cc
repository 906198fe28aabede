#include "server/server_metrics.h"

#include <algorithm>
#include <map>

namespace nexus::server {
namespace metrics = obs::metrics;

namespace {

constexpr std::string_view kNoRoute = "none";  // not routed, or no route matched
constexpr double kNanosPerSecond = 1e9;

uint32_t status_class(int status) {
  if (status >= 100 && status < 600) {
    return static_cast<uint32_t>(status / 100 - 1);  // "1xx" is value 0
  }
  return 5;  // "none": nothing was sent
}

uint64_t nanos(std::chrono::steady_clock::duration elapsed) {
  const auto count = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
  return count > 0 ? static_cast<uint64_t>(count) : 0;
}

metrics::FamilySpec histogram_spec(std::string name, std::string help, std::string label,
                                   std::vector<std::string> values) {
  return {.name = std::move(name),
          .help = std::move(help),
          .unit = "seconds",
          .type = metrics::Type::kHistogram,
          .labels = {{.name = std::move(label), .values = std::move(values)}},
          .buckets = metrics::duration_buckets(),
          .scale = kNanosPerSecond};
}

// Every value index of a one-label family, in order.
std::vector<metrics::HistogramId> per_value(const metrics::Family& family, size_t count) {
  std::vector<metrics::HistogramId> out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t index[] = {i};
    out.push_back(family.histogram_at(index));
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<ServerMetrics>> ServerMetrics::create(
    metrics::Registry& registry, const Snapshot& snapshot,
    const std::atomic<uint32_t>& connections) {
  std::unique_ptr<ServerMetrics> out(new ServerMetrics());
  const auto& routes = snapshot.config.routes;
  out->routes_ = routes.data();
  out->route_count_ = routes.size();
  // Route names label the series; two routes of one name share theirs.
  std::vector<std::string> route_names;
  std::map<std::string, uint32_t, std::less<>> seen;
  out->route_label_.reserve(routes.size() + 1);
  for (size_t i = 0; i <= routes.size(); ++i) {
    const std::string name = i < routes.size() ? routes[i].name : std::string(kNoRoute);
    const auto [at, added] = seen.emplace(name, static_cast<uint32_t>(route_names.size()));
    if (added) {
      route_names.push_back(name);
    }
    out->route_label_.push_back(at->second);
  }
  std::vector<std::string> cluster_names;
  cluster_names.reserve(snapshot.clusters.size());
  for (const config::Cluster* cluster : snapshot.clusters) {
    cluster_names.push_back(cluster->name);
  }

  auto requests = registry.add(
      {.name = "nexus_http_requests",
       .help = "HTTP requests answered, by route, status class and client protocol.",
       .labels = {
           {.name = "route", .values = route_names},
           {.name = "status_class", .values = {"1xx", "2xx", "3xx", "4xx", "5xx", "none"}},
           {.name = "protocol", .values = {"http1", "http2", "llm_openai", "llm_anthropic"}}}});
  auto duration = registry.add(histogram_spec(
      "nexus_http_request_duration_seconds",
      "From the request's first byte to the end of its response, by route.", "route", route_names));
  auto overhead = registry.add(histogram_spec(
      "nexus_overhead_seconds",
      "Request duration minus the time spent on upstream attempts: Nexus's own time, by route.",
      "route", route_names));
  auto upstream = registry.add(histogram_spec(
      "nexus_upstream_request_duration_seconds",
      "One upstream attempt, from connecting to the end of the upstream's response, by cluster.",
      "cluster", cluster_names));
  auto streams = registry.add({.name = "nexus_streams_active",
                               .help = "Streams open now: HTTP/2 streams and LLM SSE streams.",
                               .type = metrics::Type::kGauge,
                               .labels = {{.name = "kind", .values = {"http2", "llm_sse"}}}});
  auto rate_limited = registry.add(
      {.name = "nexus_rate_limit_decisions",
       .help = "Requests the rate_limit filter checked: let through, or refused (429).",
       .labels = {{.name = "decision", .values = {"allowed", "limited"}}}});
  for (const auto* added : {&requests, &duration, &overhead, &upstream, &streams, &rate_limited}) {
    if (!*added) {
      return std::unexpected(added->error());
    }
  }
  if (auto llm = declare_llm_families(registry, snapshot, out->llm_); !llm) {
    return std::unexpected(std::move(llm.error()));
  }
  if (auto upstream_families = declare_upstream_families(registry, snapshot, out->upstream_);
      !upstream_families) {
    return std::unexpected(std::move(upstream_families.error()));
  }
  auto open = registry.add_callback(
      {.name = "nexus_connections_active",
       .help = "Client connections open now, all workers.",
       .type = metrics::Type::kGauge},
      [&connections] { return static_cast<double>(connections.load(std::memory_order_relaxed)); });
  if (!open) {
    return std::unexpected(std::move(open.error()));
  }
  out->requests_ = *requests;
  out->request_duration_ = per_value(**duration, route_names.size());
  out->overhead_ = per_value(**overhead, route_names.size());
  out->upstream_duration_ = per_value(**upstream, cluster_names.size());
  for (uint32_t kind = 0; kind < 2; ++kind) {
    const uint32_t index[] = {kind};
    out->streams_[kind] = (*streams)->series_at(index);
  }
  for (uint32_t decision = 0; decision < 2; ++decision) {
    const uint32_t index[] = {decision};
    out->rate_limit_decisions_[decision] = (*rate_limited)->series_at(index);
  }
  return out;
}

void WorkerMetrics::exchange_done(const ExchangeRecord& record, int status, Clock::time_point now) {
  size_t route = families_.route_count_;  // "none"
  if (record.route != nullptr) {
    const auto index = record.route - families_.routes_;
    if (index >= 0 && static_cast<size_t>(index) < families_.route_count_) {
      route = static_cast<size_t>(index);
    }
  }
  const uint32_t label = families_.route_label_[route];
  const uint32_t series[] = {label, status_class(status), static_cast<uint32_t>(record.protocol)};
  shard_.add(families_.requests_->series_at(series));
  const Clock::duration total = now - record.start;
  shard_.observe(families_.request_duration_[label], nanos(total));
  shard_.observe(families_.overhead_[label],
                 nanos(std::max(total - record.upstream_total, Clock::duration::zero())));
}

void WorkerMetrics::upstream_attempt(size_t cluster, Clock::duration elapsed) {
  if (cluster < families_.upstream_duration_.size()) {
    shard_.observe(families_.upstream_duration_[cluster], nanos(elapsed));
  }
}

UpstreamTiming::~UpstreamTiming() {
  const auto elapsed = Clock::now() - start_;
  record_.upstream_total += elapsed;
  if (metrics_ != nullptr) {
    metrics_->upstream_attempt(cluster_, elapsed);
  }
}

}  // namespace nexus::server
