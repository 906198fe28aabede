// `observability.alerts`: rules evaluated in-process, webhooks notified on fire and resolve
// (docs/observability.md, "Alerts").
#include <algorithm>
#include <array>
#include <set>

#include "control/config/sections.h"

namespace nexus::control::config_internal {
namespace {

using Kind = config::AlertRule::Kind;

constexpr std::array<std::string_view, 5> kKindNames = {"error_rate", "latency_p95", "budget",
                                                        "circuit_open", "provider_auth_failures"};

Result<void> parse_webhook(const Reader& r, const Field& field, config::AlertWebhook& out) {
  NEXUS_CONFIG_TRY(
      r.check_mapping(field, {"name", "url", "headers", "timeout", "max_attempts", "backoff"}));
  NEXUS_CONFIG_TRY(r.require(r.child(field, "name")));
  NEXUS_CONFIG_TRY(r.read(field, "name", out.name));
  const Field url = r.child(field, "url");
  NEXUS_CONFIG_TRY(r.require(url));
  NEXUS_CONFIG_TRY(r.read(field, "url", out.url));
  if (!out.url.starts_with("http://") && !out.url.starts_with("https://")) {
    return r.error(url, "expected an http:// or https:// URL");
  }
  NEXUS_CONFIG_TRY(r.read(field, "timeout", out.timeout));
  if (out.timeout.count() == 0) {
    return r.error(r.child(field, "timeout"), "must be greater than 0");
  }
  NEXUS_CONFIG_TRY(r.read_integer(field, "max_attempts", out.max_attempts, 1, 20));
  NEXUS_CONFIG_TRY(r.read(field, "backoff", out.backoff));
  return parse_header_map(r, r.child(field, "headers"), out.headers);
}

// `match`: which keys a kind takes, and that what they name exists.
Result<void> parse_match(const Reader& r, const Field& field, const config::Config& config,
                         config::AlertRule& out) {
  if (!field.present) {
    if (out.kind == Kind::kBudget) {
      return r.error(field, "a budget rule needs one of org, team, key");
    }
    return {};
  }
  switch (out.kind) {
    case Kind::kErrorRate:
    case Kind::kLatencyP95: {
      NEXUS_CONFIG_TRY(r.check_mapping(field, {"route"}));
      NEXUS_CONFIG_TRY(r.read(field, "route", out.route));
      const bool known = std::ranges::any_of(
          config.routes, [&](const config::Route& route) { return route.name == out.route; });
      if (!out.route.empty() && !known) {
        return r.error(r.child(field, "route"), "no route is named '" + out.route + "'");
      }
      return {};
    }
    case Kind::kProviderAuthFailures: {
      NEXUS_CONFIG_TRY(r.check_mapping(field, {"provider"}));
      NEXUS_CONFIG_TRY(r.read(field, "provider", out.provider));
      if (!out.provider.empty() && !config.providers.contains(out.provider)) {
        return r.error(r.child(field, "provider"), "no provider is named '" + out.provider + "'");
      }
      return {};
    }
    case Kind::kBudget: {
      NEXUS_CONFIG_TRY(r.check_mapping(field, {"org", "team", "key"}));
      for (const std::string_view scope : {"org", "team", "key"}) {
        if (r.child(field, scope).present) {
          if (!out.scope_kind.empty()) {
            return r.error(field, "name one of org, team, key, not several");
          }
          out.scope_kind = std::string(scope);
          NEXUS_CONFIG_TRY(r.read(field, scope, out.scope_id));
        }
      }
      if (out.scope_kind.empty() || out.scope_id.empty()) {
        return r.error(field, "a budget rule needs one of org, team, key");
      }
      return {};
    }
    case Kind::kCircuitOpen:
      return r.error(field, "circuit_open takes no match (any upstream circuit counts)");
  }
  return {};
}

Result<void> parse_rule(const Reader& r, const Field& field, const config::Config& config,
                        const config::Alerts& alerts, config::AlertRule& out) {
  NEXUS_CONFIG_TRY(r.check_mapping(
      field, {"name", "kind", "threshold", "window", "for", "severity", "webhooks", "match"}));
  NEXUS_CONFIG_TRY(r.require(r.child(field, "name")));
  NEXUS_CONFIG_TRY(r.read(field, "name", out.name));
  if (out.name.empty()) {
    return r.error(r.child(field, "name"), "expected a non-empty name");
  }
  const Field kind = r.child(field, "kind");
  NEXUS_CONFIG_TRY(r.require(kind));
  auto kind_name = r.one_of(kind, kKindNames);
  if (!kind_name) {
    return std::unexpected(std::move(kind_name.error()));
  }
  out.kind = static_cast<Kind>(std::ranges::find(kKindNames, *kind_name) - kKindNames.begin());
  if (out.kind == Kind::kBudget && !config.governance.enabled) {
    return r.error(kind, "a budget rule needs governance (governance.enabled)");
  }
  const Field threshold = r.child(field, "threshold");
  NEXUS_CONFIG_TRY(r.require(threshold));
  const bool share = out.kind == Kind::kErrorRate;
  NEXUS_CONFIG_TRY(r.read_number(field, "threshold", out.threshold, 0.0, share ? 1.0 : 1e12));
  NEXUS_CONFIG_TRY(r.read(field, "window", out.window));
  if (out.window.count() == 0) {
    return r.error(r.child(field, "window"), "must be greater than 0");
  }
  NEXUS_CONFIG_TRY(r.read(field, "for", out.for_));
  NEXUS_CONFIG_TRY(r.read(field, "severity", out.severity));
  const Field hooks = r.child(field, "webhooks");
  auto names = r.strings(hooks, /*non_empty=*/false);
  if (!names) {
    return std::unexpected(std::move(names.error()));
  }
  for (const std::string& name : *names) {
    if (std::ranges::none_of(alerts.webhooks,
                             [&](const auto& hook) { return hook.name == name; })) {
      return r.error(hooks, "no webhook is named '" + name + "'");
    }
  }
  out.webhooks = std::move(*names);
  return parse_match(r, r.child(field, "match"), config, out);
}

}  // namespace

Result<void> parse_alerts(const Reader& r, const Field& field, const config::Config& config,
                          config::Alerts& out) {
  if (!field.present) {
    return {};
  }
  NEXUS_CONFIG_TRY(
      r.check_mapping(field, {"evaluation_interval", "webhooks", "rules", "max_queue"}));
  NEXUS_CONFIG_TRY(r.read(field, "evaluation_interval", out.evaluation_interval));
  if (out.evaluation_interval.count() == 0) {
    return r.error(r.child(field, "evaluation_interval"), "must be greater than 0");
  }
  NEXUS_CONFIG_TRY(r.read_integer(field, "max_queue", out.max_queue, 1, 100'000));
  auto hooks = r.items(r.child(field, "webhooks"), /*non_empty=*/false);
  if (!hooks) {
    return std::unexpected(std::move(hooks.error()));
  }
  std::set<std::string, std::less<>> hook_names;
  for (const Field& item : *hooks) {
    NEXUS_CONFIG_TRY(parse_webhook(r, item, out.webhooks.emplace_back()));
    if (!hook_names.insert(out.webhooks.back().name).second) {
      return r.error(r.child(item, "name"), "a webhook of this name is already configured");
    }
  }
  auto rules = r.items(r.child(field, "rules"), /*non_empty=*/false);
  if (!rules) {
    return std::unexpected(std::move(rules.error()));
  }
  std::set<std::string, std::less<>> rule_names;
  for (const Field& item : *rules) {
    NEXUS_CONFIG_TRY(parse_rule(r, item, config, out, out.rules.emplace_back()));
    if (!rule_names.insert(out.rules.back().name).second) {
      return r.error(r.child(item, "name"), "a rule of this name is already configured");
    }
  }
  out.enabled = !out.rules.empty();
  if (out.enabled && !config.observability.listen) {
    return r.error(field, "alerts read the metrics: they need observability.listen");
  }
  return {};
}

}  // namespace nexus::control::config_internal
