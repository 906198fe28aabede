#include "providers/openai/response_decoder.h"

#include <boost/json.hpp>

#include "llm/json_fields.h"
#include "providers/openai/finish_reason.h"
#include "providers/openai/usage.h"

namespace nexus::providers::openai {
namespace {

using llm::array_field;
using llm::object_field;
using llm::string_field;
using llm::upstream_protocol_error;

// content: a string, null, or (Mistral's reasoning models) an array of text and thinking parts.
void decode_content(const boost::json::object& message, llm::Choice& choice) {
  const boost::json::array* parts = array_field(message, "content");
  if (parts == nullptr) {
    choice.text = string_field(message, "content");
    return;
  }
  for (const boost::json::value& part : *parts) {
    const boost::json::object* object = part.if_object();
    if (object == nullptr) {
      continue;
    }
    if (string_field(*object, "type") != "thinking") {
      choice.text += string_field(*object, "text");
      continue;
    }
    if (const boost::json::array* thinking = array_field(*object, "thinking")) {
      for (const boost::json::value& piece : *thinking) {
        if (const boost::json::object* text = piece.if_object()) {
          choice.reasoning += string_field(*text, "text");
        }
      }
    }
  }
}

Result<llm::Choice> decode_choice(const boost::json::object& json, uint32_t position) {
  llm::Choice choice;
  const boost::json::value* index = json.if_contains("index");
  choice.index = index != nullptr && index->is_int64() && index->get_int64() >= 0
                     ? static_cast<uint32_t>(index->get_int64())
                     : position;
  const boost::json::object* message = object_field(json, "message");
  if (message == nullptr) {
    return std::unexpected(upstream_protocol_error("a response choice has no message"));
  }
  decode_content(*message, choice);
  choice.reasoning += string_field(*message, "reasoning_content");
  if (choice.reasoning.empty()) {
    choice.reasoning = string_field(*message, "reasoning");
  }
  if (const boost::json::array* calls = array_field(*message, "tool_calls")) {
    for (const boost::json::value& call : *calls) {
      const boost::json::object* object = call.if_object();
      const boost::json::object* function =
          object != nullptr ? object_field(*object, "function") : nullptr;
      if (function == nullptr) {
        return std::unexpected(upstream_protocol_error("a response tool call has no function"));
      }
      choice.tool_calls.push_back({.id = std::string(string_field(*object, "id")),
                                   .name = std::string(string_field(*function, "name")),
                                   .arguments = std::string(string_field(*function, "arguments"))});
    }
  }
  choice.finish_word = string_field(json, "finish_reason");
  choice.finish = finish_reason(choice.finish_word);
  return choice;
}

}  // namespace

Result<llm::Response> decode_response(std::string_view body) {
  boost::json::value parsed;
  const boost::json::array* choices = llm::parse_object_with_array(body, "choices", parsed);
  if (choices == nullptr) {
    return std::unexpected(
        upstream_protocol_error("the response is not a JSON object with a choices array"));
  }
  const boost::json::object* json = &parsed.get_object();
  llm::Response response{.id = std::string(string_field(*json, "id")),
                         .model = std::string(string_field(*json, "model"))};
  uint32_t position = 0;
  for (const boost::json::value& choice : *choices) {
    if (!choice.is_object()) {
      return std::unexpected(upstream_protocol_error("a response choice is not an object"));
    }
    auto decoded = decode_choice(choice.get_object(), position++);
    if (!decoded) {
      return std::unexpected(std::move(decoded.error()));
    }
    response.choices.push_back(std::move(*decoded));
  }
  if (const boost::json::object* usage = object_field(*json, "usage"); usage != nullptr) {
    auto decoded = decode_usage(*usage);
    if (!decoded) {
      return std::unexpected(std::move(decoded.error()));
    }
    response.usage = *decoded;
  }
  return response;
}

}  // namespace nexus::providers::openai
