// An incremental parser of AWS's binary event-stream framing (application/vnd.amazon.eventstream),
// in which Bedrock's ConverseStream and InvokeModelWithResponseStream answer.
//
// A message is: total length (4 bytes, big-endian), headers length (4), CRC32 of those 8 bytes,
// the headers, the payload, and the CRC32 of everything before it. A header is a name (1-byte
// length), a type byte and a value: 0/1 true/false, 2 byte, 3 short, 4 int, 5 long, 6 bytes and
// 7 string (2-byte length), 8 timestamp, 9 UUID. String headers the stream decoder reads are kept
// (:event-type, :message-type, :exception-type, :content-type, :error-code, :error-message);
// others are skipped by their type's size.
//
// Bytes arrive split anywhere; the messages are the same whatever the split (tested at every
// offset of the recorded streams). Memory is bounded: a message whose length is below the
// smallest possible, above the limit, or whose headers overrun it, a CRC that does not match,
// or a header of an unknown type is an upstream protocol error, never an overread; after an
// error the parser stays failed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "nexus/core/result.h"

namespace nexus::providers::bedrock::event_stream {

struct Message {
  std::string_view event_type;      // :event-type ("contentBlockDelta", ...)
  std::string_view message_type;    // :message-type: "event", "exception" or "error"
  std::string_view exception_type;  // :exception-type ("throttlingException", ...)
  std::string_view content_type;    // :content-type ("application/json")
  std::string_view error_code;      // :error-code (message type "error")
  std::string_view error_message;   // :error-message (message type "error")
  std::string_view payload;
};

class Parser {
 public:
  static constexpr size_t kDefaultMaxMessageBytes = size_t{16} << 20;
  static constexpr size_t kPreludeBytes = 12;
  static constexpr size_t kMinMessageBytes = kPreludeBytes + 4;

  explicit Parser(size_t max_message_bytes = kDefaultMaxMessageBytes)
      : max_message_bytes_(max_message_bytes) {}

  enum class Step { kMessage, kNeedMore };

  // Consumes `input` up to the end of the next complete message and fills `message` (kMessage),
  // or consumes all of it (kNeedMore). The message's views point into `input` (a message that
  // arrived whole) or into the parser (one that arrived in pieces): they stay valid until the
  // next call, while the caller's input bytes live.
  Result<Step> next(std::string_view& input, Message& message);

  // The stream has ended: an error when it stopped inside a message.
  [[nodiscard]] Result<void> finish() const;

 private:
  Result<void> read_prelude(std::string_view prelude);
  Error fail(std::string message);

  size_t max_message_bytes_;
  std::string buffer_;          // a message arriving in pieces
  size_t total_ = 0;            // its length, once its prelude is in
  bool reset_pending_ = false;  // the last call returned a message from buffer_
  bool failed_ = false;
};

// Parses one whole message (`bytes` is exactly its length): prelude, CRCs, headers, payload.
Result<Message> parse_message(std::string_view bytes);

}  // namespace nexus::providers::bedrock::event_stream
