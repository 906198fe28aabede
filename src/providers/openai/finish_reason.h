// OpenAI's finish_reason words mapped to the IR's, for the stream and the response decoders.
#pragma once

#include <string_view>

#include "llm/ir/stream.h"

namespace nexus::providers::openai {

inline llm::FinishReason finish_reason(std::string_view reason) {
  if (reason == "stop") {
    return llm::FinishReason::kStop;
  }
  if (reason == "length") {
    return llm::FinishReason::kLength;
  }
  if (reason == "tool_calls" || reason == "function_call") {
    return llm::FinishReason::kToolCalls;
  }
  if (reason == "content_filter") {
    return llm::FinishReason::kContentFilter;
  }
  return llm::FinishReason::kOther;
}

}  // namespace nexus::providers::openai
