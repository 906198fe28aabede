// ServerStream::build_head, fed field by field the way the session's on_header callback does.
// Some of these requests cannot reach build_head through nghttp2 (it resets streams with neither
// :authority nor host, or with a non-numeric content-length), so they are checked here directly.
#include "http/http2/server_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace nexus::http2 {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

void add(ServerStream& stream, const Pairs& fields) {
  for (const auto& [name, value] : fields) {
    stream.add_field(name, value);
  }
}

Pairs headers_of(const ServerStream& stream) {
  Pairs out;
  for (const auto& header : stream.head.headers) {
    out.emplace_back(header.name, header.value);
  }
  return out;
}

TEST(ServerStreamTest, PseudoHeadersBecomeTheRequestLine) {
  ServerStream stream(1);
  add(stream, {{":method", "GET"},
               {":scheme", "https"},
               {":authority", "api.example.com"},
               {":path", "/v1/models?limit=2"},
               {"accept", "*/*"}});
  stream.build_head(/*end_stream=*/true);
  ASSERT_FALSE(stream.head_error) << stream.head_error->message();
  EXPECT_EQ(stream.head.method, "GET");
  EXPECT_EQ(stream.head.target, "/v1/models?limit=2");
  EXPECT_EQ(stream.head.path, "/v1/models");
  EXPECT_EQ(stream.head.host, "api.example.com");
  EXPECT_EQ(stream.head.minor_version, 1);
  EXPECT_TRUE(stream.head.keep_alive);
  EXPECT_EQ(headers_of(stream), (Pairs{{"accept", "*/*"}}));  // no pseudo-headers
  EXPECT_EQ(stream.head.framing, http1::BodyFraming::kNone);
}

