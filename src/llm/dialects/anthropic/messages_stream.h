// The Anthropic dialect's stream side: llm::StreamEvents into the Messages API's event
// sequence (message_start, content_block_start/delta/stop per block, message_delta with the
// stop reason and usage, message_stop), as `event: <type>\ndata: {...}\n\n`.
#pragma once

#include <string>

#include "llm/ir/api_error.h"
#include "llm/ir/stream.h"

namespace nexus::dialects::anthropic {

class MessagesStreamEncoder {
 public:
  // Appends the SSE bytes `event` means (possibly none) to `out`. Only choice 0 is written.
  // The finish reason and the usage are held until kMessageStop, because OpenAI-shaped
  // upstreams send usage after the finish reason.
  void encode(const llm::StreamEvent& event, std::string& out);

  // An error after the stream started: `event: error`; nothing follows it.
  void encode_error(const llm::ApiError& error, std::string& out);

 private:
  // Implementation state (block index, open block, held finish and usage, ...) as needed.
};

}  // namespace nexus::dialects::anthropic
