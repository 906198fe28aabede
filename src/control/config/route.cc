// The `routes` section: ordered match rules, each leading to a cluster or a direct response.
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "control/config/address.h"
#include "control/config/sections.h"

namespace nexus::control::config_internal {
namespace {

// Values that end up in HTTP headers must not smuggle CR/LF or other control bytes.
bool has_control_chars(std::string_view text) {
  return std::ranges::any_of(text, [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

// Compiles `pattern` now so that a bad regex is a config error, not a runtime surprise.
Result<void> check_regex(const Reader& r, const Field& field, const std::string& pattern) {
  RE2 re(pattern, RE2::Quiet);
  if (!re.ok()) {
    return r.error(field, "invalid regex '" + pattern + "': " + re.error());
  }
  return {};
}

// Exact host names or "*.suffix" wildcards, stored lower case.
Result<void> check_host_pattern(const Reader& r, const Field& field, std::string& text) {
  std::string host = to_lower_ascii(text);
  std::string_view name = host;
  if (name.starts_with("*.")) {
    name.remove_prefix(2);
  }
  if (!is_dns_name(name) && !is_ip_literal(name)) {
    return r.error(field, "expected a host name (no port) or *.domain, got '" + text + "'");
  }
  text = std::move(host);
  return {};
}

Result<void> parse_hosts(const Reader& r, const Field& match, config::RouteMatch& out) {
  Field host = r.child(match, "host");
  Field hosts = r.child(match, "hosts");
  if (host.present && hosts.present) {
    return r.error(hosts, "use either host or hosts, not both");
  }
  if (host.present) {
    auto text = r.string(host);
    if (!text) {
      return std::unexpected(std::move(text.error()));
    }
    NEXUS_CONFIG_TRY(check_host_pattern(r, host, *text));
    out.hosts.push_back(std::move(*text));
    return {};
  }
  const auto host_pattern = [&r](const Field& item, std::string& text) {
    return check_host_pattern(r, item, text);
  };
  auto list = r.strings(hosts, /*non_empty=*/hosts.present, host_pattern);
  if (!list) {
    return std::unexpected(std::move(list.error()));
  }
  out.hosts = std::move(*list);
  return {};
}

// At most one of path (exact), prefix and regex.
Result<void> parse_path_match(const Reader& r, const Field& match, config::RouteMatch& out) {
  static constexpr std::array<std::string_view, 3> kKeys = {"path", "prefix", "regex"};
  std::array<std::optional<std::string>*, 3> targets = {&out.path, &out.prefix, &out.regex};
  bool chosen = false;
  for (size_t i = 0; i < kKeys.size(); ++i) {
    Field field = r.child(match, kKeys[i]);
    if (!field.present) {
      continue;
    }
    if (chosen) {
      return r.error(field, "only one of path, prefix and regex may be given");
    }
    auto text = r.string(field);
    if (!text) {
      return std::unexpected(std::move(text.error()));
    }
    if (i < 2 && !text->starts_with('/')) {
      return r.error(field, "must start with '/', got '" + *text + "'");
    }
    if (i == 2) {
      NEXUS_CONFIG_TRY(check_regex(r, field, *text));
    }
    *targets[i] = std::move(*text);
    chosen = true;
  }
  return {};
}

Result<void> parse_methods(const Reader& r, const Field& field, std::vector<std::string>& out) {
  const auto upper_case_token = [&r](const Field& item, const std::string& method) -> Result<void> {
    bool upper = std::ranges::none_of(method, [](char c) { return c >= 'a' && c <= 'z'; });
    if (!is_token(method) || !upper) {
      return r.error(item, "expected an upper-case method like GET, got '" + method + "'");
    }
    return {};
  };
  auto methods = r.strings(field, /*non_empty=*/field.present, upper_case_token);
  if (!methods) {
    return std::unexpected(std::move(methods.error()));
  }
  out = std::move(*methods);
  return {};
}

// { name, exact | regex | present }; with neither exact nor regex the header must be present
// (or, with present: false, absent).
Result<void> parse_header_match(const Reader& r, const Field& field, config::HeaderMatch& out) {
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"name", "exact", "regex", "present"}));
  Field name = r.child(field, "name");
  NEXUS_CONFIG_TRY(r.require(name));
  NEXUS_CONFIG_TRY(r.read(field, "name", out.name));
  if (!is_token(out.name)) {
    return r.error(name, "'" + out.name + "' is not a valid header name");
  }
  out.name = to_lower_ascii(out.name);
  int conditions = 0;
  for (std::string_view key : {"exact", "regex", "present"}) {
    Field condition = r.child(field, key);
    if (condition.present && ++conditions > 1) {
      return r.error(condition, "only one of exact, regex and present may be given");
    }
  }
  if (Field exact = r.child(field, "exact"); exact.present) {
    NEXUS_CONFIG_TRY(r.read(field, "exact", out.exact.emplace()));
  }
  if (Field regex = r.child(field, "regex"); regex.present) {
    NEXUS_CONFIG_TRY(r.read(field, "regex", out.regex.emplace()));
    NEXUS_CONFIG_TRY(check_regex(r, regex, *out.regex));
  }
  NEXUS_CONFIG_TRY(r.read(field, "present", out.present));
  return {};
}

Result<void> parse_match(const Reader& r, const Field& field, config::RouteMatch& out) {
  NEXUS_CONFIG_TRY(r.require(field));
  NEXUS_CONFIG_TRY(
      r.check_mapping(field, {"host", "hosts", "path", "prefix", "regex", "methods", "headers"}));
  NEXUS_CONFIG_TRY(parse_hosts(r, field, out));
  NEXUS_CONFIG_TRY(parse_path_match(r, field, out));
  NEXUS_CONFIG_TRY(parse_methods(r, r.child(field, "methods"), out.methods));
  Field headers = r.child(field, "headers");
  auto items = r.items(headers, /*non_empty=*/false);
  if (!items) {
    return std::unexpected(std::move(items.error()));
  }
  for (const Field& item : *items) {
    NEXUS_CONFIG_TRY(parse_header_match(r, item, out.headers.emplace_back()));
  }
  return {};
}

Result<void> parse_direct_response(const Reader& r, const Field& field,
                                   config::DirectResponse& out) {
  if (!field.node.IsMap()) {
    return r.error(field, "expected a mapping with status, body, content_type");
  }
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"status", "body", "content_type"}));
  if (Field status = r.child(field, "status"); status.present) {
    auto value = r.integer(status, 200, 599);
    if (!value) {
      return std::unexpected(std::move(value.error()));
    }
    out.status = static_cast<int>(*value);
  }
  NEXUS_CONFIG_TRY(r.read(field, "body", out.body));
  NEXUS_CONFIG_TRY(r.read(field, "content_type", out.content_type));
  if (out.content_type.empty() || has_control_chars(out.content_type)) {
    return r.error(r.child(field, "content_type"), "expected a media type like text/plain");
  }
  return {};
}

