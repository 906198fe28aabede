#include "providers/anthropic/stream_decoder.h"

#include <algorithm>
#include <boost/json.hpp>
#include <string>

#include "llm/json_fields.h"
#include "providers/anthropic/finish_reason.h"

namespace nexus::providers::anthropic {
namespace {

using llm::object_field;
using llm::StreamEvent;
using llm::StreamEventKind;
using llm::string_field;
using llm::upstream_protocol_error;

constexpr size_t kMaxBlocks = 1024;
constexpr size_t kMaxInputBytes = size_t{16} << 20;

}  // namespace

Result<void> StreamDecoder::decode(const sse::Event& event, std::vector<StreamEvent>& out) {
  boost::system::error_code ec;
  const boost::json::value& parsed = parser_.parse(event.data, ec);
  if (ec || !parsed.is_object()) {
    return std::unexpected(upstream_protocol_error("a stream event is not a JSON object"));
  }
  const boost::json::object& json = parsed.as_object();
  // The data's own type, which the `event:` line repeats.
  const std::string_view type = string_field(json, "type");
  if (type == "ping") {
    return {};
  }
  if (type == "error") {
    StreamEvent error{.kind = StreamEventKind::kError};
    if (const boost::json::object* body = object_field(json, "error"); body != nullptr) {
      error.text = string_field(*body, "message");
      error.name = string_field(*body, "type");
    }
    out.push_back(error);
    errored_ = true;
    return {};
  }
  if (type == "message_start") {
    const boost::json::object* message = object_field(json, "message");
    if (started_ || message == nullptr) {
      return std::unexpected(upstream_protocol_error("an unexpected message_start"));
    }
    started_ = true;
    out.push_back({.kind = StreamEventKind::kMessageStart,
                   .id = string_field(*message, "id"),
                   .name = string_field(*message, "model")});
    const boost::json::object* usage = object_field(*message, "usage");
    return usage != nullptr ? add_usage(*usage, out) : Result<void>{};
  }
  if (!started_) {
    return std::unexpected(upstream_protocol_error("a stream event before message_start"));
  }
  if (finished_ && (type == "content_block_start" || type == "content_block_delta")) {
    return std::unexpected(upstream_protocol_error("content after the stop reason"));
  }
  if (type == "content_block_start") {
    return block_start(json, out);
  }
  if (type == "content_block_delta") {
    return block_delta(json, out);
  }
  if (type == "content_block_stop") {
    return block_stop(json, out);
  }
  if (type == "message_delta") {
    return message_delta(json, out);
  }
  if (type == "message_stop") {
    stopped_ = true;
  }
  return {};  // event types newer than this code are skipped, as Anthropic asks of clients
}

StreamDecoder::OpenBlock* StreamDecoder::find_block(const boost::json::object& json) {
  const boost::json::value* index = json.if_contains("index");
  if (index == nullptr || !index->is_int64()) {
    return nullptr;
  }
  auto found = std::ranges::find(blocks_, index->get_int64(), &OpenBlock::index);
  return found != blocks_.end() ? &*found : nullptr;
}

Result<void> StreamDecoder::block_start(const boost::json::object& json,
                                        std::vector<StreamEvent>& out) {
  const boost::json::value* index = json.if_contains("index");
  const boost::json::object* block = object_field(json, "content_block");
  if (index == nullptr || !index->is_int64() || block == nullptr || find_block(json) != nullptr ||
      blocks_.size() >= kMaxBlocks) {
    return std::unexpected(upstream_protocol_error("an invalid content_block_start"));
  }
  OpenBlock started{.index = index->get_int64()};
  const std::string_view type = string_field(*block, "type");
  StreamEvent first{.kind = StreamEventKind::kTextDelta};
  if (type == "text") {
    started.kind = Block::kText;
    first.text = string_field(*block, "text");
  } else if (type == "thinking") {
    started.kind = Block::kReasoning;
    first.kind = StreamEventKind::kReasoningDelta;
    first.text = string_field(*block, "thinking");
  } else if (type == "redacted_thinking") {
    started.kind = Block::kRedacted;
    first.kind = StreamEventKind::kRedactedReasoning;
    first.text = string_field(*block, "data");
  } else if (type == "tool_use") {
    started.kind = Block::kTool;
    started.tool = tools_++;
    out.push_back({.kind = StreamEventKind::kToolCallStart,
                   .tool = started.tool,
                   .id = string_field(*block, "id"),
                   .name = string_field(*block, "name")});
  }
  blocks_.push_back(std::move(started));
  if (!first.text.empty()) {
    out.push_back(first);
  }
  return {};
}

Result<void> StreamDecoder::block_delta(const boost::json::object& json,
                                        std::vector<StreamEvent>& out) {
  OpenBlock* block = find_block(json);
  const boost::json::object* delta = object_field(json, "delta");
  if (block == nullptr || !block->open || delta == nullptr) {
    return std::unexpected(
        upstream_protocol_error("a content_block_delta for a block that is not open"));
  }
  const std::string_view type = string_field(*delta, "type");
  StreamEvent event{.kind = StreamEventKind::kTextDelta, .tool = block->tool};
  if (block->kind == Block::kText && type == "text_delta") {
    event.text = string_field(*delta, "text");
  } else if (block->kind == Block::kReasoning && type == "thinking_delta") {
    event.kind = StreamEventKind::kReasoningDelta;
    event.text = string_field(*delta, "thinking");
  } else if (block->kind == Block::kReasoning && type == "signature_delta") {
    event.kind = StreamEventKind::kReasoningSignature;
    event.text = string_field(*delta, "signature");
  } else if (block->kind == Block::kTool && type == "input_json_delta") {
    event.kind = StreamEventKind::kToolArgumentsDelta;
    event.text = string_field(*delta, "partial_json");
    if (block->input.size() + event.text.size() > kMaxInputBytes) {
      return std::unexpected(upstream_protocol_error("a streamed tool input is too large"));
    }
    block->input.append(event.text);
  }  // skipped blocks, citations_delta and delta types newer than this code
  if (!event.text.empty()) {
    out.push_back(event);
  }
  return {};
}

Result<void> StreamDecoder::block_stop(const boost::json::object& json,
                                       std::vector<StreamEvent>& out) {
  OpenBlock* block = find_block(json);
  if (block == nullptr || !block->open) {
    return std::unexpected(
        upstream_protocol_error("a content_block_stop for a block that is not open"));
  }
  block->open = false;
  if (block->kind == Block::kTool && !block->input.empty()) {
    boost::system::error_code ec;
    boost::json::parse(block->input, ec);
    if (ec) {
      return std::unexpected(upstream_protocol_error("tool call " + std::to_string(block->tool) +
                                                     "'s input is not whole JSON"));
    }
  }
  block->input = std::string();  // checked: give the memory back
  if (block->kind != Block::kSkipped) {
    out.push_back({.kind = StreamEventKind::kBlockStop});
  }
  return {};
}

Result<void> StreamDecoder::message_delta(const boost::json::object& json,
                                          std::vector<StreamEvent>& out) {
  if (const boost::json::object* delta = object_field(json, "delta"); delta != nullptr) {
    if (const std::string_view reason = string_field(*delta, "stop_reason");
        !reason.empty() && !finished_) {
      if (std::ranges::any_of(blocks_, &OpenBlock::open)) {
        return std::unexpected(upstream_protocol_error("a stop reason with a content block open"));
      }
      finished_ = true;
      out.push_back(
          {.kind = StreamEventKind::kFinish, .name = reason, .finish = finish_reason(reason)});
    }
  }
  const boost::json::object* usage = object_field(json, "usage");
  return usage != nullptr ? add_usage(*usage, out) : Result<void>{};
}

Result<void> StreamDecoder::add_usage(const boost::json::object& usage,
                                      std::vector<StreamEvent>& out) {
  if (auto added = usage_.add(usage); !added) {
    return added;
  }
  out.push_back({.kind = StreamEventKind::kUsage, .usage = usage_.usage()});
  return {};
}

Result<void> StreamDecoder::finish(std::vector<StreamEvent>& out) {
  if (errored_) {
    return {};  // the error event already told what happened
  }
  if (!stopped_) {
    return std::unexpected(upstream_protocol_error("the stream ended before message_stop"));
  }
  if (std::ranges::any_of(blocks_, &OpenBlock::open)) {
    return std::unexpected(upstream_protocol_error("the stream ended with a content block open"));
  }
  out.push_back({.kind = StreamEventKind::kMessageStop});
  return {};
}

}  // namespace nexus::providers::anthropic
