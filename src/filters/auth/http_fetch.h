// A small blocking HTTP GET (http:// and https://), for fetching JWK Sets in a background
// thread. Never called on the request path.
#pragma once

#include <chrono>
#include <string>

#include "nexus/core/result.h"

namespace nexus::filters::auth {

struct FetchOptions {
  std::chrono::milliseconds timeout{5000};  // the whole exchange: resolve, connect, TLS, response
  std::string ca_file;                      // https: trusted CAs (empty: the system's)
  size_t max_body_bytes = size_t{1024} * 1024;
};

// The body of a 200 response to GET `url`; an error (with the reason) otherwise. https verifies
// the peer's certificate chain and host name. Redirects are not followed.
Result<std::string> http_get(const std::string& url, const FetchOptions& options);

}  // namespace nexus::filters::auth
