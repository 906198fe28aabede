// Strict, incremental HTTP/1.1 parsers: request heads (from clients), response heads (from
// upstreams) and message bodies (Content-Length and chunked).
//
// They implement the rules of shared/fixtures/http1-edge/README.md (request smuggling defences,
// line syntax, limits), documented in docs/http1.md. Parsers never allocate per byte and never
// copy header bytes: results are views into the caller's buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "http/http1/message.h"
#include "http/http1/syntax.h"
#include "nexus/core/result.h"

namespace nexus::http1 {

// Parses one request head. Feed it the bytes received so far, always starting at the first byte
// of the head; it remembers how far it has scanned, so a head dripping in byte by byte costs
// O(n), not O(n^2).
class RequestHeadParser {
 public:
  explicit RequestHeadParser(const ParserLimits& limits) : limits_(limits) {}

  // Returns 0 when more bytes are needed, or the number of bytes the head occupies (including one
  // ignored leading CRLF) when `out` has been filled. Errors carry the status to answer with
  // (400, 405, 413, 414, 431, 501, 505); after an error the connection must be closed.
  Result<size_t> parse(std::string_view data, RequestHead& out);

  // Forgets the scan position; call before parsing the next request's head.
  void reset() { scan_ = {}; }

 private:
  ParserLimits limits_;
  syntax::HeadScan scan_;  // how far the head has been scanned, across calls
};

// Parses one upstream response head. `request_method` decides whether a body follows (HEAD).
// 1xx heads are returned like any other (the caller skips 100/103 and treats 101 as an error).
// Any framing ambiguity is an error (ErrorCode::kUpstreamProtocolError): the response is not
// forwarded.
class ResponseHeadParser {
 public:
  explicit ResponseHeadParser(const ParserLimits& limits) : limits_(limits) {}

  Result<size_t> parse(std::string_view data, std::string_view request_method, ResponseHead& out);
  void reset() { scan_ = {}; }

 private:
  ParserLimits limits_;
  syntax::HeadScan scan_;  // how far the head has been scanned, across calls
};

// Decodes a message body framed by Content-Length or chunked coding, in place: data returned is a
// view into the input. Trailer fields are validated and dropped (never applied, never forwarded).
class BodyDecoder {
 public:
  struct Step {
    size_t consumed = 0;    // bytes of the input used (framing and data)
    std::string_view data;  // body bytes found (a sub-view of the input), possibly empty
    bool done = false;      // the whole body has been decoded
    // A trailer field of a chunked body (views into the input, like `data`); the step that
    // returns one carries no data.
    std::optional<Header> trailer;
  };

  // `is_request` selects the error codes: client errors (400/413) for requests, upstream
  // protocol errors for responses.
  BodyDecoder(const ParserLimits& limits, bool is_request)
      : limits_(limits), is_request_(is_request) {}

  void start_content_length(uint64_t length);
  void start_chunked();

  // Decodes as much of `input` as it can. Call again with the unconsumed rest (plus new bytes)
  // while `consumed > 0` and not `done`; `consumed == 0` means more bytes are needed.
  Result<Step> decode(std::string_view input);

  [[nodiscard]] bool done() const { return state_ == State::kDone; }
  // Body bytes decoded so far.
  [[nodiscard]] uint64_t body_bytes() const { return body_bytes_; }

 private:
  enum class State { kLength, kChunkSize, kChunkData, kChunkDataEnd, kTrailers, kDone };

  ParserLimits limits_;
  bool is_request_;
  State state_ = State::kDone;
  uint64_t remaining_ = 0;  // bytes left in the body (Content-Length) or current chunk
  uint64_t body_bytes_ = 0;
  uint64_t framing_bytes_ = 0;  // extension and trailer bytes, counted against max_head_bytes
  uint32_t trailer_count_ = 0;
};

}  // namespace nexus::http1
