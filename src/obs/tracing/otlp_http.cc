// The exporter's POSTs go through the project's one blocking HTTP client (net/blocking_http.h),
// which bounds the whole exchange by one deadline and verifies https peers.
#include "obs/tracing/otlp_http.h"

#include "net/blocking_http.h"

namespace nexus::obs::tracing {
namespace {

// OTLP/HTTP: 429, 502, 503 and 504 are worth retrying; other failures are final.
SendResult result_of(int status) {
  if (status >= 200 && status < 300) {
    return SendResult::kSent;
  }
  if (status == 429 || status == 502 || status == 503 || status == 504) {
    return SendResult::kRetry;
  }
  return SendResult::kRejected;
}

std::string url_text(const CollectorUrl& url) {
  std::string text = url.tls ? "https://" : "http://";
  const bool ipv6 = url.host.find(':') != std::string::npos;
  text += ipv6 ? "[" + url.host + "]" : url.host;
  text += ":" + url.port + url.target;
  return text;
}

}  // namespace

Transport http_transport(const CollectorUrl& url,
                         std::vector<std::pair<std::string, std::string>> headers) {
  net::BlockingRequest request{.method = "POST", .url = url_text(url)};
  request.headers = std::move(headers);
  request.headers.emplace_back("Content-Type", "application/json");
  request.headers.emplace_back("User-Agent", "nexus-otlp");
  return [request = std::move(request)](std::string_view body,
                                        std::chrono::milliseconds timeout) mutable -> SendResult {
    request.body.assign(body);
    request.timeout = timeout;
    auto response = net::blocking_http(request);
    // No response (no connection, a timeout, TLS refused): worth another try later.
    return response ? result_of(response->status) : SendResult::kRetry;
  };
}

}  // namespace nexus::obs::tracing
