// The `clusters` section: upstream endpoints, load balancing, TLS and pooling per cluster.
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <utility>

#include "control/config/address.h"
#include "control/config/sections.h"

namespace nexus::control::config_internal {
namespace {

constexpr uint64_t kMaxU32 = std::numeric_limits<uint32_t>::max();
constexpr uint64_t kMaxWeight = 65535;

// Names appear in logs, metrics and key paths: keep them to a plain identifier alphabet.
bool is_valid_cluster_name(std::string_view name) {
  return !name.empty() && std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

// An endpoint is either "host:port" or { address: "host:port", weight: N }.
Result<void> parse_endpoint(const Reader& r, const Field& field, config::Endpoint& out) {
  const bool is_map = field.node.IsMap();
  if (!is_map && !field.node.IsScalar()) {
    return r.error(field, "expected \"host:port\" or a mapping with address (and weight)");
  }
  const Field address = is_map ? r.child(field, "address") : field;
  if (is_map) {
    NEXUS_CONFIG_TRY(r.check_mapping(field, {"address", "weight"}));
    NEXUS_CONFIG_TRY(r.require(address));
    NEXUS_CONFIG_TRY(r.read_integer(field, "weight", out.weight, 1, kMaxWeight));
  }
  auto text = r.string(address);
  if (!text) {
    return std::unexpected(std::move(text.error()));
  }
  auto parsed = parse_endpoint_address(*text);
  if (!parsed) {
    return r.error(address, parsed.error());
  }
  out.host = std::move(parsed->host);
  out.port = parsed->port;
  return {};
}

Result<void> parse_endpoints(const Reader& r, const Field& field,
                             std::vector<config::Endpoint>& out) {
  NEXUS_CONFIG_TRY(r.require(field));
  auto items = r.items(field, /*non_empty=*/true);
  if (!items) {
    return std::unexpected(std::move(items.error()));
  }
  std::set<std::pair<std::string, uint16_t>> seen;
  for (const Field& item : *items) {
    config::Endpoint& endpoint = out.emplace_back();
    NEXUS_CONFIG_TRY(parse_endpoint(r, item, endpoint));
    // A repeated endpoint would silently double its share; say so instead (use weight).
    if (!seen.emplace(to_lower_ascii(endpoint.host), endpoint.port).second) {
      return r.error(item, "duplicate endpoint (use weight to give it a larger share)");
    }
  }
  return {};
}

Result<void> parse_lb(const Reader& r, const Field& field, config::LbPolicy& out) {
  static constexpr std::array<std::string_view, 4> kNames = {"round_robin", "weighted_round_robin",
                                                             "least_request", "consistent_hash"};
  static constexpr std::array<config::LbPolicy, 4> kPolicies = {
      config::LbPolicy::kRoundRobin, config::LbPolicy::kWeightedRoundRobin,
      config::LbPolicy::kLeastRequest, config::LbPolicy::kConsistentHash};
  if (!field.present) {
    return {};
  }
  auto name = r.one_of(field, kNames);
  if (!name) {
    return std::unexpected(std::move(name.error()));
  }
  out = kPolicies[std::ranges::find(kNames, *name) - kNames.begin()];
  return {};
}

// { header: NAME } or { source_ip: true }; only (and then necessarily) with consistent_hash.
Result<void> parse_hash(const Reader& r, const Field& cluster, config::Cluster& out) {
  Field field = r.child(cluster, "hash");
  bool consistent = out.lb == config::LbPolicy::kConsistentHash;
  if (!field.present) {
    return consistent ? r.error(field,
                                "required when lb is consistent_hash "
                                "({ header: NAME } or { source_ip: true })")
                      : Result<void>();
  }
  if (!consistent) {
    return r.error(field, "only allowed with lb: consistent_hash");
  }
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"header", "source_ip"}));
  Field header = r.child(field, "header");
  bool source_ip = false;
  NEXUS_CONFIG_TRY(r.read(field, "source_ip", source_ip));
  if (header.present == source_ip) {
    return r.error(field, "expected exactly one of header: NAME or source_ip: true");
  }
  if (header.present) {
    auto name = r.string(header);
    if (!name) {
      return std::unexpected(std::move(name.error()));
    }
    if (!is_token(*name)) {
      return r.error(header, "'" + *name + "' is not a valid header name");
    }
    out.hash.header = to_lower_ascii(*name);
  }
  return {};
}

