#include "providers/gemini/error_decoder.h"

#include <boost/json.hpp>
#include <cctype>
#include <string>

#include "llm/json_fields.h"

namespace nexus::providers::gemini {
namespace {

using llm::array_field;
using llm::object_field;
using llm::string_field;

// How much of a body that says nothing readable becomes the message.
constexpr size_t kExcerpt = 512;

std::string lower(std::string_view word) {
  std::string out(word);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// The reason of the first google.rpc.ErrorInfo detail ("API_KEY_INVALID"), if any.
std::string_view error_info_reason(const boost::json::object& error) {
  const boost::json::array* details = array_field(error, "details");
  if (details == nullptr) {
    return {};
  }
  for (const boost::json::value& detail : *details) {
    const boost::json::object* object = detail.if_object();
    if (object != nullptr && string_field(*object, "@type").ends_with("google.rpc.ErrorInfo")) {
      return string_field(*object, "reason");
    }
  }
  return {};
}

const boost::json::object* error_object(const boost::json::value& parsed) {
  const boost::json::value* value = &parsed;
  if (const boost::json::array* array = parsed.if_array(); array != nullptr) {
    if (array->empty()) {
      return nullptr;
    }
    value = &array->front();
  }
  const boost::json::object* object = value->if_object();
  return object != nullptr ? object_field(*object, "error") : nullptr;
}

}  // namespace

std::string_view error_type(std::string_view status, int http_status) {
  if (status == "INVALID_ARGUMENT" || status == "FAILED_PRECONDITION" || status == "OUT_OF_RANGE" ||
      status == "NOT_FOUND" || status == "ALREADY_EXISTS") {
    return "invalid_request_error";
  }
  if (status == "UNAUTHENTICATED") {
    return "authentication_error";
  }
  if (status == "PERMISSION_DENIED") {
    return "permission_error";
  }
  if (status == "RESOURCE_EXHAUSTED") {
    return "rate_limit_error";
  }
  if (!status.empty()) {
    return "server_error";  // UNAVAILABLE, INTERNAL, DEADLINE_EXCEEDED, UNKNOWN, ...
  }
  switch (http_status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 429:
      return "rate_limit_error";
    default:
      return http_status >= 400 && http_status < 500 ? "invalid_request_error" : "server_error";
  }
}

llm::ApiError decode_error(int status, std::string_view body) {
  llm::ApiError error{.status = status};
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  const boost::json::object* object = ec ? nullptr : error_object(parsed);
  std::string_view google_status;
  if (object != nullptr) {
    error.message = string_field(*object, "message");
    google_status = string_field(*object, "status");
    const std::string_view reason = error_info_reason(*object);
    error.code = lower(reason.empty() ? google_status : reason);
  }
  error.type = error_type(google_status, status);
  if (error.message.empty()) {
    error.message = body.substr(0, kExcerpt);
  }
  return error;
}

}  // namespace nexus::providers::gemini
