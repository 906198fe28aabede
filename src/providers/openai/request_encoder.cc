#include "providers/openai/request_encoder.h"

#include <boost/json.hpp>
#include <string>

#include "llm/ir/reasoning_effort.h"
#include "providers/openai/chat_body.h"

namespace nexus::providers::openai {
namespace {

using llm::Part;
using llm::PartKind;

std::unexpected<Error> unsupported(std::string param, std::string message) {
  return std::unexpected<Error>(std::in_place, ErrorCode::kBadRequest, std::move(message),
                                std::move(param));
}

class Encoder {
 public:
  Encoder(const llm::Request& request, const EncodeOptions& options)
      : request_(request), options_(options) {}

  Result<void> messages(boost::json::array& out) const;
  void tools(boost::json::object& body) const;
  void sampling(boost::json::object& body) const;

 private:
  void assistant_message(const llm::Message& message, boost::json::array& out) const;

  const llm::Request& request_;
  const EncodeOptions& options_;
};

Result<void> Encoder::messages(boost::json::array& out) const {
  // One system message per system part: several system messages are what OpenAI clients send
  // (and what the IR folded), and plain strings are what every compatible server accepts.
  for (const Part& part : request_.system) {
    out.push_back(boost::json::object{{"role", "system"}, {"content", part.text}});
  }
  for (const llm::Message& message : request_.messages) {
    if (message.role == llm::Role::kAssistant) {
      assistant_message(message, out);
    } else if (auto encoded = append_user_message(message, options_.drop_unsupported_params,
                                                  "OpenAI-compatible", /*with_name=*/true, out);
               !encoded) {
      return encoded;
    }
  }
  return {};
}

void Encoder::assistant_message(const llm::Message& message, boost::json::array& out) const {
  std::string text;
  std::string reasoning;
  boost::json::array calls;
  for (const Part& part : message.parts) {
    if (part.kind == PartKind::kText) {
      text += part.text;
    } else if (part.kind == PartKind::kReasoning) {
      reasoning += part.text;
    } else if (part.kind == PartKind::kToolCall) {
      calls.push_back(boost::json::object{
          {"id", part.id},
          {"type", "function"},
          {"function",
           {{"name", part.name}, {"arguments", part.text.empty() ? "{}" : part.text}}}});
    }
  }
  boost::json::object assistant{{"role", "assistant"}};
  assistant["content"] =
      text.empty() && !calls.empty() ? boost::json::value(nullptr) : boost::json::value(text);
  if (options_.reasoning_content && !reasoning.empty()) {
    assistant["reasoning_content"] = reasoning;
  }
  if (!calls.empty()) {
    assistant["tool_calls"] = std::move(calls);
  }
  if (!message.name.empty()) {
    assistant["name"] = message.name;
  }
  out.push_back(std::move(assistant));
}

void Encoder::tools(boost::json::object& body) const {
  if (!request_.tools.empty()) {
    boost::json::array tools;
    for (const llm::Tool& tool : request_.tools) {
      tools.push_back(function_tool(tool, /*with_strict=*/true));
    }
    body["tools"] = std::move(tools);
  }
  using Mode = llm::ToolChoice::Mode;
  switch (request_.tool_choice.mode) {
    case Mode::kUnset:
      break;
    case Mode::kAuto:
      body["tool_choice"] = "auto";
      break;
    case Mode::kNone:
      body["tool_choice"] = "none";
      break;
    case Mode::kRequired:
      body["tool_choice"] = "required";
      break;
    case Mode::kTool:
      body["tool_choice"] = {{"type", "function"},
                             {"function", {{"name", request_.tool_choice.name}}}};
      break;
  }
  if (request_.parallel_tool_calls) {
    body["parallel_tool_calls"] = *request_.parallel_tool_calls;
  }
}

void Encoder::sampling(boost::json::object& body) const {
  const llm::Request& r = request_;
  if (r.max_tokens) {
    body[options_.max_completion_tokens ? "max_completion_tokens" : "max_tokens"] = *r.max_tokens;
  }
  for (const auto& [key, value] : {std::pair{"temperature", r.temperature},
                                   {"top_p", r.top_p},
                                   {"presence_penalty", r.presence_penalty},
                                   {"frequency_penalty", r.frequency_penalty}}) {
    if (value) {
      body[key] = json_number(*value);
    }
  }
  if (!r.stop.empty()) {
    boost::json::array stop;
    for (const std::string& word : r.stop) {
      stop.emplace_back(word);
    }
    body["stop"] = std::move(stop);
  }
  if (r.n) {
    body["n"] = *r.n;
  }
  if (r.seed) {
    body["seed"] = *r.seed;
  }
  if (r.logprobs) {
    body["logprobs"] = *r.logprobs;
  }
  if (r.top_logprobs) {
    body["top_logprobs"] = *r.top_logprobs;
  }
  if (!r.user.empty()) {
    body["user"] = r.user;
  }
  if (!r.reasoning_effort.empty()) {
    body["reasoning_effort"] = r.reasoning_effort;
  } else if (r.thinking_budget) {
    body["reasoning_effort"] = llm::budget_effort(*r.thinking_budget);
  }
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
      boost::json::object schema{{"name", format.name}};
      if (!format.schema.is_null()) {
        schema["schema"] = format.schema;
      }
      if (format.strict) {
        schema["strict"] = *format.strict;
      }
      body["response_format"] = {{"type", "json_schema"}, {"json_schema", std::move(schema)}};
      break;
    }
  }
}

}  // namespace

Result<void> encode_request(const llm::Request& request, const EncodeOptions& options,
                            std::string& body) {
  if (request.top_k && !options.drop_unsupported_params) {
    return unsupported("top_k", "OpenAI-compatible providers take no top_k.");
  }
  const Encoder encoder(request, options);
  boost::json::object json;
  json["model"] = options.model.empty() ? std::string_view(request.model) : options.model;
  boost::json::array messages;
  if (auto encoded = encoder.messages(messages); !encoded) {
    return encoded;
  }
  json["messages"] = std::move(messages);
  encoder.tools(json);
  response_format(request.response_format, json);
  encoder.sampling(json);
  if (request.stream) {  // usage is always asked for, so that it can be metered
    json["stream"] = true;
    json["stream_options"] = {{"include_usage", true}};
  }
  body += boost::json::serialize(json);
  return {};
}

}  // namespace nexus::providers::openai
