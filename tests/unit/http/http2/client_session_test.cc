// ClientSession (requests to HTTP/2 upstreams) against a real nghttp2 server session, in memory:
// heads both ways, bodies and trailers both ways, flow control, stream limits, GOAWAY, resets.
#include "http/http2/client_session.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace nexus::http2 {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// What the upstream saw of one request.
struct SeenRequest {
  Pairs headers;
  Pairs trailers;
  std::string body;
  bool ended = false;
};

// A minimal HTTP/2 server: records requests and answers when the test says so.
class Upstream {
 public:
  explicit Upstream(std::vector<nghttp2_settings_entry> settings = {}) {
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_server_new(&session_, cb, this);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
  }
  ~Upstream() { nghttp2_session_del(session_); }
  Upstream(const Upstream&) = delete;
  Upstream& operator=(const Upstream&) = delete;

  nghttp2_session* session() { return session_; }
  std::map<int32_t, SeenRequest> requests;

  // Answers stream `id`: headers (":status" first), then `body` (if any), then `trailers`.
  void respond(int32_t id, const Pairs& headers, std::string body = {}, Pairs trailers = {}) {
    responses_[id] = {std::move(body), 0, std::move(trailers)};
    std::vector<nghttp2_nv> nva = to_nv(headers);
    nghttp2_data_provider provider{};
    provider.read_callback = read_body;
    const bool has_body = !responses_[id].body.empty() || !responses_[id].trailers.empty();
    nghttp2_submit_response(session_, id, nva.data(), nva.size(), has_body ? &provider : nullptr);
  }
  void send_headers(int32_t id, const Pairs& headers) {  // e.g. a 1xx
    std::vector<nghttp2_nv> nva = to_nv(headers);
    nghttp2_submit_headers(session_, NGHTTP2_FLAG_NONE, id, nullptr, nva.data(), nva.size(),
                           nullptr);
  }

 private:
  struct Response {
    std::string body;
    size_t sent = 0;
    Pairs trailers;
  };

  static std::vector<nghttp2_nv> to_nv(const Pairs& fields) {
    std::vector<nghttp2_nv> nva;
    for (const auto& [name, value] : fields) {
      nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                     reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                     value.size(), NGHTTP2_NV_FLAG_NONE});
    }
    return nva;
  }
  static Upstream& self(void* user) { return *static_cast<Upstream*>(user); }
  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t name_size, const uint8_t* value, size_t value_size, uint8_t,
                       void* user) {
    SeenRequest& request = self(user).requests[frame->hd.stream_id];
    const std::pair<std::string, std::string> field(
        std::string(reinterpret_cast<const char*>(name), name_size),
        std::string(reinterpret_cast<const char*>(value), value_size));
    (frame->headers.cat == NGHTTP2_HCAT_REQUEST ? request.headers : request.trailers)
        .push_back(field);
    return 0;
  }
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
      self(user).requests[frame->hd.stream_id].ended = true;
    }
    return 0;
  }
  static int on_data(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t size,
                     void* user) {
    self(user).requests[id].body.append(reinterpret_cast<const char*>(data), size);
    return 0;
  }
  static ssize_t read_body(nghttp2_session* session, int32_t id, uint8_t* buf, size_t length,
                           uint32_t* flags, nghttp2_data_source*, void* user) {
    Response& response = self(user).responses_[id];
    const size_t n = std::min(length, response.body.size() - response.sent);
    std::copy_n(response.body.data() + response.sent, n, buf);
    response.sent += n;
    if (response.sent == response.body.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (!response.trailers.empty()) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        std::vector<nghttp2_nv> nva = to_nv(response.trailers);
        nghttp2_submit_trailer(session, id, nva.data(), nva.size());
      }
    }
    return static_cast<ssize_t>(n);
  }

  nghttp2_session* session_ = nullptr;
  std::map<int32_t, Response> responses_;
};

class ClientSessionTest : public ::testing::Test {
 protected:
  void start(std::vector<nghttp2_settings_entry> settings = {}, ClientLimits limits = {}) {
    upstream_ = std::make_unique<Upstream>(std::move(settings));
    client_ = std::make_unique<ClientSession>(limits);
    ASSERT_TRUE(client_->start().has_value());
    pump();
  }

  // Moves bytes both ways until neither side has anything to send.
  void pump() {
    for (int round = 0; round < 1000; ++round) {
      std::string out;
      client_->produce(out, 1 << 20);
      if (!out.empty()) {
        ASSERT_GE(
            nghttp2_session_mem_recv(upstream_->session(),
                                     reinterpret_cast<const uint8_t*>(out.data()), out.size()),
            0);
      }
      std::string back;
      const uint8_t* data = nullptr;
      ssize_t n = 0;
      while ((n = nghttp2_session_mem_send(upstream_->session(), &data)) > 0) {
        back.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
      }
      if (!back.empty()) {
        ASSERT_TRUE(client_->receive(back).has_value());
      }
      if (out.empty() && back.empty()) {
        return;
      }
    }
    FAIL() << "the two sessions never went quiet";
  }

