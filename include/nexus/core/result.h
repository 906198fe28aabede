// The one error type of Nexus and the Result<T> that carries it.
//
// Errors are values on the data plane: functions return Result<T> instead of throwing. An Error
// knows its code; everything else (HTTP status, source, whether a retry may help, the metric
// label and the OpenAI-shaped error "type") is derived from the code in one table
// (src/core/result.cc), so the mapping lives in exactly one place.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace nexus {

enum class ErrorSource { kClient, kUpstream, kInternal };

enum class ErrorCode {
  // Client errors.
  kBadRequest,            // 400: malformed request (syntax, framing, smuggling defences)
  kUnauthorized,          // 401: missing or invalid credentials
  kForbidden,             // 403: not allowed (ip_filter, CORS, ...)
  kNotFound,              // 404: no route matched
  kMethodNotAllowed,      // 405
  kRequestTimeout,        // 408: head or body not received in time
  kPayloadTooLarge,       // 413: body over the limit
  kUriTooLong,            // 414: request line over the limit
  kUnsupportedMediaType,  // 415: a request Content-Encoding that cannot be decoded
  kRateLimited,           // 429: a rate_limit filter's limit was reached
  kBudgetExceeded,        // 402: a virtual key's (or its team's...) budget cannot pay for it
  kHeadersTooLarge,       // 431: header block or count over the limit
  kNotImplemented,        // 501: unsupported transfer coding or method
  kVersionNotSupported,   // 505: HTTP/2+ in an HTTP/1 request line
  // Upstream errors.
  kUpstreamConnectFailed,  // 502 (retryable): could not connect
  kUpstreamReset,          // 502 (retryable when nothing was received): connection reset/closed
  kUpstreamProtocolError,  // 502: malformed or unsafe response
  kUpstreamTimeout,        // 504: no (complete) response in time
  kUpstreamUnavailable,    // 503: no endpoint could be selected, or the pool is full
  // Our own.
  kOverloaded,     // 503: connection limit reached or shutting down
  kFaultInjected,  // the fault filter's abort (its reply carries the configured status)
  kInvalidConfig,  // configuration error (never reaches a client)
  kInternal,       // 500
};

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  // `param`: the request parameter at fault (an LLM request's field), for OpenAI's error "param".
  Error(ErrorCode code, std::string message, std::string param)
      : code_(code), message_(std::move(message)), param_(std::move(param)) {}

  [[nodiscard]] ErrorCode code() const { return code_; }
  [[nodiscard]] const std::string& message() const { return message_; }
  [[nodiscard]] const std::string& param() const { return param_; }

  [[nodiscard]] int http_status() const;
  [[nodiscard]] ErrorSource source() const;
  [[nodiscard]] bool retryable() const;
  // Short snake_case name used as the JSON "code" and as a metric label, e.g. "bad_request".
  [[nodiscard]] std::string_view code_name() const;
  // OpenAI-shaped error "type", e.g. "invalid_request_error", "upstream_error".
  [[nodiscard]] std::string_view type_name() const;

 private:
  ErrorCode code_;
  std::string message_;
  std::string param_;
};

template <typename T>
using Result = std::expected<T, Error>;

// Shorthand for returning an error from a function that returns Result<T>.
inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
  return std::unexpected<Error>(std::in_place, code, std::move(message));
}

// Standard reason phrase for a status code ("OK", "Bad Request", ...); "Unknown" if none.
std::string_view reason_phrase(int status);

// The JSON error body sent to clients: {"error":{"message":...,"type":...,"code":...}},
// with "param" before "code" when the error names one.
std::string error_json(const Error& error);

}  // namespace nexus
