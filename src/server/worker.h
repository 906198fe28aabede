// A worker: one thread, one event loop, its own listening sockets (SO_REUSEPORT), its own
// upstream pools and load balancers. Connections never leave the worker that accepted them, so
// nothing on the request path takes a lock.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <unordered_set>
#include <vector>

#include "nexus/core/result.h"
#include "obs/logging.h"
#include "proxy/upstream/cluster_runtime.h"
#include "server/exchange_state.h"
#include "server/llm_routing.h"
#include "server/load_shedding.h"
#include "server/server_metrics.h"
#include "server/snapshot.h"
#include "server/token_cache.h"

namespace nexus::governance {
class Governance;
}
namespace nexus::obs::tracing {
class Tracer;
}

namespace nexus::server {

class ClientConnection;

// State shared by all workers: the connection count is touched once per connection, the load
// counters per request only when load shedding is configured, the health flags per pick only
// for clusters with a health_check.
struct SharedCounters {
  std::atomic<uint32_t> connections{0};  // open client connections, all workers
  LoadCounters load;
  // Per cluster id: its endpoints' active health, set by the process's one health checker
  // (server.cc); null for clusters without a health_check. Filled before the workers exist.
  std::vector<std::unique_ptr<proxy::EndpointHealth>> health;
  // Per LLM deployment id: its active health (LlmHealthChecker); null when no deployment has a
  // health_check. Filled before the workers exist.
  std::unique_ptr<proxy::EndpointHealth> llm_health;
  // Virtual keys, limits, budgets and the usage ledger (null: no governance section); owned by
  // run_server, outlives the workers.
  governance::Governance* governance = nullptr;
  // Metrics (null: no ops listener, nothing recorded): the families and the registry whose
  // shard i worker i records into; frozen before the workers exist, owned by run_server.
  const ServerMetrics* metrics = nullptr;
  obs::metrics::Registry* registry = nullptr;
  // Spans' sampler and exporter (null: no observability.tracing); owned by run_server, outlives
  // the workers.
  obs::tracing::Tracer* tracer = nullptr;
};

class Worker {
 public:
  Worker(size_t index, std::shared_ptr<const Snapshot> snapshot, SharedCounters& counters);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds this worker's listening sockets (called before any worker runs, so a bind error
  // stops startup).
  Result<void> listen();
  // The thread body: accepts and serves until drained.
  void run();
  // Thread-safe: stop accepting, close idle connections, let in-flight requests finish.
  void begin_drain();
  // Thread-safe: stop the loop now (drain deadline passed).
  void stop();
  // Client connections still open on this worker (read from the main thread while draining).
  [[nodiscard]] uint32_t open_connections() const { return open_connections_.load(); }

  // Used by connections, on this worker's thread only.
  boost::asio::io_context& io() { return io_; }
  [[nodiscard]] const Snapshot& snapshot() const { return *snapshot_; }
  proxy::ClusterRuntime& cluster(size_t id) { return *clusters_[id]; }
  TokenCache& tokens() { return tokens_; }
  LlmRouting& llm_routing() { return llm_routing_; }
  LoadCounters& load() { return counters_.load; }
  [[nodiscard]] governance::Governance* governance() const { return counters_.governance; }
  // This worker's metrics; null when metrics are off.
  [[nodiscard]] WorkerMetrics* metrics() const { return metrics_.get(); }
  [[nodiscard]] obs::tracing::Tracer* tracer() const { return counters_.tracer; }
  [[nodiscard]] bool draining() const { return draining_; }
  std::unique_ptr<ExchangeState> take_exchange_state();
  void give_back(std::unique_ptr<ExchangeState> state);
  void on_connection_closed(ClientConnection* connection);

 private:
  void accept_next(size_t listener);
  void schedule_tick();
  void on_accept(size_t listener, boost::asio::ip::tcp::socket socket);

  size_t index_;
  boost::asio::io_context io_;
  std::shared_ptr<const Snapshot> snapshot_;
  SharedCounters& counters_;
  std::vector<std::unique_ptr<proxy::ClusterRuntime>> clusters_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::unordered_set<ClientConnection*> connections_;
  std::vector<std::unique_ptr<ExchangeState>> spare_states_;
  TokenCache tokens_;
  LlmRouting llm_routing_;
  std::unique_ptr<WorkerMetrics> metrics_;
  boost::asio::steady_timer tick_timer_;
  std::atomic<uint32_t> open_connections_{0};
  bool draining_ = false;
};

}  // namespace nexus::server
