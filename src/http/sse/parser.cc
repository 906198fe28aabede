#include "http/sse/parser.h"

#include <charconv>
#include <cstring>

namespace nexus::sse {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// The first CR or LF: two memchr scans (vectorised in libc) rather than find_first_of's
// byte-by-byte set test, since data lines carry whole LLM responses.
size_t find_line_end(std::string_view text) {
  const void* lf = std::memchr(text.data(), '\n', text.size());
  const size_t lf_at =
      lf != nullptr ? static_cast<size_t>(static_cast<const char*>(lf) - text.data()) : text.size();
  const void* cr = std::memchr(text.data(), '\r', lf_at);
  if (cr != nullptr) {
    return static_cast<size_t>(static_cast<const char*>(cr) - text.data());
  }
  return lf != nullptr ? lf_at : std::string_view::npos;
}

}  // namespace

Error Parser::too_large() const {
  return {ErrorCode::kUpstreamProtocolError,
          "server-sent event over " + std::to_string(max_event_bytes_) + " bytes"};
}

// The stream's first bytes may be a UTF-8 byte order mark, which is not part of the first line.
// It may arrive split; a partial mark followed by something else was the first line's start.
bool Parser::skip_byte_order_mark(std::string_view& input) {
  while (!input.empty() && bom_matched_ < kByteOrderMark.size()) {
    if (input.front() != kByteOrderMark[bom_matched_]) {
      line_.assign(kByteOrderMark.substr(0, bom_matched_));
      bom_done_ = true;
      return true;
    }
    ++bom_matched_;
    input.remove_prefix(1);
  }
  bom_done_ = bom_matched_ == kByteOrderMark.size();
  return bom_done_;
}

Result<Parser::Step> Parser::next(std::string_view& input, Event& event) {
  if (failed_) {
    return std::unexpected(too_large());
  }
  if (reset_pending_) {
    reset_pending_ = false;
    data_.clear();
    type_.clear();
    has_data_ = false;
  }
  if (!bom_done_ && !skip_byte_order_mark(input)) {
    return Step::kNeedMore;
  }
  while (!input.empty()) {
    if (pending_cr_) {
      pending_cr_ = false;
      if (input.front() == '\n') {
        input.remove_prefix(1);
        continue;
      }
    }
    const size_t end = find_line_end(input);
    if (end == std::string_view::npos) {
      if (line_.size() + input.size() + data_.size() > max_event_bytes_) {
        failed_ = true;
        return std::unexpected(too_large());
      }
      line_.append(input);
      input = {};
      return Step::kNeedMore;
    }
    std::string_view line = input.substr(0, end);
    if (!line_.empty()) {
      line_.append(line);
      line = line_;
    }
    pending_cr_ = input[end] == '\r';
    input.remove_prefix(end + 1);
    if (data_.size() + line.size() > max_event_bytes_) {
      failed_ = true;
      return std::unexpected(too_large());
    }
    const bool dispatched = take_line(line, event);
    line_.clear();
    if (dispatched) {
      reset_pending_ = true;
      return Step::kEvent;
    }
  }
  return Step::kNeedMore;
}

bool Parser::take_line(std::string_view line, Event& event) {
  if (line.empty()) {
    if (!has_data_) {  // an event without data is not dispatched
      type_.clear();
      return false;
    }
    event.type = type_.empty() ? std::string_view("message") : std::string_view(type_);
    event.data = std::string_view(data_).substr(0, data_.size() - 1);  // the last '\n' goes
    event.id = last_id_;
    return true;
  }
  if (line.front() == ':') {
    return false;  // a comment (keep-alives)
  }
  const size_t colon = line.find(':');
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') {
    value.remove_prefix(1);
  }
  take_field(line.substr(0, colon), value);
  return false;
}

void Parser::take_field(std::string_view name, std::string_view value) {
  if (name == "data") {
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (name == "event") {
    type_.assign(value);
  } else if (name == "id") {
    if (value.find('\0') == std::string_view::npos) {
      last_id_.assign(value);
    }
  } else if (name == "retry") {
    uint64_t ms = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (!value.empty() && error == std::errc() && end == value.data() + value.size()) {
      retry_ms_ = ms;
    }
  }  // other fields are ignored
}

Result<void> Parser::finish() const {
  if (failed_) {
    return std::unexpected(too_large());
  }
  const bool partial_field = !line_.empty() && line_.front() != ':';
  if ((has_data_ && !reset_pending_) || partial_field) {
    return std::unexpected(
        Error(ErrorCode::kUpstreamProtocolError, "the event stream ended inside an event"));
  }
  return {};
}

}  // namespace nexus::sse
