#include "control/admin/admin_server.h"

#include <spdlog/spdlog.h>

#include "filters/request_id/request_id_filter.h"
#include "filters/request_id/uuid_v7.h"
#include "net/control_http_server.h"

namespace nexus::control::admin {
namespace {

namespace http = boost::beast::http;

AdminRequest to_admin_request(const http::request<http::string_body>& message,
                              const std::string& client_ip, bool& target_ok) {
  AdminRequest request;
  request.method = std::string(message.method_string());
  target_ok = parse_target(message.target(), request);
  request.body = message.body();
  const auto authorization = message.find(http::field::authorization);
  if (authorization != message.end()) {
    request.bearer = std::string(bearer_credential(authorization->value()));
  }
  request.client_ip = client_ip;
  const auto request_id = message.find("x-request-id");
  if (request_id != message.end() && filters::is_sane_request_id(request_id->value())) {
    request.request_id = std::string(request_id->value());
  } else {
    // One admin request at a time (the server's thread): one generator will do.
    static filters::UuidV7Generator generator;
    const filters::UuidText id = generator.next(std::chrono::system_clock::now());
    request.request_id = std::string(id.data(), id.size());
  }
  return request;
}

AdminResponse bad_target() {
  return AdminResponse{.status = 400,
                       .body = error_body(bad_request("", "the request target is not a path"))};
}

net::ControlResponse to_control(AdminResponse answer, const std::string& request_id = {}) {
  net::ControlResponse response{.status = answer.status, .body = std::move(answer.body)};
  if (!request_id.empty()) {
    response.headers.emplace_back("X-Request-Id", request_id);
  }
  return response;
}

}  // namespace

// The admin API over the control plane's HTTP server (net/control_http_server.h): this file
// only maps Beast's requests to AdminRequests and AdminResponses back.
class AdminServer::Impl {
 public:
  explicit Impl(std::unique_ptr<net::ControlHttpServer> server) : server_(std::move(server)) {}
  net::ControlHttpServer& server() { return *server_; }

 private:
  std::unique_ptr<net::ControlHttpServer> server_;
};

Result<std::unique_ptr<AdminServer>> AdminServer::start(const config::Listener& listen,
                                                        AdminApi& api) {
  net::ControlServerOptions options{
      .name = "admin",
      .max_body = kMaxAdminBody,
      .too_large = to_control(AdminResponse{
          .status = 413, .body = error_body(bad_request("", "the body is larger than 1 MiB"))})};
  auto handler = [&api](const net::ControlRequest& request) {
    bool target_ok = false;
    const AdminRequest admin_request =
        to_admin_request(request.message, std::string(request.client_ip), target_ok);
    return to_control(target_ok ? api.handle(admin_request) : bad_target(),
                      admin_request.request_id);
  };
  auto started = net::ControlHttpServer::start(listen, std::move(options), std::move(handler));
  if (!started) {
    return std::unexpected(std::move(started.error()));
  }
  return std::unique_ptr<AdminServer>(new AdminServer(std::make_unique<Impl>(std::move(*started))));
}

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AdminServer::~AdminServer() {
  // A destructor must not throw: joining the thread can (std::system_error).
  try {
    stop();
  } catch (const std::exception& e) {
    spdlog::error("admin API: stopping failed: {}", e.what());
  }
}

uint16_t AdminServer::port() const { return impl_->server().port(); }

void AdminServer::stop(std::chrono::milliseconds grace) { impl_->server().stop(grace); }

}  // namespace nexus::control::admin
