// One parser per top-level section of the configuration; loader.cc runs them in order.
#pragma once

#include "control/config/reader.h"
#include "nexus/config/config.h"
#include "nexus/core/result.h"

namespace nexus::control::config_internal {

// `server`: listeners (with TLS), workers, limits and timeouts.
Result<void> parse_server(const Reader& reader, const Field& field, config::Server& out);

// `clusters`: a mapping from name to cluster.
Result<void> parse_clusters(const Reader& reader, const Field& field,
                            std::map<std::string, config::Cluster>& out);

// `routes`: ordered; every referenced cluster must be in `clusters`.
Result<void> parse_routes(const Reader& reader, const Field& field,
                          const std::map<std::string, config::Cluster>& clusters,
                          std::vector<config::Route>& out);

// `logging`: level and access log.
Result<void> parse_logging(const Reader& reader, const Field& field, config::Logging& out);

}  // namespace nexus::control::config_internal
