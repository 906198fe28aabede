// Minimal HTTP/1.1 request-head parser and chunked-body skipper for the benchmark upstream.
// Allocation-free: results are views into the caller's buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace nexus_bench {

struct RequestHead {
  std::string_view method;
  std::string_view path;
  std::string_view query;
  bool keep_alive = true;
  bool chunked = false;
  bool expect_continue = false;
  uint64_t content_length = 0;
  size_t head_bytes = 0;  // bytes of the head including the blank line
};

enum class ParseResult : uint8_t { kIncomplete, kOk, kBad };

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') {
      x = static_cast<char>(x - 'A' + 'a');
    }
    if (x != b[i]) {  // b is lower case
      return false;
    }
  }
  return true;
}

// True when the comma/space separated list `value` contains `token` (lower case), ignoring case.
inline bool contains_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
      item.remove_prefix(1);
    }
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
      item.remove_suffix(1);
    }
    if (iequals(item, token)) {
      return true;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    value.remove_prefix(comma + 1);
  }
  return false;
}

inline std::string_view trim_line(const char* begin, const char* end) {
  if (end > begin && end[-1] == '\r') {
    --end;
  }
  return {begin, static_cast<size_t>(end - begin)};
}

inline bool parse_request_line(std::string_view line, RequestHead& head) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) {
    return false;
  }
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) {
    return false;
  }
  head.method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (version == "HTTP/1.1") {
    head.keep_alive = true;
  } else if (version == "HTTP/1.0") {
    head.keep_alive = false;
  } else {
    return false;
  }
  size_t q = target.find('?');
  head.path = target.substr(0, q);
  head.query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  return true;
}

inline bool parse_header_line(std::string_view line, RequestHead& head) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return false;
  }
  std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
    value.remove_prefix(1);
  }
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
    value.remove_suffix(1);
  }
  switch (name.size()) {
    case 14:
      if (iequals(name, "content-length")) {
        if (value.empty() || value.size() > 18) {
          return false;
        }
        uint64_t n = 0;
        for (char ch : value) {
          if (ch < '0' || ch > '9') {
            return false;
          }
          n = n * 10 + static_cast<uint64_t>(ch - '0');
        }
        head.content_length = n;
      }
      break;
    case 17:
      if (iequals(name, "transfer-encoding")) {
        head.chunked = contains_token(value, "chunked");
      }
      break;
    case 10:
      if (iequals(name, "connection")) {
        if (contains_token(value, "close")) {
          head.keep_alive = false;
        } else if (contains_token(value, "keep-alive")) {
          head.keep_alive = true;
        }
      }
      break;
    case 6:
      if (iequals(name, "expect")) {
        head.expect_continue = iequals(value, "100-continue");
      }
      break;
    default:
      break;
  }
  return true;
}

// Parses one request head from [data, data + len). Lines are found with memchr.
inline ParseResult parse_request_head(const char* data, size_t len, RequestHead& head) {
  const char* p = data;
  const char* end = data + len;
  // Tolerate empty lines before the request line (RFC 9112 section 2.2).
  while (p < end && (*p == '\r' || *p == '\n')) {
    ++p;
  }
  const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
  if (nl == nullptr) {
    return ParseResult::kIncomplete;
  }
  head = RequestHead{};
  if (!parse_request_line(trim_line(p, nl), head)) {
    return ParseResult::kBad;
  }
  p = nl + 1;
  for (;;) {
    nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (nl == nullptr) {
      return ParseResult::kIncomplete;
    }
    std::string_view line = trim_line(p, nl);
    p = nl + 1;
    if (line.empty()) {
      break;
    }
    if (!parse_header_line(line, head)) {
      return ParseResult::kBad;
    }
  }
  head.head_bytes = static_cast<size_t>(p - data);
  return ParseResult::kOk;
}

// Consumes a chunked body (sizes, extensions, data, trailers) incrementally without storing it.
class ChunkedSkipper {
 public:
  void reset() {
    state_ = State::kSize;
    size_ = 0;
    digits_ = 0;
  }
  bool done() const { return state_ == State::kDone; }
  bool bad() const { return state_ == State::kBad; }

  // Returns how many bytes of [p, p + n) belong to the body; stops at its end.
  size_t feed(const char* p, size_t n) {
    size_t i = 0;
    while (i < n && state_ != State::kDone && state_ != State::kBad) {
      char ch = p[i];
      switch (state_) {
        case State::kSize: {
          int v = hex_value(ch);
          if (v >= 0 && digits_ < 15) {
            size_ = size_ * 16 + static_cast<uint64_t>(v);
            ++digits_;
            ++i;
          } else if (digits_ > 0 && (ch == ';' || ch == ' ' || ch == '\t')) {
            state_ = State::kExtension;
          } else if (digits_ > 0 && ch == '\r') {
            state_ = State::kSizeLf;
            ++i;
          } else if (digits_ > 0 && ch == '\n') {
            end_size_line();
            ++i;
          } else {
            state_ = State::kBad;
          }
          break;
        }
        case State::kExtension: {
          const void* nl = std::memchr(p + i, '\n', n - i);
          if (nl == nullptr) {
            i = n;
          } else {
            i = static_cast<size_t>(static_cast<const char*>(nl) - p) + 1;
            end_size_line();
          }
          break;
        }
        case State::kSizeLf:
          if (ch == '\n') {
            end_size_line();
            ++i;
          } else {
            state_ = State::kBad;
          }
          break;
        case State::kData: {
          size_t take = n - i < size_ ? n - i : static_cast<size_t>(size_);
          i += take;
          size_ -= take;
          if (size_ == 0) {
            state_ = State::kDataCr;
          }
          break;
        }
        case State::kDataCr:
          state_ = ch == '\r' ? State::kDataLf : ch == '\n' ? State::kSize : State::kBad;
          digits_ = 0;
          ++i;
          break;
        case State::kDataLf:
          state_ = ch == '\n' ? State::kSize : State::kBad;
          ++i;
          break;
        case State::kTrailerStart:
          state_ = ch == '\r' ? State::kFinalLf : ch == '\n' ? State::kDone : State::kTrailer;
          if (state_ != State::kTrailer) {
            ++i;
          }
          break;
        case State::kTrailer: {
          const void* nl = std::memchr(p + i, '\n', n - i);
          if (nl == nullptr) {
            i = n;
          } else {
            i = static_cast<size_t>(static_cast<const char*>(nl) - p) + 1;
            state_ = State::kTrailerStart;
          }
          break;
        }
        case State::kFinalLf:
          state_ = ch == '\n' ? State::kDone : State::kBad;
          ++i;
          break;
        case State::kDone:
        case State::kBad:
          break;
      }
    }
    return i;
  }

 private:
  enum class State : uint8_t {
    kSize,
    kExtension,
    kSizeLf,
    kData,
    kDataCr,
    kDataLf,
    kTrailerStart,
    kTrailer,
    kFinalLf,
    kDone,
    kBad
  };

  static int hex_value(char ch) {
    if (ch >= '0' && ch <= '9') {
      return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
      return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
      return ch - 'A' + 10;
    }
    return -1;
  }

  void end_size_line() {
    state_ = size_ == 0 ? State::kTrailerStart : State::kData;
    digits_ = 0;
  }

  State state_ = State::kSize;
  uint64_t size_ = 0;
  int digits_ = 0;
};

}  // namespace nexus_bench
