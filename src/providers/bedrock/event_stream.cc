#include "providers/bedrock/event_stream.h"

#include <zlib.h>

#include <algorithm>

#include "llm/json_fields.h"

namespace nexus::providers::bedrock::event_stream {
namespace {

using llm::upstream_protocol_error;

uint32_t read_u32(std::string_view bytes) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

uint16_t read_u16(std::string_view bytes) {
  return static_cast<uint16_t>((static_cast<unsigned char>(bytes[0]) << 8) |
                               static_cast<unsigned char>(bytes[1]));
}

uint32_t crc(std::string_view bytes) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

// The fixed size of a header value of `type`, or 0 for the length-prefixed types; -1 when the
// type is unknown.
int fixed_size(uint8_t type) {
  switch (type) {
    case 0:  // true
    case 1:  // false
      return 0;
    case 2:  // byte
      return 1;
    case 3:  // short
      return 2;
    case 4:  // int
      return 4;
    case 5:  // long
    case 8:  // timestamp
      return 8;
    case 9:  // uuid
      return 16;
    default:
      return -1;
  }
}

void keep_header(std::string_view name, std::string_view value, Message& message) {
  if (name == ":event-type") {
    message.event_type = value;
  } else if (name == ":message-type") {
    message.message_type = value;
  } else if (name == ":exception-type") {
    message.exception_type = value;
  } else if (name == ":content-type") {
    message.content_type = value;
  } else if (name == ":error-code") {
    message.error_code = value;
  } else if (name == ":error-message") {
    message.error_message = value;
  }
}

Result<void> parse_headers(std::string_view headers, Message& message) {
  constexpr uint8_t kBytes = 6;
  constexpr uint8_t kString = 7;
  while (!headers.empty()) {
    const size_t name_size = static_cast<unsigned char>(headers[0]);
    if (name_size == 0 || headers.size() < 1 + name_size + 1) {
      return std::unexpected(upstream_protocol_error("event stream: a malformed header name"));
    }
    const std::string_view name = headers.substr(1, name_size);
    const auto type = static_cast<uint8_t>(headers[1 + name_size]);
    headers.remove_prefix(1 + name_size + 1);
    if (type == kBytes || type == kString) {
      if (headers.size() < 2 || headers.size() - 2 < read_u16(headers)) {
        return std::unexpected(upstream_protocol_error("event stream: a header value overruns"));
      }
      const size_t size = read_u16(headers);
      if (type == kString) {
        keep_header(name, headers.substr(2, size), message);
      }
      headers.remove_prefix(2 + size);
      continue;
    }
    const int size = fixed_size(type);
    if (size < 0) {
      return std::unexpected(upstream_protocol_error("event stream: a header of unknown type"));
    }
    if (headers.size() < static_cast<size_t>(size)) {
      return std::unexpected(upstream_protocol_error("event stream: a header value overruns"));
    }
    headers.remove_prefix(static_cast<size_t>(size));
  }
  return {};
}

}  // namespace

Result<Message> parse_message(std::string_view bytes) {
  if (bytes.size() < Parser::kMinMessageBytes || read_u32(bytes) != bytes.size()) {
    return std::unexpected(upstream_protocol_error("event stream: a message of the wrong length"));
  }
  const size_t headers_size = read_u32(bytes.substr(4));
  if (read_u32(bytes.substr(8)) != crc(bytes.substr(0, 8))) {
    return std::unexpected(upstream_protocol_error("event stream: the prelude CRC does not match"));
  }
  if (headers_size > bytes.size() - Parser::kMinMessageBytes) {
    return std::unexpected(upstream_protocol_error("event stream: headers overrun the message"));
  }
  const size_t body_end = bytes.size() - 4;
  if (read_u32(bytes.substr(body_end)) != crc(bytes.substr(0, body_end))) {
    return std::unexpected(upstream_protocol_error("event stream: the message CRC does not match"));
  }
  Message message;
  if (auto headers = parse_headers(bytes.substr(Parser::kPreludeBytes, headers_size), message);
      !headers) {
    return std::unexpected(std::move(headers.error()));
  }
  const size_t payload_start = Parser::kPreludeBytes + headers_size;
  message.payload = bytes.substr(payload_start, body_end - payload_start);
  return message;
}

Error Parser::fail(std::string message) {
  failed_ = true;
  return upstream_protocol_error(std::move(message));
}

// Checks the prelude's CRC and lengths before the message's bytes are awaited, so that an
// absurd length never makes the parser buffer more than the limit.
Result<void> Parser::read_prelude(std::string_view prelude) {
  if (read_u32(prelude.substr(8)) != crc(prelude.substr(0, 8))) {
    return std::unexpected(fail("event stream: the prelude CRC does not match"));
  }
  const size_t total = read_u32(prelude);
  const size_t headers = read_u32(prelude.substr(4));
  if (total < kMinMessageBytes || headers > total - kMinMessageBytes) {
    return std::unexpected(fail("event stream: a message of an impossible length"));
  }
  if (total > max_message_bytes_) {
    return std::unexpected(fail("event stream: a message over the size limit"));
  }
  total_ = total;
  return {};
}

Result<Parser::Step> Parser::next(std::string_view& input, Message& message) {
  if (failed_) {
    return std::unexpected(upstream_protocol_error("event stream: the parser has failed"));
  }
  if (reset_pending_) {
    buffer_.clear();
    total_ = 0;
    reset_pending_ = false;
  }
  // A message whole in the input is parsed where it lies.
  if (buffer_.empty() && input.size() >= kPreludeBytes) {
    if (auto prelude = read_prelude(input.substr(0, kPreludeBytes)); !prelude) {
      return std::unexpected(std::move(prelude.error()));
    }
    if (input.size() >= total_) {
      auto parsed = parse_message(input.substr(0, total_));
      if (!parsed) {
        failed_ = true;
        return std::unexpected(std::move(parsed.error()));
      }
      message = *parsed;
      input.remove_prefix(total_);
      total_ = 0;
      return Step::kMessage;
    }
  }
  for (;;) {
    const size_t want = total_ == 0 ? kPreludeBytes : total_;
    const size_t take = std::min(want - buffer_.size(), input.size());
    buffer_.append(input.substr(0, take));
    input.remove_prefix(take);
    if (buffer_.size() < want) {
      return Step::kNeedMore;
    }
    if (total_ == 0) {
      if (auto prelude = read_prelude(buffer_); !prelude) {
        return std::unexpected(std::move(prelude.error()));
      }
      continue;
    }
    auto parsed = parse_message(buffer_);
    if (!parsed) {
      failed_ = true;
      return std::unexpected(std::move(parsed.error()));
    }
    message = *parsed;
    reset_pending_ = true;
    return Step::kMessage;
  }
}

Result<void> Parser::finish() const {
  if (failed_) {
    return std::unexpected(upstream_protocol_error("event stream: the parser has failed"));
  }
  if (!buffer_.empty() && !reset_pending_) {
    return std::unexpected(
        upstream_protocol_error("event stream: the stream ended inside a message"));
  }
  return {};
}

}  // namespace nexus::providers::bedrock::event_stream
