// RequestHeadParser: every rule of docs/http1.md, one-shot and byte by byte.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "http/http1/message.h"
#include "http/http1/parser.h"

namespace nexus::http1 {
namespace {

using namespace std::string_literals;

struct Outcome {
  int status = 0;   // 0: parsed; -1: needs more bytes; else the error's HTTP status
  size_t size = 0;  // head size when parsed
  RequestHead head;
};

Outcome parse_once(std::string_view data, const ParserLimits& limits = {}) {
  RequestHeadParser parser(limits);
  Outcome o;
  auto r = parser.parse(data, o.head);
  if (!r) {
    o.status = r.error().http_status();
  } else if (*r == 0) {
    o.status = -1;
  } else {
    o.size = *r;
  }
  return o;
}

// Feeds the bytes one at a time, as a slow client would.
Outcome parse_bytewise(std::string_view data, const ParserLimits& limits = {}) {
  RequestHeadParser parser(limits);
  Outcome o;
  o.status = -1;
  for (size_t k = 1; k <= data.size(); ++k) {
    auto r = parser.parse(data.substr(0, k), o.head);
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

int status(std::string_view data, const ParserLimits& limits = {}) {
  const Outcome once = parse_once(data, limits);
  const Outcome bytewise = parse_bytewise(data, limits);
  EXPECT_EQ(once.status, bytewise.status) << "one-shot and byte-by-byte differ";
  EXPECT_EQ(once.size, bytewise.size);
  return once.status;
}

RequestHead parse_ok(std::string_view data, const ParserLimits& limits = {}) {
  Outcome o = parse_once(data, limits);
  EXPECT_EQ(o.status, 0) << data;
  EXPECT_EQ(o.size, data.size());
  return std::move(o.head);
}

constexpr std::string_view kGet = "GET /a?b=c HTTP/1.1\r\nHost: gw.test\r\n\r\n";

TEST(RequestParser, ParsesSimpleGet) {
  RequestHead h = parse_ok(kGet);
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/a?b=c");
  EXPECT_EQ(h.path, "/a");
  EXPECT_EQ(h.host, "gw.test");
  EXPECT_EQ(h.minor_version, 1);
  ASSERT_EQ(h.headers.size(), 1u);
  EXPECT_EQ(h.headers[0].name, "Host");
  EXPECT_EQ(h.headers[0].value, "gw.test");
  EXPECT_EQ(h.framing, BodyFraming::kNone);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.expect_continue);
}

TEST(RequestParser, NeedsMoreUntilTheEmptyLine) {
  for (size_t k = 0; k < kGet.size(); ++k) {
    EXPECT_EQ(parse_once(kGet.substr(0, k)).status, -1) << k;
  }
}

TEST(RequestParser, ReportsHeadSizeWithFollowingBytes) {
  // Appended rather than built with operator+: g++ 12 warns (-Warray-bounds, falsely) on that.
  std::string data(kGet);
  data += "GET /next HTTP/1.1\r\n";
  EXPECT_EQ(parse_once(data).size, kGet.size());
}

TEST(RequestParser, IgnoresOneLeadingCrlf) {
  const std::string data = "\r\n" + std::string(kGet);
  Outcome o = parse_once(data);
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.size, data.size());
  EXPECT_EQ(o.head.method, "GET");
  EXPECT_EQ(status("\r\n\r\n" + std::string(kGet)), 400);
  EXPECT_EQ(status("\n" + std::string(kGet)), 400);
}

TEST(RequestParser, IncrementalMatchesOneShot) {
  const std::vector<std::string> inputs = {
      std::string(kGet),
      "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
      "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
      "\r\nGET / HTTP/1.0\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX: 1\nY: 2\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX: 1\rY: 2\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\n\r\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\n X: folded\r\n\r\n",
  };
  for (const auto& in : inputs) {
    SCOPED_TRACE(in);
    const Outcome once = parse_once(in);
    const Outcome bytewise = parse_bytewise(in);
    EXPECT_EQ(once.status, bytewise.status);
    EXPECT_EQ(once.size, bytewise.size);
    EXPECT_EQ(once.head.method, bytewise.head.method);
    EXPECT_EQ(once.head.headers.size(), bytewise.head.headers.size());
    EXPECT_EQ(once.head.framing, bytewise.head.framing);
    EXPECT_EQ(once.head.keep_alive, bytewise.head.keep_alive);
  }
}

TEST(RequestParser, ResetAndReuse) {
  RequestHeadParser parser(ParserLimits{});
  RequestHead h;
  EXPECT_EQ(*parser.parse(kGet.substr(0, 10), h), 0u);
  parser.reset();
  const std::string_view second = "GET /two HTTP/1.1\r\nHost: b\r\n\r\n";
  auto r = parser.parse(second, h);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, second.size());
  EXPECT_EQ(h.path, "/two");
  // A repeated call after completion re-parses the same head.
  r = parser.parse(second, h);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, second.size());
}

