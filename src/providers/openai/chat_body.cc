#include "providers/openai/chat_body.h"

#include <cmath>
#include <string>

namespace nexus::providers::openai {
namespace {

using llm::Part;
using llm::PartKind;

boost::json::object image_part(const llm::Image& image) {
  std::string url = image.url;
  if (url.empty()) {
    url = "data:";
    url += image.media_type;
    url += ";base64,";
    url += image.data;
  }
  boost::json::object image_url{{"url", std::move(url)}};
  if (!image.detail.empty()) {
    image_url["detail"] = image.detail;
  }
  return {{"type", "image_url"}, {"image_url", std::move(image_url)}};
}

}  // namespace

boost::json::value json_number(double value) {
  constexpr double kExact = 9007199254740992.0;  // 2^53
  if (std::trunc(value) == value && std::fabs(value) < kExact) {
    return static_cast<int64_t>(value);
  }
  return value;
}

boost::json::value message_content(const std::vector<const Part*>& parts) {
  if (parts.size() == 1 && parts[0]->kind == PartKind::kText) {
    return boost::json::string(parts[0]->text);
  }
  boost::json::array array;
  for (const Part* part : parts) {
    if (part->kind == PartKind::kText) {
      array.push_back(boost::json::object{{"type", "text"}, {"text", part->text}});
    } else {
      array.push_back(image_part(part->image));
    }
  }
  return array;
}

Result<void> append_user_message(const llm::Message& message, bool drop_unsupported,
                                 std::string_view api, bool with_name, boost::json::array& out) {
  std::vector<const Part*> rest;
  for (const Part& part : message.parts) {
    if (part.kind == PartKind::kText || part.kind == PartKind::kImage) {
      rest.push_back(&part);
      continue;
    }
    if (part.kind != PartKind::kToolResult) {
      continue;  // reasoning or tool calls in a user message: not something a user says
    }
    std::vector<const Part*> texts;
    for (const Part& piece : part.content) {
      if (piece.kind == PartKind::kText) {
        texts.push_back(&piece);
      } else if (!drop_unsupported) {
        std::string why(api);
        why += " tool messages take text only, not images.";
        return std::unexpected<Error>(std::in_place, ErrorCode::kBadRequest, std::move(why),
                                      "messages");
      }
    }
    boost::json::object tool{{"role", "tool"}, {"tool_call_id", part.id}};
    tool["content"] =
        texts.empty() ? boost::json::value(boost::json::string()) : message_content(texts);
    out.push_back(std::move(tool));
  }
  if (!rest.empty()) {
    boost::json::object user{{"role", "user"}, {"content", message_content(rest)}};
    if (with_name && !message.name.empty()) {
      user["name"] = message.name;
    }
    out.push_back(std::move(user));
  }
  return {};
}

boost::json::object function_tool(const llm::Tool& tool, bool with_strict) {
  boost::json::object function{{"name", tool.name}};
  if (!tool.description.empty()) {
    function["description"] = tool.description;
  }
  if (!tool.parameters.is_null()) {
    function["parameters"] = tool.parameters;
  }
  if (with_strict && tool.strict) {
    function["strict"] = *tool.strict;
  }
  return {{"type", "function"}, {"function", std::move(function)}};
}

}  // namespace nexus::providers::openai
