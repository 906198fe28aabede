// BodyDecoder: Content-Length and chunked decoding, one-shot and byte by byte.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "http/http1/parser.h"

namespace nexus::http1 {
namespace {

using namespace std::string_literals;

struct Decoded {
  int status = 0;  // 0: done; -1: needs more bytes; else the error's HTTP status
  std::string body;
  size_t consumed = 0;
};

// Runs the decoder over `input`, making `step` more bytes visible at a time (0: all at once),
// the way a connection loop would: keep the unconsumed rest, append new bytes, call again.
Decoded run(std::string_view input, bool chunked, uint64_t length = 0, size_t step = 0,
            const ParserLimits& limits = {}, bool is_request = true) {
  BodyDecoder dec(limits, is_request);
  if (chunked) {
    dec.start_chunked();
  } else {
    dec.start_content_length(length);
  }
  Decoded d;
  size_t pos = 0;
  size_t visible = step == 0 ? input.size() : std::min(step, input.size());
  while (true) {
    auto r = dec.decode(input.substr(pos, visible - pos));
    if (!r) {
      d.status = r.error().http_status();
      return d;
    }
    d.body.append(r->data);
    pos += r->consumed;
    EXPECT_EQ(r->done, dec.done());
    if (r->done) {
      d.consumed = pos;
      EXPECT_EQ(dec.body_bytes(), d.body.size());
      return d;
    }
    if (r->consumed == 0) {
      if (visible == input.size()) {
        d.status = -1;
        return d;
      }
      visible = std::min(visible + (step == 0 ? input.size() : step), input.size());
    }
  }
}

// The same outcome whatever the read sizes.
Decoded run_all(std::string_view input, bool chunked, uint64_t length = 0,
                const ParserLimits& limits = {}, bool is_request = true) {
  const Decoded once = run(input, chunked, length, 0, limits, is_request);
  for (size_t step : {1, 2, 3, 7}) {
    const Decoded d = run(input, chunked, length, step, limits, is_request);
    EXPECT_EQ(d.status, once.status) << "step " << step;
    EXPECT_EQ(d.body, once.body) << "step " << step;
    EXPECT_EQ(d.consumed, once.consumed) << "step " << step;
  }
  return once;
}

int chunked_status(std::string_view input, const ParserLimits& limits = {}) {
  return run_all(input, true, 0, limits).status;
}

TEST(BodyDecoder, ContentLength) {
  Decoded d = run_all("helloEXTRA", false, 5);
  EXPECT_EQ(d.status, 0);
  EXPECT_EQ(d.body, "hello");
  EXPECT_EQ(d.consumed, 5u);
  EXPECT_EQ(run_all("hel", false, 5).status, -1);
  BodyDecoder dec(ParserLimits{}, true);
  dec.start_content_length(0);
  EXPECT_TRUE(dec.done());
  auto r = dec.decode("abc");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->done);
  EXPECT_EQ(r->consumed, 0u);
}

TEST(BodyDecoder, ContentLengthDataIsAView) {
  BodyDecoder dec(ParserLimits{}, true);
  dec.start_content_length(3);
  const std::string_view in = "abcdef";
  auto r = dec.decode(in);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->data.data(), in.data());
  EXPECT_EQ(r->data.size(), 3u);
}

TEST(BodyDecoder, ChunkedBasic) {
  Decoded d = run_all("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET", true);
  EXPECT_EQ(d.status, 0);
  EXPECT_EQ(d.body, "hello world");
  EXPECT_EQ(d.consumed, 26u);
  d = run_all("A;name=val\r\n0123456789\r\n10\r\nabcdefghijklmnop\r\n0\r\n\r\n", true);
  EXPECT_EQ(d.status, 0);
  EXPECT_EQ(d.body.size(), 26u);
  EXPECT_EQ(run_all("0\r\n\r\n", true).body, "");
  EXPECT_EQ(run_all("000\r\n\r\n", true).status, 0);
  EXPECT_EQ(run_all("fF\r\n" + std::string(255, 'x') + "\r\n0\r\n\r\n", true).body.size(), 255u);
}

