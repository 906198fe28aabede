// Converse's stopReason words mapped to the IR's finish reasons, for the stream and the
// response decoders.
#pragma once

#include <string_view>

#include "llm/ir/stream.h"

namespace nexus::providers::bedrock {

inline llm::FinishReason finish_reason(std::string_view reason) {
  if (reason == "end_turn" || reason == "stop_sequence") {
    return llm::FinishReason::kStop;
  }
  if (reason == "max_tokens" || reason == "model_context_window_exceeded") {
    return llm::FinishReason::kLength;
  }
  if (reason == "tool_use") {
    return llm::FinishReason::kToolCalls;
  }
  if (reason == "guardrail_intervened" || reason == "content_filtered") {
    return llm::FinishReason::kContentFilter;
  }
  return llm::FinishReason::kOther;  // malformed_model_output, malformed_tool_use, newer words
}

}  // namespace nexus::providers::bedrock