  std::shared_ptr<ClientStream> get(std::string_view path = "/v1/models") {
    const Field fields[] = {{":method", "GET"},
                            {":scheme", "http"},
                            {":authority", "up.test"},
                            {":path", path},
                            {"x-one", "1"}};
    auto stream = client_->submit_request(fields, /*has_body=*/false);
    EXPECT_TRUE(stream.has_value());
    return stream.value_or(nullptr);
  }

  std::unique_ptr<ClientSession> client_;
  std::unique_ptr<Upstream> upstream_;
};

TEST_F(ClientSessionTest, RequestHeadReachesTheUpstreamAndTheResponseHeadComesBack) {
  start();
  auto stream = get();
  int notified = 0;
  stream->notify = [&notified] { ++notified; };
  pump();
  const SeenRequest& seen = upstream_->requests[stream->id()];
  EXPECT_EQ(seen.headers, (Pairs{{":method", "GET"},
                                 {":scheme", "http"},
                                 {":authority", "up.test"},
                                 {":path", "/v1/models"},
                                 {"x-one", "1"}}));
  EXPECT_TRUE(seen.ended);
  upstream_->respond(stream->id(),
                     {{":status", "200"}, {"content-length", "5"}, {"set-cookie", "a=1"}}, "hello");
  pump();
  ASSERT_TRUE(stream->head_received);
  EXPECT_EQ(stream->head.status, 200);
  EXPECT_EQ(stream->head.framing, http1::BodyFraming::kContentLength);
  EXPECT_EQ(stream->head.content_length, 5u);
  ASSERT_EQ(stream->head.headers.size(), 2u);
  EXPECT_EQ(stream->head.headers[1].name, "set-cookie");
  EXPECT_EQ(stream->body, "hello");
  EXPECT_TRUE(stream->response_complete);
  EXPECT_TRUE(stream->closed);
  EXPECT_EQ(stream->error_code, 0u);
  EXPECT_GT(notified, 0);
}

TEST_F(ClientSessionTest, ResponseWithoutLengthIsStreamedAndTrailersDoNotMoveTheHead) {
  start();
  auto stream = get();
  pump();
  upstream_->respond(stream->id(), {{":status", "200"}, {"content-type", "text/event-stream"}},
                     "data: 1\n\n", {{"grpc-status", "0"}, {"x-checksum", "abc"}});
  // Only the head first: the views of the head are taken before the trailers arrive.
  std::string out;
  const uint8_t* data = nullptr;
  ssize_t n = nghttp2_session_mem_send(upstream_->session(), &data);
  ASSERT_GT(n, 0);
  ASSERT_TRUE(client_->receive({reinterpret_cast<const char*>(data), static_cast<size_t>(n)}));
  ASSERT_TRUE(stream->head_received);
  EXPECT_EQ(stream->head.framing, http1::BodyFraming::kChunked);
  const std::string_view content_type = stream->head.headers.at(0).value;
  const char* before = content_type.data();
  pump();
  EXPECT_EQ(stream->head.headers.at(0).value.data(), before);
  EXPECT_EQ(content_type, "text/event-stream");
  EXPECT_EQ(stream->body, "data: 1\n\n");
  ASSERT_EQ(stream->trailers.size(), 2u);
  EXPECT_EQ(stream->trailers[0].name, "grpc-status");
  EXPECT_EQ(stream->trailers[1].value, "abc");
  EXPECT_TRUE(stream->response_complete);
}

TEST_F(ClientSessionTest, RequestBodyAndTrailersReachTheUpstream) {
  start();
  const Field fields[] = {
      {":method", "POST"}, {":scheme", "http"}, {":authority", "up.test"}, {":path", "/v1/chat"}};
  auto stream = client_->submit_request(fields, /*has_body=*/true);
  ASSERT_TRUE(stream.has_value());
  client_->send_body(**stream, "abc", false);
  pump();
  EXPECT_EQ(upstream_->requests[(*stream)->id()].body, "abc");
  EXPECT_FALSE(upstream_->requests[(*stream)->id()].ended);
  const Field trailers[] = {{"x-checksum", "42"}};
  client_->send_body(**stream, "def", true, trailers);
  pump();
  const SeenRequest& seen = upstream_->requests[(*stream)->id()];
  EXPECT_EQ(seen.body, "abcdef");
  EXPECT_EQ(seen.trailers, (Pairs{{"x-checksum", "42"}}));
  EXPECT_TRUE(seen.ended);
}