// `adaptive_first_byte: true` (the defaults) or {percentile, multiplier, floor, ceiling,
// min_samples}; the ceiling defaults to the route's first_byte.
Result<void> parse_adaptive_first_byte(const Reader& r, const Field& field,
                                       config::Duration first_byte, config::AdaptiveTimeout& out) {
  if (!field.present) {
    return {};
  }
  out.ceiling = first_byte;
  if (!field.node.IsMap()) {
    auto enabled = r.boolean(field);
    if (!enabled) {
      return r.error(field, "expected true, false or a mapping (percentile, multiplier, ...)");
    }
    out.enabled = *enabled;
  } else {
    NEXUS_CONFIG_TRY(
        r.check_mapping(field, {"percentile", "multiplier", "floor", "ceiling", "min_samples"}));
    out.enabled = true;
    NEXUS_CONFIG_TRY(r.read_integer(field, "percentile", out.percentile, 1, 100));
    // From 1 (the quantile itself) to 100.
    NEXUS_CONFIG_TRY(r.read_number(field, "multiplier", out.multiplier, 1, 100));
    NEXUS_CONFIG_TRY(r.read(field, "floor", out.floor));
    NEXUS_CONFIG_TRY(r.read(field, "ceiling", out.ceiling));
    NEXUS_CONFIG_TRY(r.read_integer(field, "min_samples", out.min_samples, 1, 1000000));
  }
  if (!out.enabled) {
    return {};
  }
  if (out.ceiling.count() == 0) {
    return r.error(field,
                   "needs a ceiling: set ceiling, or a timeouts.first_byte other than 0 (none)");
  }
  if (out.floor.count() == 0 || out.floor > out.ceiling) {
    return r.error(r.child(field, "floor"), "must be above 0 and not above the ceiling (" +
                                                std::to_string(out.ceiling.count()) + "ms)");
  }
  return {};
}

