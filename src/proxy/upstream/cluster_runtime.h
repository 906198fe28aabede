// One worker's view of a cluster: its load balancer, the resolved addresses of its endpoints
// and its pool of idle keep-alive connections. Used only on its worker's thread: no locks.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "nexus/config/config.h"
#include "nexus/core/result.h"
#include "proxy/health/endpoint_health.h"
#include "proxy/lb/load_balancer.h"
#include "proxy/resilience/adaptive_timeout.h"
#include "proxy/resilience/circuit_breaker.h"
#include "proxy/resilience/retry_budget.h"
#include "proxy/upstream/connection_slots.h"
#include "proxy/upstream/http2_upstream.h"
#include "proxy/upstream/upstream_connection.h"

namespace nexus::proxy {

// Where one worker counts a cluster (docs/observability.md): its endpoints' breakers, and its
// pool: idle and in-use connections (gauges this worker keeps at its own values), connections
// opened (a counter).
struct ClusterSeries {
  std::vector<CircuitSeries> circuits;   // per endpoint
  obs::metrics::Shard* shard = nullptr;  // null: the pool is not counted
  obs::metrics::SeriesId idle, in_use, opened;
};

class ClusterRuntime {
 public:
  ClusterRuntime(boost::asio::io_context& io, const config::Cluster& cluster,
                 boost::asio::ssl::context* tls, uint64_t seed);
  ~ClusterRuntime();
  ClusterRuntime(const ClusterRuntime&) = delete;
  ClusterRuntime& operator=(const ClusterRuntime&) = delete;

  [[nodiscard]] const config::Cluster& config() const { return cluster_; }
  // "host:port" of an endpoint, for logs (built once, not per request).
  [[nodiscard]] const std::string& endpoint_name(size_t endpoint) const {
    return endpoints_[endpoint].name;
  }
  LoadBalancer& load_balancer() { return *lb_; }

  // Passive health: whether `endpoint`'s circuit breaker lets a request through now (always,
  // without a breaker), and how that request went.
  CircuitBreaker::Admission admit(size_t endpoint, CircuitBreaker::Clock::time_point now);
  void report(size_t endpoint, CircuitBreaker::Admission admission, CircuitBreaker::Verdict verdict,
              CircuitBreaker::Clock::time_point now);
  // Active health (config().health_check): the process-wide flags the health checker sets,
  // handed over once before the worker runs; without them every endpoint counts as healthy.
  void watch_health(const EndpointHealth* health) { health_ = health; }
  [[nodiscard]] bool healthy(size_t endpoint) const {
    return health_ == nullptr || health_->healthy(endpoint);
  }
  // False when every endpoint failed its checks: then the picks ignore them (panic mode).
  [[nodiscard]] bool any_healthy() const { return health_ == nullptr || health_->any_healthy(); }
  // Retries to this cluster from this worker (config().retry_budget).
  RetryBudget& retry_budget() { return retry_budget_; }
  // Adaptive first-byte timeouts (routes[].timeouts.adaptive_first_byte): one per route config
  // (made on first use), each fed with every answered request of the cluster on this worker.
  AdaptiveTimeout& first_byte_times(const config::AdaptiveTimeout& config);
  [[nodiscard]] bool tracks_first_byte() const { return !first_byte_times_.empty(); }
  // A response head that was not a 5xx arrived `elapsed` after the request was sent (or the
  // first-byte timeout passed after `elapsed`: a slowing upstream must raise the timeout).
  void observe_first_byte(std::chrono::steady_clock::duration elapsed);
  // The earliest time an open breaker of this cluster lets a probe through (now if none is open).
  [[nodiscard]] CircuitBreaker::Clock::time_point next_probe(
      CircuitBreaker::Clock::time_point now) const;

  // The most recently pooled idle connection to `endpoint`, or null.
  std::unique_ptr<UpstreamConnection> take_idle(size_t endpoint);

  // Pools a connection after a complete exchange, or hands it to the oldest request waiting for
  // a connection (closing it when that one waits for another endpoint, which frees a slot for
  // it). It is closed instead when the pool is being shut down; while pooled, the upstream
  // closing it (or sending anything) removes it.
  void give_back(std::unique_ptr<UpstreamConnection> connection);