// ---- Line endings -----------------------------------------------------------------------------

TEST(RequestParser, BareLfOrCrIs400) {
  EXPECT_EQ(status("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\n\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nX-F\ro: b\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n"), 400);
  EXPECT_EQ(status("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(RequestParser, BareLfDetectedBeforeTheHeadIsComplete) {
  EXPECT_EQ(parse_once("GET / HTTP/1.1\r\nHost: a\nX").status, 400);
  EXPECT_EQ(parse_once("GET / HTTP/1.1\r\nHo\rst").status, 400);
  EXPECT_EQ(parse_once("GET / HTTP/1.1\r\nHost: a\r").status, -1);  // CR may still get its LF
}

// ---- Limits -----------------------------------------------------------------------------------

TEST(RequestParser, RequestLineLimitIs414BeforeTheLineEnds) {
  ParserLimits limits;
  limits.max_request_line_bytes = 64;
  const std::string ok = "GET /" + std::string(64 - 14, 'a') + " HTTP/1.1";
  ASSERT_EQ(ok.size(), 64u);
  EXPECT_EQ(status(ok + "\r\nHost: a\r\n\r\n", limits), 0);
  const std::string too_long = "GET /" + std::string(64 - 13, 'a') + " HTTP/1.1";
  EXPECT_EQ(status(too_long + "\r\nHost: a\r\n\r\n", limits), 414);
  EXPECT_EQ(parse_once("GET /" + std::string(100, 'a'), limits).status, 414);
  EXPECT_EQ(parse_once("GET /" + std::string(8 * 1024, 'a')).status, 414);
}

TEST(RequestParser, HeadLimitIs431BeforeTheHeadEnds) {
  ParserLimits limits;
  limits.max_head_bytes = 100;
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
  const std::string end = "\r\n\r\n";
  const std::string exact = head + std::string(100 - head.size() - end.size(), 'v') + end;
  ASSERT_EQ(exact.size(), 100u);
  EXPECT_EQ(status(exact, limits), 0);
  EXPECT_EQ(status(head + std::string(100 - head.size() - end.size() + 1, 'v') + end, limits), 431);
  EXPECT_EQ(parse_once(head + std::string(200, 'v'), limits).status, 431);
  EXPECT_EQ(parse_once("GET / HTTP/1.1\r\nCookie: " + std::string(70 * 1024, 'c')).status, 431);
}

TEST(RequestParser, HeaderCountLimitIs431) {
  ParserLimits limits;
  limits.max_header_count = 3;
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 1\r\n\r\n", limits), 0);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n", limits), 431);
  // Dropped fields still count.
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nB_x: 1\r\nC_x: 1\r\nD_x: 1\r\n\r\n", limits), 431);
  EXPECT_EQ(parse_once("GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 1\r\nD: 1\r\n", limits).status,
            431);
}

TEST(RequestParser, BodyLimitIs413) {
  ParserLimits limits;
  limits.max_body_bytes = 10;
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n", limits), 0);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", limits), 413);
  limits.max_body_bytes = 0;  // unlimited
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999\r\n\r\n", limits), 0);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 33554433\r\n\r\n"), 413);
}

// ---- Request line -----------------------------------------------------------------------------

