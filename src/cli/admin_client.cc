#include "cli/admin_client.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace nexus::cli {
namespace {

constexpr size_t kMaxReply = size_t{64} * 1024 * 1024;

// The URL of `target` under the base URL: its scheme, host and port, and its own path as a
// prefix ("https://gw/nexus/" + "/admin/v1/keys" -> "https://gw/nexus/admin/v1/keys").
Result<std::string> url_of(const std::string& base_url, const std::string& target) {
  const auto base = boost::urls::parse_uri(base_url);
  if (!base || (base->scheme() != "http" && base->scheme() != "https") ||
      base->host_address().empty()) {
    return fail(ErrorCode::kInvalidConfig,
                "--admin-url: expected an http:// or https:// URL, got '" + base_url + "'");
  }
  std::string url(base->scheme());
  url += "://";
  url += base->encoded_host_and_port();
  std::string_view prefix = base->encoded_path();
  while (prefix.ends_with('/')) {
    prefix.remove_suffix(1);
  }
  url += prefix;
  url += target;
  return url;
}

}  // namespace

Result<AdminReply> call_admin(const AdminCall& call, std::string_view method,
                              const std::string& target, const std::string& body) {
  auto url = url_of(call.base_url, target);
  if (!url) {
    return std::unexpected(std::move(url.error()));
  }
  net::BlockingRequest request{
      .method = std::string(method),
      .url = std::move(*url),
      .headers = {{"Accept", "application/json"}, {"User-Agent", "nexus-cli"}},
      .body = body,
      .timeout = call.timeout,
      .ca_file = {},
      .max_body_bytes = kMaxReply};
  if (!call.key.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + call.key);
  }
  if (!body.empty()) {
    request.headers.emplace_back("Content-Type", "application/json");
  }
  return net::blocking_http(request);
}

}  // namespace nexus::cli
