// The `models` section: model groups. A group is a name clients send, served by one or more
// deployments (provider + model id + limits + capabilities), with a strategy that picks among
// them, fallbacks tried when all of them fail, or an A/B split across other groups.
#include <algorithm>
#include <array>
#include <limits>
#include <set>
#include <string>
#include <utility>

#include "control/config/sections.h"

namespace nexus::control::config_internal {
namespace {

constexpr uint64_t kMaxU32 = std::numeric_limits<uint32_t>::max();

// The keys of one deployment; the short form writes them on the group itself.
constexpr std::array<std::string_view, 11> kDeploymentKeys = {
    "provider", "model",  "rpm",         "tpm",   "max_concurrent", "context_window",
    "tools",    "vision", "json_schema", "price", "health_check"};

// What the group parsers need to know of the `providers` section.
struct KnownProviders {
  const std::map<std::string, config::Provider>& defined;
  const std::set<std::string>& left_out;  // optional ones without their API key
};

Result<void> parse_deployment(const Reader& r, const Field& field, const std::string& group_name,
                              const KnownProviders& providers, config::Deployment& out) {
  NEXUS_CONFIG_TRY(r.require(r.child(field, "provider")));
  NEXUS_CONFIG_TRY(r.read(field, "provider", out.provider));
  if (!providers.defined.contains(out.provider) && !providers.left_out.contains(out.provider)) {
    return r.error(r.child(field, "provider"),
                   "unknown provider '" + out.provider + "' (not defined in providers)");
  }
  out.model = group_name;
  NEXUS_CONFIG_TRY(r.read(field, "model", out.model));
  if (out.model.empty()) {
    return r.error(r.child(field, "model"), "the model id cannot be empty");
  }
  NEXUS_CONFIG_TRY(r.read_integer(field, "weight", out.weight, 1, 65535));
  NEXUS_CONFIG_TRY(r.read_integer(field, "rpm", out.rpm, 0, kMaxU32));
  NEXUS_CONFIG_TRY(r.read_integer(field, "tpm", out.tpm, 0, uint64_t{1} << 50));
  NEXUS_CONFIG_TRY(r.read_integer(field, "max_concurrent", out.max_concurrent, 0, 1000000));
  config::Capabilities& can = out.capabilities;
  NEXUS_CONFIG_TRY(
      r.read_integer(field, "context_window", can.context_window, 0, uint64_t{1} << 40));
  NEXUS_CONFIG_TRY(r.read(field, "tools", can.tools));
  NEXUS_CONFIG_TRY(r.read(field, "vision", can.vision));
  NEXUS_CONFIG_TRY(r.read(field, "json_schema", can.json_schema));
  NEXUS_CONFIG_TRY(parse_deployment_price(r, r.child(field, "price"), out.price));
  const auto provider = providers.defined.find(out.provider);
  return parse_deployment_health_check(
      r, r.child(field, "health_check"),
      provider == providers.defined.end() ? nullptr : &provider->second, out.health_check);
}

Result<void> parse_strategy(const Reader& r, const Field& field, config::RoutingStrategy& out) {
  if (!field.present) {
    return {};
  }
  static constexpr std::array<std::string_view, 6> kNames = {
      "weighted", "round_robin", "least_busy", "least_latency", "cost", "usage"};
  auto name = r.one_of(field, kNames);
  if (!name) {
    return std::unexpected(std::move(name.error()));
  }
  using S = config::RoutingStrategy;
  static const std::map<std::string, S, std::less<>> kStrategies = {
      {"weighted", S::kWeighted},
      {"round_robin", S::kRoundRobin},
      {"least_busy", S::kLeastBusy},
      {"least_latency", S::kLeastLatency},
      {"cost", S::kCost},
      {"usage", S::kUsage}};
  out = kStrategies.at(*name);
  return {};
}

Result<void> parse_split(const Reader& r, const Field& field, config::Model& out) {
  auto items = r.items(field, /*non_empty=*/true);
  if (!items) {
    return std::unexpected(std::move(items.error()));
  }
  uint64_t total = 0;
  for (const Field& item : *items) {
    NEXUS_CONFIG_TRY(r.check_mapping(item, {"model", "percent"}));
    NEXUS_CONFIG_TRY(r.require(r.child(item, "model")));
    NEXUS_CONFIG_TRY(r.require(r.child(item, "percent")));
    config::Variant variant;
    NEXUS_CONFIG_TRY(r.read(item, "model", variant.model));
    NEXUS_CONFIG_TRY(r.read_integer(item, "percent", variant.percent, 1, 100));
    total += variant.percent;
    out.split.push_back(std::move(variant));
  }
  if (total != 100) {
    return r.error(field,
                   "the variants' percentages add up to " + std::to_string(total) + ", not 100");
  }
  return {};
}

// A group's policies: strategy, fallbacks and how failures of its deployments are handled.
Result<void> parse_group_policies(const Reader& r, const Field& item, config::Model& out) {
  NEXUS_CONFIG_TRY(parse_strategy(r, r.child(item, "strategy"), out.strategy));
  NEXUS_CONFIG_TRY(r.read_number(item, "exploration", out.exploration, 0, 0.5));
  NEXUS_CONFIG_TRY(r.read(item, "latency_ceiling", out.latency_ceiling));
  auto fallbacks = r.strings(r.child(item, "fallbacks"), /*non_empty=*/false);
  if (!fallbacks) {
    return std::unexpected(std::move(fallbacks.error()));
  }
  out.fallbacks = std::move(*fallbacks);
  NEXUS_CONFIG_TRY(r.read(item, "context_fallback", out.context_fallback));
  const Field breaker = r.child(item, "circuit_breaker");
  NEXUS_CONFIG_TRY(parse_circuit_breaker(r, breaker, out.circuit_breaker));
  if (!breaker.present) {  // on when there is somewhere else to go
    out.circuit_breaker.enabled = out.deployments.size() > 1 || !out.fallbacks.empty();
  }
  NEXUS_CONFIG_TRY(r.read(item, "rate_limit_cool_down", out.rate_limit_cool_down));
  NEXUS_CONFIG_TRY(r.read(item, "misconfigured_cool_down", out.misconfigured_cool_down));
  NEXUS_CONFIG_TRY(parse_retry_budget(r, r.child(item, "retry_budget"), out.retry_budget));
  return {};
}

Result<void> parse_group(const Reader& r, const Field& item, const KnownProviders& providers,
                         config::Model& out) {
  NEXUS_CONFIG_TRY(r.require(r.child(item, "name")));
  NEXUS_CONFIG_TRY(r.read(item, "name", out.name));
  if (out.name.empty()) {
    return r.error(r.child(item, "name"), "the name cannot be empty");
  }
  if (const Field split = r.child(item, "split"); split.present) {
    NEXUS_CONFIG_TRY(r.check_mapping(item, {"name", "split"}));
    return parse_split(r, split, out);
  }
  std::vector<std::string_view> allowed = {"name",
                                           "deployments",
                                           "strategy",
                                           "exploration",
                                           "latency_ceiling",
                                           "fallbacks",
                                           "context_fallback",
                                           "circuit_breaker",
                                           "rate_limit_cool_down",
                                           "misconfigured_cool_down",
                                           "retry_budget"};
  if (const Field list = r.child(item, "deployments"); list.present) {
    NEXUS_CONFIG_TRY(r.check_mapping(item, allowed));
    auto deployments = r.items(list, /*non_empty=*/true);
    if (!deployments) {
      return std::unexpected(std::move(deployments.error()));
    }
    for (const Field& field : *deployments) {
      std::vector<std::string_view> keys(kDeploymentKeys.begin(), kDeploymentKeys.end());
      keys.emplace_back("weight");
      NEXUS_CONFIG_TRY(r.check_mapping(field, keys));
      config::Deployment deployment;
      NEXUS_CONFIG_TRY(parse_deployment(r, field, out.name, providers, deployment));
      out.deployments.push_back(std::move(deployment));
    }
  } else {
    allowed.erase(std::ranges::find(allowed, "deployments"));
    allowed.insert(allowed.end(), kDeploymentKeys.begin(), kDeploymentKeys.end());
    NEXUS_CONFIG_TRY(r.check_mapping(item, allowed));
    config::Deployment deployment;
    NEXUS_CONFIG_TRY(parse_deployment(r, item, out.name, providers, deployment));
    out.deployments.push_back(std::move(deployment));
  }
  return parse_group_policies(r, item, out);
}

// Deployments of providers left out (optional, no API key) go, then groups left with none, and
// every reference to those (a split's traffic goes to its remaining variants).
void drop_left_out(std::vector<config::Model>& models, const std::set<std::string>& left_out) {
  std::set<std::string> dropped;
  for (config::Model& model : models) {
    const bool had_deployments = !model.deployments.empty();
    std::erase_if(model.deployments, [&](const config::Deployment& deployment) {
      return left_out.contains(deployment.provider);
    });
    if (had_deployments && model.deployments.empty()) {
      dropped.insert(model.name);
    }
  }
  for (config::Model& model : models) {
    std::erase_if(model.split,
                  [&](const config::Variant& variant) { return dropped.contains(variant.model); });
    if (model.deployments.empty() && model.split.empty()) {
      dropped.insert(model.name);
    }
  }
  std::erase_if(models, [&](const config::Model& model) { return dropped.contains(model.name); });
  for (config::Model& model : models) {
    std::erase_if(model.fallbacks, [&](const std::string& name) { return dropped.contains(name); });
    if (dropped.contains(model.context_fallback)) {
      model.context_fallback.clear();
    }
  }
}

}  // namespace

Result<void> parse_models(const Reader& r, const Field& field,
                          const std::map<std::string, config::Provider>& providers,
                          const std::set<std::string>& left_out, std::vector<config::Model>& out) {
  auto items = r.items(field, /*non_empty=*/false);
  if (!items) {
    return std::unexpected(std::move(items.error()));
  }
  std::map<std::string, const Field*, std::less<>> fields;  // by name, for reference errors
  for (const Field& item : *items) {
    if (!item.node.IsMap()) {
      return r.error(item, "expected a mapping with name and provider, deployments or split");
    }
    config::Model model;
    NEXUS_CONFIG_TRY(parse_group(r, item, KnownProviders{providers, left_out}, model));
    if (!fields.emplace(model.name, &item).second) {
      return r.error(r.child(item, "name"), "model '" + model.name + "' is listed twice");
    }
    out.push_back(std::move(model));
  }
  // References name groups defined anywhere in the list; a split's variants serve themselves.
  for (const config::Model& model : out) {
    const Field& item = *fields.at(model.name);
    auto check = [&](const std::string& name, std::string_view key) -> Result<void> {
      const auto found = std::ranges::find(out, name, &config::Model::name);
      if (found == out.end()) {
        return r.error(r.child(item, key), "unknown model '" + name + "'");
      }
      if (name == model.name) {
        return r.error(r.child(item, key), "a model cannot refer to itself");
      }
      if (!found->split.empty()) {
        return r.error(r.child(item, key),
                       "'" + name + "' is a split, not a model with deployments");
      }
      return {};
    };
    for (const std::string& name : model.fallbacks) {
      NEXUS_CONFIG_TRY(check(name, "fallbacks"));
    }
    if (!model.context_fallback.empty()) {
      NEXUS_CONFIG_TRY(check(model.context_fallback, "context_fallback"));
    }
    for (const config::Variant& variant : model.split) {
      NEXUS_CONFIG_TRY(check(variant.model, "split"));
    }
  }
  drop_left_out(out, left_out);
  return {};
}

}  // namespace nexus::control::config_internal
