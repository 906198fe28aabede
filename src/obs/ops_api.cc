#include "obs/ops_api.h"

#include "obs/metrics/exposition.h"

namespace nexus::obs {
namespace {

net::ControlResponse json(int status, std::string body) {
  return {.status = status, .content_type = "application/json", .body = std::move(body)};
}

}  // namespace

net::ControlResponse handle_ops_request(const metrics::Registry& registry,
                                        const ReadinessProbe& readiness, std::string_view method,
                                        std::string_view target, std::string_view accept,
                                        const AlertsView& alerts) {
  const std::string_view path = target.substr(0, target.find('?'));
  const bool alerts_path = path == "/alerts" && alerts;
  if (path != "/metrics" && path != "/healthz" && path != "/readyz" && !alerts_path) {
    return json(404, R"({"error":{"code":"not_found","message":"the ops listener serves )"
                     R"(GET /metrics, GET /healthz, GET /readyz and GET /alerts"}})");
  }
  if (method != "GET") {
    return json(405, R"({"error":{"code":"method_not_allowed","message":"use GET"}})");
  }
  if (path == "/healthz") {
    return json(200, R"({"status":"ok"})");
  }
  if (alerts_path) {
    return json(200, alerts());
  }
  if (path == "/readyz") {
    Readiness judged = readiness ? readiness() : Readiness{.detail = R"({"status":"ready"})"};
    return json(judged.ready ? 200 : 503, std::move(judged.detail));
  }
  const metrics::Format format = metrics::negotiate(accept);
  net::ControlResponse response{.content_type = std::string(metrics::content_type(format))};
  response.body.reserve(size_t{64} * 1024);
  metrics::render(registry, format, response.body);
  return response;
}

}  // namespace nexus::obs
