// Active health checks of one cluster's endpoints (docs/resilience.md, "Health checks").
//
// One checker per cluster with a health_check, for the whole process: the server runs it on
// the main thread's io_context, next to the DNS refresher, so W workers do not send W times the
// probes, and a busy worker does not delay them. Each endpoint is checked every `interval` over a
// new connection (cleartext or TLS HTTP/1.1, made exactly as the workers make theirs); the
// verdicts go through a HealthTracker and only state changes are published, to the
// EndpointHealth flags that every worker's picks read.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <string>
#include <vector>

#include "nexus/config/config.h"
#include "nexus/core/result.h"
#include "proxy/health/endpoint_health.h"
#include "proxy/upstream/cluster_runtime.h"

namespace nexus::proxy {

class HealthChecker {
 public:
  // `cluster`, `tls` and `health` must outlive the checker; the checker must be destroyed only
  // once `io` no longer runs (its pending checks refer to it).
  HealthChecker(boost::asio::io_context& io, const config::Cluster& cluster,
                boost::asio::ssl::context* tls, EndpointHealth& health);
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;
  ~HealthChecker() = default;

  // Starts checking every endpoint: at once, then every interval.
  void start();

  // The resolved addresses of a DNS endpoint (from the DNS refresher, on the same thread).
  void set_addresses(size_t endpoint, std::vector<net::tcp::endpoint> addresses);

 private:
  boost::asio::awaitable<void> check_forever(size_t endpoint);
  // Feeds one outcome to the endpoint's tracker; publishes and logs a change of state.
  void judge(size_t endpoint, const Result<int>& outcome);

  boost::asio::io_context& io_;
  const config::Cluster& cluster_;
  const config::HealthCheck& config_;
  EndpointHealth& health_;
  config::Cluster connect_config_;  // without_connection_limit(cluster)
  ClusterRuntime connector_;        // connects as the workers do: address rotation, TLS, SNI
  std::vector<HealthTracker> trackers_;
  std::vector<std::string> requests_;  // per endpoint, built once
  std::vector<bool> resolved_;         // has had an address (IP literal, or resolved once)
};

}  // namespace nexus::proxy
