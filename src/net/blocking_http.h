// One blocking HTTP/1.1 exchange (http:// or https://), for callers off the request path: the
// auth filter's JWKS refresh thread and the CLI's admin commands. Never called by a worker.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "nexus/core/result.h"

namespace nexus::net {

struct BlockingRequest {
  std::string method = "GET";
  std::string url;  // http(s)://host[:port][/path][?query]; any userinfo is ignored
  // Sent as given, besides Host and Content-Length (which the client sets).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                         // sent when not empty
  std::chrono::milliseconds timeout{5000};  // the whole exchange: resolve, connect, TLS, response
  std::string ca_file;                      // https: trusted CAs (empty: the system's)
  size_t max_body_bytes = size_t{1024} * 1024;
};

struct BlockingResponse {
  int status = 0;
  std::string body;
};

// Sends `request` and waits for the response, at most `request.timeout`. Any status is a
// response; an error means there was none: a URL that is not http(s), or resolving,
// connecting, TLS, sending or reading failed or timed out (kUpstreamTimeout), or the response
// was malformed or its body over max_body_bytes. https verifies the peer's certificate chain
// and host name. Redirects are not followed.
Result<BlockingResponse> blocking_http(const BlockingRequest& request);

}  // namespace nexus::net