// `tls: true|false` or { enabled, sni, verify, ca_file }; the mapping form implies enabled: true.
Result<void> parse_upstream_tls(const Reader& r, const Field& field, config::UpstreamTls& out) {
  if (!field.present) {
    return {};
  }
  if (!field.node.IsMap()) {
    auto enabled = r.boolean(field);
    if (!enabled) {
      return r.error(field, "expected true, false or a mapping with enabled, sni, verify, ca_file");
    }
    out.enabled = *enabled;
    return {};
  }
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"enabled", "sni", "verify", "ca_file"}));
  out.enabled = true;
  NEXUS_CONFIG_TRY(r.read(field, "enabled", out.enabled));
  NEXUS_CONFIG_TRY(r.read(field, "verify", out.verify));
  NEXUS_CONFIG_TRY(r.read(field, "sni", out.sni));
  if (Field sni = r.child(field, "sni"); sni.present && !is_dns_name(out.sni)) {
    return r.error(sni, "'" + out.sni + "' is not a valid host name");
  }
  if (Field ca = r.child(field, "ca_file"); ca.present) {
    auto path = r.readable_file(ca);
    if (!path) {
      return std::unexpected(std::move(path.error()));
    }
    out.ca_file = std::move(*path);
  }
  return {};
}

Result<void> parse_pool(const Reader& r, const Field& field, config::Pool& out) {
  NEXUS_CONFIG_TRY(
      r.check_mapping(field, {"max_connections", "idle_timeout", "max_streams_per_connection",
                              "max_pending", "queue_timeout"}));
  NEXUS_CONFIG_TRY(r.read_integer(field, "max_connections", out.max_connections, 1, kMaxU32));
  NEXUS_CONFIG_TRY(r.read(field, "idle_timeout", out.idle_timeout));
  NEXUS_CONFIG_TRY(r.read_integer(field, "max_streams_per_connection",
                                  out.max_streams_per_connection, 1, 1000000));
  NEXUS_CONFIG_TRY(r.read_integer(field, "max_pending", out.max_pending, 0, 1000000));
  NEXUS_CONFIG_TRY(r.read(field, "queue_timeout", out.queue_timeout));
  if (Field timeout = r.child(field, "queue_timeout"); timeout.present && out.max_pending == 0) {
    return r.error(timeout, "queue_timeout needs max_pending (the requests that may wait)");
  }
  return {};
}

}  // namespace

// `circuit_breaker: true` (the defaults) or a mapping of them; absent or false: no breaker.
Result<void> parse_circuit_breaker(const Reader& r, const Field& field,
                                   config::CircuitBreaker& out) {
  if (!field.present) {
    return {};
  }
  if (!field.node.IsMap()) {
    auto enabled = r.boolean(field);
    if (!enabled) {
      return r.error(field, "expected true, false or a mapping (consecutive_failures, ...)");
    }
    out.enabled = *enabled;
    return {};
  }
  NEXUS_CONFIG_TRY(r.check_mapping(
      field, {"consecutive_failures", "failure_percent", "min_requests", "window", "slow_call",
              "slow_call_percent", "cool_down", "half_open_probes", "close_after"}));
  out.enabled = true;
  NEXUS_CONFIG_TRY(
      r.read_integer(field, "consecutive_failures", out.consecutive_failures, 0, 1000000));
  NEXUS_CONFIG_TRY(r.read_integer(field, "failure_percent", out.failure_percent, 0, 100));
  NEXUS_CONFIG_TRY(r.read_integer(field, "min_requests", out.min_requests, 1, 1000000));
  NEXUS_CONFIG_TRY(r.read(field, "window", out.window));
  NEXUS_CONFIG_TRY(r.read(field, "slow_call", out.slow_call));
  NEXUS_CONFIG_TRY(r.read_integer(field, "slow_call_percent", out.slow_call_percent, 0, 100));
  NEXUS_CONFIG_TRY(r.read(field, "cool_down", out.cool_down));
  NEXUS_CONFIG_TRY(r.read_integer(field, "half_open_probes", out.half_open_probes, 1, 1000000));
  NEXUS_CONFIG_TRY(r.read_integer(field, "close_after", out.close_after, 1, 1000000));
  if (out.window.count() < 10) {
    return r.error(r.child(field, "window"), "the window must be at least 10ms");
  }
  if (out.slow_call_percent > 0 && out.slow_call.count() == 0) {
    return r.error(r.child(field, "slow_call_percent"),
                   "slow_call_percent needs slow_call (the duration that makes a call slow)");
  }
  if (out.consecutive_failures == 0 && out.failure_percent == 0 && out.slow_call_percent == 0) {
    return r.error(field,
                   "nothing would open this breaker: set consecutive_failures, failure_percent "
                   "or slow_call_percent above 0");
  }
  return {};
}

