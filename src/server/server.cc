#include "server/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <thread>

#include "control/admin/admin_api.h"
#include "control/admin/admin_server.h"
#include "control/admin/jwt_identity.h"
#include "governance/governance.h"
#include "net/control_http_server.h"
#include "obs/logging.h"
#include "obs/metrics/process_metrics.h"
#include "obs/ops_api.h"
#include "obs/tracing/otlp_http.h"
#include "obs/tracing/tracer.h"
#include "proxy/health/health_checker.h"
#include "server/alerting.h"
#include "server/llm_health_checker.h"
#include "server/readiness.h"
#include "server/snapshot.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// The process's tracer (observability.tracing), or null when tracing is off.
Result<std::unique_ptr<obs::tracing::Tracer>> make_tracer(const config::Tracing& settings) {
  if (!settings.enabled) {
    return nullptr;
  }
  auto url = obs::tracing::parse_collector_url(settings.endpoint);
  if (!url) {
    return std::unexpected(url.error());
  }
  obs::tracing::ExporterOptions options{.resource = {.service_name = settings.service_name},
                                        .max_queue_spans = settings.max_queue_spans,
                                        .batch_size = settings.batch_size,
                                        .flush_interval = settings.flush_interval,
                                        .send_timeout = settings.export_timeout,
                                        .max_retries = settings.max_retries};
  auto exporter = std::make_unique<obs::tracing::SpanExporter>(
      std::move(options), obs::tracing::http_transport(*url, settings.headers));
  spdlog::info("tracing: spans to {} (sampling ratio {})", settings.endpoint,
               settings.sampling_ratio);
  return std::make_unique<obs::tracing::Tracer>(settings.sampling_ratio, std::move(exporter));
}

// Per cluster id: its health checker, or null without a health_check.
using HealthCheckers = std::vector<std::unique_ptr<proxy::HealthChecker>>;

// Resolves the DNS endpoints of every cluster, now and then every dns_refresh, and hands the
// addresses to each worker on its own thread (workers never share a resolver or lock), and to
// the cluster's health checker, which runs on this same thread.
class DnsRefresher {
 public:
  DnsRefresher(asio::io_context& io, const Snapshot& snapshot,
               std::vector<std::unique_ptr<Worker>>& workers, HealthCheckers& checkers,
               LlmHealthChecker* llm_checker)
      : io_(io),
        snapshot_(snapshot),
        workers_(workers),
        checkers_(checkers),
        llm_checker_(llm_checker),
        resolver_(io) {}

  void start() {
    for (size_t c = 0; c < snapshot_.clusters.size(); ++c) {
      const auto& cluster = *snapshot_.clusters[c];
      for (size_t e = 0; e < cluster.endpoints.size(); ++e) {
        boost::system::error_code error;
        asio::ip::make_address(cluster.endpoints[e].host, error);
        if (error) {  // a name, not an IP literal
          resolve(c, e);
        }
      }
    }
  }

 private:
  void resolve(size_t cluster_id, size_t endpoint) {
    const auto& cluster = *snapshot_.clusters[cluster_id];
    const auto& target = cluster.endpoints[endpoint];
    resolver_.async_resolve(
        target.host, std::to_string(target.port),
        [this, cluster_id, endpoint](boost::system::error_code error,
                                     const tcp::resolver::results_type& results) {
          const auto& cluster = *snapshot_.clusters[cluster_id];
          if (error) {
            spdlog::warn("cluster {}: cannot resolve {}: {}", cluster.name,
                         cluster.endpoints[endpoint].host, error.message());
          } else {
            std::vector<tcp::endpoint> addresses;
            for (const auto& entry : results) {
              addresses.push_back(entry.endpoint());
            }
            for (auto& worker : workers_) {
              asio::post(worker->io(), [w = worker.get(), cluster_id, endpoint, addresses] {
                w->cluster(cluster_id).set_addresses(endpoint, addresses);
              });
            }
            if (llm_checker_ != nullptr) {
              llm_checker_->set_addresses(cluster_id, endpoint, addresses);
            }
            if (auto& checker = checkers_[cluster_id]) {
              checker->set_addresses(endpoint, std::move(addresses));
            }
          }
          if (cluster.dns_refresh.count() > 0) {
            auto timer = std::make_shared<asio::steady_timer>(io_, cluster.dns_refresh);
            timer->async_wait([this, timer, cluster_id, endpoint](boost::system::error_code e) {
              if (!e) {
                resolve(cluster_id, endpoint);
              }
            });
          }
        });
  }

