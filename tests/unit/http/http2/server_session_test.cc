// ServerSession against a real nghttp2 client, in memory: the server preface and request heads.
// Request bodies, flow control and responses are in server_session_flow_test.cc, the abuse limits
// and the end of connections in server_session_abuse_test.cc.
#include "http/http2/server_session.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "h2_test_peer.h"

namespace nexus::http2 {
namespace {

using h2test::get;
using h2test::headers_of;
using h2test::Pairs;
using h2test::post;
using h2test::with;

class Http2ServerSessionTest : public h2test::SessionFixture {};

// --- the server preface --------------------------------------------------------------------

TEST_F(Http2ServerSessionTest, PrefaceAnnouncesTheLimitsAndOpensTheConnectionWindow) {
  start();
  nghttp2_session* c = client_->session();
  EXPECT_EQ(nghttp2_session_get_remote_settings(c, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS), 100u);
  EXPECT_EQ(nghttp2_session_get_remote_settings(c, NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE), 65536u);
  EXPECT_EQ(nghttp2_session_get_remote_settings(c, NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE),
            64u * 1024);
  EXPECT_EQ(nghttp2_session_get_remote_window_size(c), 1024 * 1024);
  // SETTINGS first, then the connection WINDOW_UPDATE from the default 65535 to 1 MiB.
  const auto& frames = client_->frames();
  ASSERT_GE(frames.size(), 2u);
  EXPECT_EQ(frames[0].type, NGHTTP2_SETTINGS);
  EXPECT_EQ(frames[0].flags & NGHTTP2_FLAG_ACK, 0);
  const auto update = client_->first(NGHTTP2_WINDOW_UPDATE);
  ASSERT_TRUE(update);
  EXPECT_EQ(update->stream_id, 0);
  EXPECT_EQ(update->window_increment, 1024 * 1024 - 65535);
  EXPECT_TRUE(server_->alive());
  EXPECT_EQ(server_->end(), SessionEnd::kNone);
}

TEST_F(Http2ServerSessionTest, PrefaceFollowsConfiguredLimits) {
  SessionLimits limits;
  limits.max_concurrent_streams = 7;
  limits.initial_stream_window = 1000;
  limits.max_header_list_bytes = 4096;
  limits.connection_window = 200000;
  start(limits);
  nghttp2_session* c = client_->session();
  EXPECT_EQ(nghttp2_session_get_remote_settings(c, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS), 7u);
  EXPECT_EQ(nghttp2_session_get_remote_settings(c, NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE), 1000u);
  EXPECT_EQ(nghttp2_session_get_remote_settings(c, NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE), 4096u);
  EXPECT_EQ(nghttp2_session_get_remote_window_size(c), 200000);
}

// --- request heads -------------------------------------------------------------------------

TEST_F(Http2ServerSessionTest, GetBecomesARequestHead) {
  start();
  const int32_t id = client_->request(
      with(get("/v1/models?limit=2", "api.example.com"), {{"accept", "application/json"},
                                                          {"x-multi", "1"},
                                                          {"user-agent", "test"},
                                                          {"x-multi", "2"}}),
      /*end_stream=*/true);
  ASSERT_FALSE(pump());
  ASSERT_EQ(id, 1);
  ServerStream& s = only_request();
  EXPECT_EQ(s.id(), 1);
  ASSERT_FALSE(s.head_error) << s.head_error->message();
  EXPECT_EQ(s.head.method, "GET");
  EXPECT_EQ(s.head.target, "/v1/models?limit=2");
  EXPECT_EQ(s.head.path, "/v1/models");
  EXPECT_EQ(s.head.host, "api.example.com");
  EXPECT_EQ(headers_of(s), (Pairs{{"accept", "application/json"},
                                  {"x-multi", "1"},
                                  {"user-agent", "test"},
                                  {"x-multi", "2"}}));
  EXPECT_EQ(s.head.framing, http1::BodyFraming::kNone);
  EXPECT_TRUE(s.request_complete);
  EXPECT_EQ(rec_.events, (std::vector<std::string>{"request 1"}));
  EXPECT_EQ(server_->open_streams(), 1u);
}

TEST_F(Http2ServerSessionTest, PostWithContentLength) {
  start();
  const int32_t id =
      client_->request(with(post(), {{"content-length", "5"}}), /*end_stream=*/false);
  ASSERT_FALSE(pump());
  ServerStream& s = only_request();
  ASSERT_FALSE(s.head_error);
  EXPECT_EQ(s.head.method, "POST");
  EXPECT_EQ(s.head.framing, http1::BodyFraming::kContentLength);
  EXPECT_EQ(s.head.content_length, 5u);
  EXPECT_FALSE(s.request_complete);

  client_->send(id, "hello", /*end=*/true);
  ASSERT_FALSE(pump());
  EXPECT_EQ(s.body, "hello");
  EXPECT_EQ(s.body_received, 5u);
  EXPECT_TRUE(s.request_complete);
  EXPECT_EQ(rec_.events, (std::vector<std::string>{"request 1", "body 1 5", "body 1 5 end"}));
}

TEST_F(Http2ServerSessionTest, PostWithoutLengthIsChunked) {
  start();
  client_->request(post(), /*end_stream=*/false);
  ASSERT_FALSE(pump());
  ServerStream& s = only_request();
  ASSERT_FALSE(s.head_error);
  EXPECT_EQ(s.head.framing, http1::BodyFraming::kChunked);
  EXPECT_FALSE(s.request_complete);
}

TEST_F(Http2ServerSessionTest, PostEndedByItsHeadersHasAnEmptyBody) {
  start();
  client_->request(post(), /*end_stream=*/true);
  ASSERT_FALSE(pump());
  ServerStream& s = only_request();
  ASSERT_FALSE(s.head_error);
  EXPECT_EQ(s.head.framing, http1::BodyFraming::kContentLength);
  EXPECT_EQ(s.head.content_length, 0u);
  EXPECT_TRUE(s.request_complete);
}

TEST_F(Http2ServerSessionTest, RequestTrailersAreCollected) {
  start();
  const int32_t id = client_->request(post(), /*end_stream=*/false);
  client_->send(id, "abc", /*end=*/false);
  ASSERT_FALSE(pump());
  const nghttp2_nv trailer[] = {{(uint8_t*)"x-checksum", (uint8_t*)"c0ffee", 10, 6, 0}};
  ASSERT_EQ(nghttp2_submit_trailer(client_->session(), id, trailer, 1), 0);
  ASSERT_FALSE(pump());
  ServerStream& s = only_request();
  EXPECT_TRUE(s.request_complete);
  ASSERT_EQ(s.trailers.size(), 1u);
  EXPECT_EQ(s.trailers[0].name, "x-checksum");
  EXPECT_EQ(s.trailers[0].value, "c0ffee");
  EXPECT_EQ(rec_.events.back(), "body 1 3 end");
}

TEST_F(Http2ServerSessionTest, CookieCrumbsAreJoinedAtTheFirstCrumb) {
  start();
  client_->request(with(get(), {{"x-before", "0"},
                                {"cookie", "a=1"},
                                {"x-between", "1"},
                                {"cookie", "b=2"},
                                {"cookie", "c=3"},
                                {"x-after", "2"}}),
                   true);
  ASSERT_FALSE(pump());
  EXPECT_EQ(
      headers_of(only_request()),
      (Pairs{
          {"x-before", "0"}, {"cookie", "a=1; b=2; c=3"}, {"x-between", "1"}, {"x-after", "2"}}));
}

TEST_F(Http2ServerSessionTest, AuthorityAndHostDisagreeingIs400) {
  start();
  client_->request(with(get("/", "a.example"), {{"host", "b.example"}}), true);
  ASSERT_FALSE(pump());
  ServerStream& s = only_request();
  ASSERT_TRUE(s.head_error);
  EXPECT_EQ(s.head_error->http_status(), 400);
}

TEST_F(Http2ServerSessionTest, HostWithoutAuthorityGivesTheHost) {
  start();
  client_->request(
      {{":method", "GET"}, {":scheme", "https"}, {":path", "/"}, {"host", "h.example"}}, true);
  ASSERT_FALSE(pump());
  ServerStream& s = only_request();
  ASSERT_FALSE(s.head_error);
  EXPECT_EQ(s.head.host, "h.example");
}

TEST_F(Http2ServerSessionTest, ConnectIs405) {
  start();
  client_->request({{":method", "CONNECT"}, {":authority", "upstream.example:443"}}, false);
  ASSERT_FALSE(pump());
  ServerStream& s = only_request();
  ASSERT_TRUE(s.head_error);
  EXPECT_EQ(s.head_error->http_status(), 405);
}

TEST_F(Http2ServerSessionTest, ConnectionSpecificFieldIsResetByNghttp2) {
  // RFC 9113 §8.2.2: malformed. nghttp2 resets the stream; the proxy never sees the request
  // (only its close), and the other streams go on.
  start();
  const int32_t bad = client_->request(with(get(), {{"connection", "keep-alive"}}), true);
  const int32_t good = client_->request(get("/ok"), true);
  ASSERT_FALSE(pump());
  ASSERT_EQ(rec_.requests.size(), 1u);
  EXPECT_EQ(rec_.requests[0]->id(), good);
  const auto rst = client_->first(NGHTTP2_RST_STREAM, bad);
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->error_code, kProtocolError);
  EXPECT_EQ(rec_.closed, (std::vector<std::pair<int32_t, uint32_t>>{{bad, kProtocolError}}));
  EXPECT_FALSE(client_->first(NGHTTP2_GOAWAY));
}

// get("/", "example.com") is 177 bytes in RFC 9113 §6.5.2 accounting (name + value + 32 each).
constexpr size_t kGetFieldBytes = (7 + 3 + 32) + (7 + 5 + 32) + (10 + 11 + 32) + (5 + 1 + 32);

TEST_F(Http2ServerSessionTest, HeaderListAtTheLimitIsAccepted) {
  SessionLimits limits;
  limits.max_header_list_bytes = 1024;
  start(limits);
  const size_t pad = 1024 - kGetFieldBytes - (5 + 32);
  client_->request(with(get(), {{"x-pad", std::string(pad, 'p')}}), true);
  ASSERT_FALSE(pump());
  EXPECT_FALSE(only_request().head_error);
  EXPECT_EQ(only_request().header_bytes, 1024u);
}

TEST_F(Http2ServerSessionTest, HeaderListOverTheLimitIs431) {
  SessionLimits limits;
  limits.max_header_list_bytes = 1024;
  start(limits);
  const size_t pad = 1024 - kGetFieldBytes - (5 + 32) + 1;
  client_->request(with(get(), {{"x-pad", std::string(pad, 'p')}}), true);
  ASSERT_FALSE(pump());
  ServerStream& s = only_request();
  ASSERT_TRUE(s.head_error);
  EXPECT_EQ(s.head_error->http_status(), 431);
}

TEST_F(Http2ServerSessionTest, HpackBombIs431WithoutStoringTheFields) {
  // One 2500-byte field, repeated: the client's encoder indexes it once and then sends a
  // one-byte reference for each repetition, so a ~2.6 KB block decodes to ~100 KB.
  start();
  Pairs fields = get();
  for (int i = 0; i < 40; ++i) {
    fields.emplace_back("x-big", std::string(2500, 'b'));
  }
  client_->request(fields, true);
  const std::string wire = client_->drain();
  EXPECT_LT(wire.size(), 4000u);
  ASSERT_TRUE(server_->receive(wire).has_value());
  ASSERT_FALSE(pump());
  ServerStream& s = only_request();
  ASSERT_TRUE(s.head_error);
  EXPECT_EQ(s.head_error->http_status(), 431);
  EXPECT_GT(s.header_bytes, 40u * 2500);
  // The fields past the limit were not kept: at most the limit's worth made it into the head.
  size_t kept = 0;
  for (const auto& header : s.head.headers) {
    kept += header.name.size() + header.value.size();
  }
  EXPECT_LE(kept, 64u * 1024);
}

TEST_F(Http2ServerSessionTest, HeaderCountAtTheLimitIsAccepted) {
  // The count includes the four pseudo-header fields.
  start();
  Pairs fields = get();
  for (int i = 0; i < 96; ++i) {
    fields.emplace_back("x-h" + std::to_string(i), "v");
  }
  client_->request(fields, true);
  ASSERT_FALSE(pump());
  EXPECT_FALSE(only_request().head_error);
  EXPECT_EQ(only_request().header_count, 100u);
  EXPECT_EQ(only_request().head.headers.size(), 96u);
}

TEST_F(Http2ServerSessionTest, HeaderCountOverTheLimitIs431) {
  start();
  Pairs fields = get();
  for (int i = 0; i < 97; ++i) {
    fields.emplace_back("x-h" + std::to_string(i), "v");
  }
  client_->request(fields, true);
  ASSERT_FALSE(pump());
  ServerStream& s = only_request();
  ASSERT_TRUE(s.head_error);
  EXPECT_EQ(s.head_error->http_status(), 431);
}

TEST_F(Http2ServerSessionTest, ContentLengthAtTheBodyLimitIsAccepted) {
  SessionLimits limits;
  limits.max_body_bytes = 100;
  start(limits);
  client_->request(with(post(), {{"content-length", "100"}}), false);
  ASSERT_FALSE(pump());
  EXPECT_FALSE(only_request().head_error);
}

TEST_F(Http2ServerSessionTest, ContentLengthOverTheBodyLimitIs413) {
  SessionLimits limits;
  limits.max_body_bytes = 100;
  start(limits);
  client_->request(with(post(), {{"content-length", "101"}}), false);
  ASSERT_FALSE(pump());
  ServerStream& s = only_request();
  ASSERT_TRUE(s.head_error);
  EXPECT_EQ(s.head_error->http_status(), 413);
}

TEST_F(Http2ServerSessionTest, StreamedBodyOverTheLimitIs413) {
  SessionLimits limits;
  limits.max_body_bytes = 100;
  start(limits);
  const int32_t id = client_->request(post(), false);
  client_->send(id, std::string(80, 'a'), false);
  ASSERT_FALSE(pump());
  ServerStream& s = only_request();
  EXPECT_FALSE(s.body_error);
  EXPECT_EQ(s.body.size(), 80u);

  client_->send(id, std::string(20, 'b'), false);  // exactly at the limit
  ASSERT_FALSE(pump());
  EXPECT_FALSE(s.body_error);
  EXPECT_EQ(s.body.size(), 100u);

  client_->send(id, "c", false);
  ASSERT_FALSE(pump());
  ASSERT_TRUE(s.body_error);
  EXPECT_EQ(s.body_error->http_status(), 413);
  EXPECT_EQ(s.body.size(), 100u);  // the byte over the limit was not kept
  EXPECT_EQ(s.body_received, 101u);
}

}  // namespace
}  // namespace nexus::http2
