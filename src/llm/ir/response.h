// A whole (non-streamed) LLM response, whatever the provider: what a provider's response
// decoder produces, what a stream adds up to (StreamAggregator), and what each client dialect's
// encoder writes back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llm/ir/stream.h"
#include "llm/ir/usage.h"

namespace nexus::llm {

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text, as the model wrote it
  bool operator==(const ToolCall&) const = default;
};

struct Choice {
  uint32_t index = 0;
  std::string text;
  std::string reasoning;
  std::string reasoning_signature;              // Anthropic's, to send a thinking block back
  std::vector<std::string> redacted_reasoning;  // Anthropic's encrypted thinking blocks
  std::vector<ToolCall> tool_calls;
  FinishReason finish = FinishReason::kStop;
  std::string finish_word;  // the provider's own reason ("end_turn", "tool_calls", ...)
  bool operator==(const Choice&) const = default;
};

struct Response {
  std::string id;
  std::string model;
  std::vector<Choice> choices;  // by index
  Usage usage;
  bool operator==(const Response&) const = default;
};

}  // namespace nexus::llm
