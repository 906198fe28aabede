// decode_error (declared in request_encoder.h): the error bodies of OpenAI and the
// OpenAI-compatible providers.
#include <boost/json.hpp>
#include <string>

#include "providers/openai/request_encoder.h"

namespace nexus::providers::openai {
namespace {

// How much of a body that says nothing readable becomes the message.
constexpr size_t kExcerpt = 512;

// A string field as text; a number (some providers' numeric codes) or an object (Mistral's
// validation details) as its JSON.
std::string text_of(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) {
    return {};
  }
  if (value->is_string()) {
    return std::string(value->get_string());
  }
  return boost::json::serialize(*value);
}

// {"message","type","param","code"}: OpenAI's error object, also what Mistral and others send
// at the top level.
void read_fields(const boost::json::object& object, llm::ApiError& error) {
  error.message = text_of(object, "message");
  if (error.message.empty()) {
    error.message = text_of(object, "detail");  // FastAPI-style servers (vLLM, ...)
  }
  error.type = text_of(object, "type");
  error.param = text_of(object, "param");
  error.code = text_of(object, "code");
}

void read_value(const boost::json::value& value, llm::ApiError& error) {
  if (const boost::json::string* text = value.if_string(); text != nullptr) {
    error.message = *text;
    return;
  }
  if (const boost::json::array* array = value.if_array(); array != nullptr) {
    if (!array->empty()) {  // [{"error": {...}}] (Gemini's OpenAI-compatible endpoint)
      read_value(array->front(), error);
    }
    return;
  }
  const boost::json::object* object = value.if_object();
  if (object == nullptr) {
    return;
  }
  const boost::json::value* inner = object->if_contains("error");
  if (inner == nullptr || inner->is_null()) {
    read_fields(*object, error);
  } else if (inner->is_object()) {
    read_fields(inner->get_object(), error);
  } else if (inner->is_string()) {  // {"error": "message"}
    error.message = inner->get_string();
    error.type = text_of(*object, "type");
  }
}

}  // namespace

llm::ApiError decode_error(int status, std::string_view body) {
  llm::ApiError error{.status = status};
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  if (!ec) {
    read_value(parsed, error);
  }
  if (error.message.empty()) {
    error.message = body.substr(0, kExcerpt);
  }
  return error;
}

}  // namespace nexus::providers::openai
