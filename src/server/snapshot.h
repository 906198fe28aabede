// Everything the data plane needs from one configuration, built and checked once, then shared
// read-only by every worker (a request keeps the snapshot it started with).
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "http/http1/parser.h"
#include "http/http2/server_session.h"
#include "llm/pricing/price_table.h"
#include "llm/routing/usage_window.h"
#include "net/tls.h"
#include "nexus/config/config.h"
#include "nexus/core/result.h"
#include "proxy/router.h"

namespace nexus::server {

struct Snapshot {
  static constexpr size_t kNoCluster = static_cast<size_t>(-1);

  // One deployment of a model group, resolved: where an attempt at it goes.
  struct LlmDeployment {
    const config::Model* group;
    const config::Deployment* deployment;
    const config::Provider* provider;
    size_t cluster;  // the provider's cluster id; kNoCluster for in-process providers (echo)
    size_t token_cluster = kNoCluster;  // its token endpoint's (provider->oauth), if any
    size_t id = 0;                      // index in `deployments` (per-worker state, usage)
    // What it charges: its own price, else the price table's (llm/pricing/deployment_price.h);
    // null: unpriced. Points into `config`.
    const llm::pricing::ModelPrice* price = nullptr;

    [[nodiscard]] const std::string& upstream_model() const { return deployment->model; }
  };

  // A model name clients send: its deployments and where it goes when they fail.
  struct LlmGroup {
    const config::Model* model;
    size_t first = 0;  // its deployments: deployments[first, first + count)
    size_t count = 0;
    size_t id = 0;  // index among the groups (per-worker retry budgets)
    std::vector<const LlmGroup*> fallbacks;
    const LlmGroup* context_fallback = nullptr;
    std::vector<const LlmGroup*> variants;  // an A/B split: parallel to model->split
    // Routing looks into the request (capabilities, token limits, prices) for this group or
    // one it falls back to; otherwise the body is not scanned.
    bool inspects_requests = false;
  };

  config::Config config;
  std::unique_ptr<proxy::Router> router;
  std::vector<const config::Cluster*> clusters;  // stable order; index = cluster id
  std::vector<size_t> route_cluster;             // per route: cluster id or kNoCluster
  std::vector<std::unique_ptr<boost::asio::ssl::context>> cluster_tls;  // per cluster or null
  std::vector<std::unique_ptr<net::ServerTls>> listener_tls;            // per listener or null
  std::vector<LlmDeployment> deployments;                               // every group's, grouped
  std::map<std::string, LlmGroup, std::less<>> models;                  // by the name clients send
  // The deployments' usage over the last minute, shared by all workers (rpm and tpm limits);
  // parallel to `deployments`.
  std::unique_ptr<llm::routing::UsageWindow[]> usage;
  bool has_splits = false;  // some model is an A/B split (the exchange keeps the sticky key)
  http1::ParserLimits request_limits;
  http1::ParserLimits response_limits;
  http2::SessionLimits http2_limits;

  [[nodiscard]] std::span<const LlmDeployment> deployments_of(const LlmGroup& group) const {
    return std::span(deployments).subspan(group.first, group.count);
  }

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
