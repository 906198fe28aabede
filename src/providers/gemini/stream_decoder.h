// Decodes a Gemini streamGenerateContent?alt=sse stream (Gemini API and Vertex AI alike) into
// llm::StreamEvents: an explicit state machine over candidates, their open block and their
// function calls.
//
// Each SSE event is a whole GenerateContentResponse chunk (framed with CRLF CRLF, which
// sse::Parser reads; no [DONE] at the end). What a chunk means:
// - the first chunk: kMessageStart (id = responseId, name = modelVersion);
// - text parts: kTextDelta; `thought: true` parts: kReasoningDelta (their thoughtSignature:
//   kReasoningSignature); signatures on text parts are left out, as in the response decoder;
// - a functionCall part, which Gemini sends whole: kToolCallStart (id of tool_call_id.h, the
//   part's thoughtSignature inside it), one kToolArgumentsDelta with the whole `args` JSON, and
//   kBlockStop. Vertex's streamed arguments (partialArgs, willContinue) are assembled first
//   (partial_args.h) and given the same way when the call ends;
// - usageMetadata, which is cumulative: kUsage whenever it changed (it replaces the last);
// - finishReason: kFinish (kToolCalls when the candidate called functions);
// - promptFeedback.blockReason with no candidates: kFinish of choice 0 as kContentFilter;
// - an `error` object: kError (text = message, name = error_type of its status); the stream
//   then ends without kMessageStop.
#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "http/sse/parser.h"
#include "llm/chunk_parser.h"
#include "llm/ir/stream.h"
#include "nexus/core/result.h"
#include "providers/gemini/partial_args.h"

namespace nexus::providers::gemini {

class StreamDecoder {
 public:
  // Decodes one event of the upstream stream and appends what it means to `out`; the events'
  // views stay valid until the next call. A chunk that is not a JSON object, or that breaks the
  // stream's rules (content after its candidate finished, malformed parts or usage), is an
  // upstream protocol error.
  Result<void> decode(const sse::Event& event, std::vector<llm::StreamEvent>& out);

  // The upstream stream has ended. Appends kMessageStop when it was complete; an error when it
  // had no chunk, a candidate never got its finishReason, or streamed arguments never ended. A
  // stream that carried an error ends without kMessageStop and without error here.
  Result<void> finish(std::vector<llm::StreamEvent>& out);

 private:
  enum class Block : uint8_t { kNone, kText, kReasoning };
  struct Choice {
    uint32_t index = 0;
    Block open = Block::kNone;
    uint32_t tools = 0;  // function calls given so far
    bool finished = false;
    bool partial = false;  // a call whose arguments are streamed is open
    std::string partial_name;
    std::string partial_id;
    std::string partial_signature;
    PartialArguments partial_args;
  };

  Result<void> decode_chunk(const boost::json::object& chunk, std::vector<llm::StreamEvent>& out);
  Result<void> decode_candidate(const boost::json::object& candidate, uint32_t position,
                                std::vector<llm::StreamEvent>& out);
  Result<void> decode_part(Choice& choice, const boost::json::object& part,
                           std::vector<llm::StreamEvent>& out);
  Result<void> decode_call(Choice& choice, const boost::json::object& part,
                           const boost::json::object& call, std::vector<llm::StreamEvent>& out);
  // Gives a whole call: start, its arguments, its block's end.
  void give_call(Choice& choice, std::string_view gemini_id, std::string_view name,
                 std::string_view signature, std::string arguments,
                 std::vector<llm::StreamEvent>& out);
  void give_partial_call(Choice& choice, std::vector<llm::StreamEvent>& out);
  Choice* choice_at(uint32_t index);
  static void switch_block(Choice& choice, Block block, std::vector<llm::StreamEvent>& out);
  std::string_view keep(std::string text);  // owned until the next decode()

  llm::ChunkParser parser_;       // holds the current chunk: the events' views point into it
  std::deque<std::string> kept_;  // a deque: its strings do not move when it grows
  std::vector<Choice> choices_;
  std::string response_id_;
  llm::Usage usage_;
  bool started_ = false;
  bool errored_ = false;  // the provider sent an error
};

}  // namespace nexus::providers::gemini
