#include "cli/diagnose/targets.h"

#include <map>
#include <string_view>

#include "llm/health_request.h"

namespace nexus::cli::diagnose {
namespace {

// "GET /v1/models?api-version=x HTTP/1.1\r\n..." -> "/v1/models".
std::string request_path(std::string_view request) {
  const size_t start = request.find(' ');
  if (start == std::string_view::npos) {
    return {};
  }
  const size_t end = request.find_first_of(" ?", start + 1);
  return std::string(request.substr(start + 1, end - start - 1));
}

struct Owner {
  const config::Provider* provider = nullptr;
  bool token_endpoint = false;
};

// Which provider each provider cluster was built for.
std::map<std::string, Owner, std::less<>> cluster_owners(const config::Config& config) {
  std::map<std::string, Owner, std::less<>> owners;
  for (const auto& [name, provider] : config.providers) {
    if (!provider.cluster.empty()) {
      owners[provider.cluster] = Owner{&provider, false};
    }
    if (!provider.oauth.cluster.empty()) {
      owners[provider.oauth.cluster] = Owner{&provider, true};
    }
  }
  return owners;
}

// Sets the probe of a provider's main cluster's target, or why it has none.
void plan_probe(const config::Provider& provider, bool probe, Target& target) {
  if (!probe) {
    target.no_probe_reason = "not requested (--probe)";
    return;
  }
  auto request = llm::health_check_request(provider);
  if (!request) {
    target.no_probe_reason = request.error().message();
    return;
  }
  target.probe_path = request_path(*request);
  target.probe_request = std::move(*request);
}

}  // namespace

std::string Target::name() const {
  std::string text = label;
  text += ' ';
  const bool v6 = host.find(':') != std::string::npos;
  if (v6) {
    text += '[';
  }
  text += host;
  if (v6) {
    text += ']';
  }
  text += ':';
  text += std::to_string(port);
  return text;
}

std::vector<Target> network_targets(const config::Config& config, bool probe) {
  const auto owners = cluster_owners(config);
  std::vector<Target> targets;
  for (const auto& [name, cluster] : config.clusters) {
    const auto owner = owners.find(name);
    const bool provider = owner != owners.end();
    for (const config::Endpoint& endpoint : cluster.endpoints) {
      Target target;
      if (!provider) {
        target.label = "cluster " + name;
      } else {
        target.label = "provider " + owner->second.provider->name;
        if (owner->second.token_endpoint) {
          target.label += " token";
        }
      }
      target.host = endpoint.host;
      target.port = endpoint.port;
      if (cluster.tls.enabled) {
        target.tls = cluster.tls;
      }
      target.http2 = cluster.protocol == config::UpstreamProtocol::kHttp2;
      if (provider && !owner->second.token_endpoint) {
        plan_probe(*owner->second.provider, probe, target);
      }
      targets.push_back(std::move(target));
    }
  }
  if (config.governance.enabled && config.governance.redis) {
    Target redis;
    redis.label = "redis";
    redis.host = config.governance.redis->host;
    redis.port = config.governance.redis->port;
    targets.push_back(std::move(redis));
  }
  return targets;
}

}  // namespace nexus::cli::diagnose
