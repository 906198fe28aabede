#include "llm/dialects/anthropic/messages_content.h"

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "llm/dialects/anthropic/request_fields.h"

namespace nexus::dialects::anthropic::detail {
namespace {

using llm::Part;
using llm::PartKind;
using llm::Role;

// Which blocks a block array may hold: a tool result's content takes only text and images.
enum class Where : uint8_t { kUser, kAssistant, kToolResult };

Result<Part> decode_text(const boost::json::object& block, std::string_view path) {
  auto text = required_string(block, "text", at(path, "text"));
  if (!text) {
    return std::unexpected(std::move(text.error()));
  }
  return Part{.kind = PartKind::kText, .text = std::move(*text)};
}

Result<Part> decode_image(const boost::json::object& block, std::string_view path) {
  const std::string source_path = at(path, "source");
  const boost::json::value* value = present(block, "source");
  if (value == nullptr || !value->is_object()) {
    return bad_request(source_path,
                       value == nullptr ? "Field required" : "Input should be an object");
  }
  const boost::json::object& source = value->get_object();
  auto type = required_string(source, "type", at(source_path, "type"));
  if (!type) {
    return std::unexpected(std::move(type.error()));
  }
  Part part{.kind = PartKind::kImage};
  if (*type == "base64") {
    auto media_type = required_string(source, "media_type", at(source_path, "media_type"));
    auto data = media_type ? required_string(source, "data", at(source_path, "data")) : media_type;
    if (!data) {
      return std::unexpected(std::move(data.error()));
    }
    part.image.media_type = std::move(*media_type);
    part.image.data = std::move(*data);
  } else if (*type == "url") {
    auto url = required_string(source, "url", at(source_path, "url"));
    if (!url) {
      return std::unexpected(std::move(url.error()));
    }
    part.image.url = std::move(*url);
  } else {
    // "file" (the Files API) names an upload only Anthropic can read.
    std::string what = "image source type '";
    what += *type;
    what += "' is not translated by Nexus (base64, url)";
    return bad_request(at(source_path, "type"), what);
  }
  return part;
}

Result<Part> decode_tool_use(const boost::json::object& block, std::string_view path) {
  auto id = required_string(block, "id", at(path, "id"));
  auto name = id ? required_string(block, "name", at(path, "name")) : id;
  if (!name) {
    return std::unexpected(std::move(name.error()));
  }
  const boost::json::value* input = present(block, "input");
  if (input == nullptr || !input->is_object()) {
    return bad_request(at(path, "input"),
                       input == nullptr ? "Field required" : "Input should be an object");
  }
  return Part{.kind = PartKind::kToolCall,
              .text = boost::json::serialize(*input),
              .id = std::move(*id),
              .name = std::move(*name)};
}

Result<std::vector<Part>> decode_blocks(const boost::json::value& content, std::string_view path,
                                        Where where);

Result<Part> decode_tool_result(const boost::json::object& block, std::string_view path) {
  auto id = required_string(block, "tool_use_id", at(path, "tool_use_id"));
  if (!id) {
    return std::unexpected(std::move(id.error()));
  }
  auto is_error = optional_bool(block, "is_error", at(path, "is_error"));
  if (!is_error) {
    return std::unexpected(std::move(is_error.error()));
  }
  Part part{.kind = PartKind::kToolResult, .id = std::move(*id), .is_error = *is_error};
  if (const boost::json::value* content = present(block, "content"); content != nullptr) {
    auto parts = decode_blocks(*content, at(path, "content"), Where::kToolResult);
    if (!parts) {
      return std::unexpected(std::move(parts.error()));
    }
    part.content = std::move(*parts);
  }
  return part;
}

Result<Part> decode_thinking(const boost::json::object& block, std::string_view path) {
  auto thinking = optional_string(block, "thinking", at(path, "thinking"));
  auto signature = thinking ? optional_string(block, "signature", at(path, "signature")) : thinking;
  if (!signature) {
    return std::unexpected(std::move(signature.error()));
  }
  return Part{.kind = PartKind::kReasoning,
              .text = std::move(*thinking),
              .signature = std::move(*signature)};
}

Result<Part> decode_redacted(const boost::json::object& block, std::string_view path) {
  auto data = required_string(block, "data", at(path, "data"));
  if (!data) {
    return std::unexpected(std::move(data.error()));
  }
  return Part{.kind = PartKind::kRedactedReasoning, .text = std::move(*data)};
}

// A block of a known `type`; a type Nexus does not translate (document, search_result, server
// tool blocks, ...) or one out of place (tool_use in a user message) is a 400 naming the type.
Result<Part> decode_typed(const boost::json::object& block, std::string_view type,
                          std::string_view path, Where where) {
  if (type == "text") {
    return decode_text(block, path);
  }
  if (type == "image") {
    return decode_image(block, path);
  }
  if (type == "tool_use" && where == Where::kAssistant) {
    return decode_tool_use(block, path);
  }
  if (type == "thinking" && where == Where::kAssistant) {
    return decode_thinking(block, path);
  }
  if (type == "redacted_thinking" && where == Where::kAssistant) {
    return decode_redacted(block, path);
  }
  if (type == "tool_result" && where == Where::kUser) {
    return decode_tool_result(block, path);
  }
  std::string what = "content block type '";
  what += type;
  what += "' is not translated by Nexus here";
  return bad_request(at(path, "type"), what);
}

Result<Part> decode_block(const boost::json::value& value, std::string_view path, Where where) {
  if (!value.is_object()) {
    return bad_request(std::string(path), "Input should be an object");
  }
  const boost::json::object& block = value.get_object();
  auto type = required_string(block, "type", at(path, "type"));
  if (!type) {
    return std::unexpected(std::move(type.error()));
  }
  Result<Part> part = decode_typed(block, *type, path, where);
  if (!part) {
    return part;
  }
  auto marker = cache_control(block, path);
  if (!marker) {
    return std::unexpected(std::move(marker.error()));
  }
  part->cache_control = std::move(*marker);
  return part;
}

// A string (one text part) or an array of blocks.
Result<std::vector<Part>> decode_blocks(const boost::json::value& content, std::string_view path,
                                        Where where) {
  std::vector<Part> parts;
  if (content.is_string()) {
    if (!content.get_string().empty() || where != Where::kToolResult) {
      parts.push_back({.kind = PartKind::kText, .text = std::string(content.get_string())});
    }
    return parts;
  }
  if (!content.is_array()) {
    return bad_request(std::string(path), "Input should be a valid string or list of blocks");
  }
  const boost::json::array& blocks = content.get_array();
  parts.reserve(blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) {
    auto part = decode_block(blocks[i], at(path, i), where);
    if (!part) {
      return std::unexpected(std::move(part.error()));
    }
    parts.push_back(std::move(*part));
  }
  return parts;
}

Result<llm::Message> decode_message(const boost::json::value& value, std::string_view path) {
  if (!value.is_object()) {
    return bad_request(std::string(path), "Input should be an object");
  }
  const boost::json::object& object = value.get_object();
  auto role = required_string(object, "role", at(path, "role"));
  if (!role) {
    return std::unexpected(std::move(role.error()));
  }
  if (*role != "user" && *role != "assistant") {
    return bad_request(at(path, "role"), "Input should be 'user' or 'assistant'");
  }
  const boost::json::value* content = present(object, "content");
  if (content == nullptr) {
    return bad_request(at(path, "content"), "Field required");
  }
  llm::Message message{.role = *role == "user" ? Role::kUser : Role::kAssistant};
  auto parts = decode_blocks(*content, at(path, "content"),
                             message.role == Role::kUser ? Where::kUser : Where::kAssistant);
  if (!parts) {
    return std::unexpected(std::move(parts.error()));
  }
  message.parts = std::move(*parts);
  return message;
}

}  // namespace

Result<std::vector<llm::Message>> decode_messages(const boost::json::value& messages) {
  if (!messages.is_array()) {
    return bad_request("messages", "Input should be a valid list");
  }
  std::vector<llm::Message> decoded;
  decoded.reserve(messages.get_array().size());
  size_t index = 0;
  for (const boost::json::value& message : messages.get_array()) {
    auto one = decode_message(message, at("messages", index++));
    if (!one) {
      return std::unexpected(std::move(one.error()));
    }
    decoded.push_back(std::move(*one));
  }
  return decoded;
}

Result<std::vector<llm::Part>> decode_system(const boost::json::value& system) {
  if (system.is_string()) {
    std::vector<Part> parts;
    if (!system.get_string().empty()) {
      parts.push_back({.kind = PartKind::kText, .text = std::string(system.get_string())});
    }
    return parts;
  }
  if (!system.is_array()) {
    return bad_request("system", "Input should be a valid string or list of text blocks");
  }
  std::vector<Part> parts;
  for (size_t i = 0; i < system.get_array().size(); ++i) {
    const std::string path = at("system", i);
    const boost::json::value& block = system.get_array()[i];
    const boost::json::object* object = block.if_object();
    if (object == nullptr || present(*object, "type") == nullptr ||
        !present(*object, "type")->is_string() ||
        present(*object, "type")->get_string() != "text") {
      return bad_request(at(path, "type"), "system blocks must be text blocks");
    }
    auto part = decode_block(block, path, Where::kUser);
    if (!part) {
      return std::unexpected(std::move(part.error()));
    }
    parts.push_back(std::move(*part));
  }
  return parts;
}

}  // namespace nexus::dialects::anthropic::detail
