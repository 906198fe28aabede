#include "providers/anthropic/response_decoder.h"

#include <boost/json.hpp>

#include "llm/json_fields.h"
#include "providers/anthropic/finish_reason.h"
#include "providers/anthropic/usage.h"

namespace nexus::providers::anthropic {
namespace {

using llm::object_field;
using llm::string_field;
using llm::upstream_protocol_error;

// One content block into the choice; false when a tool_use block has no input object.
bool add_block(const boost::json::object& block, llm::Choice& choice) {
  const std::string_view type = string_field(block, "type");
  if (type == "text") {
    choice.text += string_field(block, "text");
  } else if (type == "thinking") {
    choice.reasoning += string_field(block, "thinking");
    choice.reasoning_signature += string_field(block, "signature");
  } else if (type == "redacted_thinking") {
    choice.redacted_reasoning.emplace_back(string_field(block, "data"));
  } else if (type == "tool_use") {
    const boost::json::object* input = object_field(block, "input");
    if (input == nullptr) {
      return false;
    }
    choice.tool_calls.push_back({.id = std::string(string_field(block, "id")),
                                 .name = std::string(string_field(block, "name")),
                                 .arguments = boost::json::serialize(*input)});
  }  // server and MCP tool blocks, and block types newer than this code
  return true;
}

}  // namespace

Result<llm::Response> decode_response(std::string_view body) {
  boost::json::value parsed;
  const boost::json::array* content = llm::parse_object_with_array(body, "content", parsed);
  if (content == nullptr) {
    return std::unexpected(
        upstream_protocol_error("the response is not a JSON object with a content array"));
  }
  const boost::json::object* json = &parsed.get_object();
  llm::Response response{.id = std::string(string_field(*json, "id")),
                         .model = std::string(string_field(*json, "model"))};
  llm::Choice& choice = response.choices.emplace_back();
  for (const boost::json::value& block : *content) {
    if (!block.is_object() || !add_block(block.get_object(), choice)) {
      return std::unexpected(upstream_protocol_error("a response content block is malformed"));
    }
  }
  choice.finish_word = string_field(*json, "stop_reason");
  choice.finish = finish_reason(choice.finish_word);
  if (const boost::json::object* usage = object_field(*json, "usage"); usage != nullptr) {
    auto decoded = decode_usage(*usage);
    if (!decoded) {
      return std::unexpected(std::move(decoded.error()));
    }
    response.usage = *decoded;
  }
  return response;
}

}  // namespace nexus::providers::anthropic
