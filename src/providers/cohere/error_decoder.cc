#include "providers/cohere/error_decoder.h"

#include <boost/json.hpp>
#include <string>

#include "llm/json_fields.h"

namespace nexus::providers::cohere {
namespace {

constexpr size_t kExcerpt = 512;

std::string_view type_of(int status) {
  switch (status) {
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 429:
      return "rate_limit_error";
    case 503:
      return "overloaded_error";
    case 504:
      return "timeout_error";
    default:
      break;
  }
  return status >= 400 && status < 500 ? "invalid_request_error" : "api_error";
}

std::string message_of(const boost::json::value& parsed) {
  if (const boost::json::string* text = parsed.if_string(); text != nullptr) {
    return std::string(*text);
  }
  const boost::json::object* object = parsed.if_object();
  if (object == nullptr) {
    return {};
  }
  for (const char* key : {"message", "detail"}) {
    if (const std::string_view text = llm::string_field(*object, key); !text.empty()) {
      return std::string(text);
    }
  }
  if (const boost::json::value* error = object->if_contains("error"); error != nullptr) {
    return message_of(*error);
  }
  return {};
}

}  // namespace

llm::ApiError decode_error(int status, std::string_view body) {
  llm::ApiError error{.status = status, .type = std::string(type_of(status))};
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  if (!ec) {
    error.message = message_of(parsed);
  }
  if (error.message.empty()) {
    error.message = body.substr(0, kExcerpt);
  }
  if (error.message.empty()) {
    error.message = nexus::reason_phrase(status);
  }
  return error;
}

}  // namespace nexus::providers::cohere
