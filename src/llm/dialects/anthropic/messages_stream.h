// The Anthropic dialect's stream side: llm::StreamEvents into the Messages API's event
// sequence (message_start, content_block_start/delta/stop per block, message_delta with the
// stop reason and usage, message_stop), as `event: <type>\ndata: {...}\n\n`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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
  enum class Block : uint8_t { kNone, kText, kThinking, kTool };

  void encode_content(const llm::StreamEvent& event, std::string& out);
  // message_start, written before the first content so that it carries the usage an Anthropic
  // upstream sends with its own message_start.
  void write_start(std::string& out);
  // Closes the open block unless it is already `block` (and `tool`), then opens that one.
  void open_block(Block block, const llm::StreamEvent& event, std::string& out);
  void close_block(std::string& out);
  void write_delta(std::string_view type, std::string_view field, std::string_view text,
                   std::string& out) const;
  void write_end(std::string& out);

  std::string id_;
  std::string model_;
  llm::Usage usage_;
  llm::FinishReason finish_ = llm::FinishReason::kStop;
  std::string finish_word_;
  Block open_ = Block::kNone;
  uint32_t open_tool_ = 0;
  uint32_t index_ = 0;  // the open block's index, or the next block's when none is open
  bool started_ = false;
  bool done_ = false;  // message_stop or an error was written: nothing may follow
};

}  // namespace nexus::dialects::anthropic
