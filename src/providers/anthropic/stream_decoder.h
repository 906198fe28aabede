// Decodes an Anthropic Messages stream into llm::StreamEvents: message_start, then for each
// content block a content_block_start, its deltas and a content_block_stop, then message_delta
// (stop reason, usage) and message_stop, with ping and error events anywhere.
//
// Text, thinking (with its signature), redacted thinking and tool_use blocks map onto the IR;
// blocks the IR has no place for yet (server tools such as web search, MCP tool use and their
// results, and citations) are skipped with their deltas. Tool calls are numbered 0, 1, ... in
// the order their blocks start, as OpenAI's tool call indexes are.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "http/sse/parser.h"
#include "llm/chunk_parser.h"
#include "llm/ir/stream.h"
#include "nexus/core/result.h"
#include "providers/anthropic/usage.h"

namespace nexus::providers::anthropic {

class StreamDecoder {
 public:
  // Decodes one event of the upstream stream and appends what it means to `out`. An event that
  // is not a JSON object or breaks the sequence (a delta for a block never started, a second
  // message_start) is an upstream protocol error.
  Result<void> decode(const sse::Event& event, std::vector<llm::StreamEvent>& out);

  // The upstream stream has ended: kMessageStop when message_stop arrived with every block
  // closed and every tool call's input whole JSON; an error otherwise. A stream that carried an
  // error event ends without kMessageStop.
  Result<void> finish(std::vector<llm::StreamEvent>& out);

 private:
  enum class Block : uint8_t { kText, kReasoning, kRedacted, kTool, kSkipped };
  struct OpenBlock {
    int64_t index = 0;
    Block kind = Block::kSkipped;
    uint32_t tool = 0;
    bool open = true;
    std::string input;  // a tool call's input JSON, checked when the block stops
  };

  Result<void> block_start(const boost::json::object& json, std::vector<llm::StreamEvent>& out);
  Result<void> block_delta(const boost::json::object& json, std::vector<llm::StreamEvent>& out);
  Result<void> block_stop(const boost::json::object& json, std::vector<llm::StreamEvent>& out);
  Result<void> message_delta(const boost::json::object& json, std::vector<llm::StreamEvent>& out);
  Result<void> add_usage(const boost::json::object& usage, std::vector<llm::StreamEvent>& out);
  OpenBlock* find_block(const boost::json::object& json);

  llm::ChunkParser parser_;  // holds the current event: the IR events' views point into it
  std::vector<OpenBlock> blocks_;
  UsageAccumulator usage_;
  uint32_t tools_ = 0;
  bool started_ = false;
  bool finished_ = false;  // a stop reason arrived: no content may follow
  bool stopped_ = false;   // message_stop arrived
  bool errored_ = false;
};

}  // namespace nexus::providers::anthropic
