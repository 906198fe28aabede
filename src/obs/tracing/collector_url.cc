#include "obs/tracing/collector_url.h"

#include <charconv>
#include <string_view>

namespace nexus::obs::tracing {

Result<CollectorUrl> parse_collector_url(const std::string& text) {
  CollectorUrl url;
  std::string_view rest = text;
  if (rest.starts_with("https://")) {
    url.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return fail(ErrorCode::kInvalidConfig, "expected an http:// or https:// URL");
  }
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  url.target = slash == std::string_view::npos ? "/v1/traces" : std::string(rest.substr(slash));
  const size_t colon = authority.rfind(':');
  const bool has_port =
      colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos;
  url.host = std::string(authority.substr(0, has_port ? colon : authority.size()));
  url.port = has_port ? std::string(authority.substr(colon + 1)) : (url.tls ? "443" : "80");
  if (url.host.starts_with('[') && url.host.ends_with(']')) {
    url.host = url.host.substr(1, url.host.size() - 2);
  }
  uint32_t port = 0;
  const auto [end, error] =
      std::from_chars(url.port.data(), url.port.data() + url.port.size(), port);
  if (url.host.empty() || error != std::errc{} || end != url.port.data() + url.port.size() ||
      port == 0 || port > 65535) {
    return fail(ErrorCode::kInvalidConfig, "expected a host and an optional port (1-65535)");
  }
  if (url.target.find_first_of(" \r\n") != std::string::npos) {
    return fail(ErrorCode::kInvalidConfig, "the path must not contain spaces or line breaks");
  }
  return url;
}

}  // namespace nexus::obs::tracing
