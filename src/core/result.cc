#include "nexus/core/result.h"

#include <array>

#include "core/json_escape.h"

namespace nexus {
namespace {

struct ErrorTraits {
  int status;
  ErrorSource source;
  bool retryable;
  std::string_view code_name;
  std::string_view type_name;
};

// Indexed by ErrorCode; keep in the enum's order.
constexpr std::array<ErrorTraits, 23> kTraits = {{
    {400, ErrorSource::kClient, false, "bad_request", "invalid_request_error"},
    {401, ErrorSource::kClient, false, "unauthorized", "authentication_error"},
    {403, ErrorSource::kClient, false, "forbidden", "permission_error"},
    {404, ErrorSource::kClient, false, "not_found", "invalid_request_error"},
    {405, ErrorSource::kClient, false, "method_not_allowed", "invalid_request_error"},
    {408, ErrorSource::kClient, false, "request_timeout", "invalid_request_error"},
    {413, ErrorSource::kClient, false, "payload_too_large", "invalid_request_error"},
    {414, ErrorSource::kClient, false, "uri_too_long", "invalid_request_error"},
    {415, ErrorSource::kClient, false, "unsupported_media_type", "invalid_request_error"},
    {429, ErrorSource::kClient, false, "rate_limit_exceeded", "rate_limit_error"},
    {402, ErrorSource::kClient, false, "budget_exceeded", "insufficient_quota"},
    {431, ErrorSource::kClient, false, "headers_too_large", "invalid_request_error"},
    {501, ErrorSource::kClient, false, "not_implemented", "invalid_request_error"},
    {505, ErrorSource::kClient, false, "http_version_not_supported", "invalid_request_error"},
    {502, ErrorSource::kUpstream, true, "upstream_connect_failed", "upstream_error"},
    {502, ErrorSource::kUpstream, true, "upstream_reset", "upstream_error"},
    {502, ErrorSource::kUpstream, false, "upstream_protocol_error", "upstream_error"},
    {504, ErrorSource::kUpstream, true, "upstream_timeout", "upstream_error"},
    {503, ErrorSource::kUpstream, true, "upstream_unavailable", "upstream_error"},
    {503, ErrorSource::kInternal, true, "overloaded", "server_error"},
    {500, ErrorSource::kInternal, false, "fault_injected", "server_error"},
    {500, ErrorSource::kInternal, false, "invalid_config", "server_error"},
    {500, ErrorSource::kInternal, false, "internal_error", "server_error"},
}};
static_assert(kTraits.size() == static_cast<size_t>(ErrorCode::kInternal) + 1);

const ErrorTraits& traits(ErrorCode code) { return kTraits[static_cast<size_t>(code)]; }

}  // namespace

int Error::http_status() const { return traits(code_).status; }
ErrorSource Error::source() const { return traits(code_).source; }
bool Error::retryable() const { return traits(code_).retryable; }
std::string_view Error::code_name() const { return traits(code_).code_name; }
std::string_view Error::type_name() const { return traits(code_).type_name; }

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string error_json(const Error& error) {
  std::string out;
  out.reserve(96 + error.message().size() + error.param().size());
  out += R"({"error":{"message":")";
  append_json_escaped(out, error.message());
  out += R"(","type":")";
  out += error.type_name();
  if (!error.param().empty()) {
    out += R"(","param":")";
    append_json_escaped(out, error.param());
  }
  out += R"(","code":")";
  out += error.code_name();
  out += "\"}}";
  return out;
}

}  // namespace nexus
