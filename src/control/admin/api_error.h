// The admin API's errors: an HTTP status and an OpenAI-shaped body
// ({"error":{"message","type","param","code"}}), carried as values through the handlers.
#pragma once

#include <expected>
#include <string>

#include "nexus/core/result.h"

namespace nexus::control::admin {

struct ApiError {
  int status = 500;
  std::string type;     // "invalid_request_error", "authentication_error", "permission_error", ...
  std::string code;     // "invalid_value", "not_found", "conflict", ...
  std::string message;  // for the caller; never a secret
  std::string param;    // the body field or query parameter at fault, when one is
};

template <typename T>
using ApiResult = std::expected<T, ApiError>;

// 400: `param` names the field ("budget.hard_usd") or query parameter at fault.
ApiError bad_request(std::string param, std::string message);
ApiError unauthorized(std::string message);  // 401: no valid credentials
ApiError forbidden(std::string message);     // 403: the caller's role or scope refuses it
ApiError not_found(std::string_view what, std::string_view id);  // 404
ApiError method_not_allowed();                                   // 405
ApiError conflict(std::string message);  // 409: a duplicate name, a key already revoked
// The store failed: 409 for a constraint it refused (kBadRequest), else 500.
ApiError store_failure(const Error& error);

// The JSON body of an error.
std::string error_body(const ApiError& error);

}  // namespace nexus::control::admin