TEST(RequestParser, Versions) {
  EXPECT_EQ(parse_ok("GET / HTTP/1.0\r\n\r\n").minor_version, 0);
  EXPECT_EQ(parse_ok("GET / HTTP/1.1\r\nHost: a\r\n\r\n").minor_version, 1);
  EXPECT_EQ(parse_ok("GET / HTTP/1.2\r\nHost: a\r\n\r\n").minor_version, 1);
  EXPECT_EQ(parse_ok("GET / HTTP/1.9\r\nHost: a\r\n\r\n").minor_version, 1);
  EXPECT_EQ(status("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(status("GET / HTTP/3.0\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(status("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 505);
  EXPECT_EQ(status("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.x\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / http/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/2\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET /\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET /  HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\n\r\n"), 400);  // no Host
}

TEST(RequestParser, Methods) {
  for (const char* m : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"}) {
    EXPECT_EQ(status(std::string(m) + " / HTTP/1.1\r\nHost: a\r\n\r\n"), 0) << m;
  }
  EXPECT_EQ(status("CONNECT gw.test:443 HTTP/1.1\r\nHost: gw.test:443\r\n\r\n"), 405);
  EXPECT_EQ(status("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n"), 405);
  EXPECT_EQ(status("TRACE / HTTP/1.1\r\nHost: a\r\n\r\n"), 405);
  EXPECT_EQ(status("PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n"), 501);
  EXPECT_EQ(status("get / HTTP/1.1\r\nHost: a\r\n\r\n"), 501);  // methods are case-sensitive
  EXPECT_EQ(status("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("G\x80T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(RequestParser, Targets) {
  EXPECT_EQ(parse_ok("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").target, "*");
  EXPECT_EQ(status("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET http://gw.test/ HTTP/1.1\r\nHost: gw.test\r\n\r\n"), 400);
  EXPECT_EQ(status("GET gw.test:80 HTTP/1.1\r\nHost: gw.test\r\n\r\n"), 400);
  EXPECT_EQ(status("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"s), 400);
  RequestHead h = parse_ok("GET /v1/chat?x=1?y HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(h.path, "/v1/chat");
  EXPECT_EQ(h.target, "/v1/chat?x=1?y");
  EXPECT_EQ(parse_ok("GET /%20x HTTP/1.1\r\nHost: a\r\n\r\n").path, "/%20x");
}

// ---- Field lines ------------------------------------------------------------------------------

TEST(RequestParser, FieldLineSyntax) {
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\n\tfolded\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\n: empty-name\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nX(y): 1\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nX\x80: 1\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"s), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nX: a\x0b b\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nX: a\x1f\r\n\r\n"), 400);
}

TEST(RequestParser, ValuesAreTrimmedAndKeepObsText) {
  RequestHead h = parse_ok(
      "GET / HTTP/1.1\r\nHost:gw.test\r\nX-A: \t a\tb \t\r\nX-B:\xff\x80 z\r\nX-C:   \r\n\r\n");
  ASSERT_EQ(h.headers.size(), 4u);
  EXPECT_EQ(h.headers[0].value, "gw.test");
  EXPECT_EQ(h.headers[1].value, "a\tb");
  EXPECT_EQ(h.headers[2].value, "\xff\x80 z");
  EXPECT_EQ(h.headers[3].value, "");
  EXPECT_EQ(h.headers[1].name, "X-A");
}

TEST(RequestParser, UnderscoreNamesAreDropped) {
  RequestHead h = parse_ok(
      "POST / HTTP/1.1\r\nHost: a\r\nX_Forwarded_For: evil\r\nContent_Length: 5\r\n"
      "Transfer_Encoding: chunked\r\nX-Ok: 1\r\n\r\n");
  ASSERT_EQ(h.headers.size(), 2u);
  EXPECT_EQ(h.headers[1].name, "X-Ok");
  EXPECT_EQ(h.framing, BodyFraming::kNone);  // dropped names are never applied
  EXPECT_EQ(find_header(h.headers, "x_forwarded_for"), nullptr);
  // Still validated.
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nX_Y: a\0\r\n\r\n"s), 400);
}

// ---- Host -------------------------------------------------------------------------------------

TEST(RequestParser, Host) {
  EXPECT_EQ(status("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost:\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a, b\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a:\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: :80\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: [zz]\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: \xc3\xa9\r\n\r\n"), 400);
  for (const char* ok : {"gw.test", "gw.test:8080", "127.0.0.1", "127.0.0.1:1", "[::1]",
                         "[2001:db8::1]:443", "xn--bcher-kva.example", "a_b.test"}) {
    EXPECT_EQ(parse_ok("GET / HTTP/1.1\r\nHost: " + std::string(ok) + "\r\n\r\n").host, ok);
  }
  // HTTP/1.0: optional, but validated and single when present.
  EXPECT_EQ(parse_ok("GET / HTTP/1.0\r\n\r\n").host, "");
  EXPECT_EQ(parse_ok("GET / HTTP/1.0\r\nHost: a\r\n\r\n").host, "a");
  EXPECT_EQ(status("GET / HTTP/1.0\r\nHost: a, b\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n"), 400);
}

// ---- Framing ----------------------------------------------------------------------------------

TEST(RequestParser, ContentLength) {
  RequestHead h = parse_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n");
  EXPECT_EQ(h.framing, BodyFraming::kContentLength);
  EXPECT_EQ(h.content_length, 42u);
  h = parse_ok("POST / HTTP/1.1\r\nHost: a\r\ncontent-length:  \t5 \t\r\n\r\n");
  EXPECT_EQ(h.content_length, 5u);
  h = parse_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(h.content_length, 0u);
  ParserLimits unlimited;
  unlimited.max_body_bytes = 0;
  h = parse_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n",
               unlimited);
  EXPECT_EQ(h.content_length, 9223372036854775807ULL);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n",
                   unlimited),
            400);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n",
                   unlimited),
            400);
  for (const char* bad :
       {"abc", "5, 6", "5, 5", "5,5", "+5", "-5", "0x5", "5 5", "", "5;", "1e3"}) {
    EXPECT_EQ(
        status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::string(bad) + "\r\n\r\n"),
        400)
        << bad;
  }
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"),
            400);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\n"),
            400);
}

