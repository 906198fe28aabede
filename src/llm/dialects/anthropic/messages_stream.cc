#include "llm/dialects/anthropic/messages_stream.h"

#include <array>
#include <charconv>

#include "core/json_escape.h"
#include "llm/dialects/anthropic/wire.h"

namespace nexus::dialects::anthropic {
namespace {

using llm::StreamEventKind;

void begin_event(std::string& out, std::string_view type) {
  out += "event: ";
  out += type;
  out += "\ndata: {\"type\":\"";
  out += type;
  out += '"';
}

void append_index(std::string& out, uint32_t index) {
  std::array<char, 12> digits{};
  const auto written = std::to_chars(digits.data(), digits.data() + digits.size(), index);
  out += R"(,"index":)";
  out.append(digits.data(), written.ptr);
}

void append_string(std::string& out, std::string_view text) {
  out += '"';
  append_json_escaped(out, text);
  out += '"';
}

}  // namespace

void MessagesStreamEncoder::encode(const llm::StreamEvent& event, std::string& out) {
  if (done_) {
    return;
  }
  switch (event.kind) {
    case StreamEventKind::kMessageStart:
      id_ = event.id;
      model_ = event.name;
      return;
    case StreamEventKind::kUsage:
      usage_ = event.usage;
      return;
    case StreamEventKind::kMessageStop:
      write_end(out);
      return;
    case StreamEventKind::kError:
      encode_error(
          {.status = 500, .type = std::string(event.name), .message = std::string(event.text)},
          out);
      return;
    default:
      break;
  }
  if (event.choice == 0) {
    encode_content(event, out);
  }
}

void MessagesStreamEncoder::encode_content(const llm::StreamEvent& event, std::string& out) {
  write_start(out);
  switch (event.kind) {
    case StreamEventKind::kTextDelta:
      if (!event.text.empty()) {
        open_block(Block::kText, event, out);
        write_delta("text_delta", "text", event.text, out);
      }
      break;
    case StreamEventKind::kReasoningDelta:
      if (!event.text.empty()) {
        open_block(Block::kThinking, event, out);
        write_delta("thinking_delta", "thinking", event.text, out);
      }
      break;
    case StreamEventKind::kReasoningSignature:
      if (!event.text.empty()) {
        open_block(Block::kThinking, event, out);
        write_delta("signature_delta", "signature", event.text, out);
      }
      break;
    case StreamEventKind::kRedactedReasoning:
      // Whole in its start event, as Anthropic sends it.
      close_block(out);
      begin_event(out, "content_block_start");
      append_index(out, index_);
      out += R"(,"content_block":{"type":"redacted_thinking","data":)";
      append_string(out, event.text);
      out += "}}\n\n";
      open_ = Block::kText;  // any kind but kNone: close_block writes the stop
      close_block(out);
      break;
    case StreamEventKind::kToolCallStart:
      close_block(out);
      open_block(Block::kTool, event, out);
      break;
    case StreamEventKind::kToolArgumentsDelta:
      if (open_ != Block::kTool || open_tool_ != event.tool) {
        // The upstream went back to a tool call after another block: Anthropic's blocks
        // cannot interleave, and dropping the arguments would lose the call.
        encode_error({.status = 502,
                      .message = "the upstream interleaved tool call arguments, which an "
                                 "Anthropic stream cannot carry"},
                     out);
      } else if (!event.text.empty()) {
        write_delta("input_json_delta", "partial_json", event.text, out);
      }
      break;
    case StreamEventKind::kBlockStop:
      close_block(out);
      break;
    case StreamEventKind::kFinish:
      close_block(out);
      finish_ = event.finish;
      finish_word_ = event.name;
      break;
    default:
      break;
  }
}

void MessagesStreamEncoder::write_start(std::string& out) {
  if (started_) {
    return;
  }
  started_ = true;
  begin_event(out, "message_start");
  out += R"(,"message":{"id":")";
  detail::append_message_id(out, id_);
  out += R"(","type":"message","role":"assistant","model":)";
  append_string(out, model_);
  out += R"(,"content":[],"stop_reason":null,"stop_sequence":null,"usage":)";
  detail::append_usage(out, usage_);
  out += "}}\n\n";
}

void MessagesStreamEncoder::open_block(Block block, const llm::StreamEvent& event,
                                       std::string& out) {
  if (open_ == block && (block != Block::kTool || open_tool_ == event.tool)) {
    return;
  }
  close_block(out);
  begin_event(out, "content_block_start");
  append_index(out, index_);
  switch (block) {
    case Block::kText:
      out += R"(,"content_block":{"type":"text","text":""}})";
      break;
    case Block::kThinking:
      out += R"(,"content_block":{"type":"thinking","thinking":"","signature":""}})";
      break;
    case Block::kTool:
      out += R"(,"content_block":{"type":"tool_use","id":)";
      append_string(out, event.id);
      out += R"(,"name":)";
      append_string(out, event.name);
      out += R"(,"input":{}}})";
      open_tool_ = event.tool;
      break;
    case Block::kNone:
      break;
  }
  out += "\n\n";
  open_ = block;
}

void MessagesStreamEncoder::close_block(std::string& out) {
  if (open_ == Block::kNone) {
    return;
  }
  begin_event(out, "content_block_stop");
  append_index(out, index_);
  out += "}\n\n";
  open_ = Block::kNone;
  ++index_;
}

void MessagesStreamEncoder::write_delta(std::string_view type, std::string_view field,
                                        std::string_view text, std::string& out) const {
  begin_event(out, "content_block_delta");
  append_index(out, index_);
  out += R"(,"delta":{"type":")";
  out += type;
  out += R"(",")";
  out += field;
  out += R"(":)";
  append_string(out, text);
  out += "}}\n\n";
}

void MessagesStreamEncoder::write_end(std::string& out) {
  write_start(out);
  close_block(out);
  begin_event(out, "message_delta");
  out += R"(,"delta":{"stop_reason":")";
  out += detail::stop_reason(finish_, finish_word_);
  out += R"(","stop_sequence":null},"usage":)";
  detail::append_usage(out, usage_);
  out += "}\n\n";
  begin_event(out, "message_stop");
  out += "}\n\n";
  done_ = true;
}

void MessagesStreamEncoder::encode_error(const llm::ApiError& error, std::string& out) {
  if (done_) {
    return;
  }
  out += "event: error\ndata: ";
  detail::append_error(out, error);
  out += "\n\n";
  done_ = true;
}

}  // namespace nexus::dialects::anthropic
