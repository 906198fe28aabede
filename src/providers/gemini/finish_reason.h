// Gemini's finishReason words mapped to the IR's, for the stream and the response decoders.
#pragma once

#include <string_view>

#include "llm/ir/stream.h"

namespace nexus::providers::gemini {

// Gemini says STOP when a candidate ends with function calls: such a candidate finishes as
// kToolCalls (`has_tool_calls`), as OpenAI's clients expect. Every blocking reason (safety,
// recitation, blocklist, prohibited content, personal data, their image variants) is a content
// filter; malformed or unexpected tool calls, LANGUAGE, OTHER and reasons newer than this code
// are kOther (the provider's word is kept next to it).
inline llm::FinishReason finish_reason(std::string_view reason, bool has_tool_calls) {
  if (reason == "STOP" || reason.empty()) {
    return has_tool_calls ? llm::FinishReason::kToolCalls : llm::FinishReason::kStop;
  }
  if (reason == "MAX_TOKENS") {
    return llm::FinishReason::kLength;
  }
  for (std::string_view filtered :
       {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"}) {
    if (reason == filtered) {
      return llm::FinishReason::kContentFilter;
    }
  }
  return llm::FinishReason::kOther;
}

}  // namespace nexus::providers::gemini
