// What a streamed LLM response is made of, whatever the provider: decoders turn each
// provider's stream into these events, and each client dialect's encoder turns them back into
// its own stream. An event's views point into the decoder's current input and stay valid until
// the decoder's next call.
#pragma once

#include <cstdint>
#include <string_view>

#include "llm/ir/usage.h"

namespace nexus::llm {

enum class FinishReason : uint8_t { kStop, kLength, kToolCalls, kContentFilter, kOther };

enum class StreamEventKind : uint8_t {
  kMessageStart,        // id, name = the model
  kTextDelta,           // choice, text
  kReasoningDelta,      // choice, text
  kReasoningSignature,  // choice, text = a piece of the reasoning block's signature (Anthropic)
  kRedactedReasoning,   // choice, text = an encrypted reasoning block's data (Anthropic)
  kToolCallStart,       // choice, tool, id, name = the function
  kToolArgumentsDelta,  // choice, tool, text = a piece of the arguments' JSON
  kBlockStop,           // choice: its open text, reasoning or tool call block has ended
  kUsage,               // usage: the totals so far (a later one replaces it)
  kFinish,              // choice, finish, name = the provider's own reason
  kMessageStop,         // the stream ended complete
  kError,               // an error the provider sent inside the stream: text, name = its type
};

struct StreamEvent {
  StreamEventKind kind = StreamEventKind::kMessageStop;
  uint32_t choice = 0;  // which of the `n` completions
  uint32_t tool = 0;    // which tool call of the choice
  std::string_view text;
  std::string_view id;
  std::string_view name;
  FinishReason finish = FinishReason::kStop;
  Usage usage;
};

}  // namespace nexus::llm