  asio::io_context& io_;
  const Snapshot& snapshot_;
  std::vector<std::unique_ptr<Worker>>& workers_;
  HealthCheckers& checkers_;
  LlmHealthChecker* llm_checker_;  // null: no deployment is checked
  tcp::resolver resolver_;
};

size_t worker_count(const config::Server& server) {
  if (server.workers > 0) {
    return server.workers;
  }
  return std::max(1U, std::thread::hardware_concurrency());
}

bool all_closed(const std::vector<std::unique_ptr<Worker>>& workers) {
  return std::ranges::all_of(workers,
                             [](const auto& worker) { return worker->open_connections() == 0; });
}

// Declares the metric families, freezes the registry with one shard per worker and starts the
// ops listener (/metrics, /healthz) on its own thread.
Result<std::unique_ptr<net::ControlHttpServer>> start_ops(
    const Snapshot& snap, const config::Listener& listen, size_t workers, SharedCounters& counters,
    std::unique_ptr<obs::metrics::Registry>& registry,
    std::unique_ptr<ServerMetrics>& server_metrics,
    std::unique_ptr<obs::alerts::AlertManager>& alerts) {
  registry = std::make_unique<obs::metrics::Registry>();
  auto families = ServerMetrics::create(*registry, snap, counters.connections);
  if (!families) {
    return std::unexpected(families.error());
  }
  server_metrics = std::move(*families);
  if (auto added = obs::metrics::add_process_metrics(*registry); !added) {
    return std::unexpected(added.error());
  }
  if (auto added = declare_background_families(*registry, counters.governance, counters.tracer);
      !added) {
    return std::unexpected(added.error());
  }
  if (auto added = declare_health_families(*registry, snap, counters); !added) {
    return std::unexpected(added.error());
  }
  auto declared = declare_alerts(snap, *registry);
  if (!declared) {
    return std::unexpected(declared.error());
  }
  alerts = std::move(*declared);
  // The alerts thread writes nexus_alerts_firing into a shard of its own, past the workers'.
  registry->freeze(alerts ? workers + 1 : workers);
  counters.metrics = server_metrics.get();
  counters.registry = registry.get();
  obs::AlertsView alerts_view;
  if (alerts) {
    start_alerts(*alerts, *registry, registry->shard(workers), counters.governance);
    alerts_view = [a = alerts.get()] { return a->render(); };
  }
  obs::ReadinessProbe readiness = [&snap, &counters] { return judge_readiness(snap, counters); };
  auto handler = [r = registry.get(), readiness, alerts_view](const net::ControlRequest& request) {
    std::string_view accepted;
    if (const auto accept = request.message.find(boost::beast::http::field::accept);
        accept != request.message.end()) {
      accepted = std::string_view(accept->value().data(), accept->value().size());
    }
    const auto method = request.message.method_string();
    const auto target = request.message.target();
    return obs::handle_ops_request(*r, readiness, std::string_view(method.data(), method.size()),
                                   std::string_view(target.data(), target.size()), accepted,
                                   alerts_view);
  };
  auto server = net::ControlHttpServer::start(
      listen,
      {.name = "ops",
       .max_body = size_t{64} * 1024,
       .too_large = {.status = 413, .body = R"({"error":{"code":"payload_too_large"}})"}},
      std::move(handler));
  if (!server) {
    return std::unexpected(server.error());
  }
  const bool v6 = listen.host.find(':') != std::string::npos;
  spdlog::info("metrics on http://{}{}{}:{}/metrics", v6 ? "[" : "", listen.host, v6 ? "]" : "",
               (*server)->port());
  return server;
}

}  // namespace

