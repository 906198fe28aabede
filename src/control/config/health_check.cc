// A cluster's and an LLM deployment's `health_check` (active health, proxy/health/): validated
// here, run by the server.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/config/sections.h"

namespace nexus::control::config_internal {
namespace {

// "200" or "200-299", each code from 100 to 599.
std::optional<config::StatusRange> parse_status_range(std::string_view text) {
  auto number = [](std::string_view digits) -> std::optional<int> {
    int value = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc{} || end != digits.data() + digits.size() || value < 100 ||
        value > 599) {
      return std::nullopt;
    }
    return value;
  };
  const size_t dash = text.find('-');
  const auto first = number(text.substr(0, dash));
  const auto last = dash == std::string_view::npos ? first : number(text.substr(dash + 1));
  if (!first || !last || *last < *first) {
    return std::nullopt;
  }
  return config::StatusRange{*first, *last};
}

Result<void> parse_expected_status(const Reader& r, const Field& field,
                                   std::vector<config::StatusRange>& out) {
  if (!field.present) {
    return {};
  }
  std::vector<Field> items;
  if (field.node.IsScalar()) {  // a single code or range, without the list
    items.push_back(field);
  } else {
    auto list = r.items(field, /*non_empty=*/true);
    if (!list) {
      return std::unexpected(std::move(list.error()));
    }
    items = std::move(*list);
  }
  out.clear();
  for (const Field& item : items) {
    auto text = r.string(item);
    if (!text) {
      return std::unexpected(std::move(text.error()));
    }
    const auto range = parse_status_range(*text);
    if (!range) {
      return r.error(item, "expected a status code from 100 to 599 or a range like 200-299, got '" +
                               *text + "'");
    }
    out.push_back(*range);
  }
  return {};
}

// Printable ASCII without spaces: the path and host go into the check's request head as they are.
bool is_head_safe(std::string_view text) {
  return std::ranges::all_of(text, [](char c) { return c > ' ' && c < 0x7f; });
}

// The keys both kinds of checks share: interval, timeout and the two thresholds.
Result<void> parse_check_pace(const Reader& r, const Field& field, config::HealthCheck& out) {
  NEXUS_CONFIG_TRY(r.read(field, "interval", out.interval));
  NEXUS_CONFIG_TRY(r.read(field, "timeout", out.timeout));
  if (out.interval.count() <= 0) {
    return r.error(r.child(field, "interval"), "must be above 0");
  }
  if (out.timeout.count() <= 0) {
    return r.error(r.child(field, "timeout"), "must be above 0");
  }
  NEXUS_CONFIG_TRY(
      r.read_integer(field, "unhealthy_threshold", out.unhealthy_threshold, 1, 1000000));
  return r.read_integer(field, "healthy_threshold", out.healthy_threshold, 1, 1000000);
}

}  // namespace

// { path, host, interval, timeout, expected_status, unhealthy_threshold, healthy_threshold };
// absent: no active checks.
Result<void> parse_health_check(const Reader& r, const Field& field, config::Cluster& cluster) {
  if (!field.present) {
    return {};
  }
  config::HealthCheck& out = cluster.health_check;
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"path", "host", "interval", "timeout", "expected_status",
                                           "unhealthy_threshold", "healthy_threshold"}));
  out.enabled = true;
  const Field path = r.child(field, "path");
  NEXUS_CONFIG_TRY(r.require(path));
  NEXUS_CONFIG_TRY(r.read(field, "path", out.path));
  if (!out.path.starts_with('/') || !is_head_safe(out.path)) {
    return r.error(path, "expected a path starting with '/' (no spaces or control characters)");
  }
  NEXUS_CONFIG_TRY(r.read(field, "host", out.host));
  if (const Field host = r.child(field, "host");
      host.present && (out.host.empty() || !is_head_safe(out.host))) {
    return r.error(host, "expected a host name (no spaces or control characters)");
  }
  NEXUS_CONFIG_TRY(parse_check_pace(r, field, out));
  NEXUS_CONFIG_TRY(
      parse_expected_status(r, r.child(field, "expected_status"), out.expected_status));
  if (cluster.protocol == config::UpstreamProtocol::kHttp2) {
    return r.error(field, "not supported with protocol: h2 yet (checks speak HTTP/1.1)");
  }
  return {};
}

namespace {

// Why a provider type's deployments cannot be checked for free, or empty when they can.
std::string_view unchecked_because(const config::Provider& provider) {
  switch (provider.type) {
    case config::ProviderType::kEcho:
      return "not for type: echo (it answers in-process: there is nothing to reach)";
    case config::ProviderType::kBedrock:
      return "not supported for type: bedrock (its model list is on another host, "
             "bedrock.<region>.amazonaws.com, and needs a SigV4 signature of its own); passive "
             "health (circuit_breaker) covers it";
    case config::ProviderType::kVertex:
      return "not supported for type: vertex (listing models needs Vertex AI's v1beta1 API and "
             "an OAuth access token); passive health (circuit_breaker) covers it";
    default:
      break;
  }
  if (provider.oauth.grant != config::TokenGrant::kNone) {
    return "not supported with a fetched OAuth token (the checks do not fetch tokens); passive "
           "health (circuit_breaker) covers it";
  }
  return {};
}

}  // namespace

// true (the defaults), false, or { interval, timeout, unhealthy_threshold, healthy_threshold };
// absent: no active checks. `provider`: the deployment's, null when it was left out (optional,
// no key), whose deployment is dropped anyway.
Result<void> parse_deployment_health_check(const Reader& r, const Field& field,
                                           const config::Provider* provider,
                                           config::HealthCheck& out) {
  if (!field.present) {
    return {};
  }
  // Defaults for a paid API: a check a minute, a slow answer is not a dead provider, and one
  // passed check is enough to bring a deployment back (the breakers still guard it).
  out.interval = std::chrono::seconds(60);
  out.timeout = std::chrono::seconds(10);
  out.unhealthy_threshold = 2;
  out.healthy_threshold = 1;
  // 2xx, and 429: the provider is reachable and takes the key; its rate limits are passive
  // health's business (rate_limit_cool_down).
  out.expected_status = {config::StatusRange{.first = 200, .last = 299},
                         config::StatusRange{.first = 429, .last = 429}};
  if (!field.node.IsMap()) {
    auto enabled = r.boolean(field);
    if (!enabled) {
      return r.error(field, "expected true, false or a mapping (interval, timeout, ...)");
    }
    out.enabled = *enabled;
  } else {
    NEXUS_CONFIG_TRY(r.check_mapping(
        field, {"interval", "timeout", "unhealthy_threshold", "healthy_threshold"}));
    out.enabled = true;
    NEXUS_CONFIG_TRY(parse_check_pace(r, field, out));
  }
  if (out.enabled && provider != nullptr) {
    if (const std::string_view reason = unchecked_because(*provider); !reason.empty()) {
      return r.error(field, std::string(reason));
    }
  }
  return {};
}

}  // namespace nexus::control::config_internal