TEST(ServerStreamTest, HostHeaderAloneGivesTheHost) {
  ServerStream stream(1);
  add(stream, {{":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {"host", "h.example"}});
  stream.build_head(true);
  ASSERT_FALSE(stream.head_error);
  EXPECT_EQ(stream.head.host, "h.example");
  EXPECT_EQ(headers_of(stream), (Pairs{{"host", "h.example"}}));
}

TEST(ServerStreamTest, NeitherAuthorityNorHostIs400) {
  ServerStream stream(1);
  add(stream, {{":method", "GET"}, {":scheme", "http"}, {":path", "/"}});
  stream.build_head(true);
  ASSERT_TRUE(stream.head_error);
  EXPECT_EQ(stream.head_error->http_status(), 400);
}

TEST(ServerStreamTest, AuthorityAndHostMayDifferInCaseOnly) {
  ServerStream stream(1);
  add(stream, {{":method", "GET"},
               {":scheme", "http"},
               {":authority", "Example.COM"},
               {":path", "/"},
               {"host", "example.com"}});
  stream.build_head(true);
  EXPECT_FALSE(stream.head_error);
  EXPECT_EQ(stream.head.host, "Example.COM");
}

TEST(ServerStreamTest, AuthorityAndHostDisagreeingIs400) {
  ServerStream stream(1);
  add(stream, {{":method", "GET"},
               {":scheme", "http"},
               {":authority", "a.example"},
               {":path", "/"},
               {"host", "b.example"}});
  stream.build_head(true);
  ASSERT_TRUE(stream.head_error);
  EXPECT_EQ(stream.head_error->http_status(), 400);
}

TEST(ServerStreamTest, BadContentLengthIs400) {
  for (const char* value : {"abc", "12a", "-1", "", " 5", "1,1", "99999999999999999999999"}) {
    ServerStream stream(1);
    add(stream, {{":method", "POST"},
                 {":scheme", "http"},
                 {":authority", "a"},
                 {":path", "/"},
                 {"content-length", value}});
    stream.build_head(false);
    ASSERT_TRUE(stream.head_error) << value;
    EXPECT_EQ(stream.head_error->http_status(), 400) << value;
  }
}

TEST(ServerStreamTest, ContentLengthFraming) {
  ServerStream stream(1);
  add(stream, {{":method", "POST"},
               {":scheme", "http"},
               {":authority", "a"},
               {":path", "/"},
               {"content-length", "1234"}});
  stream.build_head(false);
  ASSERT_FALSE(stream.head_error);
  EXPECT_EQ(stream.head.framing, http1::BodyFraming::kContentLength);
  EXPECT_EQ(stream.head.content_length, 1234u);
}

TEST(ServerStreamTest, BodilessMethodsWithEndStreamHaveNoBody) {
  for (const char* method : {"GET", "HEAD", "DELETE", "OPTIONS", "TRACE"}) {
    ServerStream stream(1);
    add(stream, {{":method", method}, {":scheme", "http"}, {":authority", "a"}, {":path", "/"}});
    stream.build_head(/*end_stream=*/true);
    ASSERT_FALSE(stream.head_error) << method;
    EXPECT_EQ(stream.head.framing, http1::BodyFraming::kNone) << method;
  }
}

TEST(ServerStreamTest, OtherMethodsWithEndStreamHaveAnEmptyLengthBody) {
  for (const char* method : {"POST", "PUT", "PATCH"}) {
    ServerStream stream(1);
    add(stream, {{":method", method}, {":scheme", "http"}, {":authority", "a"}, {":path", "/"}});
    stream.build_head(/*end_stream=*/true);
    ASSERT_FALSE(stream.head_error) << method;
    EXPECT_EQ(stream.head.framing, http1::BodyFraming::kContentLength) << method;
    EXPECT_EQ(stream.head.content_length, 0u) << method;
  }
}

TEST(ServerStreamTest, NoLengthAndNoEndStreamIsChunked) {
  for (const char* method : {"GET", "POST"}) {
    ServerStream stream(1);
    add(stream, {{":method", method}, {":scheme", "http"}, {":authority", "a"}, {":path", "/"}});
    stream.build_head(/*end_stream=*/false);
    ASSERT_FALSE(stream.head_error) << method;
    EXPECT_EQ(stream.head.framing, http1::BodyFraming::kChunked) << method;
  }
}

TEST(ServerStreamTest, ConnectIs405) {
  ServerStream stream(1);
  add(stream, {{":method", "CONNECT"}, {":authority", "a.example:443"}});
  stream.build_head(false);
  ASSERT_TRUE(stream.head_error);
  EXPECT_EQ(stream.head_error->http_status(), 405);
}

TEST(ServerStreamTest, CookieCrumbsJoinedAtTheFirstCrumb) {
  ServerStream stream(1);
  add(stream, {{":method", "GET"},
               {":scheme", "http"},
               {":authority", "a"},
               {":path", "/"},
               {"x-first", "1"},
               {"cookie", "a=1"},
               {"x-second", "2"},
               {"cookie", "b=2"},
               {"cookie", "c=3"},
               {"x-third", "3"}});
  stream.build_head(true);
  EXPECT_EQ(
      headers_of(stream),
      (Pairs{{"x-first", "1"}, {"cookie", "a=1; b=2; c=3"}, {"x-second", "2"}, {"x-third", "3"}}));
}

TEST(ServerStreamTest, CookieAsTheLastField) {
  ServerStream stream(1);
  add(stream, {{":method", "GET"},
               {":scheme", "http"},
               {":authority", "a"},
               {":path", "/"},
               {"x-first", "1"},
               {"cookie", "a=1"}});
  stream.build_head(true);
  EXPECT_EQ(headers_of(stream), (Pairs{{"x-first", "1"}, {"cookie", "a=1"}}));
}

TEST(ServerStreamTest, RefuseKeepsTheFirstError) {
  ServerStream stream(1);
  stream.refuse(Error(ErrorCode::kHeadersTooLarge, "first"));
  stream.refuse(Error(ErrorCode::kBadRequest, "second"));
  ASSERT_TRUE(stream.head_error);
  EXPECT_EQ(stream.head_error->http_status(), 431);
  EXPECT_EQ(stream.head_error->message(), "first");
}

TEST(ServerStreamTest, TrailersAreCollectedInOrder) {
  ServerStream stream(1);
  stream.add_trailer("x-checksum", "abc");
  stream.add_trailer("x-count", "2");
  ASSERT_EQ(stream.trailers.size(), 2u);
  EXPECT_EQ(stream.trailers[0].name, "x-checksum");
  EXPECT_EQ(stream.trailers[0].value, "abc");
  EXPECT_EQ(stream.trailers[1].name, "x-count");
  EXPECT_EQ(stream.trailers[1].value, "2");
}

}  // namespace
}  // namespace nexus::http2
