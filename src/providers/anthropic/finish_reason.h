// Anthropic's stop_reason words mapped to the IR's finish reasons, for the stream and the
// response decoders.
#pragma once

#include <string_view>

#include "llm/ir/stream.h"

namespace nexus::providers::anthropic {

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
  if (reason == "refusal") {
    return llm::FinishReason::kContentFilter;
  }
  return llm::FinishReason::kOther;  // pause_turn and reasons newer than this code
}

}  // namespace nexus::providers::anthropic
