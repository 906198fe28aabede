// The admin API's HTTP/1.1 transport: a small Boost.Beast server on its own thread and
// io_context, on governance.admin.listen (plain or TLS), apart from the workers' event loops.
// Bodies are bounded (1 MiB); connections are kept alive; stop() lets a request in progress
// finish.
//
// Wiring (src/server/server.cc): start after the store is open, stop before it is closed:
//   auto admin = AdminServer::start(*config.governance.admin.listen, api);
//   ... admin->get()->stop();   (or let the unique_ptr go: the destructor stops it)
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "control/admin/admin_api.h"
#include "nexus/config/config.h"
#include "nexus/core/result.h"

namespace nexus::control::admin {

inline constexpr size_t kMaxAdminBody = size_t{1024} * 1024;

class AdminServer {
 public:
  // Binds `listen` now (an error names the address) and serves `api` on a new thread until
  // stop(). `api` must outlive the server; only the server's thread calls it.
  static Result<std::unique_ptr<AdminServer>> start(const config::Listener& listen, AdminApi& api);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // The bound port (the configured one, or the kernel's choice for port 0).
  [[nodiscard]] uint16_t port() const;

  // Stops accepting, closes idle connections, lets responses in progress finish for at most
  // `grace`, then joins the thread. Idempotent; any thread but the server's own.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  class Impl;

 private:
  explicit AdminServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nexus::control::admin
