#include "providers/bedrock/stream_decoder.h"

#include <algorithm>
#include <boost/json.hpp>
#include <string>

#include "llm/json_fields.h"
#include "providers/bedrock/finish_reason.h"
#include "providers/bedrock/usage.h"

namespace nexus::providers::bedrock {
namespace {

using llm::object_field;
using llm::StreamEvent;
using llm::StreamEventKind;
using llm::string_field;
using llm::upstream_protocol_error;

constexpr size_t kMaxBlocks = 1024;
constexpr size_t kMaxInputBytes = size_t{16} << 20;
constexpr size_t kMaxErrorText = 4096;

std::unexpected<Error> protocol_error(std::string message) {
  return std::unexpected(upstream_protocol_error(std::move(message)));
}

}  // namespace

Result<void> StreamDecoder::decode(const event_stream::Message& message,
                                   std::vector<StreamEvent>& out) {
  if (message.message_type == "exception" || message.message_type == "error") {
    decode_exception(message, out);
    return {};
  }
  if (message.message_type != "event") {
    return protocol_error("event stream: a message of unknown :message-type");
  }
  boost::system::error_code ec;
  const boost::json::value& parsed = parser_.parse(message.payload, ec);
  if (ec || !parsed.is_object()) {
    return protocol_error("a ConverseStream event is not a JSON object");
  }
  return decode_event(message.event_type, parsed.as_object(), out);
}

Result<void> StreamDecoder::decode_event(std::string_view type, const boost::json::object& json,
                                         std::vector<StreamEvent>& out) {
  if (type == "messageStart") {
    if (started_) {
      return protocol_error("a second messageStart");
    }
    started_ = true;
    out.push_back({.kind = StreamEventKind::kMessageStart});
    return {};
  }
  const bool content = type == "contentBlockStart" || type == "contentBlockDelta" ||
                       type == "contentBlockStop" || type == "messageStop";
  if (content && (!started_ || stopped_)) {
    return protocol_error(std::string(type) +
                          (started_ ? " after messageStop" : " before messageStart"));
  }
  if (type == "contentBlockStart") {
    return block_start(json, out);
  }
  if (type == "contentBlockDelta") {
    return block_delta(json, out);
  }
  if (type == "contentBlockStop") {
    return block_stop(json, out);
  }
  if (type == "messageStop") {
    return message_stop(json, out);
  }
  if (type == "metadata") {
    if (const boost::json::object* usage = object_field(json, "usage"); usage != nullptr) {
      auto decoded = decode_usage(*usage);
      if (!decoded) {
        return std::unexpected(std::move(decoded.error()));
      }
      out.push_back({.kind = StreamEventKind::kUsage, .usage = *decoded});
    }
  }
  return {};  // event types newer than this code
}

void StreamDecoder::decode_exception(const event_stream::Message& message,
                                     std::vector<StreamEvent>& out) {
  if (message.message_type == "error") {
    error_type_ = message.error_code;
    error_text_ = message.error_message;
  } else {
    error_type_ = message.exception_type;
    boost::system::error_code ec;
    const boost::json::value& parsed = parser_.parse(message.payload, ec);
    const boost::json::object* json = ec ? nullptr : parsed.if_object();
    std::string_view text = json != nullptr ? string_field(*json, "message") : std::string_view();
    if (json != nullptr && text.empty()) {
      text = string_field(*json, "Message");
    }
    error_text_ = json != nullptr ? text : message.payload.substr(0, kMaxErrorText);
  }
  errored_ = true;
  out.push_back({.kind = StreamEventKind::kError, .text = error_text_, .name = error_type_});
}

StreamDecoder::OpenBlock* StreamDecoder::find_block(const boost::json::object& json) {
  const boost::json::value* index = json.if_contains("contentBlockIndex");
  if (index == nullptr || !index->is_int64()) {
    return nullptr;
  }
  auto found = std::ranges::find(blocks_, index->get_int64(), &OpenBlock::index);
  return found != blocks_.end() ? &*found : nullptr;
}

Result<void> StreamDecoder::block_start(const boost::json::object& json,
                                        std::vector<StreamEvent>& out) {
  const boost::json::value* index = json.if_contains("contentBlockIndex");
  const boost::json::object* start = object_field(json, "start");
  if (index == nullptr || !index->is_int64() || start == nullptr || find_block(json) != nullptr ||
      blocks_.size() >= kMaxBlocks) {
    return protocol_error("an invalid contentBlockStart");
  }
  OpenBlock started{.index = index->get_int64()};
  const boost::json::object* tool = object_field(*start, "toolUse");
  if (tool != nullptr && string_field(*tool, "type") != "server_tool_use") {
    const std::string_view id = string_field(*tool, "toolUseId");
    const std::string_view name = string_field(*tool, "name");
    if (id.empty() || name.empty()) {
      return protocol_error("a toolUse start without toolUseId or name");
    }
    started.kind = Block::kTool;
    started.tool = tools_++;
    out.push_back(
        {.kind = StreamEventKind::kToolCallStart, .tool = started.tool, .id = id, .name = name});
  }  // server tool use, toolResult and image blocks are skipped
  blocks_.push_back(std::move(started));
  return {};
}

Result<void> StreamDecoder::block_delta(const boost::json::object& json,
                                        std::vector<StreamEvent>& out) {
  const boost::json::object* delta = object_field(json, "delta");
  if (delta == nullptr) {
    return protocol_error("a contentBlockDelta without delta");
  }
  const boost::json::value* text = delta->if_contains("text");
  const boost::json::object* reasoning = object_field(*delta, "reasoningContent");
  const boost::json::object* tool = object_field(*delta, "toolUse");
  OpenBlock* block = find_block(json);
  if (block == nullptr) {
    // Text and reasoning blocks open with their first delta.
    const boost::json::value* index = json.if_contains("contentBlockIndex");
    if (index == nullptr || !index->is_int64() || blocks_.size() >= kMaxBlocks || tool != nullptr) {
      return protocol_error("a contentBlockDelta for a block never started");
    }
    const Block kind = text != nullptr        ? Block::kText
                       : reasoning != nullptr ? Block::kReasoning
                                              : Block::kSkipped;
    block = &blocks_.emplace_back(OpenBlock{.index = index->get_int64(), .kind = kind});
  }
  if (!block->open) {
    return protocol_error("a contentBlockDelta for a block already stopped");
  }
  StreamEvent event{.kind = StreamEventKind::kTextDelta, .tool = block->tool};
  if (block->kind == Block::kSkipped || delta->contains("citation")) {
    return {};
  }
  if (block->kind == Block::kText && text != nullptr && text->is_string()) {
    event.text = text->get_string();
  } else if (block->kind == Block::kReasoning && reasoning != nullptr) {
    if (reasoning->contains("signature")) {
      event.kind = StreamEventKind::kReasoningSignature;
      event.text = string_field(*reasoning, "signature");
    } else if (reasoning->contains("redactedContent")) {
      event.kind = StreamEventKind::kRedactedReasoning;
      event.text = string_field(*reasoning, "redactedContent");
    } else {
      event.kind = StreamEventKind::kReasoningDelta;
      event.text = string_field(*reasoning, "text");
    }
  } else if (block->kind == Block::kTool && tool != nullptr) {
    event.kind = StreamEventKind::kToolArgumentsDelta;
    event.text = string_field(*tool, "input");
    if (block->input.size() + event.text.size() > kMaxInputBytes) {
      return protocol_error("a streamed tool input is too large");
    }
    block->input.append(event.text);
  } else {
    return protocol_error("a contentBlockDelta of another kind than its block");
  }
  if (!event.text.empty()) {
    out.push_back(event);
  }
  return {};
}

Result<void> StreamDecoder::block_stop(const boost::json::object& json,
                                       std::vector<StreamEvent>& out) {
  OpenBlock* block = find_block(json);
  if (block == nullptr || !block->open) {
    return protocol_error("a contentBlockStop for a block that is not open");
  }
  block->open = false;
  if (block->kind == Block::kTool && block->input.empty()) {
    // A call without arguments: "{}", as the whole response's decoder (and every other
    // provider's) gives it, not an empty string.
    out.push_back(
        {.kind = StreamEventKind::kToolArgumentsDelta, .tool = block->tool, .text = "{}"});
  } else if (block->kind == Block::kTool) {
    boost::system::error_code ec;
    boost::json::parse(block->input, ec);
    if (ec) {
      return protocol_error("tool call " + std::to_string(block->tool) +
                            "'s input is not whole JSON");
    }
  }
  block->input = std::string();  // checked: give the memory back
  if (block->kind != Block::kSkipped) {
    out.push_back({.kind = StreamEventKind::kBlockStop});
  }
  return {};
}

Result<void> StreamDecoder::message_stop(const boost::json::object& json,
                                         std::vector<StreamEvent>& out) {
  if (std::ranges::any_of(blocks_, &OpenBlock::open)) {
    return protocol_error("messageStop with a content block open");
  }
  stopped_ = true;
  const std::string_view reason = string_field(json, "stopReason");
  out.push_back(
      {.kind = StreamEventKind::kFinish, .name = reason, .finish = finish_reason(reason)});
  return {};
}

Result<void> StreamDecoder::finish(std::vector<StreamEvent>& out) {
  if (errored_) {
    return {};  // the exception already told what happened
  }
  if (!stopped_) {
    return protocol_error("the stream ended before messageStop");
  }
  out.push_back({.kind = StreamEventKind::kMessageStop});
  return {};
}

}  // namespace nexus::providers::bedrock
