// What the ops listener answers (observability.listen): GET /metrics, the registry in the
// Prometheus text format or OpenMetrics (by Accept), and GET /healthz, 200 while the process
// runs. A function of request to response, apart from the transport (net/control_http_server.h
// serves it), so it is tested without sockets.
#pragma once

#include <string_view>

#include "net/control_http_server.h"
#include "obs/metrics/registry.h"

namespace nexus::obs {

// `target`: the request target (a query is ignored); `accept`: the Accept header, or empty.
net::ControlResponse handle_ops_request(const metrics::Registry& registry, std::string_view method,
                                        std::string_view target, std::string_view accept);

}  // namespace nexus::obs