Result<void> parse_route_timeouts(const Reader& r, const Field& field, config::RouteTimeouts& out) {
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"first_byte", "idle", "total", "adaptive_first_byte"}));
  NEXUS_CONFIG_TRY(r.read(field, "first_byte", out.first_byte));
  NEXUS_CONFIG_TRY(r.read(field, "idle", out.idle));
  NEXUS_CONFIG_TRY(r.read(field, "total", out.total));
  return parse_adaptive_first_byte(r, r.child(field, "adaptive_first_byte"), out.first_byte,
                                   out.adaptive_first_byte);
}

// retries: { attempts, on: [connect_failure, reset, timeout, 5xx, 429], backoff: {base, max} }
Result<void> parse_retries(const Reader& r, const Field& field, config::RetryPolicy& out) {
  if (!field.present) {
    return {};
  }
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"attempts", "on", "backoff"}));
  out.attempts = 2;
  NEXUS_CONFIG_TRY(r.read_integer(field, "attempts", out.attempts, 1, 10));
  if (Field on = r.child(field, "on"); on.present) {
    static constexpr std::string_view kConditions[] = {"connect_failure", "reset", "timeout", "5xx",
                                                       "429"};
    auto conditions = r.strings(on, /*non_empty=*/true, kConditions);
    if (!conditions) {
      return std::unexpected(std::move(conditions.error()));
    }
    auto has = [&](std::string_view name) { return std::ranges::count(*conditions, name) > 0; };
    out.on_connect_failure = has("connect_failure");
    out.on_reset = has("reset");
    out.on_timeout = has("timeout");
    out.on_5xx = has("5xx");
    out.on_429 = has("429");
  }
  if (Field backoff = r.child(field, "backoff"); backoff.present) {
    NEXUS_CONFIG_TRY(r.check_mapping(backoff, {"base", "max"}));
    NEXUS_CONFIG_TRY(r.read(backoff, "base", out.backoff_base));
    NEXUS_CONFIG_TRY(r.read(backoff, "max", out.backoff_max));
    if (out.backoff_max < out.backoff_base) {
      return r.error(r.child(backoff, "max"), "must not be below base");
    }
  }
  return {};
}

// The proxying options (rewrites, timeouts, retries) mean nothing for a direct response.
Result<void> parse_upstream_options(const Reader& r, const Field& field, config::Route& out) {
  for (std::string_view key :
       {"prefix_rewrite", "host_rewrite", "timeouts", "retries", "fallback_response"}) {
    if (Field option = r.child(field, key); option.present && out.direct_response) {
      return r.error(option, "only allowed with cluster, not with direct_response");
    }
  }
  for (std::string_view key : {"prefix_rewrite", "host_rewrite", "retries"}) {
    if (Field option = r.child(field, key); option.present && out.llm) {
      return r.error(option, "only allowed with cluster (an llm route's upstream is a provider)");
    }
  }
  if (Field rewrite = r.child(field, "prefix_rewrite"); rewrite.present) {
    if (!out.match.prefix) {
      return r.error(rewrite, "only allowed when match has a prefix");
    }
    NEXUS_CONFIG_TRY(r.read(field, "prefix_rewrite", out.prefix_rewrite.emplace()));
    if (!out.prefix_rewrite->starts_with('/')) {
      return r.error(rewrite, "must start with '/', got '" + *out.prefix_rewrite + "'");
    }
  }
  if (Field host = r.child(field, "host_rewrite"); host.present) {
    NEXUS_CONFIG_TRY(r.read(field, "host_rewrite", out.host_rewrite.emplace()));
    const std::string& value = *out.host_rewrite;
    if (!is_dns_name(value) && !is_ip_literal(value) && !parse_endpoint_address(value)) {
      return r.error(host, "expected a host or host:port, got '" + value + "'");
    }
  }
  NEXUS_CONFIG_TRY(parse_retries(r, r.child(field, "retries"), out.retries));
  if (Field fallback = r.child(field, "fallback_response"); fallback.present) {
    NEXUS_CONFIG_TRY(parse_direct_response(r, fallback, out.fallback_response.emplace()));
  }
  return parse_route_timeouts(r, r.child(field, "timeouts"), out.timeouts);
}

