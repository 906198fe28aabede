#include "llm/dialects/openai/chat_messages.h"

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "llm/dialects/openai/request_fields.h"

namespace nexus::dialects::openai::detail {
namespace {

using llm::Part;
using llm::PartKind;

constexpr std::string_view kBase64Marker = ";base64,";

llm::Part text_part(std::string_view text) {
  return {.kind = PartKind::kText, .text = std::string(text)};
}

// A required string member of `object`, whose path is `base`.
Result<std::string_view> string_member(const boost::json::object& object, std::string_view key,
                                       std::string_view base) {
  const boost::json::value* value = present(object, key);
  if (value == nullptr) {
    return missing(key_path(base, key));
  }
  if (!value->is_string()) {
    return invalid_type(key_path(base, key), "a string");
  }
  return std::string_view(value->get_string());
}

// content as a string or an array of text parts (system, developer, tool, assistant messages).
// `refusal` parts (assistant) say nothing a model needs back: skipped.
Result<void> decode_text_content(const boost::json::value& content, const std::string& path,
                                 bool assistant, std::vector<Part>& out) {
  if (content.is_string()) {
    if (!assistant || !content.get_string().empty()) {
      out.push_back(text_part(content.get_string()));
    }
    return {};
  }
  if (!content.is_array()) {
    return invalid_type(path, "a string or an array of text parts");
  }
  const boost::json::array& parts = content.get_array();
  for (size_t j = 0; j < parts.size(); ++j) {
    const std::string part_path = index_path(path, j);
    const boost::json::object* part = parts[j].if_object();
    if (part == nullptr) {
      return invalid_type(part_path, "an object");
    }
    auto type = string_member(*part, "type", part_path);
    if (!type) {
      return std::unexpected(std::move(type.error()));
    }
    if (*type == "refusal" && assistant) {
      continue;
    }
    if (*type != "text") {
      return invalid_value(key_path(part_path, "type"), "only text parts are allowed here.");
    }
    auto text = string_member(*part, "text", part_path);
    if (!text) {
      return std::unexpected(std::move(text.error()));
    }
    out.push_back(text_part(*text));
  }
  return {};
}

// An image_url part: {url, detail}; a data: URL is split into media type and base64 data.
Result<Part> decode_image(const boost::json::object& part, const std::string& part_path) {
  const std::string path = key_path(part_path, "image_url");
  const boost::json::value* image = present(part, "image_url");
  if (image == nullptr) {
    return missing(path);
  }
  const boost::json::object* object = image->if_object();
  if (object == nullptr) {
    return invalid_type(path, "an object");
  }
  auto url = string_member(*object, "url", path);
  if (!url) {
    return std::unexpected(std::move(url.error()));
  }
  Part out{.kind = PartKind::kImage};
  if (url->starts_with("data:")) {
    const size_t marker = url->find(kBase64Marker);
    if (marker == std::string_view::npos || marker == 5) {
      return invalid_value(key_path(path, "url"), "expected a base64 data URL with a media type.");
    }
    out.image.media_type = url->substr(5, marker - 5);
    out.image.data = url->substr(marker + kBase64Marker.size());
  } else if (url->starts_with("https://") || url->starts_with("http://")) {
    out.image.url = *url;
  } else {
    return invalid_value(key_path(path, "url"), "expected an http(s) URL or a data URL.");
  }
  if (const boost::json::value* detail = present(*object, "detail"); detail != nullptr) {
    if (!detail->is_string()) {
      return invalid_type(key_path(path, "detail"), "a string");
    }
    out.image.detail = detail->get_string();
  }
  return out;
}

Result<void> decode_user_content(const boost::json::value& content, const std::string& path,
                                 std::vector<Part>& out) {
  if (content.is_string()) {
    out.push_back(text_part(content.get_string()));
    return {};
  }
  if (!content.is_array()) {
    return invalid_type(path, "a string or an array of content parts");
  }
  const boost::json::array& parts = content.get_array();
  for (size_t j = 0; j < parts.size(); ++j) {
    const std::string part_path = index_path(path, j);
    const boost::json::object* part = parts[j].if_object();
    if (part == nullptr) {
      return invalid_type(part_path, "an object");
    }
    auto type = string_member(*part, "type", part_path);
    if (!type) {
      return std::unexpected(std::move(type.error()));
    }
    if (*type == "text") {
      auto text = string_member(*part, "text", part_path);
      if (!text) {
        return std::unexpected(std::move(text.error()));
      }
      out.push_back(text_part(*text));
    } else if (*type == "image_url") {
      auto image = decode_image(*part, part_path);
      if (!image) {
        return std::unexpected(std::move(image.error()));
      }
      out.push_back(std::move(*image));
    } else {  // input_audio, file, and what comes next: Nexus does not translate them
      return invalid_value(key_path(part_path, "type"),
                           "Nexus translates text and image_url parts only.");
    }
  }
  return {};
}

Result<void> decode_tool_calls(const boost::json::value& value, const std::string& path,
                               std::vector<Part>& out) {
  const boost::json::array* calls = value.if_array();
  if (calls == nullptr) {
    return invalid_type(path, "an array");
  }
  for (size_t k = 0; k < calls->size(); ++k) {
    const std::string call_path = index_path(path, k);
    const boost::json::object* call = (*calls)[k].if_object();
    if (call == nullptr) {
      return invalid_type(call_path, "an object");
    }
    const boost::json::value* type = present(*call, "type");
    if (type != nullptr && !(type->is_string() && type->get_string() == "function")) {
      return invalid_value(key_path(call_path, "type"), "only function tool calls are supported.");
    }
    auto id = string_member(*call, "id", call_path);
    const std::string function_path = key_path(call_path, "function");
    const boost::json::value* function_value = present(*call, "function");
    const boost::json::object* function =
        function_value != nullptr ? function_value->if_object() : nullptr;
    if (!id || function == nullptr) {
      return !id ? std::unexpected(std::move(id.error())) : missing(function_path);
    }
    auto name = string_member(*function, "name", function_path);
    if (!name) {
      return std::unexpected(std::move(name.error()));
    }
    const boost::json::value* arguments = present(*function, "arguments");
    if (arguments != nullptr && !arguments->is_string()) {
      return invalid_type(key_path(function_path, "arguments"), "a string");
    }
    out.push_back({.kind = PartKind::kToolCall,
                   .text = arguments != nullptr ? std::string(arguments->get_string()) : "",
                   .id = std::string(*id),
                   .name = std::string(*name)});
  }
  return {};
}

// Reasoning (DeepSeek's reasoning_content, OpenRouter's reasoning), text, then tool calls.
Result<void> decode_assistant(const boost::json::object& json, const std::string& path,
                              llm::Message& message) {
  for (const char* key : {"reasoning_content", "reasoning"}) {
    if (const boost::json::value* reasoning = present(json, key); reasoning != nullptr) {
      if (!reasoning->is_string()) {
        return invalid_type(key_path(path, key), "a string");
      }
      if (!reasoning->get_string().empty()) {
        message.parts.push_back(
            {.kind = PartKind::kReasoning, .text = std::string(reasoning->get_string())});
        break;
      }
    }
  }
  if (const boost::json::value* content = present(json, "content"); content != nullptr) {
    if (auto decoded =
            decode_text_content(*content, key_path(path, "content"), true, message.parts);
        !decoded) {
      return decoded;
    }
  }
  if (const boost::json::value* calls = present(json, "tool_calls"); calls != nullptr) {
    return decode_tool_calls(*calls, key_path(path, "tool_calls"), message.parts);
  }
  return {};
}

Result<void> decode_tool_result(const boost::json::object& json, const std::string& path,
                                llm::Message& message) {
  auto id = string_member(json, "tool_call_id", path);
  if (!id) {
    return std::unexpected(std::move(id.error()));
  }
  Part result{.kind = PartKind::kToolResult, .id = std::string(*id)};
  const boost::json::value* content = present(json, "content");
  if (content == nullptr) {
    return missing(key_path(path, "content"));
  }
  if (auto decoded =
          decode_text_content(*content, key_path(path, "content"), false, result.content);
      !decoded) {
    return decoded;
  }
  message.parts.push_back(std::move(result));
  return {};
}

// Message fields that change what the model is asked and that Nexus cannot carry.
Result<void> refuse_untranslatable(const boost::json::object& json, const std::string& path) {
  for (const char* key : {"function_call", "audio"}) {
    if (present(json, key) != nullptr) {
      std::string message = "Nexus does not translate '";
      message += key;
      message += "' in messages.";
      return bad_request(key_path(path, key), std::move(message));
    }
  }
  // Mistral's prefix: the answer continues this assistant message; false is the default.
  if (const boost::json::value* prefix = present(json, "prefix");
      prefix != nullptr && !(prefix->is_bool() && !prefix->get_bool())) {
    return bad_request(key_path(path, "prefix"), "Nexus does not translate 'prefix'.");
  }
  return {};
}

Result<void> decode_message(const boost::json::object& json, const std::string& path,
                            llm::Request& request) {
  auto role = string_member(json, "role", path);
  if (!role) {
    return std::unexpected(std::move(role.error()));
  }
  if (auto refused = refuse_untranslatable(json, path); !refused) {
    return refused;
  }
  const boost::json::value* content = present(json, "content");
  const std::string content_path = key_path(path, "content");
  if (*role == "system" || *role == "developer") {
    if (content == nullptr) {
      return missing(content_path);
    }
    return decode_text_content(*content, content_path, false, request.system);
  }
  llm::Message message;
  if (const boost::json::value* name = present(json, "name"); name != nullptr) {
    if (!name->is_string()) {
      return invalid_type(key_path(path, "name"), "a string");
    }
    message.name = name->get_string();
  }
  Result<void> decoded;
  if (*role == "user") {
    decoded = content == nullptr ? missing(content_path)
                                 : decode_user_content(*content, content_path, message.parts);
  } else if (*role == "assistant") {
    message.role = llm::Role::kAssistant;
    decoded = decode_assistant(json, path, message);
  } else if (*role == "tool") {
    decoded = decode_tool_result(json, path, message);
  } else {  // "function" (the legacy tool result) and unknown roles
    return invalid_value(key_path(path, "role"),
                         "expected system, developer, user, assistant or tool.");
  }
  if (!decoded) {
    return decoded;
  }
  request.messages.push_back(std::move(message));
  return {};
}

}  // namespace

Result<void> decode_messages(const boost::json::array& messages, llm::Request& request) {
  request.messages.reserve(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string path = index_path("messages", i);
    const boost::json::object* message = messages[i].if_object();
    if (message == nullptr) {
      return invalid_type(path, "an object");
    }
    if (auto decoded = decode_message(*message, path, request); !decoded) {
      return decoded;
    }
  }
  return {};
}

}  // namespace nexus::dialects::openai::detail
