// An incremental parser for server-sent events (the WHATWG `text/event-stream` format), in which
// providers stream LLM responses.
//
// Bytes arrive in pieces split anywhere, even inside a CRLF or the byte order mark; the events
// are the same whatever the split (tested at every byte offset, and by the sse_parser fuzzer).
// Lines end with CRLF, LF or CR; `:` starts a comment; `data:` lines are joined with '\n'; an
// empty line dispatches the event (none when it had no data line); `id:` persists across events.
// Memory is bounded: an event (or line) larger than the limit is an error, not a reallocation
// without end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nexus/core/result.h"

namespace nexus::sse {

struct Event {
  std::string_view type;  // "message" when the event named none
  std::string_view data;  // the data lines, joined by '\n'
  std::string_view id;    // the stream's last event id so far ("" when none)
};

class Parser {
 public:
  static constexpr size_t kDefaultMaxEventBytes = size_t{16} << 20;

  explicit Parser(size_t max_event_bytes = kDefaultMaxEventBytes)
      : max_event_bytes_(max_event_bytes) {}

  enum class Step { kEvent, kNeedMore };

  // Consumes `input` up to the end of the next complete event and fills `event` (kEvent), or
  // consumes all of it (kNeedMore). The event's views stay valid until the next call. After an
  // error (kUpstreamProtocolError: an event over the limit) the parser stays failed.
  Result<Step> next(std::string_view& input, Event& event);

  // The stream has ended: an error when it stopped inside an event (data without the empty line
  // that dispatches it, or a partial field line).
  [[nodiscard]] Result<void> finish() const;

  // No event is under way: what was consumed since the last event (comments, blank lines, `id:`
  // or `retry:` fields) is complete in itself. A relay that holds an event's bytes back until
  // it is whole can send such bytes on at once.
  [[nodiscard]] bool between_events() const {
    return line_.empty() && (reset_pending_ || (!has_data_ && type_.empty()));
  }

  // The last valid `retry:` field, in milliseconds.
  [[nodiscard]] std::optional<uint64_t> retry_ms() const { return retry_ms_; }

 private:
  bool skip_byte_order_mark(std::string_view& input);
  // Handles one complete line; true when it dispatched an event into `event`.
  bool take_line(std::string_view line, Event& event);
  void take_field(std::string_view name, std::string_view value);
  Error too_large() const;

  size_t max_event_bytes_;
  std::string line_;     // a line split across inputs, until its end arrives
  std::string data_;     // the event's data lines, each followed by '\n'
  std::string type_;     // the event's `event:` field
  std::string last_id_;  // persists across events
  std::optional<uint64_t> retry_ms_;
  size_t bom_matched_ = 0;      // bytes of a leading byte order mark seen so far
  bool bom_done_ = false;       // past the stream's first bytes
  bool has_data_ = false;       // the event has had a data line
  bool pending_cr_ = false;     // the last line ended with CR: a next LF belongs to it
  bool reset_pending_ = false;  // the last call dispatched: clear the event's buffers first
  bool failed_ = false;
};

}  // namespace nexus::sse
