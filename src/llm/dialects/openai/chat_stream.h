// The OpenAI dialect's stream side: llm::StreamEvents into `chat.completion.chunk` server-sent
// events, as OpenAI writes them (`data: {...}\n\n`, then `data: [DONE]\n\n`).
#pragma once

#include <cstdint>
#include <string>

#include "llm/ir/api_error.h"
#include "llm/ir/stream.h"

namespace nexus::dialects::openai {

class ChatStreamEncoder {
 public:
  // `include_usage`: the client asked for stream_options.include_usage: usage goes out on a
  // last chunk with empty `choices`, as OpenAI does; otherwise usage is not sent.
  ChatStreamEncoder(int64_t created, bool include_usage)
      : created_(created), include_usage_(include_usage) {}

  // Appends the SSE bytes `event` means (possibly none) to `out`. The first chunk of each
  // choice carries role "assistant"; tool calls are numbered per choice from 0.
  void encode(const llm::StreamEvent& event, std::string& out);

  // An error after the stream started: a `data: {"error":{...}}` event; nothing follows it.
  void encode_error(const llm::ApiError& error, std::string& out);

 private:
  int64_t created_;
  bool include_usage_;
  // Implementation state (id, model, per-choice role sent, usage, ...) as the implementer needs.
};

}  // namespace nexus::dialects::openai
