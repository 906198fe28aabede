// Decodes a Cohere v2 /chat stream into llm::StreamEvents: an explicit state machine over the
// message (before message-start, open, ended) and its one open block at a time.
//
// Cohere sends each event as `event: <type>` and `data: {"type":"<type>",...}`; the JSON's
// `type` is what Cohere's SDKs read, so it decides, and the SSE event name is used only when
// the JSON has none. Events:
// - message-start {id}: kMessageStart (Cohere names no model);
// - tool-plan-delta {delta.message.tool_plan}: text (kTextDelta) in a block of its own, closed
//   by whatever comes next: it is what the model says before its tool calls, as
//   decode_response puts it in the text;
// - content-start {index, delta.message.content.type text|thinking}, content-delta
//   {delta.message.content.text|thinking}, content-end: a text or reasoning block
//   (kTextDelta / kReasoningDelta, then kBlockStop); content of other types is skipped;
// - tool-call-start {index, delta.message.tool_calls {id, function {name, arguments}}},
//   tool-call-delta {delta.message.tool_calls.function.arguments}, tool-call-end: kToolCallStart
//   (tools numbered 0, 1, ... in the order they start), kToolArgumentsDelta, kBlockStop. The
//   arguments must be whole JSON at tool-call-end; arguments that are empty or `null` are sent
//   as "{}" (pieces that could still be `null` are held back until they cannot), as
//   decode_response does;
// - citation-start, citation-end, debug and types newer than this code: skipped;
// - message-end {delta.finish_reason, delta.usage, delta.error}: kUsage (usage.h), then
//   kFinish with the word as name; finish_reason ERROR or a delta.error is a kError instead
//   (text: the error, name: "ERROR"), after which the stream ends without kMessageStop;
// - an `error` event: kError (its message), the same.
// `data: [DONE]` is ignored.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "http/sse/parser.h"
#include "llm/chunk_parser.h"
#include "llm/ir/stream.h"
#include "nexus/core/result.h"

namespace nexus::providers::cohere {

class StreamDecoder {
 public:
  // Decodes one event of the upstream stream and appends what it means to `out`. An event that
  // is not a JSON object, or that breaks the sequence (content before message-start, a delta
  // or end for a block that is not open, a block started while another is open, a tool call's
  // arguments that are not whole JSON at its end, content after message-end), is an upstream
  // protocol error.
  Result<void> decode(const sse::Event& event, std::vector<llm::StreamEvent>& out);

  // The upstream stream has ended: kMessageStop when message-end arrived; an error when a tool
  // call or block is still open or message-end never came. A stream that carried an error
  // ends without kMessageStop, and without an error here.
  Result<void> finish(std::vector<llm::StreamEvent>& out);

 private:
  enum class Phase : uint8_t { kBeforeStart, kOpen, kEnded };
  enum class Block : uint8_t { kNone, kPlan, kText, kReasoning, kSkipped, kTool };

  Result<void> decode_event(std::string_view type, const boost::json::object& json,
                            std::vector<llm::StreamEvent>& out);
  Result<void> content_start(const boost::json::object& json, std::vector<llm::StreamEvent>& out);
  Result<void> content_delta(const boost::json::object& json, std::vector<llm::StreamEvent>& out);
  Result<void> content_end(const boost::json::object& json, std::vector<llm::StreamEvent>& out);
  Result<void> tool_plan_delta(const boost::json::object& json, std::vector<llm::StreamEvent>& out);
  Result<void> tool_call_start(const boost::json::object& json, std::vector<llm::StreamEvent>& out);
  Result<void> add_arguments(std::string_view piece, std::vector<llm::StreamEvent>& out);
  Result<void> tool_call_end(std::vector<llm::StreamEvent>& out);
  Result<void> message_end(const boost::json::object& json, std::vector<llm::StreamEvent>& out);
  // Ends the tool plan's block if it is open; an error if a content block or tool call is.
  Result<void> close_plan(std::string_view what, std::vector<llm::StreamEvent>& out);
  // Whether the event's `index`, when it has one, is the open block's.
  [[nodiscard]] bool same_block(const boost::json::object& json) const;

  llm::ChunkParser parser_;  // holds the current event: the IR events' views point into it
  Phase phase_ = Phase::kBeforeStart;
  Block open_ = Block::kNone;
  int64_t open_index_ = -1;  // Cohere's index of the open block (-1: it gave none)
  uint32_t tools_ = 0;       // tool calls started; the open one is tools_ - 1
  std::string arguments_;    // the open tool call's arguments so far
  size_t sent_ = 0;          // how much of arguments_ went out (0: maybe held back)
  bool errored_ = false;
};

}  // namespace nexus::providers::cohere
