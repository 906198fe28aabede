#include "providers/gemini/stream_decoder.h"

#include <boost/json.hpp>
#include <string>

#include "llm/json_fields.h"
#include "providers/gemini/error_decoder.h"
#include "providers/gemini/finish_reason.h"
#include "providers/gemini/tool_call_id.h"
#include "providers/gemini/usage.h"

namespace nexus::providers::gemini {
namespace {

using llm::array_field;
using llm::object_field;
using llm::StreamEvent;
using llm::StreamEventKind;
using llm::string_field;
using llm::upstream_protocol_error;

// Candidates and their calls are bounded, so that a hostile stream cannot make the decoder
// allocate without end.
constexpr int64_t kMaxIndex = 1024;
constexpr uint32_t kMaxCalls = 1024;

bool is_true(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value != nullptr && value->is_bool() && value->get_bool();
}

std::unexpected<Error> malformed(std::string message) {
  return std::unexpected(upstream_protocol_error(std::move(message)));
}

}  // namespace

std::string_view StreamDecoder::keep(std::string text) {
  return kept_.emplace_back(std::move(text));
}

Result<void> StreamDecoder::decode(const sse::Event& event, std::vector<StreamEvent>& out) {
  kept_.clear();
  if (errored_) {
    return {};  // nothing after an error counts
  }
  boost::system::error_code ec;
  const boost::json::value& chunk = parser_.parse(event.data, ec);
  if (ec || !chunk.is_object()) {
    return malformed("a stream chunk is not a JSON object");
  }
  return decode_chunk(chunk.get_object(), out);
}

Result<void> StreamDecoder::decode_chunk(const boost::json::object& chunk,
                                         std::vector<StreamEvent>& out) {
  if (const boost::json::object* error = object_field(chunk, "error"); error != nullptr) {
    int64_t code = 0;
    if (const boost::json::value* number = error->if_contains("code"); number != nullptr) {
      code = number->is_int64() ? number->get_int64() : 0;
    }
    out.push_back({.kind = StreamEventKind::kError,
                   .text = string_field(*error, "message"),
                   .name = error_type(string_field(*error, "status"), static_cast<int>(code))});
    errored_ = true;
    return {};
  }
  if (!started_) {
    response_id_ = string_field(chunk, "responseId");
    out.push_back({.kind = StreamEventKind::kMessageStart,
                   .id = string_field(chunk, "responseId"),
                   .name = string_field(chunk, "modelVersion")});
    started_ = true;
  }
  const boost::json::array* candidates = array_field(chunk, "candidates");
  if (candidates != nullptr) {
    uint32_t position = 0;
    for (const boost::json::value& candidate : *candidates) {
      if (!candidate.is_object()) {
        return malformed("a stream chunk's candidate is not an object");
      }
      if (auto decoded = decode_candidate(candidate.get_object(), position++, out); !decoded) {
        return decoded;
      }
    }
  }
  const boost::json::object* feedback = object_field(chunk, "promptFeedback");
  const std::string_view blocked =
      feedback != nullptr ? string_field(*feedback, "blockReason") : std::string_view();
  if (!blocked.empty() && (candidates == nullptr || candidates->empty())) {
    Choice* choice = choice_at(0);
    if (choice != nullptr && !choice->finished) {
      switch_block(*choice, Block::kNone, out);
      out.push_back({.kind = StreamEventKind::kFinish,
                     .name = blocked,
                     .finish = llm::FinishReason::kContentFilter});
      choice->finished = true;
    }
  }
  if (const boost::json::object* usage = object_field(chunk, "usageMetadata"); usage != nullptr) {
    auto decoded = decode_usage(*usage);
    if (!decoded) {
      return std::unexpected(std::move(decoded.error()));
    }
    if (*decoded != usage_) {  // repeated on every chunk: reported when it changed
      usage_ = *decoded;
      out.push_back({.kind = StreamEventKind::kUsage, .usage = usage_});
    }
  }
  return {};
}

Result<void> StreamDecoder::decode_candidate(const boost::json::object& candidate,
                                             uint32_t position, std::vector<StreamEvent>& out) {
  uint32_t index = position;
  if (const boost::json::value* value = candidate.if_contains("index"); value != nullptr) {
    if (!value->is_int64() || value->get_int64() < 0 || value->get_int64() > kMaxIndex) {
      return malformed("a stream chunk's candidate has an invalid index");
    }
    index = static_cast<uint32_t>(value->get_int64());
  }
  Choice* choice = choice_at(index);
  if (choice == nullptr) {
    return malformed("too many candidates in a stream");
  }
  const size_t events_before = out.size();
  if (const boost::json::object* content = object_field(candidate, "content")) {
    if (const boost::json::array* parts = array_field(*content, "parts")) {
      for (const boost::json::value& part : *parts) {
        if (!part.is_object()) {
          return malformed("a stream chunk's part is not an object");
        }
        if (auto decoded = decode_part(*choice, part.get_object(), out); !decoded) {
          return decoded;
        }
      }
    }
  }
  if (choice->finished && out.size() != events_before) {
    out.resize(events_before);
    return malformed("a stream chunk continues candidate " + std::to_string(index) +
                     " after it finished");
  }
  const std::string_view reason = string_field(candidate, "finishReason");
  if (reason.empty() || choice->finished) {
    return {};
  }
  if (choice->partial) {
    return malformed("a candidate finished inside a function call's streamed arguments");
  }
  switch_block(*choice, Block::kNone, out);
  out.push_back({.kind = StreamEventKind::kFinish,
                 .choice = index,
                 .name = reason,
                 .finish = finish_reason(reason, choice->tools != 0)});
  choice->finished = true;
  return {};
}

Result<void> StreamDecoder::decode_part(Choice& choice, const boost::json::object& part,
                                        std::vector<StreamEvent>& out) {
  if (const boost::json::value* call = part.if_contains("functionCall"); call != nullptr) {
    if (!call->is_object()) {
      return malformed("a stream chunk's functionCall is not an object");
    }
    return decode_call(choice, part, call->get_object(), out);
  }
  const boost::json::value* text = part.if_contains("text");
  if (text == nullptr) {
    return {};  // inline data, executable code, ...: nothing the IR's streams carry
  }
  if (!text->is_string()) {
    return malformed("a stream chunk's text is not a string");
  }
  const bool thought = is_true(part, "thought");
  if (!text->get_string().empty()) {
    switch_block(choice, thought ? Block::kReasoning : Block::kText, out);
    out.push_back({.kind = thought ? StreamEventKind::kReasoningDelta : StreamEventKind::kTextDelta,
                   .choice = choice.index,
                   .text = text->get_string()});
  }
  if (const std::string_view signature = string_field(part, "thoughtSignature");
      thought && !signature.empty()) {
    switch_block(choice, Block::kReasoning, out);
    out.push_back(
        {.kind = StreamEventKind::kReasoningSignature, .choice = choice.index, .text = signature});
  }
  return {};
}

Result<void> StreamDecoder::decode_call(Choice& choice, const boost::json::object& part,
                                        const boost::json::object& call,
                                        std::vector<StreamEvent>& out) {
  if (choice.tools >= kMaxCalls) {
    return malformed("too many function calls in a stream");
  }
  const std::string_view name = string_field(call, "name");
  const boost::json::value* args = call.if_contains("args");
  if (args != nullptr && !args->is_object() && !args->is_null()) {
    return malformed("a stream chunk's functionCall args are not an object");
  }
  const boost::json::object* args_object = args != nullptr ? args->if_object() : nullptr;
  if (choice.partial && !name.empty()) {
    give_partial_call(choice, out);  // a new call begins: the open one has ended
  }
  if (!choice.partial && !is_true(call, "willContinue")) {
    if (!name.empty()) {
      give_call(choice, string_field(call, "id"), name, string_field(part, "thoughtSignature"),
                args_object != nullptr ? boost::json::serialize(*args_object) : "{}", out);
    }
    return {};  // an empty functionCall outside streamed arguments says nothing
  }
  if (!choice.partial) {
    choice.partial = true;
    choice.partial_name = name;
    choice.partial_id = string_field(call, "id");
    choice.partial_signature = string_field(part, "thoughtSignature");
    choice.partial_args.reset(args_object);
  }
  if (const boost::json::array* pieces = array_field(call, "partialArgs"); pieces != nullptr) {
    for (const boost::json::value& piece : *pieces) {
      if (!piece.is_object() || !choice.partial_args.apply(piece.get_object())) {
        return malformed("a stream chunk's partialArgs entry is malformed");
      }
    }
  }
  if (!is_true(call, "willContinue")) {
    give_partial_call(choice, out);
  }
  return {};
}

void StreamDecoder::give_partial_call(Choice& choice, std::vector<StreamEvent>& out) {
  choice.partial = false;
  const std::string_view id = keep(std::move(choice.partial_id));
  const std::string_view name = keep(std::move(choice.partial_name));
  const std::string_view signature = keep(std::move(choice.partial_signature));
  give_call(choice, id, name, signature, choice.partial_args.json(), out);
}

void StreamDecoder::give_call(Choice& choice, std::string_view gemini_id, std::string_view name,
                              std::string_view signature, std::string arguments,
                              std::vector<StreamEvent>& out) {
  switch_block(choice, Block::kNone, out);
  std::string id;
  append_tool_call_id(gemini_id, response_id_, choice.index, choice.tools, signature, id);
  out.push_back({.kind = StreamEventKind::kToolCallStart,
                 .choice = choice.index,
                 .tool = choice.tools,
                 .id = keep(std::move(id)),
                 .name = name});
  out.push_back({.kind = StreamEventKind::kToolArgumentsDelta,
                 .choice = choice.index,
                 .tool = choice.tools,
                 .text = keep(std::move(arguments))});
  out.push_back({.kind = StreamEventKind::kBlockStop, .choice = choice.index});
  ++choice.tools;
}

StreamDecoder::Choice* StreamDecoder::choice_at(uint32_t index) {
  auto found = std::ranges::find(choices_, index, &Choice::index);
  if (found != choices_.end()) {
    return &*found;
  }
  if (choices_.size() >= static_cast<size_t>(kMaxIndex)) {
    return nullptr;
  }
  choices_.push_back({.index = index});
  return &choices_.back();
}

void StreamDecoder::switch_block(Choice& choice, Block block, std::vector<StreamEvent>& out) {
  if (choice.open == block) {
    return;
  }
  if (choice.open != Block::kNone) {
    out.push_back({.kind = StreamEventKind::kBlockStop, .choice = choice.index});
  }
  choice.open = block;
}

Result<void> StreamDecoder::finish(std::vector<StreamEvent>& out) {
  kept_.clear();
  if (errored_) {
    return {};  // the error event already told what happened
  }
  if (!started_) {
    return malformed("the stream ended before its first chunk");
  }
  if (choices_.empty()) {
    return malformed("the stream ended without a finishReason");
  }
  for (const Choice& choice : choices_) {
    if (choice.partial) {
      return malformed("the stream ended inside a function call's streamed arguments");
    }
    if (!choice.finished) {
      return malformed("the stream ended before candidate " + std::to_string(choice.index) +
                       " finished");
    }
  }
  out.push_back({.kind = StreamEventKind::kMessageStop});
  return {};
}

}  // namespace nexus::providers::gemini