TEST_F(ClientSessionTest, ResponseWindowReopensOnlyAsTheBodyIsConsumed) {
  start();
  auto stream = get();
  pump();
  upstream_->respond(stream->id(), {{":status", "200"}}, std::string(200 * 1024, 'x'));
  pump();
  // The upstream may send one stream window (64 KiB, ours) and no more.
  EXPECT_LE(stream->body.size(), 65536u);
  EXPECT_GT(stream->body.size(), 0u);
  EXPECT_FALSE(stream->response_complete);
  size_t total = 0;
  for (int round = 0; round < 100 && !stream->response_complete; ++round) {
    total += stream->body.size();
    client_->consume_body(*stream, stream->body.size());
    pump();
  }
  total += stream->body.size();
  EXPECT_TRUE(stream->response_complete);
  EXPECT_EQ(total, 200u * 1024);
}

TEST_F(ClientSessionTest, PeerStreamLimitBoundsNewStreams) {
  start({{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 2}});
  ASSERT_TRUE(client_->settings_received());
  EXPECT_TRUE(client_->can_open_stream());
  auto first = get("/1");
  EXPECT_TRUE(client_->can_open_stream());
  auto second = get("/2");
  EXPECT_FALSE(client_->can_open_stream());
  pump();
  upstream_->respond(first->id(), {{":status", "204"}});
  pump();
  EXPECT_TRUE(first->closed);
  EXPECT_EQ(first->head.framing, http1::BodyFraming::kNone);
  EXPECT_TRUE(client_->can_open_stream());
}

TEST_F(ClientSessionTest, OurOwnStreamCapAppliesToo) {
  ClientLimits limits;
  limits.max_concurrent_streams = 1;
  start({}, limits);
  auto first = get();
  EXPECT_FALSE(client_->can_open_stream());
}

TEST_F(ClientSessionTest, ReservedStreamsCountAsOpen) {
  ClientLimits limits;
  limits.max_concurrent_streams = 2;
  start({}, limits);
  EXPECT_TRUE(client_->can_open_stream(1));
  EXPECT_FALSE(client_->can_open_stream(2));
  auto first = get();
  EXPECT_TRUE(client_->can_open_stream());
  EXPECT_FALSE(client_->can_open_stream(1));
}

TEST_F(ClientSessionTest, GoawayFromTheUpstreamStopsNewStreams) {
  start();
  auto stream = get();
  pump();
  nghttp2_submit_goaway(upstream_->session(), NGHTTP2_FLAG_NONE, stream->id(), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  pump();
  EXPECT_FALSE(client_->can_open_stream());
  upstream_->respond(stream->id(), {{":status", "200"}}, "ok");
  pump();
  EXPECT_EQ(stream->body, "ok");  // the stream under the GOAWAY's last id still completes
}

TEST_F(ClientSessionTest, RefusedStreamIsReportedWithItsCode) {
  start();
  auto stream = get();
  bool notified = false;
  stream->notify = [&notified] { notified = true; };
  pump();
  nghttp2_submit_rst_stream(upstream_->session(), NGHTTP2_FLAG_NONE, stream->id(),
                            NGHTTP2_REFUSED_STREAM);
  pump();
  EXPECT_TRUE(stream->closed);
  EXPECT_FALSE(stream->head_received);
  EXPECT_EQ(stream->error_code, static_cast<uint32_t>(NGHTTP2_REFUSED_STREAM));
  EXPECT_TRUE(notified);
}

TEST_F(ClientSessionTest, InformationalResponsesAreSkipped) {
  start();
  auto stream = get();
  pump();
  upstream_->send_headers(stream->id(), {{":status", "103"}, {"link", "</a.css>"}});
  pump();
  EXPECT_FALSE(stream->head_received);
  upstream_->respond(stream->id(), {{":status", "200"}, {"x-final", "1"}}, "ok");
  pump();
  ASSERT_TRUE(stream->head_received);
  EXPECT_EQ(stream->head.status, 200);
  ASSERT_EQ(stream->head.headers.size(), 1u);
  EXPECT_EQ(stream->head.headers[0].name, "x-final");
}

TEST_F(ClientSessionTest, FailAllClosesEveryOpenStream) {
  start();
  auto first = get("/1");
  auto second = get("/2");
  int notified = 0;
  first->notify = [&notified] { ++notified; };
  second->notify = [&notified] { ++notified; };
  pump();
  client_->fail_all();
  EXPECT_TRUE(first->closed);
  EXPECT_TRUE(second->closed);
  EXPECT_NE(first->error_code, 0u);
  EXPECT_EQ(notified, 2);
  EXPECT_FALSE(client_->can_open_stream());
  EXPECT_EQ(client_->open_streams(), 0u);
}

}  // namespace
}  // namespace nexus::http2
