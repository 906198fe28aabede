// A chat request, whatever the dialect the client spoke: each dialect's decoder builds one
// (src/llm/dialects/), each provider's encoder writes it in its own API (src/providers/).
//
// It holds the union of what OpenAI's Chat Completions and Anthropic's Messages can say, so that
// a request crosses from one to the other without loss; what a provider cannot do is refused by
// its encoder with a 400 naming the parameter (or dropped, when the provider is configured with
// `drop_unsupported_params`). Absent optional parameters stay absent: an encoder writes only
// what the client set, so each provider keeps its own defaults.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nexus::llm {

// OpenAI's tool messages are user messages holding one kToolResult part each; Anthropic's user
// messages may hold several, and text after them.
enum class Role : uint8_t { kUser, kAssistant };

enum class PartKind : uint8_t {
  kText,               // text
  kImage,              // image
  kReasoning,          // text = the reasoning, signature = Anthropic's (to send thinking back)
  kRedactedReasoning,  // text = Anthropic's encrypted thinking data
  kToolCall,           // id, name, text = the arguments' JSON (assistant messages)
  kToolResult,         // id = the call answered, content, is_error (user messages)
};

// An image in a message: a URL the provider fetches, or inline data. A `data:` URL from an
// OpenAI client is split into media type and base64 data, so that every provider gets the form
// it takes.
struct Image {
  std::string url;         // http(s) URL; empty when inline
  std::string media_type;  // inline: "image/png", ...
  std::string data;        // inline: base64
  std::string detail;      // OpenAI's "low" | "high" | "auto", when given
};

struct Part {
  PartKind kind = PartKind::kText;
  std::string text;
  std::string id;
  std::string name;
  std::string signature;
  Image image;
  std::vector<Part> content;  // a tool result's content (text and images)
  bool is_error = false;      // a tool result that reports a failure (Anthropic)
  // Anthropic's prompt-caching marker on this block, passed through to Anthropic upstreams
  // (null when absent).
  boost::json::value cache_control;
};

struct Message {
  Role role = Role::kUser;
  std::vector<Part> parts;
  std::string name;  // OpenAI's participant name, when given
};

struct Tool {
  std::string name;
  std::string description;
  boost::json::value parameters;  // the JSON schema of the arguments (null when none)
  std::optional<bool> strict;     // OpenAI structured outputs
  boost::json::value cache_control;
};

struct ToolChoice {
  enum class Mode : uint8_t { kUnset, kAuto, kNone, kRequired, kTool };
  Mode mode = Mode::kUnset;
  std::string name;  // kTool: the function that must be called
};

struct ResponseFormat {
  enum class Kind : uint8_t { kUnset, kText, kJsonObject, kJsonSchema };
  Kind kind = Kind::kUnset;
  std::string name;           // kJsonSchema
  boost::json::value schema;  // kJsonSchema
  std::optional<bool> strict;
};

struct Request {
  std::string model;
  std::vector<Part> system;  // the system prompt (OpenAI's system and developer messages)
  std::vector<Message> messages;
  std::vector<Tool> tools;
  ToolChoice tool_choice;
  std::optional<bool> parallel_tool_calls;
  ResponseFormat response_format;

  bool stream = false;
  bool include_usage = false;  // OpenAI's stream_options.include_usage

  std::optional<uint64_t> max_tokens;  // max_tokens or max_completion_tokens
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<uint64_t> top_k;  // Anthropic
  std::optional<double> presence_penalty;
  std::optional<double> frequency_penalty;
  std::vector<std::string> stop;
  std::optional<uint32_t> n;
  std::optional<int64_t> seed;
  std::optional<bool> logprobs;
  std::optional<uint32_t> top_logprobs;
  std::string user;  // OpenAI's user, Anthropic's metadata.user_id
  // Reasoning: OpenAI's effort ("minimal" | "low" | "medium" | "high"), Anthropic's thinking
  // budget in tokens (thinking: {type: enabled, budget_tokens}).
  std::string reasoning_effort;
  std::optional<uint64_t> thinking_budget;
};

}  // namespace nexus::llm
