#include "providers/cohere/response_decoder.h"

#include <boost/json.hpp>
#include <string>

#include "llm/json_fields.h"
#include "providers/cohere/finish_reason.h"
#include "providers/cohere/usage.h"

namespace nexus::providers::cohere {
namespace {

using llm::array_field;
using llm::object_field;
using llm::string_field;
using llm::upstream_protocol_error;

Result<void> decode_content(const boost::json::array& content, llm::Choice& choice) {
  for (const boost::json::value& part : content) {
    const boost::json::object* object = part.if_object();
    if (object == nullptr) {
      return std::unexpected(upstream_protocol_error("a message content part is not an object"));
    }
    const std::string_view type = string_field(*object, "type");
    if (type == "text") {
      choice.text += string_field(*object, "text");
    } else if (type == "thinking") {
      choice.reasoning += string_field(*object, "thinking");
    }
  }
  return {};
}

Result<void> decode_tool_calls(const boost::json::array& calls, llm::Choice& choice) {
  for (const boost::json::value& call : calls) {
    const boost::json::object* object = call.if_object();
    const boost::json::object* function =
        object != nullptr ? object_field(*object, "function") : nullptr;
    if (function == nullptr) {
      return std::unexpected(upstream_protocol_error("a response tool call has no function"));
    }
    std::string_view arguments = string_field(*function, "arguments");
    if (arguments.empty() || arguments == "null") {
      arguments = "{}";
    }
    choice.tool_calls.push_back({.id = std::string(string_field(*object, "id")),
                                 .name = std::string(string_field(*function, "name")),
                                 .arguments = std::string(arguments)});
  }
  return {};
}

}  // namespace

Result<llm::Response> decode_response(std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  const boost::json::object* json = ec ? nullptr : parsed.if_object();
  const boost::json::object* message = json != nullptr ? object_field(*json, "message") : nullptr;
  if (message == nullptr) {
    return std::unexpected(
        upstream_protocol_error("the response is not a JSON object with a message object"));
  }
  llm::Response response{.id = std::string(string_field(*json, "id"))};
  llm::Choice choice;
  choice.text = string_field(*message, "tool_plan");
  if (const boost::json::array* content = array_field(*message, "content"); content != nullptr) {
    if (auto decoded = decode_content(*content, choice); !decoded) {
      return std::unexpected(std::move(decoded.error()));
    }
  }
  if (const boost::json::array* calls = array_field(*message, "tool_calls"); calls != nullptr) {
    if (auto decoded = decode_tool_calls(*calls, choice); !decoded) {
      return std::unexpected(std::move(decoded.error()));
    }
  }
  choice.finish_word = string_field(*json, "finish_reason");
  choice.finish = finish_reason(choice.finish_word);
  response.choices.push_back(std::move(choice));
  if (const boost::json::object* usage = object_field(*json, "usage"); usage != nullptr) {
    auto decoded = decode_usage(*usage);
    if (!decoded) {
      return std::unexpected(std::move(decoded.error()));
    }
    response.usage = *decoded;
  }
  return response;
}

}  // namespace nexus::providers::cohere
