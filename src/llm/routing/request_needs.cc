#include "llm/routing/request_needs.h"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "llm/routing/token_estimate.h"

namespace nexus::llm::routing {
namespace {

void count_parts(const std::vector<Part>& parts, TokenTally& tally) {
  for (const Part& part : parts) {
    tally.add_text(part.text);
    count_parts(part.content, tally);
  }
}

uint32_t count_images(const std::vector<Part>& parts) {
  uint32_t images = 0;
  for (const Part& part : parts) {
    images += (part.kind == PartKind::kImage ? 1 : 0) + count_images(part.content);
  }
  return images;
}

// Content parts whose tokens are not in their text: images, documents (PDF), audio.
bool is_media(std::string_view kind) {
  return kind == "image_url" || kind == "image" || kind == "document" || kind == "file" ||
         kind == "input_audio";
}

// The text of a JSON message's content (a string or a list of parts), and whether it holds
// an image; tool results nest content the same way.
void scan_content(const boost::json::value& content, RequestNeeds& needs, TokenTally& tally) {
  if (const auto* text = content.if_string()) {
    tally.add_text(*text);
    return;
  }
  const auto* parts = content.if_array();
  if (parts == nullptr) {
    return;
  }
  for (const boost::json::value& part : *parts) {
    const auto* object = part.if_object();
    if (object == nullptr) {
      continue;
    }
    if (const auto* type = object->if_contains("type"); type != nullptr && type->is_string()) {
      const std::string_view kind = type->get_string();
      needs.vision = needs.vision || kind == "image_url" || kind == "image";
      if (is_media(kind)) {
        ++needs.media;
        tally.add_media();
      }
    }
    if (const auto* text = object->if_contains("text")) {
      scan_content(*text, needs, tally);
    }
    if (const auto* nested = object->if_contains("content")) {
      scan_content(*nested, needs, tally);
    }
  }
}

uint64_t integer_or_zero(const boost::json::object& body, std::string_view key) {
  const auto* value = body.if_contains(key);
  if (value == nullptr) {
    return 0;
  }
  if (const auto* number = value->if_uint64()) {
    return *number;
  }
  if (const auto* number = value->if_int64(); number != nullptr && *number > 0) {
    return static_cast<uint64_t>(*number);
  }
  return 0;
}

}  // namespace

RequestNeeds needs_of(const Request& request) {
  RequestNeeds needs{
      .max_output = request.max_tokens.value_or(0),
      .stream = request.stream,
      .tools = !request.tools.empty(),
      .json_schema = request.response_format.kind == ResponseFormat::Kind::kJsonSchema};
  TokenTally tally;
  tally.add_message();  // priming the reply
  count_parts(request.system, tally);
  for (const Message& message : request.messages) {
    tally.add_message();
    count_parts(message.parts, tally);
    const uint32_t images = count_images(message.parts);
    needs.vision = needs.vision || images > 0;
    needs.media += images;
    for (uint32_t i = 0; i < images; ++i) {
      tally.add_media();
    }
  }
  for (const Tool& tool : request.tools) {
    tally.add_text(tool.name);
    tally.add_text(tool.description);
    tally.add_json(tool.parameters);
  }
  needs.prompt_tokens = tally.tokens();
  return needs;
}

RequestNeeds needs_of(const boost::json::object& body, bool anthropic) {
  RequestNeeds needs;
  TokenTally tally;
  tally.add_message();  // priming the reply
  if (const auto* stream = body.if_contains("stream"); stream != nullptr && stream->is_bool()) {
    needs.stream = stream->get_bool();
  }
  needs.max_output = integer_or_zero(body, anthropic ? "max_tokens" : "max_completion_tokens");
  if (needs.max_output == 0 && !anthropic) {
    needs.max_output = integer_or_zero(body, "max_tokens");
  }
  if (const auto* tools = body.if_contains("tools"); tools != nullptr && tools->is_array()) {
    needs.tools = !tools->get_array().empty();
    tally.add_json(*tools);  // names, descriptions and parameter schemas are prompt too
  }
  if (const auto* format = body.if_contains("response_format"); format != nullptr) {
    const auto* object = format->if_object();
    const auto* type = object != nullptr ? object->if_contains("type") : nullptr;
    needs.json_schema = type != nullptr && type->is_string() && type->get_string() == "json_schema";
  }
  if (const auto* system = body.if_contains("system")) {
    scan_content(*system, needs, tally);
  }
  if (const auto* messages = body.if_contains("messages");
      messages != nullptr && messages->is_array()) {
    for (const boost::json::value& message : messages->get_array()) {
      if (const auto* object = message.if_object()) {
        tally.add_message();
        if (const auto* content = object->if_contains("content")) {
          scan_content(*content, needs, tally);
        }
      }
    }
  }
  needs.prompt_tokens = tally.tokens();
  return needs;
}

bool too_long(const config::Capabilities& can, const RequestNeeds& needs) {
  return can.context_window != 0 && needs.prompt_tokens + needs.max_output > can.context_window;
}

std::string lacks(const config::Capabilities& can, const RequestNeeds& needs) {
  if (too_long(can, needs)) {
    return "a context window of " + std::to_string(can.context_window) +
           " tokens (the request needs about " +
           std::to_string(needs.prompt_tokens + needs.max_output) + ")";
  }
  if (needs.tools && !can.tools) {
    return "tools";
  }
  if (needs.vision && !can.vision) {
    return "images";
  }
  if (needs.json_schema && !can.json_schema) {
    return "JSON schema output";
  }
  return {};
}

}  // namespace nexus::llm::routing
