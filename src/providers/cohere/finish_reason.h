// Cohere's finish_reason words (v2 /chat, whole and streamed) mapped to the IR's.
#pragma once

#include <string_view>

#include "llm/ir/stream.h"

namespace nexus::providers::cohere {

// COMPLETE and STOP_SEQUENCE end a turn normally, MAX_TOKENS is a cut, TOOL_CALL asks for tool
// results; ERROR and TIMEOUT (the generation failed on Cohere's side) and words newer than this
// code are kOther. The decoders keep the word itself as the choice's finish_word.
inline llm::FinishReason finish_reason(std::string_view reason) {
  if (reason == "COMPLETE" || reason == "STOP_SEQUENCE") {
    return llm::FinishReason::kStop;
  }
  if (reason == "MAX_TOKENS") {
    return llm::FinishReason::kLength;
  }
  if (reason == "TOOL_CALL") {
    return llm::FinishReason::kToolCalls;
  }
  return llm::FinishReason::kOther;
}

}  // namespace nexus::providers::cohere
