#include "proxy/health/health_checker.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/health/probe.h"

namespace nexus::proxy {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// The Host header: the configured one, else the endpoint's host with its port unless that is
// the scheme's default (IPv6 literals in brackets).
std::string host_header(const config::Cluster& cluster, const config::Endpoint& endpoint) {
  if (!cluster.health_check.host.empty()) {
    return cluster.health_check.host;
  }
  std::string host =
      endpoint.host.find(':') != std::string::npos ? "[" + endpoint.host + "]" : endpoint.host;
  const uint16_t default_port = cluster.tls.enabled ? 443 : 80;
  if (endpoint.port != default_port) {
    host += ":" + std::to_string(endpoint.port);
  }
  return host;
}

std::string check_request(const config::Cluster& cluster, const config::Endpoint& endpoint) {
  std::string request = "GET ";
  request += cluster.health_check.path;
  request += " HTTP/1.1\r\nHost: ";
  request += host_header(cluster, endpoint);
  request += "\r\nUser-Agent: nexus-health-check\r\nConnection: close\r\n\r\n";
  return request;
}

}  // namespace

HealthChecker::HealthChecker(asio::io_context& io, const config::Cluster& cluster,
                             asio::ssl::context* tls, EndpointHealth& health)
    : io_(io),
      cluster_(cluster),
      config_(cluster.health_check),
      health_(health),
      connect_config_(without_connection_limit(cluster)),
      connector_(io, connect_config_, tls, /*seed=*/1),
      trackers_(cluster.endpoints.size(), HealthTracker(cluster.health_check)),
      resolved_(cluster.endpoints.size(), false) {
  for (size_t i = 0; i < cluster.endpoints.size(); ++i) {
    requests_.push_back(check_request(cluster, cluster.endpoints[i]));
    boost::system::error_code error;
    asio::ip::make_address(cluster.endpoints[i].host, error);
    resolved_[i] = !error;  // an IP literal needs no resolution
  }
}

void HealthChecker::start() {
  for (size_t i = 0; i < cluster_.endpoints.size(); ++i) {
    asio::co_spawn(io_, check_forever(i), asio::detached);
  }
}

void HealthChecker::set_addresses(size_t endpoint, std::vector<net::tcp::endpoint> addresses) {
  resolved_[endpoint] = resolved_[endpoint] || !addresses.empty();
  connector_.set_addresses(endpoint, std::move(addresses));
}

// Checks start one interval apart (not one interval after the previous check ended), so each
// endpoint sees one check per interval however long they take.
asio::awaitable<void> HealthChecker::check_forever(size_t endpoint) {
  asio::steady_timer pause(io_);
  for (bool first = true;; first = false) {
    const auto started = Clock::now();
    // A DNS endpoint not resolved yet at startup is not judged: the resolver has not answered.
    if (resolved_[endpoint] || !first) {
      const Result<int> outcome =
          co_await probe(io_, connector_, endpoint, requests_[endpoint], config_.timeout);
      judge(endpoint, outcome);
    }
    pause.expires_at(started + config_.interval);
    auto [error] = co_await pause.async_wait(kAwait);
    if (error) {
      co_return;
    }
  }
}

void HealthChecker::judge(size_t endpoint, const Result<int>& outcome) {
  const bool passed = outcome && status_expected(config_.expected_status, *outcome);
  const HealthTracker::Change change = trackers_[endpoint].record(passed);
  if (change == HealthTracker::Change::kNone) {
    return;
  }
  const bool healthy = change == HealthTracker::Change::kBecameHealthy;
  health_.set(endpoint, healthy);
  const std::string& name = connector_.endpoint_name(endpoint);
  if (healthy) {
    spdlog::info("cluster {}: endpoint {} is healthy again: {} passed check(s) of {} in a row",
                 cluster_.name, name, config_.healthy_threshold, config_.path);
    return;
  }
  const std::string last =
      outcome ? "status " + std::to_string(*outcome) : outcome.error().message();
  spdlog::warn("cluster {}: endpoint {} is unhealthy: {} failed check(s) of {} in a row, last: {}",
               cluster_.name, name, config_.unhealthy_threshold, config_.path, last);
}

}  // namespace nexus::proxy
