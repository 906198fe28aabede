#include "http/http1/head_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/http1/parser.h"

namespace nexus::http1 {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Parses `raw` as a request head; the string must outlive the returned head's views.
RequestHead parse_request(const std::string& raw) {
  RequestHead head;
  RequestHeadParser parser(ParserLimits{});
  auto parsed = parser.parse(raw, head);
  EXPECT_TRUE(parsed.has_value() && *parsed == raw.size()) << raw;
  return head;
}

TEST(UpstreamRequestHead, StripsHopByHopAndConnectionNamedFields) {
  const std::string raw =
      "POST /v1/x?y=1 HTTP/1.1\r\nHost: gw.test\r\nConnection: keep-alive, X-Secret\r\n"
      "Keep-Alive: timeout=5\r\nX-Secret: s\r\nTE: trailers\r\nUpgrade: websocket\r\n"
      "Proxy-Authorization: Basic x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n"
      "X-Keep: yes\r\n\r\n";
  const RequestHead head = parse_request(raw);
  std::string out;
  write_upstream_request_head(head,
                              {.target = "/v1/x?y=1",
                               .host = "gw.test",
                               .client_ip = "10.1.2.3",
                               .framing = BodyFraming::kContentLength,
                               .content_length = 3},
                              out);
  EXPECT_THAT(out, ::testing::StartsWith("POST /v1/x?y=1 HTTP/1.1\r\nHost: gw.test\r\n"));
  for (const char* dropped : {"Connection:", "Keep-Alive:", "X-Secret:", "TE:", "Upgrade:",
                              "Proxy-Authorization:", "Expect:"}) {
    EXPECT_THAT(out, Not(HasSubstr(dropped))) << dropped;
  }
  EXPECT_THAT(out, HasSubstr("X-Keep: yes\r\n"));
  EXPECT_THAT(out, HasSubstr("Content-Length: 3\r\n"));
  EXPECT_THAT(out, HasSubstr("X-Forwarded-For: 10.1.2.3\r\n"));
  EXPECT_THAT(out, HasSubstr("X-Forwarded-Proto: http\r\n"));
  EXPECT_THAT(out, HasSubstr("Via: 1.1 nexus\r\n"));
  EXPECT_TRUE(out.ends_with("\r\n\r\n"));
}

TEST(UpstreamRequestHead, AppendsToForwardedForAndViaAndReframesChunked) {
  const std::string raw =
      "POST / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\n"
      "Via: 1.0 edge\r\nX-Forwarded-Proto: gopher\r\nTransfer-Encoding: chunked\r\n\r\n";
  const RequestHead head = parse_request(raw);
  std::string out;
  write_upstream_request_head(head,
                              {.target = "/",
                               .host = "rewritten.internal",
                               .client_ip = "3.3.3.3",
                               .client_tls = true,
                               .framing = BodyFraming::kChunked},
                              out);
  EXPECT_THAT(out, HasSubstr("Host: rewritten.internal\r\n"));
  EXPECT_THAT(out, HasSubstr("X-Forwarded-For: 1.1.1.1, 2.2.2.2, 3.3.3.3\r\n"));
  EXPECT_THAT(out, HasSubstr("Via: 1.0 edge, 1.1 nexus\r\n"));
  EXPECT_THAT(out, HasSubstr("X-Forwarded-Proto: https\r\n"));
  EXPECT_THAT(out, Not(HasSubstr("gopher")));
  EXPECT_THAT(out, HasSubstr("Transfer-Encoding: chunked\r\n"));
  EXPECT_THAT(out, Not(HasSubstr("Content-Length")));
}

ResponseHead parse_response(const std::string& raw, std::string_view method = "GET") {
  ResponseHead head;
  ResponseHeadParser parser(ParserLimits{});
  auto parsed = parser.parse(raw, method, head);
  EXPECT_TRUE(parsed.has_value() && *parsed == raw.size()) << raw;
  return head;
}

TEST(ClientResponseHead, ReframesChunkedAndClosesWhenAsked) {
  const std::string raw =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
      "Connection: X-Hop\r\nX-Hop: 1\r\n\r\n";
  const ResponseHead head = parse_response(raw);
  std::string out;
  write_client_response_head(head, {.framing = BodyFraming::kChunked, .keep_alive = false}, out);
  EXPECT_THAT(out, ::testing::StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(out, HasSubstr("Content-Type: text/event-stream\r\n"));
  EXPECT_THAT(out, HasSubstr("Transfer-Encoding: chunked\r\n"));
  EXPECT_THAT(out, HasSubstr("Connection: close\r\n"));
  EXPECT_THAT(out, Not(HasSubstr("X-Hop")));
  EXPECT_THAT(out, HasSubstr("Via: 1.1 nexus\r\n"));
}

TEST(ClientResponseHead, KeepsContentLengthOfBodylessHeadResponse) {
  const std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
  const ResponseHead head = parse_response(raw, "HEAD");
  ASSERT_EQ(head.framing, BodyFraming::kNone);
  std::string out;
  write_client_response_head(head, {.framing = BodyFraming::kNone, .client_http10 = true}, out);
  EXPECT_THAT(out, HasSubstr("Content-Length: 1234\r\n"));
  EXPECT_THAT(out, HasSubstr("Connection: keep-alive\r\n"));
}

TEST(ClientResponseHead, DropsContentLengthOn204) {
  const std::string raw = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";
  const ResponseHead head = parse_response(raw);
  std::string out;
  write_client_response_head(head, {.framing = BodyFraming::kNone}, out);
  EXPECT_THAT(out, Not(HasSubstr("Content-Length")));
}

TEST(LocalResponse, CarriesLengthTypeAndBodyExceptForHead) {
  std::string out;
  write_local_response(404, "application/json", "{}", true, false, out);
  EXPECT_EQ(out,
            "HTTP/1.1 404 Not Found\r\nServer: nexus\r\nContent-Type: application/json\r\n"
            "Content-Length: 2\r\n\r\n{}");
  out.clear();
  write_local_response(503, "application/json", "{}", false, true, out);
  EXPECT_THAT(out, HasSubstr("Content-Length: 2\r\nConnection: close\r\n\r\n"));
  EXPECT_TRUE(out.ends_with("\r\n\r\n"));
}

TEST(LocalResponse, ExtraFieldsButNeverFramingOnes) {
  std::string out;
  const Header extra[] = {{"WWW-Authenticate", "Bearer realm=\"nexus\""},
                          {"Content-Length", "99"},
                          {"Transfer-Encoding", "chunked"},
                          {"Retry-After", "2"}};
  write_local_response(401, "application/json", "{}", true, false, out, extra);
  EXPECT_EQ(out,
            "HTTP/1.1 401 Unauthorized\r\nServer: nexus\r\nContent-Type: application/json\r\n"
            "WWW-Authenticate: Bearer realm=\"nexus\"\r\nRetry-After: 2\r\n"
            "Content-Length: 2\r\n\r\n{}");
}

TEST(LocalResponse, NoContentHasNoLengthAndNoBody) {
  for (const int status : {204, 304}) {
    std::string out;
    write_local_response(status, "", "ignored", true, false, out);
    EXPECT_THAT(out, Not(HasSubstr("Content-Length"))) << status;
    EXPECT_TRUE(out.ends_with("\r\n\r\n")) << status;
  }
}

TEST(HopByHop, KnowsTheConnectionSpecificFields) {
  for (const char* name :
       {"Connection", "keep-alive", "TE", "Transfer-Encoding", "Upgrade", "Trailer",
        "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "Content-Length"}) {
    EXPECT_TRUE(is_hop_by_hop(name)) << name;
  }
  for (const char* name : {"Content-Type", "Authorization", "X-Te", "Cookie"}) {
    EXPECT_FALSE(is_hop_by_hop(name)) << name;
  }
}

TEST(ChunkSizeLine, IsLowerHexWithCrlf) {
  char buf[24];
  EXPECT_EQ(std::string(buf, format_chunk_size_line(0, buf)), "0\r\n");
  EXPECT_EQ(std::string(buf, format_chunk_size_line(26, buf)), "1a\r\n");
  EXPECT_EQ(std::string(buf, format_chunk_size_line(0xffffffffULL, buf)), "ffffffff\r\n");
}

}  // namespace
}  // namespace nexus::http1
