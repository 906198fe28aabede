#include "providers/cohere/request_encoder.h"

#include <algorithm>
#include <boost/json.hpp>
#include <string>
#include <vector>

#include "llm/ir/reasoning_effort.h"
#include "providers/openai/chat_body.h"

namespace nexus::providers::cohere {
namespace {

using llm::Part;
using llm::PartKind;

std::unexpected<Error> unsupported(std::string param, std::string message) {
  return std::unexpected<Error>(std::in_place, ErrorCode::kBadRequest, std::move(message),
                                std::move(param));
}

boost::json::object text_part(std::string_view text) { return {{"type", "text"}, {"text", text}}; }

class Encoder {
 public:
  Encoder(const llm::Request& request, const EncodeOptions& options)
      : request_(request), options_(options) {}

  Result<void> messages(boost::json::array& out) const;
  Result<void> tools(boost::json::object& body) const;
  Result<void> sampling(boost::json::object& body) const;
  Result<void> thinking(boost::json::object& body) const;

 private:
  static void assistant_message(const llm::Message& message, boost::json::array& out);

  const llm::Request& request_;
  const EncodeOptions& options_;
};

Result<void> Encoder::messages(boost::json::array& out) const {
  if (!request_.system.empty()) {
    std::vector<const Part*> parts;
    parts.reserve(request_.system.size());
    for (const Part& part : request_.system) {
      parts.push_back(&part);
    }
    out.push_back(
        boost::json::object{{"role", "system"}, {"content", openai::message_content(parts)}});
  }
  for (const llm::Message& message : request_.messages) {
    if (message.role == llm::Role::kAssistant) {
      assistant_message(message, out);
    } else if (auto encoded = openai::append_user_message(message, options_.drop_unsupported_params,
                                                          "Cohere's", /*with_name=*/false, out);
               !encoded) {
      return encoded;
    }
  }
  return {};
}

void Encoder::assistant_message(const llm::Message& message, boost::json::array& out) {
  std::string text;
  boost::json::array thinking;
  boost::json::array calls;
  for (const Part& part : message.parts) {
    if (part.kind == PartKind::kText) {
      text += part.text;
    } else if (part.kind == PartKind::kReasoning && !part.text.empty()) {
      thinking.push_back(boost::json::object{{"type", "thinking"}, {"thinking", part.text}});
    } else if (part.kind == PartKind::kToolCall) {
      calls.push_back(boost::json::object{
          {"id", part.id},
          {"type", "function"},
          {"function",
           {{"name", part.name}, {"arguments", part.text.empty() ? "{}" : part.text}}}});
    }
  }
  boost::json::object assistant{{"role", "assistant"}};
  if (!calls.empty()) {
    if (!text.empty()) {
      assistant["tool_plan"] = text;
    }
    if (!thinking.empty()) {
      assistant["content"] = std::move(thinking);
    }
    assistant["tool_calls"] = std::move(calls);
  } else if (thinking.empty()) {
    assistant["content"] = text;
  } else {
    if (!text.empty()) {
      thinking.push_back(text_part(text));
    }
    assistant["content"] = std::move(thinking);
  }
  out.push_back(std::move(assistant));
}

Result<void> Encoder::tools(boost::json::object& body) const {
  using Mode = llm::ToolChoice::Mode;
  const llm::ToolChoice& choice = request_.tool_choice;
  if (choice.mode == Mode::kTool &&
      std::ranges::none_of(request_.tools,
                           [&](const llm::Tool& tool) { return tool.name == choice.name; })) {
    return unsupported("tool_choice", "tool_choice names a function that is not among the tools.");
  }
  boost::json::array tools;
  bool strict = false;
  for (const llm::Tool& tool : request_.tools) {
    // Cohere cannot name the tool to call: REQUIRED with that tool alone says the same.
    if (choice.mode == Mode::kTool && tool.name != choice.name) {
      continue;
    }
    strict = strict || tool.strict.value_or(false);
    tools.push_back(openai::function_tool(tool, /*with_strict=*/false));
  }
  if (!tools.empty()) {
    body["tools"] = std::move(tools);
  }
  if (strict) {
    body["strict_tools"] = true;
  }
  if (choice.mode == Mode::kNone) {
    body["tool_choice"] = "NONE";
  } else if (choice.mode == Mode::kRequired || choice.mode == Mode::kTool) {
    body["tool_choice"] = "REQUIRED";
  }
  if (!request_.parallel_tool_calls.value_or(true) && !options_.drop_unsupported_params) {
    return unsupported("parallel_tool_calls",
                       "Cohere cannot be kept from making parallel tool calls.");
  }
  return {};
}

Result<void> Encoder::sampling(boost::json::object& body) const {
  const llm::Request& r = request_;
  if (!options_.drop_unsupported_params) {
    if (r.n && *r.n > 1) {
      return unsupported("n", "Cohere generates one choice per request (n must be 1).");
    }
    if (r.top_logprobs) {
      return unsupported("top_logprobs", "Cohere takes no top_logprobs.");
    }
  }
  if (r.max_tokens) {
    body["max_tokens"] = *r.max_tokens;
  }
  for (const auto& [key, value] : {std::pair{"temperature", r.temperature},
                                   {"p", r.top_p},
                                   {"frequency_penalty", r.frequency_penalty},
                                   {"presence_penalty", r.presence_penalty}}) {
    if (value) {
      body[key] = openai::json_number(*value);
    }
  }
  if (r.top_k) {
    body["k"] = *r.top_k;
  }
  if (!r.stop.empty()) {
    boost::json::array stop;
    for (const std::string& word : r.stop) {
      stop.emplace_back(word);
    }
    body["stop_sequences"] = std::move(stop);
  }
  if (r.seed) {
    body["seed"] = *r.seed;
  }
  if (r.logprobs.value_or(false)) {
    body["logprobs"] = true;
  }
  return {};
}

Result<void> Encoder::thinking(boost::json::object& body) const {
  const llm::Request& r = request_;
  if (r.thinking_budget) {
    body["thinking"] = {{"type", "enabled"}, {"token_budget", *r.thinking_budget}};
    return {};
  }
  const std::string_view effort = r.reasoning_effort;
  if (effort.empty()) {
    return {};
  }
  if (effort == "none" || effort == "minimal") {
    body["thinking"] = {{"type", "disabled"}};
  } else if (effort == "low") {
    body["thinking"] = {{"type", "enabled"}, {"token_budget", llm::kLowEffortBudget}};
  } else if (effort == "medium") {
    body["thinking"] = {{"type", "enabled"}, {"token_budget", llm::kMediumEffortBudget}};
  } else if (effort == "high") {
    body["thinking"] = {{"type", "enabled"}};
  } else if (!options_.drop_unsupported_params) {
    return unsupported("reasoning_effort",
                       "reasoning_effort not translated for Cohere (none, minimal, low, medium, "
                       "high).");
  }
  return {};
}

void response_format(const llm::ResponseFormat& format, boost::json::object& body) {
  using Kind = llm::ResponseFormat::Kind;
  switch (format.kind) {
    case Kind::kUnset:
      break;
    case Kind::kText:
      body["response_format"] = {{"type", "text"}};
      break;
    case Kind::kJsonObject:
      body["response_format"] = {{"type", "json_object"}};
      break;
    case Kind::kJsonSchema: {
      boost::json::object json{{"type", "json_object"}};
      if (!format.schema.is_null()) {
        json["json_schema"] = format.schema;
      }
      body["response_format"] = std::move(json);
      break;
    }
  }
}

}  // namespace

Result<void> encode_request(const llm::Request& request, const EncodeOptions& options,
                            std::string& body) {
  const Encoder encoder(request, options);
  boost::json::object json;
  json["model"] = options.model.empty() ? std::string_view(request.model) : options.model;
  boost::json::array messages;
  if (auto encoded = encoder.messages(messages); !encoded) {
    return encoded;
  }
  json["messages"] = std::move(messages);
  for (auto step : {&Encoder::tools, &Encoder::sampling, &Encoder::thinking}) {
    if (auto encoded = (encoder.*step)(json); !encoded) {
      return encoded;
    }
  }
  response_format(request.response_format, json);
  json["stream"] = request.stream;
  body += boost::json::serialize(json);
  return {};
}

}  // namespace nexus::providers::cohere
