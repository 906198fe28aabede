// Matches a request to a route: host, path (exact, prefix, RE2 regex), method and headers.
//
// Built once per config snapshot (regexes compiled at load time, so a bad pattern is a config
// error) and then only read, from every worker thread, without locks.
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "http/http1/message.h"
#include "nexus/config/config.h"
#include "nexus/core/result.h"

namespace nexus::proxy {

struct RouteRequest {
  std::string_view method;
  std::string_view host;  // as received; the port, if any, is ignored; case-insensitive
  std::string_view path;  // without the query
  std::span<const http1::Header> headers;
};

class Router {
 public:
  // Compiles every route. Errors (ErrorCode::kInvalidConfig) name the route index and the pattern.
  static Result<std::unique_ptr<Router>> build(const std::vector<config::Route>& routes);

  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // The first route whose every condition holds, or nullptr. The pointer stays valid as long as
  // the vector of routes given to build() does.
  [[nodiscard]] const config::Route* match(const RouteRequest& request) const;

 private:
  struct CompiledRoute;
  Router();
  std::vector<std::unique_ptr<CompiledRoute>> routes_;
};

// The path to send upstream: with `prefix_rewrite`, the matched prefix of `target`'s path is
// replaced and the query kept; otherwise `target` unchanged.
std::string rewrite_target(const config::Route& route, std::string_view target);

}  // namespace nexus::proxy
