#include "providers/anthropic/request_encoder.h"

#include <algorithm>
#include <boost/json.hpp>
#include <string>

#include "llm/json_fields.h"
#include "providers/anthropic/request_options.h"

namespace nexus::providers::anthropic {
namespace {

using llm::Part;
using llm::PartKind;

std::unexpected<Error> unsupported(std::string param, std::string_view what) {
  std::string message = param;
  message += ": ";
  message += what;
  return std::unexpected<Error>(std::in_place, ErrorCode::kBadRequest, std::move(message),
                                std::move(param));
}

void add_cache_control(const boost::json::value& marker, boost::json::object& block) {
  if (!marker.is_null()) {
    block["cache_control"] = marker;
  }
}

boost::json::object image_block(const llm::Image& image) {
  boost::json::object source;
  if (!image.url.empty()) {
    source = {{"type", "url"}, {"url", image.url}};
  } else {
    source = {{"type", "base64"}, {"media_type", image.media_type}, {"data", image.data}};
  }
  return {{"type", "image"}, {"source", std::move(source)}};
}

boost::json::object text_block(const Part& part) {
  boost::json::object block{{"type", "text"}, {"text", part.text}};
  add_cache_control(part.cache_control, block);
  return block;
}

// A single unmarked text part is written as a plain string, as most clients write it.
bool is_plain_text(const std::vector<Part>& parts) {
  return parts.size() == 1 && parts[0].kind == PartKind::kText && parts[0].cache_control.is_null();
}

boost::json::value tool_result_block(const Part& part) {
  boost::json::object block{{"type", "tool_result"}, {"tool_use_id", part.id}};
  if (is_plain_text(part.content)) {
    block["content"] = part.content[0].text;
  } else if (!part.content.empty()) {
    boost::json::array content;
    for (const Part& inner : part.content) {
      if (inner.kind == PartKind::kImage) {
        boost::json::object image = image_block(inner.image);
        add_cache_control(inner.cache_control, image);
        content.emplace_back(std::move(image));
      } else if (inner.kind == PartKind::kText) {
        content.emplace_back(text_block(inner));
      }
    }
    block["content"] = std::move(content);
  }
  if (part.is_error) {
    block["is_error"] = true;
  }
  add_cache_control(part.cache_control, block);
  return block;
}

// One part as a content block; null when Anthropic takes no such block: empty text (Anthropic
// refuses empty text blocks), and reasoning without Anthropic's signature (another provider's
// reasoning, which Anthropic could not verify).
Result<boost::json::value> content_block(const Part& part, std::string_view path) {
  boost::json::object block;
  switch (part.kind) {
    case PartKind::kText:
      if (part.text.empty()) {
        return boost::json::value();
      }
      return text_block(part);
    case PartKind::kImage:
      block = image_block(part.image);
      break;
    case PartKind::kReasoning:
      if (part.signature.empty()) {
        return boost::json::value();
      }
      return boost::json::object{
          {"type", "thinking"}, {"thinking", part.text}, {"signature", part.signature}};
    case PartKind::kRedactedReasoning:
      return boost::json::object{{"type", "redacted_thinking"}, {"data", part.text}};
    case PartKind::kToolCall: {
      boost::system::error_code ec;
      boost::json::value input =
          part.text.empty() ? boost::json::object() : boost::json::parse(part.text, ec);
      if (ec || !input.is_object()) {
        return unsupported(std::string(path), "a tool call's arguments are not a JSON object");
      }
      block = {{"type", "tool_use"}, {"id", part.id}, {"name", part.name}, {"input", input}};
      break;
    }
    case PartKind::kToolResult:
      return tool_result_block(part);
  }
  add_cache_control(part.cache_control, block);
  return block;
}

Result<boost::json::array> messages_array(const llm::Request& request) {
  boost::json::array messages;
  bool after_tool_result = false;
  for (size_t m = 0; m < request.messages.size(); ++m) {
    const llm::Message& message = request.messages[m];
    const bool user = message.role == llm::Role::kUser;
    std::string path = "messages.";
    path += std::to_string(m);
    boost::json::array content;
    for (const Part& part : message.parts) {
      auto block = content_block(part, path);
      if (!block) {
        return std::unexpected(std::move(block.error()));
      }
      if (!block->is_null()) {
        content.push_back(std::move(*block));
      }
    }
    // OpenAI's tool messages arrive one result per user message; Anthropic wants the results
    // answering one assistant turn together, first in the next user message.
    if (user && after_tool_result) {
      boost::json::array& previous = messages.back().as_object()["content"].as_array();
      std::ranges::move(content, std::back_inserter(previous));
    } else if (is_plain_text(message.parts)) {
      messages.push_back(
          {{"role", user ? "user" : "assistant"}, {"content", message.parts[0].text}});
    } else {
      messages.push_back({{"role", user ? "user" : "assistant"}, {"content", std::move(content)}});
    }
    after_tool_result =
        user && !message.parts.empty() && message.parts.back().kind == PartKind::kToolResult;
  }
  return messages;
}

void write_system(const llm::Request& request, boost::json::object& body) {
  if (is_plain_text(request.system)) {
    body["system"] = request.system[0].text;
    return;
  }
  boost::json::array system;
  for (const Part& part : request.system) {
    if (part.kind == PartKind::kText && !part.text.empty()) {
      system.emplace_back(text_block(part));
    }
  }
  if (!system.empty()) {
    body["system"] = std::move(system);
  }
}

void write_tools(const llm::Request& request, boost::json::object& body) {
  if (request.tools.empty()) {
    return;
  }
  boost::json::array tools;
  for (const llm::Tool& tool : request.tools) {
    boost::json::object written{{"name", tool.name}};
    if (!tool.description.empty()) {
      written["description"] = tool.description;
    }
    // Anthropic requires a schema; a function without parameters takes an empty object.
    written["input_schema"] = tool.parameters.is_object()
                                  ? tool.parameters
                                  : boost::json::value(boost::json::object{{"type", "object"}});
    if (tool.strict) {
      written["strict"] = *tool.strict;
    }
    add_cache_control(tool.cache_control, written);
    tools.emplace_back(std::move(written));
  }
  body["tools"] = std::move(tools);
}

void write_tool_choice(const llm::Request& request, boost::json::object& body) {
  using Mode = llm::ToolChoice::Mode;
  boost::json::object choice;
  switch (request.tool_choice.mode) {
    case Mode::kUnset:
      break;
    case Mode::kAuto:
      choice["type"] = "auto";
      break;
    case Mode::kNone:
      body["tool_choice"] = {{"type", "none"}};  // takes no disable_parallel_tool_use
      return;
    case Mode::kRequired:
      choice["type"] = "any";
      break;
    case Mode::kTool:
      choice = {{"type", "tool"}, {"name", request.tool_choice.name}};
      break;
  }
  if (request.parallel_tool_calls.has_value() && !*request.parallel_tool_calls &&
      !request.tools.empty()) {
    if (choice.empty()) {
      choice["type"] = "auto";
    }
    choice["disable_parallel_tool_use"] = true;
  }
  if (!choice.empty()) {
    body["tool_choice"] = std::move(choice);
  }
}

}  // namespace

Result<void> encode_request(const llm::Request& request, const EncodeOptions& options,
                            std::string& body) {
  boost::json::object json;
  if (options.body_version.empty()) {
    json["model"] = options.model.empty() ? std::string_view(request.model) : options.model;
  } else {
    json["anthropic_version"] = options.body_version;
  }
  if (auto written = write_options(request, options, json); !written) {
    return written;
  }
  write_system(request, json);
  auto messages = messages_array(request);
  if (!messages) {
    return std::unexpected(std::move(messages.error()));
  }
  json["messages"] = std::move(*messages);
  write_tools(request, json);
  write_tool_choice(request, json);
  body = boost::json::serialize(json);
  return {};
}

llm::ApiError decode_error(int status, std::string_view body) {
  constexpr int kOverloaded = 529;  // Anthropic's own status
  llm::ApiError error{.status = status};
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  const boost::json::object* json = ec ? nullptr : parsed.if_object();
  const boost::json::object* inner = json != nullptr ? llm::object_field(*json, "error") : nullptr;
  if (inner != nullptr) {
    error.type = llm::string_field(*inner, "type");
    error.message = llm::string_field(*inner, "message");
  }
  if (error.type.empty() && status == kOverloaded) {
    error.type = "overloaded_error";
  }
  if (inner != nullptr) {
    return error;
  }
  // Not Anthropic's shape (a proxy's HTML page, a bare string): its start, for people.
  constexpr size_t kMaxMessage = 256;
  error.message = body.substr(0, kMaxMessage);
  if (error.message.empty()) {
    error.message = reason_phrase(status);
  }
  return error;
}

}  // namespace nexus::providers::anthropic
