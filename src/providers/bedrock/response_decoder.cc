#include "providers/bedrock/response_decoder.h"

#include <boost/json.hpp>

#include "llm/json_fields.h"
#include "providers/bedrock/finish_reason.h"
#include "providers/bedrock/usage.h"

namespace nexus::providers::bedrock {
namespace {

using llm::object_field;
using llm::string_field;
using llm::upstream_protocol_error;

Result<void> decode_reasoning(const boost::json::object& reasoning, llm::Choice& choice) {
  if (const boost::json::object* text = object_field(reasoning, "reasoningText"); text != nullptr) {
    choice.reasoning += string_field(*text, "text");
    choice.reasoning_signature += string_field(*text, "signature");
    return {};
  }
  if (const boost::json::value* redacted = reasoning.if_contains("redactedContent");
      redacted != nullptr) {
    if (!redacted->is_string()) {
      return std::unexpected(upstream_protocol_error("redactedContent is not a string"));
    }
    choice.redacted_reasoning.emplace_back(redacted->get_string());
  }
  return {};
}

Result<void> decode_tool_use(const boost::json::object& tool, llm::Choice& choice) {
  if (string_field(tool, "type") == "server_tool_use") {
    return {};  // run by Bedrock itself: not a call for the client
  }
  const std::string_view id = string_field(tool, "toolUseId");
  const std::string_view name = string_field(tool, "name");
  if (id.empty() || name.empty()) {
    return std::unexpected(upstream_protocol_error("a toolUse block without toolUseId or name"));
  }
  const boost::json::value* input = tool.if_contains("input");
  choice.tool_calls.push_back(
      {.id = std::string(id),
       .name = std::string(name),
       .arguments = input != nullptr && !input->is_null() ? boost::json::serialize(*input) : "{}"});
  return {};
}

Result<void> decode_block(const boost::json::value& value, llm::Choice& choice) {
  const boost::json::object* block = value.if_object();
  if (block == nullptr) {
    return std::unexpected(upstream_protocol_error("a content block is not an object"));
  }
  if (const boost::json::value* text = block->if_contains("text"); text != nullptr) {
    if (!text->is_string()) {
      return std::unexpected(upstream_protocol_error("a text block is not a string"));
    }
    choice.text += text->get_string();
    return {};
  }
  if (const boost::json::object* reasoning = object_field(*block, "reasoningContent");
      reasoning != nullptr) {
    return decode_reasoning(*reasoning, choice);
  }
  if (const boost::json::object* tool = object_field(*block, "toolUse"); tool != nullptr) {
    return decode_tool_use(*tool, choice);
  }
  return {};  // toolResult (of a server tool), citationsContent, image, document, cachePoint
}

}  // namespace

Result<llm::Response> decode_response(std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  const boost::json::object* json = ec ? nullptr : parsed.if_object();
  const boost::json::object* output = json != nullptr ? object_field(*json, "output") : nullptr;
  const boost::json::object* message =
      output != nullptr ? object_field(*output, "message") : nullptr;
  const boost::json::array* content =
      message != nullptr ? llm::array_field(*message, "content") : nullptr;
  if (content == nullptr) {
    return std::unexpected(
        upstream_protocol_error("a Converse response without output.message.content"));
  }
  llm::Response response;
  llm::Choice& choice = response.choices.emplace_back();
  for (const boost::json::value& block : *content) {
    if (auto decoded = decode_block(block, choice); !decoded) {
      return std::unexpected(std::move(decoded.error()));
    }
  }
  const std::string_view reason = string_field(*json, "stopReason");
  choice.finish_word = reason;
  choice.finish = finish_reason(reason);
  if (const boost::json::object* usage = object_field(*json, "usage"); usage != nullptr) {
    auto decoded = decode_usage(*usage);
    if (!decoded) {
      return std::unexpected(std::move(decoded.error()));
    }
    response.usage = *decoded;
  }
  return response;
}

}  // namespace nexus::providers::bedrock
