// Parsed HTTP/1 message heads. Every string_view points into the connection's receive buffer and
// stays valid until that buffer is compacted (the connection does that only between requests).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace nexus::http1 {

struct Header {
  std::string_view name;   // as received (case preserved); a valid RFC 9110 token
  std::string_view value;  // leading and trailing OWS removed
};

enum class BodyFraming {
  kNone,           // no body
  kContentLength,  // exactly content_length bytes
  kChunked,        // Transfer-Encoding: chunked
  kUntilClose,     // responses only: the body ends when the upstream closes
};

struct RequestHead {
  std::string_view method;
  std::string_view target;      // origin-form as received: path plus optional "?query"
  std::string_view path;        // target up to (not including) '?'
  std::string_view host;        // the Host value; empty only for HTTP/1.0 requests without one
  int minor_version = 1;        // 0 or 1 (HTTP/1.2..1.9 are served as 1.1)
  std::vector<Header> headers;  // all fields in order, minus names containing '_' (dropped)
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;  // valid when framing == kContentLength
  bool keep_alive = true;       // from the version and the Connection tokens
  bool expect_continue = false;

  void clear();  // resets every field; keeps the headers' capacity
};

struct ResponseHead {
  int status = 0;
  std::string_view reason;
  int minor_version = 1;
  std::vector<Header> headers;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;  // false: the upstream connection must not be reused

  void clear();
};

struct ParserLimits {
  uint32_t max_request_line_bytes = 8 * 1024;     // over it: 414 (status line for responses: 502)
  uint32_t max_head_bytes = 64 * 1024;            // whole head incl. request line: 431
  uint32_t max_header_count = 100;                // 431
  uint64_t max_body_bytes = 32ULL * 1024 * 1024;  // 413 (0 = unlimited)
};

// Case-insensitive ASCII comparison, for header names and tokens. Inline: every header lookup
// runs it over each field, and most comparisons end at the length check.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    auto x = static_cast<unsigned char>(a[i]);
    auto y = static_cast<unsigned char>(b[i]);
    if (x != y) {
      // Only ASCII letters fold; |0x20 maps 'A'..'Z' onto 'a'..'z'.
      x |= 0x20;
      if (x != (y | 0x20) || x < 'a' || x > 'z') {
        return false;
      }
    }
  }
  return true;
}

// First header named `name` (case-insensitive), or nullptr.
const Header* find_header(const std::vector<Header>& headers, std::string_view name);

}  // namespace nexus::http1
