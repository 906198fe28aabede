#include "providers/gemini/request_encoder.h"

#include <array>
#include <boost/json.hpp>
#include <string>
#include <unordered_map>
#include <utility>

#include "providers/gemini/request_config.h"
#include "providers/gemini/tool_call_id.h"

namespace nexus::providers::gemini {
namespace {

using detail::refused;
using llm::Part;
using llm::PartKind;

// The media types Gemini takes for images, by a URL's extension.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kImageTypes = {{
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"webp", "image/webp"},
    {"gif", "image/gif"},
    {"heic", "image/heic"},
    {"heif", "image/heif"},
}};

std::string_view media_type_of(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const size_t dot = url.rfind('.');
  if (dot == std::string_view::npos || url.find('/', dot) != std::string_view::npos) {
    return {};
  }
  std::string extension(url.substr(dot + 1));
  for (char& c : extension) {
    c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  for (const auto& [known, type] : kImageTypes) {
    if (extension == known) {
      return type;
    }
  }
  return {};
}

class ContentsEncoder {
 public:
  explicit ContentsEncoder(const EncodeOptions& options) : options_(options) {}

  Result<void> add(const llm::Message& message);
  boost::json::array take() { return std::move(contents_); }

 private:
  Result<void> user_part(const Part& part, boost::json::array& parts);
  Result<void> model_part(const Part& part, std::string_view& signature, boost::json::array& parts);
  Result<void> image(const llm::Image& image, boost::json::array& parts) const;

  const EncodeOptions& options_;
  boost::json::array contents_;
  llm::Role last_role_ = llm::Role::kUser;
  std::unordered_map<std::string_view, std::string_view> call_names_;  // IR id -> function
};

Result<void> ContentsEncoder::add(const llm::Message& message) {
  boost::json::array parts;
  std::string_view signature;  // of a reasoning part, for the function call after it
  for (const Part& part : message.parts) {
    auto added = message.role == llm::Role::kUser ? user_part(part, parts)
                                                  : model_part(part, signature, parts);
    if (!added) {
      return added;
    }
  }
  if (parts.empty()) {
    return {};
  }
  if (!contents_.empty() && last_role_ == message.role) {
    boost::json::array& last = contents_.back().as_object()["parts"].as_array();
    for (boost::json::value& part : parts) {
      last.push_back(std::move(part));
    }
    return {};
  }
  contents_.push_back(boost::json::object{
      {"role", message.role == llm::Role::kUser ? "user" : "model"}, {"parts", std::move(parts)}});
  last_role_ = message.role;
  return {};
}

Result<void> ContentsEncoder::image(const llm::Image& image, boost::json::array& parts) const {
  if (image.url.empty()) {
    parts.push_back(boost::json::object{
        {"inlineData", {{"mimeType", image.media_type}, {"data", image.data}}}});
    return {};
  }
  const std::string_view url = image.url;
  const bool fetchable =
      url.starts_with("https://") || url.starts_with("http://") || url.starts_with("gs://");
  const std::string_view type = image.media_type.empty() ? media_type_of(url) : image.media_type;
  if (!fetchable || type.empty()) {
    if (options_.drop_unsupported_params) {
      return {};
    }
    return refused("messages",
                   "Gemini takes image URLs over http(s) or gs:// whose type the extension tells "
                   "(png, jpeg, webp, gif, heic, heif); send other images as data: URLs.");
  }
  parts.push_back(boost::json::object{{"fileData", {{"mimeType", type}, {"fileUri", url}}}});
  return {};
}

Result<void> ContentsEncoder::user_part(const Part& part, boost::json::array& parts) {
  switch (part.kind) {
    case PartKind::kText:
      if (!part.text.empty()) {
        parts.push_back(boost::json::object{{"text", part.text}});
      }
      return {};
    case PartKind::kImage:
      return image(part.image, parts);
    case PartKind::kToolResult:
      break;
    default:
      return {};  // reasoning or tool calls in a user message: not something a user says
  }
  const auto call = call_names_.find(part.id);
  if (call == call_names_.end()) {
    return refused("messages", "A tool result answers no earlier tool call with its id.");
  }
  std::string text;
  for (const Part& piece : part.content) {
    if (piece.kind == PartKind::kText) {
      text += text.empty() ? "" : "\n";
      text += piece.text;
    }
  }
  boost::json::object response{{"name", call->second},
                               {"response", {{part.is_error ? "error" : "output", text}}}};
  if (const std::string_view id = split_tool_call_id(part.id).id; !id.empty()) {
    response["id"] = id;
  }
  parts.push_back(boost::json::object{{"functionResponse", std::move(response)}});
  for (const Part& piece : part.content) {  // a result's images, as parts of the same turn
    if (piece.kind == PartKind::kImage) {
      if (auto added = image(piece.image, parts); !added) {
        return added;
      }
    }
  }
  return {};
}

Result<void> ContentsEncoder::model_part(const Part& part, std::string_view& signature,
                                         boost::json::array& parts) {
  if (part.kind == PartKind::kText && !part.text.empty()) {
    parts.push_back(boost::json::object{{"text", part.text}});
  } else if (part.kind == PartKind::kReasoning && !part.signature.empty()) {
    signature = part.signature;
  }
  if (part.kind != PartKind::kToolCall) {
    return {};
  }
  boost::system::error_code ec;
  boost::json::value args =
      part.text.empty() ? boost::json::object() : boost::json::parse(part.text, ec);
  if (ec || !args.is_object()) {
    if (!options_.drop_unsupported_params) {
      return refused("messages", "Gemini takes a function call's arguments as a JSON object.");
    }
    args = boost::json::object();
  }
  const ToolCallId id = split_tool_call_id(part.id);
  boost::json::object call{{"name", part.name}, {"args", std::move(args)}};
  if (!id.id.empty()) {
    call["id"] = id.id;
  }
  boost::json::object encoded{{"functionCall", std::move(call)}};
  // A reasoning part's signature belongs to the first call after it, whether or not that call
  // carries its own.
  const std::string_view pending = std::exchange(signature, {});
  std::string_view own = !id.signature.empty() ? id.signature : std::string_view(part.signature);
  if (own.empty()) {
    own = pending;
  }
  if (!own.empty()) {
    encoded["thoughtSignature"] = own;
  }
  parts.push_back(std::move(encoded));
  call_names_[part.id] = part.name;
  return {};
}

}  // namespace

Result<void> encode_request(const llm::Request& request, const EncodeOptions& options,
                            std::string& body) {
  boost::json::object json;
  ContentsEncoder contents(options);
  for (const llm::Message& message : request.messages) {
    if (auto added = contents.add(message); !added) {
      return added;
    }
  }
  json["contents"] = contents.take();
  boost::json::array system;
  for (const Part& part : request.system) {
    if (part.kind == PartKind::kText && !part.text.empty()) {
      system.push_back(boost::json::object{{"text", part.text}});
    }
  }
  if (!system.empty()) {
    json["systemInstruction"] = {{"parts", std::move(system)}};
  }
  if (auto tools = detail::encode_tools(request, options, json); !tools) {
    return tools;
  }
  if (auto config = detail::encode_generation_config(request, json); !config) {
    return config;
  }
  body += boost::json::serialize(json);
  return {};
}

}  // namespace nexus::providers::gemini
