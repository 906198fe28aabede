// BodyDecoder: Content-Length and chunked bodies, decoded in place (rules in docs/http1.md).
#include <algorithm>
#include <limits>

#include "http/http1/parser.h"
#include "http/http1/syntax.h"

namespace nexus::http1 {
namespace {

// A chunk-size line (size + extensions) longer than this is rejected even when the head budget
// would allow more: no legitimate client needs kilobytes of chunk extensions.
constexpr size_t kMaxChunkLineBytes = 4096;
constexpr uint64_t kMax63 = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
constexpr int kMaxChunkSizeDigits = 16;

// `c` is a hex digit (checked by the caller).
uint64_t hex_value(char c) {
  const auto byte = static_cast<uint64_t>(static_cast<unsigned char>(c));
  return byte <= '9' ? byte - '0' : (byte | 0x20U) - 'a' + 10;
}

}  // namespace

void BodyDecoder::start_content_length(uint64_t length) {
  state_ = length == 0 ? State::kDone : State::kLength;
  remaining_ = length;
  body_bytes_ = 0;
  framing_bytes_ = 0;
  trailer_count_ = 0;
}

void BodyDecoder::start_chunked() {
  state_ = State::kChunkSize;
  remaining_ = 0;
  body_bytes_ = 0;
  framing_bytes_ = 0;
  trailer_count_ = 0;
}

Result<BodyDecoder::Step> BodyDecoder::decode(std::string_view input) {
  const auto error = [this](ErrorCode code, const char* what) {
    return fail(is_request_ ? code : ErrorCode::kUpstreamProtocolError, what);
  };
  const size_t n = input.size();
  Step step;
  size_t pos = 0;
  while (true) {
    switch (state_) {
      case State::kDone:
        step.consumed = pos;
        step.done = true;
        return step;

      case State::kLength: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, n - pos));
        step.data = input.substr(pos, take);
        pos += take;
        remaining_ -= take;
        body_bytes_ += take;
        if (remaining_ == 0) {
          state_ = State::kDone;
        }
        step.consumed = pos;
        step.done = state_ == State::kDone;
        return step;
      }

      case State::kChunkSize: {
        if (pos < n && !syntax::is(input[pos], syntax::kHexChar)) {
          return error(ErrorCode::kBadRequest, "invalid chunk size");  // fail fast: "-1", " 5"
        }
        size_t line_end = 0;
        switch (syntax::find_line(input, pos, kMaxChunkLineBytes, line_end)) {
          case syntax::LineResult::kFound:
            break;
          case syntax::LineResult::kNeedMore:
            step.consumed = pos;
            return step;
          case syntax::LineResult::kBareCrOrLf:
            return error(ErrorCode::kBadRequest, "chunk line not terminated by CRLF");
          case syntax::LineResult::kTooLong:
            return error(ErrorCode::kBadRequest, "chunk line too long");
        }
        const std::string_view line = input.substr(pos, line_end - pos);
        uint64_t size = 0;
        size_t i = 0;
        for (; i < line.size() && syntax::is(line[i], syntax::kHexChar); ++i) {
          if (i == kMaxChunkSizeDigits) {
            return error(ErrorCode::kBadRequest, "chunk size has more than 16 hex digits");
          }
          if (size > (kMax63 >> 4)) {
            return error(ErrorCode::kBadRequest, "chunk size overflows");
          }
          size = (size << 4) | hex_value(line[i]);
        }
        const std::string_view ext = line.substr(i);
        if (!syntax::valid_chunk_ext(ext)) {
          return error(ErrorCode::kBadRequest, "invalid chunk extension");
        }
        framing_bytes_ += ext.size();
        if (framing_bytes_ > limits_.max_head_bytes) {
          return error(ErrorCode::kHeadersTooLarge, "chunk extensions over the header limit");
        }
        if (is_request_ && limits_.max_body_bytes != 0 &&
            size > limits_.max_body_bytes - body_bytes_) {
          return error(ErrorCode::kPayloadTooLarge, "chunked body over the body limit");
        }
        pos = line_end + 2;
        if (size == 0) {
          state_ = State::kTrailers;
        } else {
          remaining_ = size;
          state_ = State::kChunkData;
        }
        break;
      }

      case State::kChunkData: {
        // Stop after one chunk's data so the caller sees a zero-copy view of it.
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, n - pos));
        step.data = input.substr(pos, take);
        pos += take;
        remaining_ -= take;
        body_bytes_ += take;
        if (remaining_ == 0) {
          state_ = State::kChunkDataEnd;
        }
        step.consumed = pos;
        return step;
      }

      case State::kChunkDataEnd:
        if (n - pos < 2) {
          if (n - pos == 1 && input[pos] != '\r') {
            return error(ErrorCode::kBadRequest, "chunk data not followed by CRLF");
          }
          step.consumed = pos;
          return step;
        }
        if (input[pos] != '\r' || input[pos + 1] != '\n') {
          return error(ErrorCode::kBadRequest, "chunk data not followed by CRLF");
        }
        pos += 2;
        state_ = State::kChunkSize;
        break;

      case State::kTrailers: {
        const uint64_t budget =
            framing_bytes_ < limits_.max_head_bytes ? limits_.max_head_bytes - framing_bytes_ : 0;
        size_t line_end = 0;
        switch (syntax::find_line(input, pos, static_cast<size_t>(budget), line_end)) {
          case syntax::LineResult::kFound:
            break;
          case syntax::LineResult::kNeedMore:
            step.consumed = pos;
            return step;
          case syntax::LineResult::kBareCrOrLf:
            return error(ErrorCode::kBadRequest, "trailer line not terminated by CRLF");
          case syntax::LineResult::kTooLong:
            return error(ErrorCode::kHeadersTooLarge, "trailers over the header limit");
        }
        const std::string_view line = input.substr(pos, line_end - pos);
        pos = line_end + 2;
        if (line.empty()) {
          state_ = State::kDone;
          break;
        }
        syntax::FieldLine f;
        if (!syntax::parse_field_line(line, f)) {
          return error(ErrorCode::kBadRequest, "malformed trailer field");
        }
        if (++trailer_count_ > limits_.max_header_count) {
          return error(ErrorCode::kHeadersTooLarge, "too many trailer fields");
        }
        framing_bytes_ += line.size() + 2;
        // Trailers are never applied (no framing from trailers); each is handed to the caller,
        // which forwards those the next hop can carry.
        step.trailer = Header{f.name, f.value};
        step.consumed = pos;
        return step;
      }
    }
  }
}

}  // namespace nexus::http1
