// A GET through the one blocking HTTP client (src/net/blocking_http.h), for the JWKS refresh
// thread: only a 200's body is a JWK Set.
#include "filters/auth/http_fetch.h"

#include "net/blocking_http.h"

namespace nexus::filters::auth {

Result<std::string> http_get(const std::string& url, const FetchOptions& options) {
  auto response =
      net::blocking_http({.method = "GET",
                          .url = url,
                          .headers = {{"Accept", "application/json"}, {"User-Agent", "nexus-auth"}},
                          .body = {},
                          .timeout = options.timeout,
                          .ca_file = options.ca_file,
                          .max_body_bytes = options.max_body_bytes});
  if (!response) {
    return std::unexpected(std::move(response.error()));
  }
  if (response->status != 200) {
    return fail(ErrorCode::kUpstreamProtocolError, "status " + std::to_string(response->status));
  }
  return std::move(response->body);
}

}  // namespace nexus::filters::auth
