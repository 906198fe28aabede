// The OpenAI dialect's stream side: llm::StreamEvents into `chat.completion.chunk` server-sent
// events, as OpenAI writes them (`data: {...}\n\n`, then `data: [DONE]\n\n`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
  struct Choice {
    uint32_t index = 0;
    std::vector<uint32_t> tools;  // the IR's tool numbers, in the order the calls started
  };

  // The choice `index`, announcing it (role "assistant") the first time it is seen.
  Choice& choice(uint32_t index, std::string& out);
  // Starts a chunk of one choice: `data: {...,"choices":[{"index":N,"delta":` (the delta and
  // the end are the caller's, closed with end_choice_chunk).
  void begin_choice_chunk(uint32_t index, std::string& out);
  static void end_choice_chunk(std::string_view finish_reason, std::string& out);
  void encode_tool_event(const llm::StreamEvent& event, std::string& out);

  int64_t created_;
  bool include_usage_;
  bool done_ = false;  // [DONE] or an error went out: nothing follows
  bool has_usage_ = false;
  std::string chunk_prefix_;  // `data: {"id":...,"model":...,"choices":[`, once per stream
  std::vector<Choice> choices_;
  llm::Usage usage_;
};

}  // namespace nexus::dialects::openai
