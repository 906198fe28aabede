#include "control/admin/admin_server.h"

#include <spdlog/spdlog.h>

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
  return request;
}

AdminResponse bad_target() {
  return AdminResponse{.status = 400,
                       .body = error_body(bad_request("", "the request target is not a path"))};
}

net::ControlResponse to_control(AdminResponse answer) {
  return {.status = answer.status, .body = std::move(answer.body)};
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
    return to_control(target_ok ? api.handle(admin_request) : bad_target());
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