Result<void> run_server(config::Config config) {
  auto snapshot = build_snapshot(std::move(config));
  if (!snapshot) {
    return std::unexpected(snapshot.error());
  }
  const Snapshot& snap = **snapshot;
  if (auto started = start_filters(snap.config); !started) {
    return std::unexpected(started.error());
  }

  SharedCounters counters;
  // Declared before the workers, so that it outlives them; its destructor sends the spans still
  // queued (bounded by the exporter's shutdown timeout).
  auto tracer = make_tracer(snap.config.observability.tracing);
  if (!tracer) {
    return std::unexpected(tracer.error());
  }
  counters.tracer = tracer->get();
  // Declared before the workers, so that it outlives them: a settling exchange may still be
  // writing to its ledger while they stop.
  std::unique_ptr<governance::Governance> governance;
  if (snap.config.governance.enabled) {
    auto opened = governance::Governance::open(snap.config.governance);
    if (!opened) {
      return std::unexpected(opened.error());
    }
    governance = std::move(*opened);
    counters.governance = governance.get();
    spdlog::info("governance: virtual keys required on llm routes; store {}",
                 governance::store_for_logs(snap.config.governance.store));
  }
  // The admin API, on its own listener and thread; after an admin change the key directory is
  // reread at once.
  std::unique_ptr<control::admin::AdminApi> admin_api;
  std::unique_ptr<control::admin::AdminServer> admin_server;
  if (governance != nullptr && snap.config.governance.admin.listen) {
    const config::Governance& settings = snap.config.governance;
    auto zone = governance::TimeZone::load(settings.time_zone);
    if (!zone) {
      return std::unexpected(zone.error());
    }
    std::shared_ptr<control::admin::JwtIdentity> jwt;
    if (settings.admin.jwt) {
      auto created = control::admin::JwtIdentity::create(*settings.admin.jwt);
      if (!created) {
        return std::unexpected(created.error());
      }
      jwt = std::move(*created);
      if (auto started = jwt->start(); !started) {
        return std::unexpected(started.error());
      }
      spdlog::info("admin API: JWTs of {} accepted (keys from {})", settings.admin.jwt->issuer,
                   settings.admin.jwt->jwks_uri.empty() ? settings.admin.jwt->jwks_file
                                                        : settings.admin.jwt->jwks_uri);
    }
    admin_api = std::make_unique<control::admin::AdminApi>(
        governance->store(),
        control::admin::AdminSettings{
            .credentials = {.pepper = governance->pepper(),
                            .admin_key_sha256 = settings.admin.key_sha256,
                            .jwt = std::move(jwt)},
            .time_zone = std::move(*zone),
            .live_scope = [g = governance.get()](
                              governance::ScopeKind kind,
                              const std::string& id) { return g->live_view(kind, id); },
            .ledger_stats = [g = governance.get()] { return g->ledger().stats(); }},
        control::admin::system_clock(), [g = governance.get()] {
          if (auto reloaded = g->reload_keys(); !reloaded) {
            spdlog::error("governance: cannot reload the virtual keys: {}",
                          reloaded.error().message());
          }
        });
    auto started = control::admin::AdminServer::start(*settings.admin.listen, *admin_api);
    if (!started) {
      return std::unexpected(started.error());
    }
    admin_server = std::move(*started);
    if (settings.admin.key_sha256.empty()) {
      spdlog::warn(
          "admin API without an admin key (governance.admin.key_sha256 is empty or absent): "
          "only users' virtual keys{} are accepted",
          settings.admin.jwt ? " and JWTs" : "");
    }
    spdlog::info("admin API on {}:{}/admin/v1", settings.admin.listen->host, admin_server->port());
  }
  if (snap.config.server.limits.max_memory > 0) {  // known before the first request; then ticks
    counters.load.resident_bytes = resident_bytes();
  }
  for (const config::Cluster* cluster : snap.clusters) {
    counters.health.push_back(
        cluster->health_check.enabled
            ? std::make_unique<proxy::EndpointHealth>(cluster->endpoints.size())
            : nullptr);
  }
  if (LlmHealthChecker::wanted(snap)) {
    counters.llm_health = std::make_unique<proxy::EndpointHealth>(snap.deployments.size());
  }
  const size_t count = worker_count(snap.config.server);
  // Metrics and the ops listener, only when configured; declared before the workers, whose
  // shards they are.
  std::unique_ptr<obs::metrics::Registry> registry;
  std::unique_ptr<ServerMetrics> server_metrics;
  std::unique_ptr<obs::alerts::AlertManager> alerts;  // reads the registry: declared after it
  std::unique_ptr<net::ControlHttpServer> ops_server;
  if (const auto& listen = snap.config.observability.listen) {
    auto started = start_ops(snap, *listen, count, counters, registry, server_metrics, alerts);
    if (!started) {
      return std::unexpected(started.error());
    }
    ops_server = std::move(*started);
  }
  std::vector<std::unique_ptr<Worker>> workers;
  for (size_t i = 0; i < count; ++i) {
    workers.push_back(std::make_unique<Worker>(i, *snapshot, counters));
    if (auto listening = workers.back()->listen(); !listening) {
      return std::unexpected(listening.error());
    }
  }

  asio::io_context main_io(1);
  // Active health checks run here, on the main thread, once for the process: W workers each
  // checking would multiply the probe traffic by W and disagree about an endpoint's state. The
  // thread is otherwise idle (signals, DNS), so a busy worker never delays a check; results reach
  // the workers through the atomic flags in counters.health.
  HealthCheckers checkers(snap.clusters.size());
  for (size_t c = 0; c < snap.clusters.size(); ++c) {
    if (counters.health[c]) {
      checkers[c] = std::make_unique<proxy::HealthChecker>(
          main_io, *snap.clusters[c], snap.cluster_tls[c].get(), *counters.health[c]);
      checkers[c]->start();
    }
  }
  std::unique_ptr<LlmHealthChecker> llm_checker;  // the same, for the LLM deployments
  if (counters.llm_health) {
    llm_checker = std::make_unique<LlmHealthChecker>(main_io, snap, *counters.llm_health);
    llm_checker->start();
  }
  DnsRefresher dns(main_io, snap, workers, checkers, llm_checker.get());
  dns.start();
  std::vector<std::thread> threads;
  threads.reserve(workers.size());
  for (auto& worker : workers) {
    threads.emplace_back([w = worker.get()] { w->run(); });
  }
  for (const auto& listener : snap.config.server.listen) {
    spdlog::info("listening on {}:{}{} ({} workers)", listener.host, listener.port,
                 listener.tls ? " (TLS)" : "", count);
  }

  // Drain: stop accepting, let in-flight requests finish, force the rest at the deadline.
  asio::signal_set signals(main_io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code error, int signal) {
    if (!error) {
      spdlog::info("signal {}: draining (up to {} ms)", signal,
                   snap.config.server.timeouts.drain.count());
      main_io.stop();
    }
  });
  main_io.run();

  for (auto& worker : workers) {
    worker->begin_drain();
  }
  const auto drain = snap.config.server.timeouts.drain;
  const auto give_up_at = std::chrono::steady_clock::now() + drain;
  while (!all_closed(workers) &&
         (drain.count() == 0 || std::chrono::steady_clock::now() < give_up_at)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!all_closed(workers)) {
    spdlog::warn("drain deadline reached with connections still open; closing them");
  }
  for (auto& worker : workers) {
    worker->stop();
  }
  for (auto& thread : threads) {
    thread.join();
  }
  spdlog::info("stopped");
  return {};
}

}  // namespace nexus::server
