#include "providers/cohere/stream_decoder.h"

#include <boost/json.hpp>
#include <string>

#include "llm/json_fields.h"
#include "providers/cohere/finish_reason.h"
#include "providers/cohere/usage.h"

namespace nexus::providers::cohere {
namespace {

using llm::object_field;
using llm::StreamEvent;
using llm::StreamEventKind;
using llm::string_field;
using llm::upstream_protocol_error;

constexpr uint32_t kMaxTools = 1024;
constexpr size_t kMaxArgumentBytes = size_t{16} << 20;
constexpr std::string_view kNoArguments = "{}";

std::unexpected<Error> broken(std::string message) {
  return std::unexpected(upstream_protocol_error(std::move(message)));
}

// delta.message of a Cohere stream event (null when absent).
const boost::json::object* delta_message(const boost::json::object& json) {
  const boost::json::object* delta = object_field(json, "delta");
  return delta != nullptr ? object_field(*delta, "message") : nullptr;
}

// delta.message.<key> as an object (null when absent).
const boost::json::object* delta_object(const boost::json::object& json, std::string_view key) {
  const boost::json::object* message = delta_message(json);
  return message != nullptr ? object_field(*message, key) : nullptr;
}

std::string_view trimmed(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

}  // namespace

Result<void> StreamDecoder::decode(const sse::Event& event, std::vector<StreamEvent>& out) {
  if (errored_ || event.data == "[DONE]") {
    return {};  // nothing after an error is believed
  }
  boost::system::error_code ec;
  const boost::json::value& parsed = parser_.parse(event.data, ec);
  if (ec || !parsed.is_object()) {
    return broken("a stream event is not a JSON object");
  }
  const boost::json::object& json = parsed.as_object();
  std::string_view type = string_field(json, "type");
  if (type.empty() && event.type != "message") {
    type = event.type;
  }
  if (type == "error") {
    StreamEvent error{.kind = StreamEventKind::kError, .name = "error"};
    error.text = string_field(json, "message");
    if (const boost::json::object* inner = object_field(json, "error"); inner != nullptr) {
      error.text = string_field(*inner, "message");
    }
    out.push_back(error);
    errored_ = true;
    return {};
  }
  return decode_event(type, json, out);
}

Result<void> StreamDecoder::decode_event(std::string_view type, const boost::json::object& json,
                                         std::vector<StreamEvent>& out) {
  if (type == "message-start") {
    if (phase_ != Phase::kBeforeStart) {
      return broken("a second message-start");
    }
    phase_ = Phase::kOpen;
    out.push_back({.kind = StreamEventKind::kMessageStart, .id = string_field(json, "id")});
    return {};
  }
  const bool content = type == "content-start" || type == "content-delta" ||
                       type == "content-end" || type == "tool-plan-delta" ||
                       type == "tool-call-start" || type == "tool-call-delta" ||
                       type == "tool-call-end" || type == "message-end";
  if (!content) {
    return {};  // citations, debug, and event types newer than this code
  }
  if (phase_ == Phase::kBeforeStart) {
    return broken("a stream event before message-start");
  }
  if (phase_ == Phase::kEnded) {
    return broken("a stream event after message-end");
  }
  if (type == "content-start") {
    return content_start(json, out);
  }
  if (type == "content-delta") {
    return content_delta(json, out);
  }
  if (type == "content-end") {
    return content_end(json, out);
  }
  if (type == "tool-plan-delta") {
    return tool_plan_delta(json, out);
  }
  if (type == "tool-call-start") {
    return tool_call_start(json, out);
  }
  if (type == "tool-call-delta") {
    if (open_ != Block::kTool || !same_block(json)) {
      return broken("a tool-call-delta for a tool call that is not open");
    }
    const boost::json::object* call = delta_object(json, "tool_calls");
    const boost::json::object* function =
        call != nullptr ? object_field(*call, "function") : nullptr;
    return add_arguments(function != nullptr ? string_field(*function, "arguments") : "", out);
  }
  if (type == "tool-call-end") {
    if (open_ != Block::kTool || !same_block(json)) {
      return broken("a tool-call-end for a tool call that is not open");
    }
    return tool_call_end(out);
  }
  return message_end(json, out);
}

Result<void> StreamDecoder::close_plan(std::string_view what, std::vector<StreamEvent>& out) {
  if (open_ == Block::kPlan) {
    if (what == "tool-plan-delta") {
      return {};  // the plan goes on
    }
    out.push_back({.kind = StreamEventKind::kBlockStop});
    open_ = Block::kNone;
  }
  if (open_ != Block::kNone) {
    std::string message(what);
    message += " while a content block or tool call is open";
    return broken(std::move(message));
  }
  return {};
}

bool StreamDecoder::same_block(const boost::json::object& json) const {
  const boost::json::value* index = json.if_contains("index");
  if (index == nullptr || index->is_null() || open_index_ < 0) {
    return true;
  }
  return index->is_int64() && index->get_int64() == open_index_;
}

Result<void> StreamDecoder::content_start(const boost::json::object& json,
                                          std::vector<StreamEvent>& out) {
  if (auto closed = close_plan("content-start", out); !closed) {
    return closed;
  }
  const boost::json::value* index = json.if_contains("index");
  open_index_ = index != nullptr && index->is_int64() ? index->get_int64() : -1;
  const boost::json::object* content = delta_object(json, "content");
  const std::string_view type = content != nullptr ? string_field(*content, "type") : "";
  StreamEvent first{.kind = StreamEventKind::kTextDelta};
  if (type == "text") {
    open_ = Block::kText;
    first.text = string_field(*content, "text");
  } else if (type == "thinking") {
    open_ = Block::kReasoning;
    first.kind = StreamEventKind::kReasoningDelta;
    first.text = string_field(*content, "thinking");
  } else {
    open_ = Block::kSkipped;
  }
  if (!first.text.empty()) {
    out.push_back(first);
  }
  return {};
}

Result<void> StreamDecoder::content_delta(const boost::json::object& json,
                                          std::vector<StreamEvent>& out) {
  if (open_ != Block::kText && open_ != Block::kReasoning && open_ != Block::kSkipped) {
    return broken("a content-delta for a content block that is not open");
  }
  if (!same_block(json)) {
    return broken("a content-delta for another content block than the open one");
  }
  const boost::json::object* content = delta_object(json, "content");
  if (content == nullptr || open_ == Block::kSkipped) {
    return {};
  }
  StreamEvent event{.kind = StreamEventKind::kTextDelta, .text = string_field(*content, "text")};
  if (open_ == Block::kReasoning) {
    event.kind = StreamEventKind::kReasoningDelta;
    event.text = string_field(*content, "thinking");
  }
  if (!event.text.empty()) {
    out.push_back(event);
  }
  return {};
}

Result<void> StreamDecoder::content_end(const boost::json::object& json,
                                        std::vector<StreamEvent>& out) {
  if ((open_ != Block::kText && open_ != Block::kReasoning && open_ != Block::kSkipped) ||
      !same_block(json)) {
    return broken("a content-end for a content block that is not open");
  }
  if (open_ != Block::kSkipped) {
    out.push_back({.kind = StreamEventKind::kBlockStop});
  }
  open_ = Block::kNone;
  return {};
}

Result<void> StreamDecoder::tool_plan_delta(const boost::json::object& json,
                                            std::vector<StreamEvent>& out) {
  if (auto closed = close_plan("tool-plan-delta", out); !closed) {
    return closed;
  }
  open_ = Block::kPlan;
  const boost::json::object* message = delta_message(json);
  const std::string_view text = message != nullptr ? string_field(*message, "tool_plan") : "";
  if (!text.empty()) {
    out.push_back({.kind = StreamEventKind::kTextDelta, .text = text});
  }
  return {};
}

Result<void> StreamDecoder::tool_call_start(const boost::json::object& json,
                                            std::vector<StreamEvent>& out) {
  if (auto closed = close_plan("tool-call-start", out); !closed) {
    return closed;
  }
  const boost::json::object* call = delta_object(json, "tool_calls");
  if (call == nullptr || tools_ >= kMaxTools) {
    return broken("an invalid tool-call-start");
  }
  const boost::json::value* index = json.if_contains("index");
  open_index_ = index != nullptr && index->is_int64() ? index->get_int64() : -1;
  open_ = Block::kTool;
  arguments_.clear();
  sent_ = 0;
  const boost::json::object* function = object_field(*call, "function");
  out.push_back({.kind = StreamEventKind::kToolCallStart,
                 .tool = tools_++,
                 .id = string_field(*call, "id"),
                 .name = function != nullptr ? string_field(*function, "name") : ""});
  return add_arguments(function != nullptr ? string_field(*function, "arguments") : "", out);
}

Result<void> StreamDecoder::add_arguments(std::string_view piece, std::vector<StreamEvent>& out) {
  if (arguments_.size() + piece.size() > kMaxArgumentBytes) {
    return broken("a streamed tool call's arguments are too large");
  }
  arguments_.append(piece);
  // Arguments that may still turn out to be `null` wait, to be sent as {} at the end.
  if (sent_ == 0 && std::string_view("null").starts_with(trimmed(arguments_))) {
    return {};
  }
  if (sent_ < arguments_.size()) {
    out.push_back({.kind = StreamEventKind::kToolArgumentsDelta,
                   .tool = tools_ - 1,
                   .text = std::string_view(arguments_).substr(sent_)});
    sent_ = arguments_.size();
  }
  return {};
}

Result<void> StreamDecoder::tool_call_end(std::vector<StreamEvent>& out) {
  const uint32_t tool = tools_ - 1;
  const std::string_view whole = trimmed(arguments_);
  if (sent_ == 0 && (whole.empty() || whole == "null")) {
    out.push_back(
        {.kind = StreamEventKind::kToolArgumentsDelta, .tool = tool, .text = kNoArguments});
  } else {
    boost::system::error_code ec;
    boost::json::parse(arguments_, ec);
    if (ec) {
      return broken("tool call " + std::to_string(tool) + "'s arguments are not whole JSON");
    }
    if (sent_ < arguments_.size()) {  // a held-back prefix of `null` that became something else
      out.push_back({.kind = StreamEventKind::kToolArgumentsDelta,
                     .tool = tool,
                     .text = std::string_view(arguments_).substr(sent_)});
    }
  }
  out.push_back({.kind = StreamEventKind::kBlockStop, .tool = tool});
  open_ = Block::kNone;
  // Not cleared: the events above point into it until the next call.
  return {};
}

Result<void> StreamDecoder::message_end(const boost::json::object& json,
                                        std::vector<StreamEvent>& out) {
  if (auto closed = close_plan("message-end", out); !closed) {
    return closed;
  }
  phase_ = Phase::kEnded;
  const boost::json::object* delta = object_field(json, "delta");
  if (delta == nullptr) {
    return broken("a message-end without its delta");
  }
  if (const boost::json::object* usage = object_field(*delta, "usage"); usage != nullptr) {
    auto decoded = decode_usage(*usage);
    if (!decoded) {
      return std::unexpected(std::move(decoded.error()));
    }
    out.push_back({.kind = StreamEventKind::kUsage, .usage = *decoded});
  }
  const std::string_view reason = string_field(*delta, "finish_reason");
  const std::string_view error = string_field(*delta, "error");
  if (reason == "ERROR" || !error.empty()) {
    out.push_back({.kind = StreamEventKind::kError,
                   .text = error.empty() ? std::string_view("the generation failed") : error,
                   .name = "ERROR"});
    errored_ = true;
    return {};
  }
  out.push_back(
      {.kind = StreamEventKind::kFinish, .name = reason, .finish = finish_reason(reason)});
  return {};
}

Result<void> StreamDecoder::finish(std::vector<StreamEvent>& out) {
  if (errored_) {
    return {};  // the error event already told what happened
  }
  if (open_ == Block::kTool) {
    return broken("the stream ended with tool call " + std::to_string(tools_ - 1) + " open");
  }
  if (open_ != Block::kNone && open_ != Block::kPlan) {
    return broken("the stream ended with a content block open");
  }
  if (phase_ != Phase::kEnded) {
    return broken("the stream ended before message-end");
  }
  out.push_back({.kind = StreamEventKind::kMessageStop});
  return {};
}

}  // namespace nexus::providers::cohere
