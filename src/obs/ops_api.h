// What the ops listener answers (observability.listen): GET /metrics, the registry in the
// Prometheus text format or OpenMetrics (by Accept), GET /healthz, 200 while the process
// runs, GET /readyz, 200 or 503 with the checks' detail, and GET /alerts, the alert rules' state
// (404 without observability.alerts). A function of request to response,
// apart from the transport (net/control_http_server.h serves it), so it is tested without sockets.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "net/control_http_server.h"
#include "obs/metrics/registry.h"

namespace nexus::obs {

// GET /readyz: whether the gateway can serve, and why not (a JSON object), judged at each call.
struct Readiness {
  bool ready = true;
  std::string detail;  // a JSON object
};
using ReadinessProbe = std::function<Readiness()>;
// GET /alerts: the rules and their state (a JSON object); empty function: no alerts configured.
using AlertsView = std::function<std::string()>;

// `target`: the request target (a query is ignored); `accept`: the Accept header, or empty.
net::ControlResponse handle_ops_request(const metrics::Registry& registry,
                                        const ReadinessProbe& readiness, std::string_view method,
                                        std::string_view target, std::string_view accept,
                                        const AlertsView& alerts = {});

}  // namespace nexus::obs
