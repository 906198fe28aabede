// Decodes a ConverseStream answer (event_stream::Parser's messages) into llm::StreamEvents: an
// explicit state machine over messageStart, the content blocks (by contentBlockIndex), then
// messageStop (stopReason) and metadata (usage).
//
// A text or reasoning block has no contentBlockStart: it opens with its first delta. A toolUse
// block opens with contentBlockStart (toolUseId, name) and its input arrives as JSON text in
// pieces. Reasoning deltas carry text, a signature, or redactedContent (base64; one
// kRedactedReasoning). Blocks the IR has no place for are skipped with their deltas: server
// tool use (type "server_tool_use", e.g. Nova's code interpreter) and its toolResult block,
// image blocks; citation deltas are skipped. Tool calls are numbered 0, 1, ... in the order
// their blocks start. Bedrock sends no id nor model: kMessageStart's are empty.
//
// Exception messages (:message-type "exception": throttlingException, modelStreamErrorException,
// validationException, internalServerException, serviceUnavailableException, ...) become kError
// with the exception type as the name and the payload's message as the text; so do
// :message-type "error" messages (:error-code, :error-message).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llm/chunk_parser.h"
#include "llm/ir/stream.h"
#include "nexus/core/result.h"
#include "providers/bedrock/event_stream.h"

namespace nexus::providers::bedrock {

class StreamDecoder {
 public:
  // Decodes one message of the upstream stream and appends what it means to `out`. An event
  // whose payload is not a JSON object, or that breaks the sequence (content before
  // messageStart or after messageStop, a delta of another kind than its block, a toolUse delta
  // for a block never started, a block stopped twice, a stop reason with a block open) is an
  // upstream protocol error. Unknown event types are skipped.
  Result<void> decode(const event_stream::Message& message, std::vector<llm::StreamEvent>& out);

  // The upstream stream has ended: kMessageStop when messageStop arrived with every block closed
  // (each tool call's input whole JSON, checked at its contentBlockStop); an error otherwise. A
  // stream that carried an exception ends without kMessageStop and without error here.
  Result<void> finish(std::vector<llm::StreamEvent>& out);

 private:
  enum class Block : uint8_t { kText, kReasoning, kTool, kSkipped };
  struct OpenBlock {
    int64_t index = 0;
    Block kind = Block::kSkipped;
    uint32_t tool = 0;
    bool open = true;
    std::string input;  // a tool call's input JSON, checked when the block stops
  };

  Result<void> decode_event(std::string_view type, const boost::json::object& json,
                            std::vector<llm::StreamEvent>& out);
  Result<void> block_start(const boost::json::object& json, std::vector<llm::StreamEvent>& out);
  Result<void> block_delta(const boost::json::object& json, std::vector<llm::StreamEvent>& out);
  Result<void> block_stop(const boost::json::object& json, std::vector<llm::StreamEvent>& out);
  Result<void> message_stop(const boost::json::object& json, std::vector<llm::StreamEvent>& out);
  void decode_exception(const event_stream::Message& message, std::vector<llm::StreamEvent>& out);
  OpenBlock* find_block(const boost::json::object& json);

  llm::ChunkParser parser_;  // holds the current payload: the IR events' views point into it
  std::vector<OpenBlock> blocks_;
  std::string error_type_;  // an exception's type and message, owned for the kError's views
  std::string error_text_;
  uint32_t tools_ = 0;
  bool started_ = false;
  bool stopped_ = false;  // messageStop arrived: no content may follow
  bool errored_ = false;
};

}  // namespace nexus::providers::bedrock
