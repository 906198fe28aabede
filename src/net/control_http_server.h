// A small HTTP/1.1 server for the control plane (the admin API, the ops listener's /metrics
// and /healthz): Boost.Beast on its own thread and io_context, apart from the workers' event
// loops, plain or TLS. A handler turns each request into a response; the server owns the
// transport: bounded heads and bodies, timeouts, keep-alive, and a stop() that lets a response
// in progress finish.
//
// Wiring: start() once the handler's state exists, stop() (or drop the unique_ptr) before it
// goes away.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nexus/config/config.h"
#include "nexus/core/result.h"

namespace nexus::net {

using ControlMessage = boost::beast::http::request<boost::beast::http::string_body>;

struct ControlRequest {
  const ControlMessage& message;
  std::string_view client_ip;  // the peer's address, as text
};

struct ControlResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // more header fields
};

// Called on the server's thread only, one request at a time.
using ControlHandler = std::function<ControlResponse(const ControlRequest& request)>;

struct ControlServerOptions {
  std::string name;  // "admin", "ops": names the listener in errors and logs
  size_t max_body = size_t{1024} * 1024;
  ControlResponse too_large;  // the answer to a body over max_body (the connection then closes)
};

class ControlHttpServer {
 public:
  // Binds `listen` now (an error names the address) and serves with `handler` on a new thread
  // until stop().
  static Result<std::unique_ptr<ControlHttpServer>> start(const config::Listener& listen,
                                                          ControlServerOptions options,
                                                          ControlHandler handler);
  ~ControlHttpServer();
  ControlHttpServer(const ControlHttpServer&) = delete;
  ControlHttpServer& operator=(const ControlHttpServer&) = delete;

  // The bound port (the configured one, or the kernel's choice for port 0).
  [[nodiscard]] uint16_t port() const;

  // Stops accepting, closes idle connections, lets responses in progress finish for at most
  // `grace`, then joins the thread. Idempotent; any thread but the server's own.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  class Impl;

 private:
  explicit ControlHttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nexus::net