// The route's name, its own filters merged into the global ones, and the body buffer limit.
Result<void> parse_route_filters(const Reader& r, const Field& field,
                                 const std::vector<config::FilterEntry>& global,
                                 config::Route& out) {
  NEXUS_CONFIG_TRY(r.read(field, "name", out.name));
  if (out.name.empty() || has_control_chars(out.name)) {
    return r.error(r.child(field, "name"), "expected a non-empty name without control characters");
  }
  std::vector<config::FilterEntry> own;
  NEXUS_CONFIG_TRY(parse_filter_list(r, r.child(field, "filters"), /*in_route=*/true, own));
  out.filters = merge_filters(global, own);
  return r.read_size(field, "buffer_limit", out.buffer_limit, 1024, 1ULL << 30);
}

Result<void> parse_route(const Reader& r, const Field& field,
                         const std::map<std::string, config::Cluster>& clusters,
                         const std::vector<config::FilterEntry>& global, config::Route& out) {
  if (!field.node.IsMap()) {
    return r.error(field, "expected a mapping with match and cluster, direct_response or llm");
  }
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"name", "match", "cluster", "direct_response", "llm",
                                           "prefix_rewrite", "host_rewrite", "timeouts", "retries",
                                           "fallback_response", "filters", "buffer_limit"}));
  NEXUS_CONFIG_TRY(parse_route_filters(r, field, global, out));
  NEXUS_CONFIG_TRY(parse_match(r, r.child(field, "match"), out.match));
  Field cluster = r.child(field, "cluster");
  Field direct = r.child(field, "direct_response");
  Field llm = r.child(field, "llm");
  if (int{cluster.present} + int{direct.present} + int{llm.present} != 1) {
    // Several: the error points at the second one.
    const Field& at = llm.present ? llm : direct;
    return r.error(at.present ? at : field,
                   "expected exactly one of cluster, direct_response and llm");
  }
  if (llm.present) {
    NEXUS_CONFIG_TRY(r.check_mapping(llm, {}));
    out.llm = true;
  } else if (cluster.present) {
    NEXUS_CONFIG_TRY(r.read(field, "cluster", out.cluster));
    if (!clusters.contains(out.cluster)) {
      return r.error(cluster, "unknown cluster '" + out.cluster + "' (not defined in clusters)");
    }
  } else {
    NEXUS_CONFIG_TRY(parse_direct_response(r, direct, out.direct_response.emplace()));
  }
  return parse_upstream_options(r, field, out);
}

}  // namespace

Result<void> parse_routes(const Reader& r, const Field& field,
                          const std::map<std::string, config::Cluster>& clusters,
                          const std::vector<config::FilterEntry>& global_filters,
                          std::vector<config::Route>& out) {
  NEXUS_CONFIG_TRY(r.require(field));
  auto items = r.items(field, /*non_empty=*/true);
  if (!items) {
    return std::unexpected(std::move(items.error()));
  }
  for (const Field& item : *items) {
    config::Route& route = out.emplace_back();
    route.name = "routes[" + std::to_string(out.size() - 1) + "]";
    NEXUS_CONFIG_TRY(parse_route(r, item, clusters, global_filters, route));
  }
  return {};
}

}  // namespace nexus::control::config_internal
