#include "control/admin/api_error.h"

#include "core/json_escape.h"

namespace nexus::control::admin {

ApiError bad_request(std::string param, std::string message) {
  return {400, "invalid_request_error", "invalid_value", std::move(message), std::move(param)};
}

ApiError unauthorized(std::string message) {
  return {401, "authentication_error", "invalid_api_key", std::move(message), {}};
}

ApiError forbidden(std::string message) {
  return {403, "permission_error", "insufficient_permissions", std::move(message), {}};
}

ApiError not_found(std::string_view what, std::string_view id) {
  std::string message(what);
  message += " '";
  message += id;
  message += "' does not exist";
  return {404, "invalid_request_error", "not_found", std::move(message), {}};
}

ApiError method_not_allowed() {
  return {405,
          "invalid_request_error",
          "method_not_allowed",
          "this method is not allowed on this path",
          {}};
}

ApiError conflict(std::string message) {
  return {409, "invalid_request_error", "conflict", std::move(message), {}};
}

ApiError store_failure(const Error& error) {
  if (error.code() == ErrorCode::kBadRequest) {
    // The store refused a reference or a uniqueness constraint (store.h): a conflict with
    // what is stored, such as a name taken between our check and the write.
    return conflict(error.message());
  }
  std::string message = "the governance store failed: ";
  message += error.message();
  return {500, "server_error", "store_error", std::move(message), {}};
}

std::string error_body(const ApiError& error) {
  std::string out = R"({"error":{"message":")";
  append_json_escaped(out, error.message);
  out += R"(","type":")";
  append_json_escaped(out, error.type);
  if (!error.param.empty()) {
    out += R"(","param":")";
    append_json_escaped(out, error.param);
  }
  out += R"(","code":")";
  append_json_escaped(out, error.code);
  out += "\"}}";
  return out;
}

}  // namespace nexus::control::admin