TEST(BodyDecoder, ChunkedDataIsAView) {
  BodyDecoder dec(ParserLimits{}, true);
  dec.start_chunked();
  const std::string_view in = "3\r\nabc\r\n0\r\n\r\n";
  auto r = dec.decode(in);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->data.data(), in.data() + 3);
  EXPECT_EQ(r->data, "abc");
}

TEST(BodyDecoder, ChunkedIncomplete) {
  EXPECT_EQ(chunked_status("5\r\nhel"), -1);
  EXPECT_EQ(chunked_status("5\r\nhello\r\n0\r\n"), -1);
  EXPECT_EQ(chunked_status("5\r\nhello\r\n0\r\nX: y\r\n"), -1);
  EXPECT_EQ(chunked_status("5"), -1);
}

TEST(BodyDecoder, ChunkSizeGrammar) {
  for (const char* bad : {"0x0\r\n\r\n", "-1\r\nx\r\n0\r\n\r\n", "+1\r\nx\r\n0\r\n\r\n",
                          " 1\r\nx\r\n0\r\n\r\n", "1 \r\nx\r\n0\r\n\r\n", "1\t\r\nx\r\n0\r\n\r\n",
                          "g\r\n", "\r\n\r\n", "1 1\r\nx\r\n0\r\n\r\n"}) {
    EXPECT_EQ(chunked_status(bad), 400) << bad;
  }
  // More than 16 digits, even when the value is small.
  EXPECT_EQ(chunked_status("00000000000000001\r\nx\r\n0\r\n\r\n"), 400);
  EXPECT_EQ(chunked_status("0000000000000001\r\nx\r\n0\r\n\r\n"), 0);
  // 63-bit overflow.
  ParserLimits unlimited;
  unlimited.max_body_bytes = 0;
  EXPECT_EQ(chunked_status("ffffffffffffffff\r\nx\r\n0\r\n\r\n", unlimited), 400);
  EXPECT_EQ(chunked_status("8000000000000000\r\nx\r\n0\r\n\r\n", unlimited), 400);
  EXPECT_EQ(run("7fffffffffffffff\r\nx", true, 0, 0, unlimited).status, -1);
}

TEST(BodyDecoder, ChunkLineEndings) {
  EXPECT_EQ(chunked_status("1;a=b\nX\r\n0\r\n\r\n"), 400);
  EXPECT_EQ(chunked_status("1\nX\r\n0\r\n\r\n"), 400);
  EXPECT_EQ(chunked_status("1\rX\r\n0\r\n\r\n"), 400);
  EXPECT_EQ(chunked_status("1;a\rb\r\nX\r\n0\r\n\r\n"), 400);
  EXPECT_EQ(chunked_status("1\r\nX\r\n0\n\r\n"), 400);
  EXPECT_EQ(chunked_status("1\r\nX\r\n0\r\n\n"), 400);
  // Data must be followed by exactly CRLF.
  EXPECT_EQ(chunked_status("3\r\nabc0\r\n\r\n"), 400);
  EXPECT_EQ(chunked_status("3\r\nabc\n0\r\n\r\n"), 400);
  EXPECT_EQ(chunked_status("3\r\nabc\r0\r\n\r\n"), 400);
  EXPECT_EQ(chunked_status("3\r\nabcd\r\n0\r\n\r\n"), 400);
  // A chunk line that never ends.
  EXPECT_EQ(chunked_status("1;a=" + std::string(5000, 'b')), 400);
}

