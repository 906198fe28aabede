#include "llm/dialects/anthropic/messages_request.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <ranges>
#include <string>

#include "llm/dialects/anthropic/messages_content.h"
#include "llm/dialects/anthropic/request_fields.h"

namespace nexus::dialects::anthropic {
namespace {

using detail::at;
using detail::bad_request;
using detail::present;

// Top-level fields Nexus translates.
constexpr std::array<std::string_view, 14> kKnownFields = {
    "model",       "max_tokens", "messages",       "system",       "tools",
    "tool_choice", "thinking",   "stop_sequences", "temperature",  "top_p",
    "top_k",       "stream",     "metadata",       "cache_control"};

// Fields dropped without a word because no upstream's answer depends on them: service_tier
// only asks Anthropic for a capacity tier (Nexus picks the upstream itself).
constexpr std::array<std::string_view, 1> kIgnoredFields = {"service_tier"};

// Fields of a custom tool.
constexpr std::array<std::string_view, 6> kToolFields = {
    "name", "description", "input_schema", "cache_control", "type", "strict"};

Result<llm::Tool> decode_tool(const boost::json::value& value, std::string_view path) {
  const boost::json::object* tool = value.if_object();
  if (tool == nullptr) {
    return bad_request(std::string(path), "Input should be an object");
  }
  // Server tools (web_search_*, code_execution_*, tool_search_*, ...) run inside Anthropic:
  // no other upstream can run them, and Nexus does not translate their result blocks.
  auto type = detail::optional_string(*tool, "type", at(path, "type"));
  if (!type) {
    return std::unexpected(std::move(type.error()));
  }
  if (!type->empty() && *type != "custom") {
    std::string what = "server tool type '";
    what += *type;
    what += "' is not translated by Nexus";
    return bad_request(at(path, "type"), what);
  }
  for (const auto& field : *tool) {
    const std::string_view key = field.key();
    if (std::ranges::find(kToolFields, key) == kToolFields.end()) {
      return bad_request(at(path, key), "tool field not translated by Nexus");
    }
  }
  auto name = detail::required_string(*tool, "name", at(path, "name"));
  auto description =
      name ? detail::optional_string(*tool, "description", at(path, "description")) : name;
  if (!description) {
    return std::unexpected(std::move(description.error()));
  }
  const boost::json::value* schema = present(*tool, "input_schema");
  if (schema == nullptr || !schema->is_object()) {
    return bad_request(at(path, "input_schema"),
                       schema == nullptr ? "Field required" : "Input should be an object");
  }
  llm::Tool decoded{
      .name = std::move(*name), .description = std::move(*description), .parameters = *schema};
  if (const boost::json::value* strict = present(*tool, "strict"); strict != nullptr) {
    if (!strict->is_bool()) {
      return bad_request(at(path, "strict"), "Input should be a valid boolean");
    }
    decoded.strict = strict->get_bool();
  }
  auto marker = detail::cache_control(*tool, path);
  if (!marker) {
    return std::unexpected(std::move(marker.error()));
  }
  decoded.cache_control = std::move(*marker);
  return decoded;
}

Result<void> decode_tools(const boost::json::value& tools, llm::Request& request) {
  if (!tools.is_array()) {
    return bad_request("tools", "Input should be a valid list");
  }
  for (size_t i = 0; i < tools.get_array().size(); ++i) {
    auto tool = decode_tool(tools.get_array()[i], at("tools", i));
    if (!tool) {
      return std::unexpected(std::move(tool.error()));
    }
    request.tools.push_back(std::move(*tool));
  }
  return {};
}

Result<void> decode_tool_choice(const boost::json::value& value, llm::Request& request) {
  const boost::json::object* choice = value.if_object();
  if (choice == nullptr) {
    return bad_request("tool_choice", "Input should be an object");
  }
  auto type = detail::required_string(*choice, "type", "tool_choice.type");
  if (!type) {
    return std::unexpected(std::move(type.error()));
  }
  using Mode = llm::ToolChoice::Mode;
  if (*type == "auto") {
    request.tool_choice.mode = Mode::kAuto;
  } else if (*type == "any") {
    request.tool_choice.mode = Mode::kRequired;
  } else if (*type == "none") {
    request.tool_choice.mode = Mode::kNone;
  } else if (*type == "tool") {
    auto name = detail::required_string(*choice, "name", "tool_choice.name");
    if (!name) {
      return std::unexpected(std::move(name.error()));
    }
    request.tool_choice = {.mode = Mode::kTool, .name = std::move(*name)};
  } else {
    return bad_request("tool_choice.type", "Input should be 'auto', 'any', 'tool' or 'none'");
  }
  auto serial = detail::optional_bool(*choice, "disable_parallel_tool_use",
                                      "tool_choice.disable_parallel_tool_use");
  if (!serial) {
    return std::unexpected(std::move(serial.error()));
  }
  if (*serial) {
    request.parallel_tool_calls = false;
  }
  return {};
}

Result<void> decode_thinking(const boost::json::value& value, llm::Request& request) {
  const boost::json::object* thinking = value.if_object();
  if (thinking == nullptr) {
    return bad_request("thinking", "Input should be an object");
  }
  auto type = detail::required_string(*thinking, "type", "thinking.type");
  if (!type) {
    return std::unexpected(std::move(type.error()));
  }
  if (*type == "disabled") {
    return {};
  }
  if (*type != "enabled") {  // "adaptive" has no counterpart in the other dialect
    return bad_request("thinking.type",
                       "thinking type not translated by Nexus (enabled, disabled)");
  }
  auto budget = detail::optional_count(*thinking, "budget_tokens", "thinking.budget_tokens");
  if (!budget) {
    return std::unexpected(std::move(budget.error()));
  }
  if (!*budget) {
    return bad_request("thinking.budget_tokens", "Field required");
  }
  request.thinking_budget = *budget;
  return {};
}

Result<void> decode_stop_sequences(const boost::json::value& value, llm::Request& request) {
  if (!value.is_array()) {
    return bad_request("stop_sequences", "Input should be a valid list");
  }
  for (size_t i = 0; i < value.get_array().size(); ++i) {
    const boost::json::value& stop = value.get_array()[i];
    if (!stop.is_string()) {
      return bad_request(at("stop_sequences", i), "Input should be a valid string");
    }
    request.stop.emplace_back(stop.get_string());
  }
  return {};
}

Result<void> decode_metadata(const boost::json::value& value, llm::Request& request) {
  const boost::json::object* metadata = value.if_object();
  if (metadata == nullptr) {
    return bad_request("metadata", "Input should be an object");
  }
  auto user = detail::optional_string(*metadata, "user_id", "metadata.user_id");
  if (!user) {
    return std::unexpected(std::move(user.error()));
  }
  request.user = std::move(*user);
  return {};
}

// The request-level cache_control asks Anthropic to mark the last cacheable block itself; the
// IR has markers on blocks only, so it lands on that block (thinking blocks are not cacheable).
void mark_last_block(const boost::json::value& marker, llm::Request& request) {
  for (llm::Message& message : std::views::reverse(request.messages)) {
    for (llm::Part& part : std::views::reverse(message.parts)) {
      if (part.kind != llm::PartKind::kReasoning &&
          part.kind != llm::PartKind::kRedactedReasoning) {
        if (part.cache_control.is_null()) {
          part.cache_control = marker;
        }
        return;
      }
    }
  }
}

// The scalar parameters.
Result<void> decode_sampling(const boost::json::object& json, llm::Request& request) {
  auto max_tokens = detail::optional_count(json, "max_tokens", "max_tokens");
  if (!max_tokens) {
    return std::unexpected(std::move(max_tokens.error()));
  }
  if (!*max_tokens) {
    return bad_request("max_tokens", "Field required");
  }
  request.max_tokens = *max_tokens;
  auto temperature = detail::optional_number(json, "temperature", "temperature");
  auto top_p = temperature ? detail::optional_number(json, "top_p", "top_p") : temperature;
  if (!top_p) {
    return std::unexpected(std::move(top_p.error()));
  }
  request.temperature = *temperature;
  request.top_p = *top_p;
  auto top_k = detail::optional_count(json, "top_k", "top_k");
  if (!top_k) {
    return std::unexpected(std::move(top_k.error()));
  }
  request.top_k = *top_k;
  auto stream = detail::optional_bool(json, "stream", "stream");
  if (!stream) {
    return std::unexpected(std::move(stream.error()));
  }
  request.stream = *stream;
  request.include_usage = *stream;  // an Anthropic stream always ends with its usage
  return {};
}

// The object-valued parameters, each through its decoder when present.
Result<void> decode_structured(const boost::json::object& json, llm::Request& request) {
  using Decoder = Result<void> (*)(const boost::json::value&, llm::Request&);
  constexpr std::array<std::pair<std::string_view, Decoder>, 5> kDecoders = {{
      {"tools", decode_tools},
      {"tool_choice", decode_tool_choice},
      {"thinking", decode_thinking},
      {"stop_sequences", decode_stop_sequences},
      {"metadata", decode_metadata},
  }};
  for (const auto& [key, decode] : kDecoders) {
    if (const boost::json::value* value = present(json, key); value != nullptr) {
      if (auto decoded = decode(*value, request); !decoded) {
        return decoded;
      }
    }
  }
  return {};
}

}  // namespace

Result<llm::Request> decode_messages_request(std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    return std::unexpected<Error>(std::in_place, ErrorCode::kBadRequest,
                                  "the request body is not a JSON object");
  }
  const boost::json::object& json = parsed.get_object();
  for (const auto& field : json) {
    const std::string_view key = field.key();
    if (std::ranges::find(kKnownFields, key) == kKnownFields.end() &&
        std::ranges::find(kIgnoredFields, key) == kIgnoredFields.end()) {
      return bad_request(std::string(key), "parameter not translated by Nexus");
    }
  }
  llm::Request request;
  auto model = detail::required_string(json, "model", "model");
  if (!model) {
    return std::unexpected(std::move(model.error()));
  }
  request.model = std::move(*model);
  if (auto sampling = decode_sampling(json, request); !sampling) {
    return std::unexpected(std::move(sampling.error()));
  }
  const boost::json::value* messages = present(json, "messages");
  if (messages == nullptr) {
    return bad_request("messages", "Field required");
  }
  auto decoded = detail::decode_messages(*messages);
  if (!decoded) {
    return std::unexpected(std::move(decoded.error()));
  }
  request.messages = std::move(*decoded);
  if (const boost::json::value* system = present(json, "system"); system != nullptr) {
    auto parts = detail::decode_system(*system);
    if (!parts) {
      return std::unexpected(std::move(parts.error()));
    }
    request.system = std::move(*parts);
  }
  if (auto structured = decode_structured(json, request); !structured) {
    return std::unexpected(std::move(structured.error()));
  }
  auto marker = detail::cache_control(json, "");
  if (!marker) {
    return std::unexpected(std::move(marker.error()));
  }
  if (!marker->is_null()) {
    mark_last_block(*marker, request);
  }
  return request;
}

}  // namespace nexus::dialects::anthropic
