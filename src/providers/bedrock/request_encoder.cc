#include "providers/bedrock/request_encoder.h"

#include <algorithm>
#include <boost/json.hpp>
#include <string>

#include "llm/json_fields.h"
#include "providers/bedrock/request_options.h"

namespace nexus::providers::bedrock {
namespace {

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

using llm::Part;
using llm::PartKind;

// Appends a cachePoint after a block that carries Anthropic's cache_control marker.
void add_cache_point(const boost::json::value& marker, boost::json::array& blocks) {
  if (marker.is_null()) {
    return;
  }
  boost::json::object point{{"type", "default"}};
  if (const boost::json::object* object = marker.if_object(); object != nullptr) {
    if (const std::string_view ttl = llm::string_field(*object, "ttl"); !ttl.empty()) {
      point["ttl"] = ttl;
    }
  }
  blocks.emplace_back(boost::json::object{{"cachePoint", std::move(point)}});
}

// Bedrock's image format for a media type; "" when it takes no such image.
std::string_view image_format(std::string_view media_type) {
  for (const std::string_view format : {"png", "jpeg", "gif", "webp"}) {
    if (media_type.size() == format.size() + 6 && media_type.starts_with("image/") &&
        media_type.ends_with(format)) {
      return format;
    }
  }
  return media_type == "image/jpg" ? "jpeg" : "";
}

// An image block; null when dropped.
Result<boost::json::value> image_block(const llm::Image& image, const EncodeOptions& options) {
  const std::string_view format = image_format(image.media_type);
  if (!image.url.empty() || format.empty() || image.data.empty()) {
    if (options.drop_unsupported_params) {
      return boost::json::value();
    }
    return unsupported("messages", image.url.empty()
                                       ? "Bedrock takes png, jpeg, gif or webp images only"
                                       : "Bedrock takes inline (base64) images only, not URLs");
  }
  return boost::json::object{{"image", {{"format", format}, {"source", {{"bytes", image.data}}}}}};
}

Result<boost::json::value> tool_result_block(const Part& part, const EncodeOptions& options) {
  boost::json::array content;
  for (const Part& inner : part.content) {
    if (inner.kind == PartKind::kImage) {
      auto image = image_block(inner.image, options);
      if (!image) {
        return image;
      }
      if (!image->is_null()) {
        content.push_back(std::move(*image));
      }
    } else if (inner.kind == PartKind::kText && !is_blank(inner.text)) {
      content.emplace_back(boost::json::object{{"text", inner.text}});
    }
  }
  if (content.empty()) {
    // Bedrock requires content and refuses blank text blocks: an empty result says so.
    content.emplace_back(boost::json::object{{"text", "(empty)"}});
  }
  boost::json::object block{{"toolUseId", part.id}, {"content", std::move(content)}};
  block["status"] = part.is_error ? "error" : "success";
  return boost::json::object{{"toolResult", std::move(block)}};
}

// One part as a content block; null when Converse takes no such block (empty text, reasoning
// without a signature, a dropped image).
Result<boost::json::value> content_block(const Part& part, const EncodeOptions& options) {
  switch (part.kind) {
    case PartKind::kText:
      if (is_blank(part.text)) {  // Bedrock refuses blank text blocks
        return boost::json::value();
      }
      return boost::json::object{{"text", part.text}};
    case PartKind::kImage:
      return image_block(part.image, options);
    case PartKind::kReasoning:
      if (part.signature.empty()) {
        return boost::json::value();
      }
      return boost::json::object{
          {"reasoningContent",
           {{"reasoningText", {{"text", part.text}, {"signature", part.signature}}}}}};
    case PartKind::kRedactedReasoning:
      return boost::json::object{{"reasoningContent", {{"redactedContent", part.text}}}};
    case PartKind::kToolCall: {
      boost::system::error_code ec;
      boost::json::value input =
          part.text.empty() ? boost::json::object() : boost::json::parse(part.text, ec);
      if (ec || !input.is_object()) {
        return unsupported("messages", "a tool call's arguments are not a JSON object");
      }
      return boost::json::object{
          {"toolUse", {{"toolUseId", part.id}, {"name", part.name}, {"input", std::move(input)}}}};
    }
    case PartKind::kToolResult:
      return tool_result_block(part, options);
  }
  return boost::json::value();
}

Result<boost::json::array> messages_array(const llm::Request& request,
                                          const EncodeOptions& options) {
  boost::json::array messages;
  bool has_previous = false;
  llm::Role previous = llm::Role::kUser;
  for (const llm::Message& message : request.messages) {
    boost::json::array content;
    for (const Part& part : message.parts) {
      auto block = content_block(part, options);
      if (!block) {
        return std::unexpected(std::move(block.error()));
      }
      if (!block->is_null()) {
        content.push_back(std::move(*block));
        add_cache_point(part.cache_control, content);
      }
    }
    if (content.empty()) {
      continue;  // every part dropped: Bedrock refuses a message without content
    }
    if (has_previous && message.role == previous) {
      boost::json::array& merged = messages.back().as_object()["content"].as_array();
      std::ranges::move(content, std::back_inserter(merged));
      continue;
    }
    messages.emplace_back(
        boost::json::object{{"role", message.role == llm::Role::kUser ? "user" : "assistant"},
                            {"content", std::move(content)}});
    has_previous = true;
    previous = message.role;
  }
  return messages;
}

void write_system(const llm::Request& request, boost::json::object& body) {
  boost::json::array system;
  for (const Part& part : request.system) {
    if (part.kind == PartKind::kText && !part.text.empty()) {
      system.emplace_back(boost::json::object{{"text", part.text}});
      add_cache_point(part.cache_control, system);
    }
  }
  if (!system.empty()) {
    body["system"] = std::move(system);
  }
}

bool has_tool_blocks(const llm::Request& request) {
  return std::ranges::any_of(request.messages, [](const llm::Message& message) {
    return std::ranges::any_of(message.parts, [](const Part& part) {
      return part.kind == PartKind::kToolCall || part.kind == PartKind::kToolResult;
    });
  });
}

Result<void> write_tools(const llm::Request& request, const EncodeOptions& options,
                         boost::json::object& body) {
  using Mode = llm::ToolChoice::Mode;
  if (request.tools.empty()) {
    if (has_tool_blocks(request)) {  // Bedrock requires a toolConfig then
      return unsupported("tools",
                         "Bedrock needs the tools of a conversation that holds tool calls or "
                         "results: send them with the request");
    }
    return {};
  }
  const Mode mode = request.tool_choice.mode;
  if (mode == Mode::kNone) {
    if (!has_tool_blocks(request)) {
      return {};
    }
    if (!options.drop_unsupported_params) {
      return unsupported("tool_choice",
                         "Bedrock has no tool choice none for a conversation with tool calls");
    }
  }
  boost::json::array tools;
  for (const llm::Tool& tool : request.tools) {
    boost::json::object spec{{"name", tool.name}};
    if (!tool.description.empty()) {
      spec["description"] = tool.description;
    }
    // Bedrock requires a schema; a function without parameters takes an empty object.
    spec["inputSchema"] = {{"json", tool.parameters.is_object()
                                        ? tool.parameters
                                        : boost::json::value(boost::json::object{
                                              {"type", "object"}, {"properties", {}}})}};
    if (tool.strict) {
      spec["strict"] = *tool.strict;
    }
    tools.emplace_back(boost::json::object{{"toolSpec", std::move(spec)}});
    add_cache_point(tool.cache_control, tools);
  }
  boost::json::object config{{"tools", std::move(tools)}};
  if (mode == Mode::kAuto) {
    config["toolChoice"] = {{"auto", boost::json::object()}};
  } else if (mode == Mode::kRequired) {
    config["toolChoice"] = {{"any", boost::json::object()}};
  } else if (mode == Mode::kTool) {
    config["toolChoice"] = {{"tool", {{"name", request.tool_choice.name}}}};
  }
  body["toolConfig"] = std::move(config);
  return {};
}

}  // namespace

Result<void> encode_request(const llm::Request& request, const EncodeOptions& options,
                            std::string& body) {
  boost::json::object json;
  auto messages = messages_array(request, options);
  if (!messages) {
    return std::unexpected(std::move(messages.error()));
  }
  json["messages"] = std::move(*messages);
  write_system(request, json);
  if (auto written = write_options(request, options, json); !written) {
    return written;
  }
  if (auto tools = write_tools(request, options, json); !tools) {
    return tools;
  }
  body = boost::json::serialize(json);
  return {};
}

}  // namespace nexus::providers::bedrock
