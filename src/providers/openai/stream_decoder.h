// Decodes an OpenAI-shaped chat completion stream (OpenAI and every OpenAI-compatible provider)
// into llm::StreamEvents: an explicit state machine over choices, their open block and their
// tool calls.
//
// Provider differences it absorbs (seen in the recorded streams): usage on a chunk of its own,
// on the finish chunk, or cumulatively on every chunk; reasoning as `reasoning_content`,
// `reasoning`, or (Mistral) `thinking` parts of an array `content`; a tool call's id and name on
// its first delta only, repeated with an empty id (Qwen), or the whole call in one delta; a
// first chunk without choices (Azure's prompt filter results); errors as `event: error`
// (Groq) or as a chunk with an `error` object (OpenRouter).
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "http/sse/parser.h"
#include "llm/chunk_parser.h"
#include "llm/ir/stream.h"
#include "nexus/core/result.h"

namespace nexus::providers::openai {

class StreamDecoder {
 public:
  // Decodes one event of the upstream stream and appends what it means to `out`. A chunk that
  // is not a JSON object, or that breaks the stream's rules, is an upstream protocol error.
  Result<void> decode(const sse::Event& event, std::vector<llm::StreamEvent>& out);

  // The upstream stream has ended. Appends kMessageStop when it was complete; an error when a
  // choice never finished or a tool call's arguments are not whole JSON. A stream that carried
  // an error event ends without kMessageStop.
  Result<void> finish(std::vector<llm::StreamEvent>& out);

 private:
  enum class Block : uint8_t { kNone, kText, kReasoning, kTool };
  struct ToolCall {
    uint32_t index = 0;
    std::string arguments;  // to check at the end that they are whole JSON
  };
  struct Choice {
    uint32_t index = 0;
    Block open = Block::kNone;
    uint32_t open_tool = 0;
    bool finished = false;
    std::vector<ToolCall> tools;
  };

  Result<void> decode_chunk(std::vector<llm::StreamEvent>& out);
  Result<void> decode_choice(const boost::json::object& choice, std::vector<llm::StreamEvent>& out);
  Result<void> decode_tool_call(Choice& choice, const boost::json::object& call, uint32_t position,
                                std::vector<llm::StreamEvent>& out);
  static void decode_error(const boost::json::value& error, std::vector<llm::StreamEvent>& out);
  Choice& choice_at(uint32_t index);
  // Closes the choice's open block (kBlockStop) unless it is already `block` (and `tool`).
  static void switch_block(Choice& choice, Block block, uint32_t tool,
                           std::vector<llm::StreamEvent>& out);

  llm::ChunkParser parser_;  // holds the current chunk: the events' views point into it
  const boost::json::value* chunk_ = nullptr;
  std::vector<Choice> choices_;
  llm::Usage usage_;
  bool started_ = false;
  bool has_usage_ = false;
  bool done_ = false;     // [DONE] arrived
  bool errored_ = false;  // the provider sent an error
};

}  // namespace nexus::providers::openai