TEST(BodyDecoder, ChunkExtensions) {
  for (const char* ok :
       {"1;a\r\nx\r\n0\r\n\r\n", "1;a=b\r\nx\r\n0\r\n\r\n", "1 ; a = b ;c\r\nx\r\n0\r\n\r\n",
        "1;a=\"q \\\" ;\"\r\nx\r\n0\r\n\r\n", "1;a=\"\xff\"\r\nx\r\n0\r\n\r\n",
        "1\t;\ta\r\nx\r\n0;last\r\n\r\n", "1;a=\"\"\r\nx\r\n0\r\n\r\n"}) {
    EXPECT_EQ(chunked_status(ok), 0) << ok;
  }
  for (const char* bad :
       {"1;\r\nx\r\n0\r\n\r\n", "1;=b\r\nx\r\n0\r\n\r\n", "1;a=\r\nx\r\n0\r\n\r\n",
        "1;a=b c\r\nx\r\n0\r\n\r\n", "1;a b\r\nx\r\n0\r\n\r\n", "1;a \r\nx\r\n0\r\n\r\n",
        "1;a=\"unterminated\r\nx\r\n0\r\n\r\n", "1;a=\"\x01\"\r\nx\r\n0\r\n\r\n",
        "1;a=(b)\r\nx\r\n0\r\n\r\n", "1,a\r\nx\r\n0\r\n\r\n", "1;a=b;\r\nx\r\n0\r\n\r\n",
        "1;a=\"\\\"\r\nx\r\n0\r\n\r\n"}) {
    EXPECT_EQ(chunked_status(bad), 400) << bad;
  }
}

TEST(BodyDecoder, Trailers) {
  Decoded d = run_all("1\r\nx\r\n0\r\nX-Trailer: v\r\nContent-Length: 99\r\n\r\nrest", true);
  EXPECT_EQ(d.status, 0);
  EXPECT_EQ(d.body, "x");
  EXPECT_EQ(d.consumed, 45u);
  EXPECT_EQ(chunked_status("0\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(chunked_status("0\r\nX : y\r\n\r\n"), 400);
  EXPECT_EQ(chunked_status("0\r\nX: a\0b\r\n\r\n"s), 400);
  EXPECT_EQ(chunked_status("0\r\nnocolon\r\n\r\n"), 400);
  EXPECT_EQ(chunked_status("0\r\nX: y\n\r\n"), 400);
}

TEST(BodyDecoder, ExtensionsAndTrailersCountAgainstHeadLimits) {
  ParserLimits limits;
  limits.max_head_bytes = 32;
  EXPECT_EQ(chunked_status("1;" + std::string(20, 'a') + "\r\nx\r\n0\r\n\r\n", limits), 0);
  EXPECT_EQ(chunked_status("1;" + std::string(20, 'a') + "\r\nx\r\n1;" + std::string(20, 'a') +
                               "\r\nx\r\n0\r\n\r\n",
                           limits),
            431);
  EXPECT_EQ(chunked_status("0\r\nX: " + std::string(40, 'v') + "\r\n\r\n", limits), 431);
  EXPECT_EQ(chunked_status("0\r\nX: " + std::string(40, 'v'), limits), 431);
  limits = ParserLimits{};
  limits.max_header_count = 2;
  EXPECT_EQ(chunked_status("0\r\nA: 1\r\nB: 2\r\n\r\n", limits), 0);
  EXPECT_EQ(chunked_status("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits), 431);
}

TEST(BodyDecoder, BodyLimit) {
  ParserLimits limits;
  limits.max_body_bytes = 10;
  EXPECT_EQ(chunked_status("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", limits), 0);
  EXPECT_EQ(chunked_status("5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n", limits), 413);
  // Reported as soon as the size line shows it, before any data.
  EXPECT_EQ(run("b\r\n", true, 0, 0, limits).status, 413);
  EXPECT_EQ(chunked_status("ffffffffffffff\r\n"), 413);
}

TEST(BodyDecoder, ResponseErrorsAreUpstreamProtocolErrors) {
  EXPECT_EQ(run_all("3\r\nabc0\r\n\r\n", true, 0, {}, false).status, 502);
  EXPECT_EQ(run_all("0x1\r\n", true, 0, {}, false).status, 502);
  ParserLimits limits;
  limits.max_body_bytes = 4;
  // No body limit on responses.
  EXPECT_EQ(run_all("5\r\nhello\r\n0\r\n\r\n", true, 0, limits, false).status, 0);
}

}  // namespace
}  // namespace nexus::http1
