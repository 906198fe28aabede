#include "providers/openai/stream_decoder.h"

#include <boost/json.hpp>
#include <string>

#include "llm/json_fields.h"
#include "providers/openai/finish_reason.h"
#include "providers/openai/usage.h"

namespace nexus::providers::openai {
namespace {

using llm::StreamEvent;
using llm::StreamEventKind;

// Choices and tool calls are kept in small vectors indexed by the provider's numbers: bounded,
// so that a hostile index cannot make the decoder allocate without end.
constexpr int64_t kMaxIndex = 1024;
constexpr size_t kMaxArgumentBytes = size_t{16} << 20;

using llm::array_field;
using llm::object_field;
using llm::string_field;
using llm::upstream_protocol_error;

// The `index` of a choice or tool call, or `fallback` when it has none.
Result<uint32_t> index_at(const boost::json::object& object, uint32_t fallback) {
  const boost::json::value* value = object.if_contains("index");
  if (value == nullptr || value->is_null()) {
    return fallback;
  }
  if (!value->is_int64() || value->get_int64() < 0 || value->get_int64() > kMaxIndex) {
    return std::unexpected(upstream_protocol_error("stream chunk with an invalid index"));
  }
  return static_cast<uint32_t>(value->get_int64());
}

}  // namespace

Result<void> StreamDecoder::decode(const sse::Event& event, std::vector<StreamEvent>& out) {
  if (done_) {
    return {};  // nothing follows [DONE]; a provider that sends more is not believed
  }
  if (event.data == "[DONE]") {
    done_ = true;
    return {};
  }
  boost::system::error_code ec;
  chunk_ = &parser_.parse(event.data, ec);
  if (ec || !chunk_->is_object()) {
    return std::unexpected(upstream_protocol_error("a stream chunk is not a JSON object"));
  }
  if (event.type == "error") {  // Groq: {"error": {...}} as its own event, then the end
    const boost::json::value* error = chunk_->as_object().if_contains("error");
    decode_error(error != nullptr ? *error : *chunk_, out);
    errored_ = true;
    return {};
  }
  return decode_chunk(out);
}

Result<void> StreamDecoder::decode_chunk(std::vector<StreamEvent>& out) {
  const boost::json::object& chunk = chunk_->as_object();
  if (const boost::json::value* error = chunk.if_contains("error");
      error != nullptr && !error->is_null()) {
    decode_error(*error, out);  // OpenRouter: an error chunk inside a 200 stream
    errored_ = true;
  }
  const boost::json::array* choices = array_field(chunk, "choices");
  const std::string_view id = string_field(chunk, "id");
  if (!started_ && (!id.empty() || (choices != nullptr && !choices->empty()))) {
    out.push_back(
        {.kind = StreamEventKind::kMessageStart, .id = id, .name = string_field(chunk, "model")});
    started_ = true;
  }
  if (choices != nullptr) {
    for (const boost::json::value& choice : *choices) {
      if (!choice.is_object()) {
        return std::unexpected(upstream_protocol_error("a stream chunk's choice is not an object"));
      }
      if (auto decoded = decode_choice(choice.get_object(), out); !decoded) {
        return decoded;
      }
    }
  }
  const boost::json::object* usage = object_field(chunk, "usage");
  if (usage == nullptr) {  // Groq also puts it under x_groq
    if (const boost::json::object* groq = object_field(chunk, "x_groq"); groq != nullptr) {
      usage = object_field(*groq, "usage");
    }
  }
  if (usage != nullptr) {
    auto decoded = decode_usage(*usage);
    if (!decoded) {
      return std::unexpected(std::move(decoded.error()));
    }
    if (!has_usage_ || *decoded != usage_) {  // Perplexity repeats it on every chunk
      usage_ = *decoded;
      has_usage_ = true;
      out.push_back({.kind = StreamEventKind::kUsage, .usage = usage_});
    }
  }
  return {};
}

Result<void> StreamDecoder::decode_choice(const boost::json::object& json,
                                          std::vector<StreamEvent>& out) {
  auto index = index_at(json, 0);
  if (!index) {
    return std::unexpected(std::move(index.error()));
  }
  Choice& choice = choice_at(*index);
  const size_t events_before = out.size();
  const auto text_event = [&](StreamEventKind kind, std::string_view text) {
    if (text.empty()) {
      return;
    }
    switch_block(choice, kind == StreamEventKind::kTextDelta ? Block::kText : Block::kReasoning, 0,
                 out);
    out.push_back({.kind = kind, .choice = choice.index, .text = text});
  };
  if (const boost::json::object* delta = object_field(json, "delta"); delta != nullptr) {
    std::string_view reasoning = string_field(*delta, "reasoning_content");
    text_event(StreamEventKind::kReasoningDelta,
               reasoning.empty() ? string_field(*delta, "reasoning") : reasoning);
    if (const boost::json::array* parts = array_field(*delta, "content"); parts != nullptr) {
      // Mistral's reasoning models: [{"type":"thinking","thinking":[{"type":"text",...}]},
      // {"type":"text","text":...}].
      for (const boost::json::value& part : *parts) {
        const boost::json::object* object = part.if_object();
        if (object == nullptr) {
          continue;
        }
        if (string_field(*object, "type") == "thinking") {
          if (const boost::json::array* thinking = array_field(*object, "thinking")) {
            for (const boost::json::value& piece : *thinking) {
              if (const boost::json::object* text = piece.if_object()) {
                text_event(StreamEventKind::kReasoningDelta, string_field(*text, "text"));
              }
            }
          }
        } else {
          text_event(StreamEventKind::kTextDelta, string_field(*object, "text"));
        }
      }
    } else {
      text_event(StreamEventKind::kTextDelta, string_field(*delta, "content"));
    }
    if (const boost::json::array* calls = array_field(*delta, "tool_calls"); calls != nullptr) {
      uint32_t position = 0;
      for (const boost::json::value& call : *calls) {
        if (!call.is_object()) {
          return std::unexpected(
              upstream_protocol_error("a stream chunk's tool call is not an object"));
        }
        if (auto decoded = decode_tool_call(choice, call.get_object(), position++, out); !decoded) {
          return decoded;
        }
      }
    }
  }
  if (choice.finished && out.size() != events_before) {
    out.resize(events_before);
    return std::unexpected(upstream_protocol_error(
        "a stream chunk continues choice " + std::to_string(choice.index) + " after it finished"));
  }
  // OpenRouter repeats the finish reason on a later chunk: the first one counts.
  if (const std::string_view reason = string_field(json, "finish_reason");
      !reason.empty() && !choice.finished) {
    switch_block(choice, Block::kNone, 0, out);
    out.push_back({.kind = StreamEventKind::kFinish,
                   .choice = choice.index,
                   .name = reason,
                   .finish = finish_reason(reason)});
    choice.finished = true;
  }
  return {};
}

Result<void> StreamDecoder::decode_tool_call(Choice& choice, const boost::json::object& call,
                                             uint32_t position, std::vector<StreamEvent>& out) {
  auto index = index_at(call, position);
  if (!index) {
    return std::unexpected(std::move(index.error()));
  }
  const boost::json::object* function = object_field(call, "function");
  auto known = std::ranges::find(choice.tools, *index, &ToolCall::index);
  if (known == choice.tools.end()) {
    if (choice.tools.size() >= static_cast<size_t>(kMaxIndex)) {
      return std::unexpected(upstream_protocol_error("too many tool calls in a stream"));
    }
    choice.tools.push_back({.index = *index, .arguments = {}});
    known = std::prev(choice.tools.end());
    switch_block(choice, Block::kTool, *index, out);
    // Later deltas may repeat the call with an empty id (Qwen): only the first one counts.
    out.push_back({.kind = StreamEventKind::kToolCallStart,
                   .choice = choice.index,
                   .tool = *index,
                   .id = string_field(call, "id"),
                   .name = function != nullptr ? string_field(*function, "name") : ""});
  }
  const std::string_view arguments =
      function != nullptr ? string_field(*function, "arguments") : "";
  if (!arguments.empty()) {
    if (known->arguments.size() + arguments.size() > kMaxArgumentBytes) {
      return std::unexpected(
          upstream_protocol_error("a streamed tool call's arguments are too large"));
    }
    known->arguments.append(arguments);
    out.push_back({.kind = StreamEventKind::kToolArgumentsDelta,
                   .choice = choice.index,
                   .tool = *index,
                   .text = arguments});
  }
  return {};
}

void StreamDecoder::decode_error(const boost::json::value& error, std::vector<StreamEvent>& out) {
  StreamEvent event{.kind = StreamEventKind::kError};
  if (const boost::json::object* object = error.if_object(); object != nullptr) {
    event.text = string_field(*object, "message");
    event.name = string_field(*object, "type");
    if (event.name.empty()) {
      event.name = string_field(*object, "code");
    }
  }
  out.push_back(event);
}

StreamDecoder::Choice& StreamDecoder::choice_at(uint32_t index) {
  auto found = std::ranges::find(choices_, index, &Choice::index);
  if (found != choices_.end()) {
    return *found;
  }
  choices_.push_back({.index = index});
  return choices_.back();
}

void StreamDecoder::switch_block(Choice& choice, Block block, uint32_t tool,
                                 std::vector<StreamEvent>& out) {
  if (choice.open == block && (block != Block::kTool || choice.open_tool == tool)) {
    return;
  }
  if (choice.open != Block::kNone) {
    out.push_back({.kind = StreamEventKind::kBlockStop, .choice = choice.index});
  }
  choice.open = block;
  choice.open_tool = tool;
}

Result<void> StreamDecoder::finish(std::vector<StreamEvent>& out) {
  if (errored_) {
    return {};  // the error event already told what happened
  }
  if (!started_) {
    return std::unexpected(upstream_protocol_error("the stream ended before its first chunk"));
  }
  for (const Choice& choice : choices_) {
    if (!choice.finished) {
      return std::unexpected(upstream_protocol_error("the stream ended before choice " +
                                                     std::to_string(choice.index) + " finished"));
    }
    for (const ToolCall& call : choice.tools) {
      if (call.arguments.empty()) {
        continue;  // a call without arguments
      }
      boost::system::error_code ec;
      boost::json::parse(call.arguments, ec);
      if (ec) {
        return std::unexpected(upstream_protocol_error("the stream ended with tool call " +
                                                       std::to_string(call.index) +
                                                       "'s arguments incomplete"));
      }
    }
  }
  out.push_back({.kind = StreamEventKind::kMessageStop});
  return {};
}

}  // namespace nexus::providers::openai
