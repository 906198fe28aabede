// One parser per top-level section of the configuration; loader.cc runs them in order.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "control/config/reader.h"
#include "nexus/config/config.h"
#include "nexus/core/result.h"

namespace nexus::control::config_internal {

// `server`: listeners (with TLS), workers, limits and timeouts.
Result<void> parse_server(const Reader& reader, const Field& field, config::Server& out);

// `clusters`: a mapping from name to cluster.
Result<void> parse_clusters(const Reader& reader, const Field& field,
                            std::map<std::string, config::Cluster>& out);

// A cluster's (or model group's) `circuit_breaker`: true, false or a mapping of settings.
Result<void> parse_circuit_breaker(const Reader& reader, const Field& field,
                                   config::CircuitBreaker& out);
// A `retry_budget` mapping (percent, min_per_second).
Result<void> parse_retry_budget(const Reader& reader, const Field& field, config::RetryBudget& out);

// `providers`: a mapping from name to LLM provider. Each provider reached over the network adds
// its cluster ("provider:<name>") to `clusters`. An optional provider without its API key is
// left out, its name put in `left_out`.
Result<void> parse_providers(const Reader& reader, const Field& field,
                             std::map<std::string, config::Cluster>& clusters,
                             std::map<std::string, config::Provider>& out,
                             std::set<std::string>& left_out);

// `models`: the names clients may send; models of a provider in `left_out` are left out too.
Result<void> parse_models(const Reader& reader, const Field& field,
                          const std::map<std::string, config::Provider>& providers,
                          const std::set<std::string>& left_out, std::vector<config::Model>& out);

// `routes`: ordered; every referenced cluster must be in `clusters`. Each route's filters are
// merged with `global_filters`.
Result<void> parse_routes(const Reader& reader, const Field& field,
                          const std::map<std::string, config::Cluster>& clusters,
                          const std::vector<config::FilterEntry>& global_filters,
                          std::vector<config::Route>& out);

// A `filters` list (global, or a route's own with `in_route`), sorted by priority.
Result<void> parse_filter_list(const Reader& reader, const Field& field, bool in_route,
                               std::vector<config::FilterEntry>& out);
// A route's effective chain: `global` with `route`'s entries replacing (or disabling) those of
// the same name and the others appended, sorted by priority.
config::FilterChain merge_filters(const std::vector<config::FilterEntry>& global,
                                  const std::vector<config::FilterEntry>& route);
config::FilterChain global_chain(const std::vector<config::FilterEntry>& global);

// One listener: "IP:port" or a mapping with address, tls and http2.
Result<void> parse_listener(const Reader& reader, const Field& field, config::Listener& out);

// `governance` (absent: off): store, pepper, time zone, ledger bounds, admin listener.
Result<void> parse_governance(const Reader& reader, const Field& field, config::Governance& out);
// `governance.admin.jwt`: the identity provider whose tokens the admin API accepts.
Result<void> parse_admin_jwt(const Reader& reader, const Field& field,
                             config::Governance::Admin::Jwt& out);

// `prices` (docs/pricing.md): the built-in table, unless `builtin: false`, with the section's
// `file` and then its `models` applied; absent: the built-in table as it is.
Result<void> parse_prices(const Reader& reader, const Field& field,
                          std::shared_ptr<const llm::pricing::PriceTable>& out);
// A deployment's `price` (absent: `out` stays null): the rate keys of a table entry.
Result<void> parse_deployment_price(const Reader& reader, const Field& field,
                                    std::shared_ptr<const llm::pricing::ModelPrice>& out);

// Another YAML document than the config (a price file): one document, parsed by `parse` with a
// Reader of its own (messages name `source_name`; relative paths resolve against `base_dir`).
// yaml-cpp's exceptions become errors here, as for the config itself.
using DocumentParser = std::function<Result<void>(const Reader&, const YAML::Node&)>;
Result<void> parse_yaml_document(std::string_view yaml, const std::string& source_name,
                                 const std::filesystem::path& base_dir,
                                 const DocumentParser& parse);
// A whole file's bytes; errors read "PATH: cannot read: reason".
Result<std::string> read_text_file(const std::string& path);

// `observability.tracing` (absent: off): the OTLP collector, sampling, the export queue.
Result<void> parse_tracing(const Reader& reader, const Field& field, config::Tracing& out);

// A mapping of HTTP header names to values (tracing's and webhooks' `headers`).
Result<void> parse_header_map(const Reader& reader, const Field& field,
                              std::vector<std::pair<std::string, std::string>>& out);

// `observability.alerts` (absent: no alerts). Parsed after the routes and governance, whose
// names and state its rules refer to.
Result<void> parse_alerts(const Reader& reader, const Field& field, const config::Config& config,
                          config::Alerts& out);

// `logging`: level and access log.
Result<void> parse_logging(const Reader& reader, const Field& field, config::Logging& out);

// A cluster's `health_check` (absent: off); needs the cluster's protocol already parsed.
Result<void> parse_health_check(const Reader& reader, const Field& field, config::Cluster& cluster);
// A model deployment's `health_check` (absent: off): true, false or a mapping; refused for
// provider types whose check would not be free. `provider`: null when it was left out.
Result<void> parse_deployment_health_check(const Reader& reader, const Field& field,
                                           const config::Provider* provider,
                                           config::HealthCheck& out);

// `observability`: the ops listener (metrics, health). Checked against the addresses `config`
// already listens on (server.listen, governance.admin.listen).
Result<void> parse_observability(const Reader& reader, const Field& field,
                                 const config::Config& config, config::Observability& out);

}  // namespace nexus::control::config_internal
