// ResponseHeadParser: status line, field lines, framing and keep-alive of upstream responses.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "http/http1/message.h"
#include "http/http1/parser.h"

namespace nexus::http1 {
namespace {

using namespace std::string_literals;

struct Outcome {
  int status = 0;  // 0: parsed; -1: needs more; else the error's HTTP status
  size_t size = 0;
  ResponseHead head;
};

Outcome parse_once(std::string_view data, std::string_view method = "GET",
                   const ParserLimits& limits = {}) {
  ResponseHeadParser parser(limits);
  Outcome o;
  auto r = parser.parse(data, method, o.head);
  if (!r) {
    o.status = r.error().http_status();
    EXPECT_EQ(r.error().code(), ErrorCode::kUpstreamProtocolError);
  } else if (*r == 0) {
    o.status = -1;
  } else {
    o.size = *r;
  }
  return o;
}

Outcome parse_bytewise(std::string_view data, std::string_view method = "GET",
                       const ParserLimits& limits = {}) {
  ResponseHeadParser parser(limits);
  Outcome o;
  o.status = -1;
  for (size_t k = 1; k <= data.size(); ++k) {
    auto r = parser.parse(data.substr(0, k), method, o.head);
    if (!r) {
      o.status = r.error().http_status();
      return o;
    }
    if (*r != 0) {
      o.status = 0;
      o.size = *r;
      return o;
    }
  }
  return o;
}

int status(std::string_view data, std::string_view method = "GET",
           const ParserLimits& limits = {}) {
  const Outcome once = parse_once(data, method, limits);
  const Outcome bytewise = parse_bytewise(data, method, limits);
  EXPECT_EQ(once.status, bytewise.status);
  EXPECT_EQ(once.size, bytewise.size);
  return once.status;
}

ResponseHead parse_ok(std::string_view data, std::string_view method = "GET") {
  Outcome o = parse_once(data, method);
  EXPECT_EQ(o.status, 0) << data;
  EXPECT_EQ(o.size, data.size());
  return std::move(o.head);
}

TEST(ResponseParser, ParsesStatusLine) {
  ResponseHead h = parse_ok("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX_Custom: kept\r\n\r\n");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.reason, "OK");
  EXPECT_EQ(h.minor_version, 1);
  EXPECT_EQ(h.framing, BodyFraming::kContentLength);
  EXPECT_EQ(h.content_length, 2u);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_EQ(h.headers.size(), 2u);
  EXPECT_EQ(h.headers[1].name, "X_Custom");  // '_' names are kept in responses
  EXPECT_EQ(parse_ok("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n").reason, "");
  EXPECT_EQ(parse_ok("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n").status, 404);
  EXPECT_EQ(parse_ok("HTTP/1.1 500 Internal \t\xe9rror\r\nContent-Length: 0\r\n\r\n").reason,
            "Internal \t\xe9rror");
  EXPECT_EQ(parse_ok("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").minor_version, 0);
}

TEST(ResponseParser, BadStatusLines) {
  for (const char* bad :
       {"HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1  200 OK\r\n\r\n",
        "http/1.1 200 OK\r\n\r\n", "HTTP/2.0 200 OK\r\n\r\n", "HTTP/1.1 099 X\r\n\r\n",
        "HTTP/1.1 600 X\r\n\r\n", "HTTP/1.1 200 O\x01K\r\n\r\n", "HTTP/1.1 200 O\x7fK\r\n\r\n",
        "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1\r\n\r\n", "\r\nHTTP/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 200\tOK\r\n\r\n", "ICY 200 OK\r\n\r\n"}) {
    EXPECT_EQ(status(bad), 502) << bad;
  }
}

TEST(ResponseParser, FieldLineErrors) {
  for (const char* bad :
       {"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX : a\r\n\r\n", "HTTP/1.1 200 OK\r\nX(: a\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n", "HTTP/1.1 200 OK\r\nnocolon\r\n\r\n"}) {
    EXPECT_EQ(status(bad), 502) << bad;
  }
  EXPECT_EQ(status("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n"s), 502);
}

TEST(ResponseParser, Framing) {
  EXPECT_EQ(parse_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").framing,
            BodyFraming::kChunked);
  EXPECT_EQ(parse_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding:  Chunked \r\n\r\n").framing,
            BodyFraming::kChunked);
  ResponseHead h = parse_ok("HTTP/1.1 200 OK\r\n\r\n");
  EXPECT_EQ(h.framing, BodyFraming::kUntilClose);
  EXPECT_FALSE(h.keep_alive);
  // No body whatever the fields say.
  EXPECT_EQ(parse_ok("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "HEAD").framing,
            BodyFraming::kNone);
  EXPECT_EQ(parse_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "HEAD").framing,
            BodyFraming::kNone);
  EXPECT_EQ(parse_ok("HTTP/1.1 204 No Content\r\n\r\n").framing, BodyFraming::kNone);
  EXPECT_TRUE(parse_ok("HTTP/1.1 204 No Content\r\n\r\n").keep_alive);
  EXPECT_EQ(parse_ok("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n").framing,
            BodyFraming::kNone);
  EXPECT_EQ(parse_ok("HTTP/1.1 100 Continue\r\n\r\n").framing, BodyFraming::kNone);
  EXPECT_EQ(parse_ok("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n").status, 103);
  EXPECT_EQ(parse_ok("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n").framing,
            BodyFraming::kNone);
}

TEST(ResponseParser, FramingErrors) {
  for (const char* bad : {
           "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
           "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
           // Still an error when the status means no body: the upstream is confused.
           "HTTP/1.1 204 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
       }) {
    EXPECT_EQ(status(bad), 502) << bad;
  }
}

TEST(ResponseParser, KeepAlive) {
  EXPECT_FALSE(
      parse_ok("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").keep_alive);
  EXPECT_FALSE(parse_ok("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive);
  EXPECT_TRUE(parse_ok("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
                  .keep_alive);
  EXPECT_FALSE(parse_ok("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n").keep_alive);
}

TEST(ResponseParser, Limits) {
  ParserLimits limits;
  limits.max_request_line_bytes = 20;
  EXPECT_EQ(status("HTTP/1.1 200 " + std::string(30, 'r') + "\r\n\r\n", "GET", limits), 502);
  EXPECT_EQ(parse_once("HTTP/1.1 200 " + std::string(30, 'r'), "GET", limits).status, 502);
  limits = ParserLimits{};
  limits.max_head_bytes = 64;
  EXPECT_EQ(parse_once("HTTP/1.1 200 OK\r\nX: " + std::string(100, 'v'), "GET", limits).status,
            502);
  limits = ParserLimits{};
  limits.max_header_count = 1;
  EXPECT_EQ(status("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n", "GET", limits), 502);
}

TEST(ResponseParser, IncrementalAndPipelined) {
  const std::string two =
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
  ResponseHeadParser parser(ParserLimits{});
  ResponseHead h;
  size_t first = 0;
  for (size_t k = 1; k <= two.size() && first == 0; ++k) {
    auto r = parser.parse(std::string_view(two).substr(0, k), "GET", h);
    ASSERT_TRUE(r);
    first = *r;
  }
  ASSERT_EQ(first, 38u);
  EXPECT_EQ(h.status, 200);
  parser.reset();
  auto r = parser.parse(std::string_view(two).substr(first), "GET", h);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, two.size() - first);
  EXPECT_EQ(h.status, 204);
}

TEST(ResponseParser, ClearResets) {
  ResponseHead h = parse_ok("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\n");
  h.clear();
  EXPECT_EQ(h.status, 0);
  EXPECT_TRUE(h.headers.empty());
  EXPECT_TRUE(h.keep_alive);
  EXPECT_EQ(h.framing, BodyFraming::kNone);
  EXPECT_EQ(h.content_length, 0u);
}

}  // namespace
}  // namespace nexus::http1
