// One active health check's exchange, shared by the clusters' checker (health_checker.h) and
// the LLM deployments' (server/llm_health_checker.h): a new connection, one request, the
// answer's status.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <string_view>

#include "nexus/config/config.h"
#include "nexus/core/result.h"
#include "proxy/upstream/cluster_runtime.h"

namespace nexus::proxy {

// Connects to `endpoint` through `connector` (exactly as the workers connect: address
// rotation, TLS, SNI), sends `request` (a whole HTTP/1.1 request, which must outlive the call)
// and reads the final answer's head. Returns its status, or why there was none; `timeout`
// bounds the whole exchange.
boost::asio::awaitable<Result<int>> probe(boost::asio::io_context& io, ClusterRuntime& connector,
                                          size_t endpoint, std::string_view request,
                                          config::Duration timeout);

// `cluster`'s settings for a checker's own ClusterRuntime: without its per-worker connection
// limit, which means nothing there (checks run side by side and must not refuse each other).
config::Cluster without_connection_limit(const config::Cluster& cluster);

}  // namespace nexus::proxy
