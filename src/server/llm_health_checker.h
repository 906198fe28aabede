// Active health checks of the LLM deployments that opt in (models[].deployments[].health_check,
// docs/routing.md "Health checks").
//
// The counterpart of proxy::HealthChecker, run the same way: once for the process, on the main
// thread's io_context, so that W workers do not multiply the calls to a paid API by W. Each
// checked deployment gets its provider's cheapest free call (llm::health_check_request, its model
// list) every `interval`, over a new connection made as the workers make theirs (proxy::probe);
// the verdicts go through a proxy::HealthTracker and only state changes are published, to one
// flag per deployment that every worker's AttemptPlan reads.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nexus/core/result.h"
#include "proxy/health/endpoint_health.h"
#include "proxy/upstream/cluster_runtime.h"
#include "server/snapshot.h"

namespace nexus::server {

class LlmHealthChecker {
 public:
  // Whether any deployment of `snapshot` has health checks (else no checker, no flags).
  static bool wanted(const Snapshot& snapshot);

  // `snapshot` and `health` (one flag per snapshot.deployments id) must outlive the checker,
  // which must be destroyed only once `io` no longer runs (its pending checks refer to it).
  LlmHealthChecker(boost::asio::io_context& io, const Snapshot& snapshot,
                   proxy::EndpointHealth& health);
  LlmHealthChecker(const LlmHealthChecker&) = delete;
  LlmHealthChecker& operator=(const LlmHealthChecker&) = delete;
  ~LlmHealthChecker() = default;

  // Starts checking every deployment with a health_check: at once, then every interval.
  void start();

  // The resolved addresses of a provider cluster's DNS endpoint (from the DNS refresher, on the
  // same thread); ignored for clusters no checked deployment uses.
  void set_addresses(size_t cluster, size_t endpoint, std::vector<net::tcp::endpoint> addresses);

 private:
  // A provider cluster's connections for the checks, shared by its checked deployments.
  struct Connector {
    Connector(boost::asio::io_context& io, const config::Cluster& cluster,
              boost::asio::ssl::context* tls);
    config::Cluster config;  // the cluster without its connection limit
    proxy::ClusterRuntime runtime;
    bool resolved = false;  // has an address (IP literal, or resolved once)
  };
  struct Target {
    const Snapshot::LlmDeployment* deployment;
    Connector* connector;
    std::string request;  // built once
    proxy::HealthTracker tracker;
  };

  boost::asio::awaitable<void> check_forever(size_t target);
  // Feeds one outcome to the target's tracker; publishes and logs a change of state.
  void judge(Target& target, const Result<int>& outcome);

  boost::asio::io_context& io_;
  proxy::EndpointHealth& health_;
  std::map<size_t, std::unique_ptr<Connector>> connectors_;  // by cluster id
  std::vector<Target> targets_;
};

}  // namespace nexus::server
