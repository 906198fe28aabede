#include "server/llm_health_checker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "llm/health_request.h"
#include "proxy/health/probe.h"

namespace nexus::server {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr size_t kEndpoint = 0;  // a provider's cluster has the one endpoint of its base URL

bool checked(const Snapshot::LlmDeployment& deployment) {
  return deployment.deployment->health_check.enabled && deployment.cluster != Snapshot::kNoCluster;
}

}  // namespace

bool LlmHealthChecker::wanted(const Snapshot& snapshot) {
  return std::ranges::any_of(snapshot.deployments, checked);
}

LlmHealthChecker::Connector::Connector(asio::io_context& io, const config::Cluster& cluster,
                                       asio::ssl::context* tls)
    : config(proxy::without_connection_limit(cluster)), runtime(io, config, tls, /*seed=*/1) {
  boost::system::error_code error;
  asio::ip::make_address(cluster.endpoints[kEndpoint].host, error);
  resolved = !error;  // an IP literal needs no resolution
}

LlmHealthChecker::LlmHealthChecker(asio::io_context& io, const Snapshot& snapshot,
                                   proxy::EndpointHealth& health)
    : io_(io), health_(health) {
  for (const Snapshot::LlmDeployment& deployment : snapshot.deployments) {
    if (!checked(deployment)) {
      continue;
    }
    auto request = llm::health_check_request(*deployment.provider);
    if (!request) {  // the config refuses these: a deployment it let through is not checked
      spdlog::error("model '{}': no health check for provider '{}': {}", deployment.group->name,
                    deployment.provider->name, request.error().message());
      continue;
    }
    std::unique_ptr<Connector>& connector = connectors_[deployment.cluster];
    if (!connector) {
      connector = std::make_unique<Connector>(io, *snapshot.clusters[deployment.cluster],
                                              snapshot.cluster_tls[deployment.cluster].get());
    }
    targets_.push_back({.deployment = &deployment,
                        .connector = connector.get(),
                        .request = std::move(*request),
                        .tracker = proxy::HealthTracker(deployment.deployment->health_check)});
  }
}

void LlmHealthChecker::start() {
  for (size_t i = 0; i < targets_.size(); ++i) {
    asio::co_spawn(io_, check_forever(i), asio::detached);
  }
}

void LlmHealthChecker::set_addresses(size_t cluster, size_t endpoint,
                                     std::vector<net::tcp::endpoint> addresses) {
  const auto found = connectors_.find(cluster);
  if (found == connectors_.end()) {
    return;
  }
  Connector& connector = *found->second;
  connector.resolved = connector.resolved || !addresses.empty();
  connector.runtime.set_addresses(endpoint, std::move(addresses));
}

// As proxy::HealthChecker: checks start one interval apart, whatever they take.
asio::awaitable<void> LlmHealthChecker::check_forever(size_t index) {
  asio::steady_timer pause(io_);
  const config::HealthCheck& config = targets_[index].deployment->deployment->health_check;
  for (bool first = true;; first = false) {
    const auto started = Clock::now();
    Target& target = targets_[index];
    // A DNS name not resolved yet at startup is not judged: the resolver has not answered.
    if (target.connector->resolved || !first) {
      const Result<int> outcome = co_await proxy::probe(io_, target.connector->runtime, kEndpoint,
                                                        target.request, config.timeout);
      judge(target, outcome);
    }
    pause.expires_at(started + config.interval);
    auto [error] = co_await pause.async_wait(kAwait);
    if (error) {
      co_return;
    }
  }
}

void LlmHealthChecker::judge(Target& target, const Result<int>& outcome) {
  const config::HealthCheck& config = target.deployment->deployment->health_check;
  const bool passed = outcome && proxy::status_expected(config.expected_status, *outcome);
  const proxy::HealthTracker::Change change = target.tracker.record(passed);
  if (change == proxy::HealthTracker::Change::kNone) {
    return;
  }
  const bool healthy = change == proxy::HealthTracker::Change::kBecameHealthy;
  health_.set(target.deployment->id, healthy);
  const Snapshot::LlmDeployment& deployment = *target.deployment;
  if (healthy) {
    spdlog::info(
        "model '{}': deployment {} of provider '{}' is healthy again: {} passed check(s) in a "
        "row",
        deployment.group->name, deployment.upstream_model(), deployment.provider->name,
        config.healthy_threshold);
    return;
  }
  std::string last = outcome ? "status " + std::to_string(*outcome) : outcome.error().message();
  if (outcome && (*outcome == 401 || *outcome == 403)) {
    last += " (the provider refuses Nexus's credentials: check its api_key)";
  }
  spdlog::warn(
      "model '{}': deployment {} of provider '{}' is unhealthy and left out: {} failed check(s) "
      "in a row, last: {}",
      deployment.group->name, deployment.upstream_model(), deployment.provider->name,
      config.unhealthy_threshold, last);
}

}  // namespace nexus::server
