#include "llm/dialects/openai/chat_stream.h"

#include <algorithm>
#include <string>

#include "core/json_escape.h"
#include "llm/dialects/openai/chat_json.h"

namespace nexus::dialects::openai {
namespace {

using llm::StreamEventKind;

constexpr std::string_view kChunkEnd = "}]}\n\n";

void append_prefix(std::string_view id, std::string_view model, int64_t created, std::string& out) {
  out += R"(data: {"id":)";
  detail::append_chat_id(id, out);
  out += R"(,"object":"chat.completion.chunk","created":)";
  out += std::to_string(created);
  out += R"(,"model":")";
  append_json_escaped(out, model);
  out += R"(","choices":[)";
}

}  // namespace

void ChatStreamEncoder::begin_choice_chunk(uint32_t index, std::string& out) {
  if (chunk_prefix_.empty()) {  // no kMessageStart came first: still a well-formed chunk
    append_prefix({}, {}, created_, chunk_prefix_);
  }
  out += chunk_prefix_;
  out += R"({"index":)";
  out += std::to_string(index);
  out += R"(,"delta":)";
}

void ChatStreamEncoder::end_choice_chunk(std::string_view finish_reason, std::string& out) {
  out += R"(,"logprobs":null,"finish_reason":)";
  if (finish_reason.empty()) {
    out += "null";
  } else {
    out += '"';
    out += finish_reason;
    out += '"';
  }
  out += kChunkEnd;
}

ChatStreamEncoder::Choice& ChatStreamEncoder::choice(uint32_t index, std::string& out) {
  auto found = std::ranges::find(choices_, index, &Choice::index);
  if (found != choices_.end()) {
    return *found;
  }
  // OpenAI's first chunk of a choice: the role, with empty content.
  begin_choice_chunk(index, out);
  out += R"({"role":"assistant","content":""})";
  end_choice_chunk({}, out);
  return choices_.emplace_back(Choice{.index = index});
}

void ChatStreamEncoder::encode_tool_event(const llm::StreamEvent& event, std::string& out) {
  Choice& target = choice(event.choice, out);
  auto known = std::ranges::find(target.tools, event.tool);
  const bool start = event.kind == StreamEventKind::kToolCallStart;
  if (start == (known != target.tools.end())) {
    return;  // a call started twice, or arguments of a call that never started
  }
  if (start) {
    target.tools.push_back(event.tool);
    known = std::prev(target.tools.end());
  }
  begin_choice_chunk(event.choice, out);
  out += R"({"tool_calls":[{"index":)";
  out += std::to_string(known - target.tools.begin());
  if (start) {
    out += R"(,"id":")";
    append_json_escaped(out, event.id);
    out += R"(","type":"function","function":{"name":")";
    append_json_escaped(out, event.name);
    out += R"(","arguments":""}}]})";
  } else {
    out += R"(,"function":{"arguments":")";
    append_json_escaped(out, event.text);
    out += R"("}}]})";
  }
  end_choice_chunk({}, out);
}

void ChatStreamEncoder::encode(const llm::StreamEvent& event, std::string& out) {
  if (done_) {
    return;
  }
  switch (event.kind) {
    case StreamEventKind::kMessageStart:
      chunk_prefix_.clear();
      append_prefix(event.id, event.name, created_, chunk_prefix_);
      break;
    case StreamEventKind::kTextDelta:
    case StreamEventKind::kReasoningDelta:
      choice(event.choice, out);
      if (!event.text.empty()) {
        begin_choice_chunk(event.choice, out);
        out += event.kind == StreamEventKind::kTextDelta ? R"({"content":")"
                                                         : R"({"reasoning_content":")";
        append_json_escaped(out, event.text);
        out += "\"}";
        end_choice_chunk({}, out);
      }
      break;
    case StreamEventKind::kToolCallStart:
    case StreamEventKind::kToolArgumentsDelta:
      encode_tool_event(event, out);
      break;
    case StreamEventKind::kFinish:
      choice(event.choice, out);
      begin_choice_chunk(event.choice, out);
      out += "{}";
      end_choice_chunk(detail::finish_word(event.finish), out);
      break;
    case StreamEventKind::kUsage:
      usage_ = event.usage;
      has_usage_ = true;
      break;
    case StreamEventKind::kMessageStop:
      if (include_usage_ && has_usage_) {  // OpenAI's last chunk: no choices, the usage
        if (chunk_prefix_.empty()) {
          append_prefix({}, {}, created_, chunk_prefix_);
        }
        out += chunk_prefix_;
        out += R"(],"usage":)";
        detail::append_usage(usage_, out);
        out += "}\n\n";
      }
      out += "data: [DONE]\n\n";
      done_ = true;
      break;
    case StreamEventKind::kError:
      encode_error({.status = 500,
                    .type = std::string(event.name),
                    .message = std::string(event.text),
                    .param = {},
                    .code = {}},
                   out);
      break;
    case StreamEventKind::kBlockStop:  // OpenAI's chunks have no block boundaries
    case StreamEventKind::kReasoningSignature:
    case StreamEventKind::kRedactedReasoning:
      break;
  }
}

void ChatStreamEncoder::encode_error(const llm::ApiError& error, std::string& out) {
  if (done_) {
    return;
  }
  out += "data: ";
  detail::append_error(error, out);
  out += "\n\n";
  done_ = true;
}

}  // namespace nexus::dialects::openai