  // A new, unconnected connection to `endpoint` (an error when the cluster is at its per-worker
  // connection limit or the endpoint has no address). `waiter`: a queued request that was
  // granted a slot, which the connection takes. The caller may close() its socket to abort
  // open(), e.g. on a connect timeout.
  Result<std::unique_ptr<UpstreamConnection>> create(size_t endpoint,
                                                     ConnectionSlots::Waiter* waiter = nullptr);

  // Bulkhead (pool.max_pending): whether create() has room for one more connection now, after
  // closing an idle connection to another endpoint if that makes room. When it has not, a
  // request may wait in slots() (if slots().can_queue()) or fails with full_pool_error().
  bool make_room();
  [[nodiscard]] const std::shared_ptr<ConnectionSlots>& slots() const { return slots_; }
  [[nodiscard]] Error full_pool_error() const;

  // Connects (and for TLS clusters, handshakes; an h2 cluster's upstream must agree to h2).
  boost::asio::awaitable<Result<void>> open(UpstreamConnection& connection);

  // HTTP/2 clusters: a live connection to `endpoint` with room for one more stream, or null.
  std::shared_ptr<Http2Upstream> take_http2(size_t endpoint);
  // A connection to `endpoint` being set up, so that requests arriving meanwhile wait for it
  // instead of each opening one. joinable_http2() returns one with room left (or null);
  // whoever got null from it calls start_http2(), then create(), open(), add_http2(), and
  // finish_http2() with the outcome, which wakes the waiters.
  struct Http2Setup {
    explicit Http2Setup(boost::asio::io_context& io) : done(io) {}
    boost::asio::steady_timer done;  // waited on with no expiry; cancelled when finished
    size_t waiters = 0;
    bool finished = false;
    std::optional<Error> error;  // the setup failed: the waiters fail the same way
  };
  std::shared_ptr<Http2Setup> joinable_http2(size_t endpoint);
  std::shared_ptr<Http2Setup> start_http2(size_t endpoint);
  void finish_http2(size_t endpoint, const std::shared_ptr<Http2Setup>& setup,
                    std::optional<Error> error);
  Result<std::shared_ptr<Http2Upstream>> add_http2(std::unique_ptr<UpstreamConnection> connection);

  // Replaces the addresses of a DNS endpoint (posted by the resolver).
  void set_addresses(size_t endpoint, std::vector<net::tcp::endpoint> addresses);

  // Closes every idle connection and stops the sweeper (graceful shutdown).
  void shutdown();

  // Starts counting into this worker's metrics (once, before the worker runs). The pool's
  // gauges are published at each sweep (every 200 ms) rather than per request: reading the
  // counts costs nothing on the request's path, and a scrape is seldom more often.
  void count_into(ClusterSeries series);
  // The pool's counts now: idle (pooled HTTP/1 connections) and in use (every other open one,
  // HTTP/2 connections included), published into the gauges.
  void publish_pool();

 private:
  struct EndpointState {
    std::string name;
    std::vector<net::tcp::endpoint> addresses;
    size_t next_address = 0;
    std::vector<std::unique_ptr<UpstreamConnection>> idle;  // LIFO: warmest last
    std::vector<std::shared_ptr<Http2Upstream>> http2;      // HTTP/2 clusters
    std::shared_ptr<Http2Setup> http2_setup;                // the one being set up, if any
    std::optional<CircuitBreaker> breaker;                  // the cluster has circuit_breaker
  };

  void watch_idle(UpstreamConnection& connection);
  void on_idle_readable(size_t endpoint, UpstreamConnection* connection, uint64_t generation);
  void schedule_sweep();
  void sweep();

  boost::asio::io_context& io_;
  const config::Cluster& cluster_;
  boost::asio::ssl::context* tls_;
  std::unique_ptr<LoadBalancer> lb_;
  const EndpointHealth* health_ = nullptr;  // owned by the server, outlives the workers
  RetryBudget retry_budget_;
  std::vector<EndpointState> endpoints_;
  boost::asio::steady_timer sweep_timer_;
  std::shared_ptr<ConnectionSlots> slots_;
  std::vector<std::unique_ptr<AdaptiveTimeout>> first_byte_times_;
  uint64_t next_generation_ = 1;
  bool shut_down_ = false;
  ClusterSeries series_;
  int64_t published_idle_ = 0;  // what the gauges hold from this worker
  int64_t published_in_use_ = 0;
};

}  // namespace nexus::proxy