TEST(RequestParser, TransferEncoding) {
  RequestHead h = parse_ok("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(h.framing, BodyFraming::kChunked);
  EXPECT_EQ(parse_ok("POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: \tChUnKeD \r\n\r\n").framing,
            BodyFraming::kChunked);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"), 501);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n"), 501);
  for (const char* bad : {"chunked, chunked", "gzip, chunked", "chunked;q=1", "\"chunked\"",
                          "chunked chunked", "", "chunked,", ",chunked",
                          "\x0b"
                          "chunked",
                          "chunk\xe9"}) {
    EXPECT_EQ(
        status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " + std::string(bad) + "\r\n\r\n"),
        400)
        << bad;
  }
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                   "Content-Length: 5\r\n\r\n"),
            400);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                   "Transfer-Encoding: gzip\r\n\r\n"),
            400);
  EXPECT_EQ(status("POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n"), 400);
}

// ---- Connection and Expect --------------------------------------------------------------------

TEST(RequestParser, KeepAlive) {
  EXPECT_TRUE(parse_ok("GET / HTTP/1.1\r\nHost: a\r\n\r\n").keep_alive);
  EXPECT_FALSE(parse_ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keep_alive);
  EXPECT_FALSE(
      parse_ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE \r\n\r\n").keep_alive);
  EXPECT_FALSE(parse_ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: x\r\nConnection: close\r\n\r\n")
                   .keep_alive);
  EXPECT_TRUE(
      parse_ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: closed, keep-alive\r\n\r\n").keep_alive);
  EXPECT_FALSE(parse_ok("GET / HTTP/1.0\r\n\r\n").keep_alive);
  EXPECT_TRUE(parse_ok("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
  EXPECT_FALSE(parse_ok("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").keep_alive);
}

TEST(RequestParser, ExpectContinue) {
  EXPECT_TRUE(parse_ok("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: "
                       "1\r\n\r\n")
                  .expect_continue);
  EXPECT_FALSE(parse_ok("POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n").expect_continue);
  EXPECT_FALSE(parse_ok("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expect_continue);
}

TEST(RequestParser, ClearKeepsCapacity) {
  RequestHead h = parse_ok("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n");
  const size_t cap = h.headers.capacity();
  h.clear();
  EXPECT_TRUE(h.headers.empty());
  EXPECT_EQ(h.headers.capacity(), cap);
  EXPECT_TRUE(h.method.empty());
  EXPECT_EQ(h.framing, BodyFraming::kNone);
  EXPECT_TRUE(h.keep_alive);
}

TEST(Message, IequalsAndFindHeader) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_FALSE(iequals("Content-Length", "content-lengt"));
  EXPECT_FALSE(iequals("[", "{"));  // '[' | 0x20 == '{' but they are not letters
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_TRUE(iequals("", ""));
  std::vector<Header> hs = {{"A", "1"}, {"b", "2"}, {"B", "3"}};
  ASSERT_NE(find_header(hs, "B"), nullptr);
  EXPECT_EQ(find_header(hs, "B")->value, "2");
  EXPECT_EQ(find_header(hs, "c"), nullptr);
}

}  // namespace
}  // namespace nexus::http1
