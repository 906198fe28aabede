// Everything the data plane needs from one configuration, built and checked once, then shared
// read-only by every worker (a request keeps the snapshot it started with).
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "http/http1/parser.h"
#include "http/http2/server_session.h"
#include "net/tls.h"
#include "nexus/config/config.h"
#include "nexus/core/result.h"
#include "proxy/router.h"

namespace nexus::server {

struct Snapshot {
  static constexpr size_t kNoCluster = static_cast<size_t>(-1);

  // Where a model name sent by a client goes.
  struct LlmModel {
    const config::Model* model;
    const config::Provider* provider;
    size_t cluster;  // the provider's cluster id; kNoCluster for in-process providers (echo)
    size_t token_cluster = kNoCluster;  // its token endpoint's (provider->oauth), if any
  };

  config::Config config;
  std::unique_ptr<proxy::Router> router;
  std::vector<const config::Cluster*> clusters;  // stable order; index = cluster id
  std::vector<size_t> route_cluster;             // per route: cluster id or kNoCluster
  std::vector<std::unique_ptr<boost::asio::ssl::context>> cluster_tls;  // per cluster or null
  std::vector<std::unique_ptr<net::ServerTls>> listener_tls;            // per listener or null
  std::map<std::string, LlmModel, std::less<>> models;                  // by the name clients send
  http1::ParserLimits request_limits;
  http1::ParserLimits response_limits;
  http2::SessionLimits http2_limits;

  // The cluster id of a route returned by router->match().
  [[nodiscard]] size_t cluster_of(const config::Route& route) const {
    return route_cluster[static_cast<size_t>(&route - config.routes.data())];
  }
};

Result<std::shared_ptr<const Snapshot>> build_snapshot(config::Config config);

// Starts every filter factory of `config` once (opens log files, starts key refreshes), before
// the config serves traffic.
Result<void> start_filters(const config::Config& config);

}  // namespace nexus::server