Result<void> parse_retry_budget(const Reader& r, const Field& field, config::RetryBudget& out) {
  if (!field.present) {
    return {};
  }
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"percent", "min_per_second"}));
  NEXUS_CONFIG_TRY(r.read_integer(field, "percent", out.percent, 0, 100));
  NEXUS_CONFIG_TRY(r.read_integer(field, "min_per_second", out.min_per_second, 0, 1000000));
  return {};
}

namespace {

Result<void> parse_protocol(const Reader& r, const Field& field, config::UpstreamProtocol& out) {
  if (!field.present) {
    return {};
  }
  static constexpr std::string_view kChoices[] = {"http1", "h2"};
  auto value = r.one_of(field, kChoices);
  if (!value) {
    return std::unexpected(std::move(value.error()));
  }
  out = *value == "h2" ? config::UpstreamProtocol::kHttp2 : config::UpstreamProtocol::kHttp1;
  return {};
}

Result<void> parse_cluster(const Reader& r, const Field& field, config::Cluster& out) {
  if (!field.node.IsMap()) {
    return r.error(field, "expected a mapping with endpoints (and lb, tls, ...)");
  }
  NEXUS_CONFIG_TRY(r.check_mapping(
      field, {"endpoints", "protocol", "lb", "hash", "connect_timeout", "dns_refresh", "tls",
              "pool", "circuit_breaker", "retry_budget", "health_check"}));
  NEXUS_CONFIG_TRY(parse_endpoints(r, r.child(field, "endpoints"), out.endpoints));
  NEXUS_CONFIG_TRY(parse_protocol(r, r.child(field, "protocol"), out.protocol));
  NEXUS_CONFIG_TRY(parse_lb(r, r.child(field, "lb"), out.lb));
  NEXUS_CONFIG_TRY(parse_hash(r, field, out));
  NEXUS_CONFIG_TRY(r.read(field, "connect_timeout", out.connect_timeout));
  NEXUS_CONFIG_TRY(r.read(field, "dns_refresh", out.dns_refresh));
  NEXUS_CONFIG_TRY(parse_upstream_tls(r, r.child(field, "tls"), out.tls));
  NEXUS_CONFIG_TRY(parse_pool(r, r.child(field, "pool"), out.pool));
  if (out.protocol == config::UpstreamProtocol::kHttp2 && out.pool.max_pending > 0) {
    // An h2 request waits for a stream, not a connection: that queue is not built yet.
    return r.error(r.child(r.child(field, "pool"), "max_pending"),
                   "not supported with protocol: h2 (a full h2 pool answers 503 at once)");
  }
  NEXUS_CONFIG_TRY(
      parse_circuit_breaker(r, r.child(field, "circuit_breaker"), out.circuit_breaker));
  NEXUS_CONFIG_TRY(parse_retry_budget(r, r.child(field, "retry_budget"), out.retry_budget));
  NEXUS_CONFIG_TRY(parse_health_check(r, r.child(field, "health_check"), out));
  return {};
}

}  // namespace

Result<void> parse_clusters(const Reader& r, const Field& field,
                            std::map<std::string, config::Cluster>& out) {
  auto entries = r.entries(field);
  if (!entries) {
    return std::unexpected(std::move(entries.error()));
  }
  for (const auto& [name, value] : *entries) {
    if (!is_valid_cluster_name(name)) {
      return r.error(value,
                     "invalid cluster name '" + name + "' (use letters, digits, '_', '-' and '.')");
    }
    config::Cluster cluster;
    cluster.name = name;
    NEXUS_CONFIG_TRY(parse_cluster(r, value, cluster));
    out.emplace(name, std::move(cluster));
  }
  return {};
}

}  // namespace nexus::control::config_internal
