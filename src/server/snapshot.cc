#include "server/snapshot.h"

#include <algorithm>
#include <set>

#include "http/filter/filter.h"
#include "llm/pricing/deployment_price.h"

namespace nexus::server {

namespace {

size_t cluster_id(const Snapshot& snapshot, const std::string& name) {
  for (size_t i = 0; i < snapshot.clusters.size(); ++i) {
    if (!name.empty() && snapshot.clusters[i]->name == name) {
      return i;
    }
  }
  return Snapshot::kNoCluster;
}

bool restricts(const config::Deployment& deployment) {
  const config::Capabilities& can = deployment.capabilities;
  return can.context_window != 0 || !can.tools || !can.vision || !can.json_schema ||
         deployment.tpm != 0;
}

// Groups and their deployments; references between groups become pointers (the config
// checked that they resolve).
void build_model_groups(Snapshot& snapshot) {
  const config::Config& cfg = snapshot.config;
  for (const config::Model& model : cfg.models) {
    Snapshot::LlmGroup group{.model = &model,
                             .first = snapshot.deployments.size(),
                             .count = model.deployments.size(),
                             .id = snapshot.models.size()};
    for (const config::Deployment& deployment : model.deployments) {
      const config::Provider& provider = cfg.providers.at(deployment.provider);
      snapshot.deployments.push_back({.group = &model,
                                      .deployment = &deployment,
                                      .provider = &provider,
                                      .cluster = cluster_id(snapshot, provider.cluster),
                                      .token_cluster = cluster_id(snapshot, provider.oauth.cluster),
                                      .id = snapshot.deployments.size(),
                                      .price = llm::pricing::deployment_price(cfg, deployment)});
    }
    snapshot.models.emplace(model.name, std::move(group));
  }
  for (auto& [name, group] : snapshot.models) {
    const config::Model& model = *group.model;
    for (const std::string& fallback : model.fallbacks) {
      group.fallbacks.push_back(&snapshot.models.at(fallback));
    }
    if (!model.context_fallback.empty()) {
      group.context_fallback = &snapshot.models.at(model.context_fallback);
    }
    for (const config::Variant& variant : model.split) {
      group.variants.push_back(&snapshot.models.at(variant.model));
    }
    snapshot.has_splits = snapshot.has_splits || !group.variants.empty();
  }
  auto inspects = [&](const Snapshot::LlmGroup& group) {
    return group.model->strategy == config::RoutingStrategy::kCost ||
           std::ranges::any_of(snapshot.deployments_of(group), [](const auto& deployment) {
             return restricts(*deployment.deployment);
           });
  };
  for (auto& [name, group] : snapshot.models) {
    group.inspects_requests =
        inspects(group) || std::ranges::any_of(group.fallbacks, [&](const auto* fallback) {
          return inspects(*fallback);
        });
  }
  snapshot.usage = std::make_unique<llm::routing::UsageWindow[]>(snapshot.deployments.size());
}

}  // namespace

Result<std::shared_ptr<const Snapshot>> build_snapshot(config::Config config) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->config = std::move(config);
  const config::Config& cfg = snapshot->config;

  auto router = proxy::Router::build(cfg.routes);
  if (!router) {
    return std::unexpected(router.error());
  }
  snapshot->router = std::move(*router);

  for (const auto& [name, cluster] : cfg.clusters) {
    snapshot->clusters.push_back(&cluster);
    std::unique_ptr<boost::asio::ssl::context> tls;
    if (cluster.tls.enabled) {
      auto context =
          net::make_client_tls(cluster.tls, cluster.protocol == config::UpstreamProtocol::kHttp2);
      if (!context) {
        return fail(ErrorCode::kInvalidConfig,
                    cfg.source_file + ": clusters." + name + ".tls: " + context.error().message());
      }
      tls = std::move(*context);
    }
    snapshot->cluster_tls.push_back(std::move(tls));
  }
  for (const auto& route : cfg.routes) {
    size_t id = Snapshot::kNoCluster;
    for (size_t i = 0; i < snapshot->clusters.size(); ++i) {
      if (snapshot->clusters[i]->name == route.cluster) {
        id = i;
      }
    }
    snapshot->route_cluster.push_back(id);
  }
  build_model_groups(*snapshot);
  for (size_t i = 0; i < cfg.server.listen.size(); ++i) {
    const auto& listener_tls = cfg.server.listen[i].tls;
    std::unique_ptr<net::ServerTls> tls;
    if (listener_tls.has_value()) {
      auto server_tls = net::ServerTls::create(*listener_tls, cfg.server.listen[i].http2);
      if (!server_tls) {
        return fail(ErrorCode::kInvalidConfig, cfg.source_file + ": server.listen[" +
                                                   std::to_string(i) +
                                                   "].tls: " + server_tls.error().message());
      }
      tls = std::move(*server_tls);
    }
    snapshot->listener_tls.push_back(std::move(tls));
  }

  const auto& limits = cfg.server.limits;
  snapshot->request_limits = {limits.max_request_line_bytes, limits.max_request_head_bytes,
                              limits.max_header_count, limits.max_body_bytes};
  // Upstream responses: the same head limits, twice the header count (responses carry more
  // fields, e.g. rate-limit headers), and no body limit (bodies stream through).
  snapshot->response_limits = {limits.max_request_line_bytes, limits.max_request_head_bytes,
                               limits.max_header_count * 2, 0};
  const config::Http2& http2 = cfg.server.http2;
  snapshot->http2_limits = {
      .max_concurrent_streams = http2.max_concurrent_streams,
      .initial_stream_window = http2.initial_stream_window,
      .connection_window = http2.connection_window,
      .max_header_list_bytes = limits.max_request_head_bytes,
      .max_header_count = limits.max_header_count,
      .max_body_bytes = limits.max_body_bytes,
      .max_requests = limits.max_requests_per_connection,
  };
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

Result<void> start_filters(const config::Config& config) {
  std::set<filter::FilterFactory*> started;
  auto start_chain = [&](const config::FilterChain& chain) -> Result<void> {
    for (const auto& factory : chain) {
      if (started.insert(factory.get()).second) {
        if (auto ok = factory->start(); !ok) {
          return ok;
        }
      }
    }
    return {};
  };
  if (auto ok = start_chain(config.global_filters); !ok) {
    return ok;
  }
  for (const config::Route& route : config.routes) {
    if (auto ok = start_chain(route.filters); !ok) {
      return ok;
    }
  }
  return {};
}

}  // namespace nexus::server
