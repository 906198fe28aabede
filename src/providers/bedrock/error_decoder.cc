#include "providers/bedrock/error_decoder.h"

#include <boost/json.hpp>

#include "llm/json_fields.h"

namespace nexus::providers::bedrock {

llm::ApiError decode_error(int status, std::string_view error_type_header, std::string_view body) {
  constexpr size_t kMaxRawMessage = 512;
  llm::ApiError error{.status = status};
  error.type = error_type_header.substr(0, error_type_header.find(':'));
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  const boost::json::object* json = ec ? nullptr : parsed.if_object();
  if (json == nullptr) {
    error.message = body.substr(0, kMaxRawMessage);
    return error;
  }
  if (error.type.empty()) {
    const std::string_view type = llm::string_field(*json, "__type");
    const size_t hash = type.rfind('#');
    error.type = hash == std::string_view::npos ? type : type.substr(hash + 1);
  }
  std::string_view message = llm::string_field(*json, "message");
  if (message.empty()) {
    message = llm::string_field(*json, "Message");
  }
  error.message = message;
  return error;
}

}  // namespace nexus::providers::bedrock
