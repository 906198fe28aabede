// ServerSession: the flood and abuse limits (GOAWAY ENHANCE_YOUR_CALM), graceful shutdown,
// max_requests and fatal errors, against a real nghttp2 client plus hand-made frames for what a
// well-behaved client library would not send.
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <memory>
#include <string>
#include <vector>

#include "h2_test_peer.h"
#include "http/http2/server_session.h"

namespace nexus::http2 {
namespace {

using h2test::get;
using h2test::post;
using h2test::raw_frame;

constexpr uint8_t kData = 0x0;
constexpr uint8_t kPriority = 0x2;
constexpr uint8_t kWindowUpdate = 0x8;
constexpr uint8_t kPadded = 0x8;

std::string priority_payload() { return std::string("\0\0\0\0\x0f", 5); }  // on 0, weight 16
std::string window_increment(uint32_t n) {
  return {static_cast<char>((n >> 24) & 0x7f), static_cast<char>((n >> 16) & 0xff),
          static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
}

class Http2ServerSessionAbuseTest : public h2test::SessionFixture {
 protected:
  // The GOAWAY the client received, checked to be ENHANCE_YOUR_CALM.
  void expect_calm_goaway() {
    const auto goaway = client_->first(NGHTTP2_GOAWAY);
    ASSERT_TRUE(goaway) << "no GOAWAY";
    EXPECT_EQ(goaway->error_code, kEnhanceYourCalm);
    EXPECT_EQ(server_->end(), SessionEnd::kGoaway);
  }
};

// --- rapid reset (CVE-2023-44487) ----------------------------------------------------------

TEST_F(Http2ServerSessionAbuseTest, RapidResetIsEnhanceYourCalm) {
  start();
  for (int i = 1; i <= 100; ++i) {
    const int32_t id = client_->request(get(), true);
    ASSERT_TRUE(client_to_server().has_value()) << i;
    client_->rst(id);
    const Result<void> r = client_to_server();
    if (i < 100) {
      ASSERT_TRUE(r.has_value()) << "reset " << i << ": " << r.error().message();
    } else {
      ASSERT_FALSE(r.has_value()) << "the 100th premature reset is abuse";
      EXPECT_EQ(r.error().message(), "too many streams reset before their response (rapid reset)");
    }
  }
  EXPECT_EQ(rec_.requests.size(), 100u);
  pump(Error(ErrorCode::kBadRequest, "stopped reading"));
  expect_calm_goaway();
  EXPECT_FALSE(server_->alive());
}

TEST_F(Http2ServerSessionAbuseTest, ResettingAThirdOfTheStreamsIsNotRapidReset) {
  start();
  rec_.on_request_action = [&](const std::shared_ptr<ServerStream>& s) {
    if (s->id() % 3 != 1) {  // answer two streams of three at once
      ASSERT_TRUE(server_->respond(*s, 204, {}, true).has_value());
    }
  };
  for (int i = 0; i < 150; ++i) {
    const int32_t id = client_->request(get(), true);
    ASSERT_FALSE(pump()) << i;
    if (id % 3 == 1) {
      client_->rst(id);
      ASSERT_FALSE(pump()) << i;
    }
  }
  EXPECT_FALSE(client_->first(NGHTTP2_GOAWAY));
  EXPECT_EQ(rec_.requests.size(), 150u);
  EXPECT_EQ(server_->end(), SessionEnd::kNone);
}

TEST_F(Http2ServerSessionAbuseTest, ResetOfAnAnsweredStreamIsNotPremature) {
  // The response is complete (queued with end_stream) when the client's RST_STREAM arrives,
  // e.g. a client that lost interest just as we answered: not counted.
  start();
  rec_.on_request_action = [&](const std::shared_ptr<ServerStream>& s) {
    ASSERT_TRUE(server_->respond(*s, 204, {}, /*end_stream=*/true).has_value());
  };
  for (int i = 0; i < 150; ++i) {
    const int32_t id = client_->request(get(), true);
    ASSERT_TRUE(client_to_server().has_value()) << i;
    client_->rst(id);
    ASSERT_TRUE(client_to_server().has_value()) << i;
  }
  EXPECT_EQ(rec_.requests.size(), 150u);
  EXPECT_EQ(rec_.count("closed"), 150u);
  ASSERT_FALSE(pump());
  EXPECT_FALSE(client_->first(NGHTTP2_GOAWAY));
  EXPECT_EQ(server_->end(), SessionEnd::kNone);
}

// --- empty frames --------------------------------------------------------------------------

TEST_F(Http2ServerSessionAbuseTest, TwoEmptyDataFramesInARowAreEnhanceYourCalm) {
  start();
  const int32_t id = client_->request(post(), false);
  ASSERT_FALSE(pump());
  ASSERT_TRUE(server_->receive(raw_frame(kData, 0, id)).has_value());
  const Result<void> r = server_->receive(raw_frame(kData, 0, id));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "consecutive frames with an empty payload");
  pump(r.error());
  expect_calm_goaway();
}

TEST_F(Http2ServerSessionAbuseTest, EmptyDataFramesSeparatedByDataAreFine) {
  start();
  const int32_t id = client_->request(post(), false);
  ASSERT_FALSE(pump());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(server_->receive(raw_frame(kData, 0, id)).has_value()) << i;
    ASSERT_TRUE(server_->receive(raw_frame(kData, 0, id, "x")).has_value()) << i;
  }
  ASSERT_FALSE(pump());
  EXPECT_FALSE(client_->first(NGHTTP2_GOAWAY));
  EXPECT_EQ(rec_.requests.at(0)->body, std::string(20, 'x'));
}

TEST_F(Http2ServerSessionAbuseTest, EmptyDataFrameWithEndStreamIsFine) {
  start();
  const int32_t id = client_->request(post(), false);
  ASSERT_FALSE(pump());
  ASSERT_TRUE(server_->receive(raw_frame(kData, 0, id)).has_value());
  ASSERT_TRUE(server_->receive(raw_frame(kData, NGHTTP2_FLAG_END_STREAM, id)).has_value());
  ASSERT_FALSE(pump());
  EXPECT_FALSE(client_->first(NGHTTP2_GOAWAY));
  EXPECT_TRUE(rec_.requests.at(0)->request_complete);
}

// Regression (fixed in 3ae1ccd): the empty-payload rule looked at the frame header's length
// only, so a PADDED DATA frame carrying nothing but its Pad Length byte (length 1, no data)
// counted as non-empty and a client could send them without end. Envoy, like the codec now,
// counts a frame as empty when its length minus padding is 0.
TEST_F(Http2ServerSessionAbuseTest, PaddedEmptyDataFramesAreEmptyFrames) {
  start();
  const int32_t id = client_->request(post(), false);
  ASSERT_FALSE(pump());
  const std::string padded_empty = raw_frame(kData, kPadded, id, std::string(1, '\0'));
  Result<void> r;
  int accepted = 0;
  for (; accepted < 1000 && r.has_value(); ++accepted) {
    r = server_->receive(padded_empty);
  }
  EXPECT_FALSE(r.has_value()) << "1000 padded empty DATA frames accepted without a GOAWAY";
  EXPECT_LE(accepted, 2);
  EXPECT_TRUE(rec_.requests.at(0)->body.empty());
}

// --- PRIORITY and WINDOW_UPDATE floods -----------------------------------------------------

TEST_F(Http2ServerSessionAbuseTest, PriorityFloodIsEnhanceYourCalm) {
  start();
  const std::string frame = raw_frame(kPriority, 0, 3, priority_payload());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(server_->receive(frame).has_value()) << i;
  }
  const Result<void> r = server_->receive(frame);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "PRIORITY frame flood");
  pump(r.error());
  expect_calm_goaway();
}

TEST_F(Http2ServerSessionAbuseTest, PriorityAllowanceGrowsWithStreams) {
  start();
  client_->request(get(), true);
  ASSERT_FALSE(pump());
  const std::string frame = raw_frame(kPriority, 0, 5, priority_payload());
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(server_->receive(frame).has_value()) << i;
  }
  EXPECT_FALSE(server_->receive(frame).has_value());
}

TEST_F(Http2ServerSessionAbuseTest, WindowUpdateFloodIsEnhanceYourCalm) {
  start();
  const std::string frame = raw_frame(kWindowUpdate, 0, 0, window_increment(1));
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(server_->receive(frame).has_value()) << i;
  }
  const Result<void> r = server_->receive(frame);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "WINDOW_UPDATE frame flood");
  pump(r.error());
  expect_calm_goaway();
}

// --- graceful shutdown and max_requests ----------------------------------------------------

TEST_F(Http2ServerSessionAbuseTest, ShutdownLetsTheOpenStreamComplete) {
  start();
  client_->request(get(), true);
  const int32_t id = client_->request(get("/second"), true);
  ASSERT_FALSE(pump());
  ASSERT_EQ(id, 3);
  server_->shutdown();
  EXPECT_EQ(server_->end(), SessionEnd::kGoaway);
  ASSERT_FALSE(pump());
  const auto goaway = client_->first(NGHTTP2_GOAWAY);
  ASSERT_TRUE(goaway);
  EXPECT_EQ(goaway->error_code, kNoError);
  EXPECT_EQ(goaway->last_stream_id, 3);
  EXPECT_TRUE(server_->alive());  // two streams still open

  for (const auto& s : rec_.requests) {
    ASSERT_TRUE(server_->respond(*s, 200, {}, false).has_value());
    server_->send_body(*s, "bye", true);
  }
  ASSERT_FALSE(pump());
  EXPECT_EQ(client_->stream(1).body, "bye");
  EXPECT_EQ(client_->stream(3).body, "bye");
  EXPECT_TRUE(client_->stream(3).closed);
  EXPECT_EQ(client_->stream(3).close_error, 0u);
  EXPECT_EQ(server_->open_streams(), 0u);
  EXPECT_FALSE(server_->alive());
  EXPECT_EQ(server_->end(), SessionEnd::kGoaway);
}

TEST_F(Http2ServerSessionAbuseTest, ShutdownTwiceSendsOneGoaway) {
  start();
  server_->shutdown();
  server_->shutdown();
  ASSERT_FALSE(pump());
  EXPECT_EQ(client_->count(NGHTTP2_GOAWAY), 1u);
  EXPECT_EQ(client_->first(NGHTTP2_GOAWAY)->last_stream_id, 0);
  EXPECT_FALSE(server_->alive());
}

// Regression (fixed in 3ae1ccd): shutdown() only *queues* the GOAWAY, and nghttp2 keeps
// accepting new streams until it is *sent*. A request arriving in between (already in flight
// when we decided to shut down) was handed to the proxy by on_request(), although the GOAWAY
// then told the client it was not processed (last-stream-id lower) -- and nghttp2 closed it
// with REFUSED_STREAM when the GOAWAY went out. A client retries such a request on a new
// connection: a POST would have been executed twice.
TEST_F(Http2ServerSessionAbuseTest, RequestArrivingAfterShutdownIsNotProxied) {
  start();
  client_->request(get(), true);
  ASSERT_FALSE(pump());
  server_->shutdown();
  client_->request(post("/charge"), true);  // in flight before the GOAWAY reaches the client
  ASSERT_TRUE(client_to_server().has_value());
  ASSERT_FALSE(pump());
  const auto goaway = client_->first(NGHTTP2_GOAWAY);
  ASSERT_TRUE(goaway);
  EXPECT_EQ(goaway->last_stream_id, 1);
  EXPECT_EQ(rec_.requests.size(), 1u) << "stream 3 was proxied though the GOAWAY refused it";
}

TEST_F(Http2ServerSessionAbuseTest, MaxRequestsSendsGoawayAfterTheLastOne) {
  SessionLimits limits;
  limits.max_requests = 2;
  start(limits);
  client_->request(get(), true);
  ASSERT_FALSE(pump());
  EXPECT_FALSE(client_->first(NGHTTP2_GOAWAY));
  EXPECT_EQ(server_->end(), SessionEnd::kNone);
  ASSERT_TRUE(server_->respond(*rec_.requests.at(0), 204, {}, true).has_value());
  ASSERT_FALSE(pump());

  client_->request(get(), true);
  ASSERT_FALSE(pump());
  const auto goaway = client_->first(NGHTTP2_GOAWAY);
  ASSERT_TRUE(goaway);
  EXPECT_EQ(goaway->error_code, kNoError);
  EXPECT_EQ(goaway->last_stream_id, 3);
  ASSERT_EQ(rec_.requests.size(), 2u);
  EXPECT_TRUE(server_->alive());
  ASSERT_TRUE(server_->respond(*rec_.requests.at(1), 200, {}, false).has_value());
  server_->send_body(*rec_.requests.at(1), "last", true);
  ASSERT_FALSE(pump());
  EXPECT_EQ(client_->stream(3).body, "last");
  EXPECT_FALSE(server_->alive());
}

// Regression (fixed in 3ae1ccd): the same race as above, without any timing: requests the
// client sent together arrive in one receive(); the GOAWAY queued at the max_requests-th was
// not sent yet, so the following ones were proxied too, then declared unprocessed by the GOAWAY
// (last-stream-id = the max_requests-th).
TEST_F(Http2ServerSessionAbuseTest, MaxRequestsHoldsForRequestsReceivedTogether) {
  SessionLimits limits;
  limits.max_requests = 1;
  start(limits);
  client_->request(get("/a"), true);
  client_->request(post("/b"), true);
  ASSERT_FALSE(pump());
  const auto goaway = client_->first(NGHTTP2_GOAWAY);
  ASSERT_TRUE(goaway);
  EXPECT_EQ(goaway->last_stream_id, 1);
  EXPECT_EQ(rec_.requests.size(), 1u) << "a request past max_requests was proxied";
}

// --- fatal errors and terminate ------------------------------------------------------------

TEST_F(Http2ServerSessionAbuseTest, BadClientPrefaceIsFatal) {
  server_ = std::make_unique<ServerSession>(rec_, SessionLimits{});
  ASSERT_TRUE(server_->start().has_value());
  const Result<void> r = server_->receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().http_status(), 400);
  EXPECT_EQ(server_->end(), SessionEnd::kFatal);
  EXPECT_FALSE(server_->alive());
  EXPECT_FALSE(server_->wants_write());
  EXPECT_TRUE(rec_.events.empty());
}

TEST_F(Http2ServerSessionAbuseTest, TerminateSendsGoawayWithTheCode) {
  start();
  client_->request(get(), true);
  ASSERT_FALSE(pump());
  server_->terminate(kInternalError);
  EXPECT_EQ(server_->end(), SessionEnd::kGoaway);
  ASSERT_FALSE(pump());
  const auto goaway = client_->first(NGHTTP2_GOAWAY);
  ASSERT_TRUE(goaway);
  EXPECT_EQ(goaway->error_code, kInternalError);
  EXPECT_EQ(goaway->last_stream_id, 1);
  EXPECT_FALSE(server_->alive());
}

TEST_F(Http2ServerSessionAbuseTest, ProtocolErrorQueuesAGoaway) {
  start();
  // DATA on stream 0 is a connection error (RFC 9113 §6.1): nghttp2 answers with GOAWAY.
  (void)server_->receive(raw_frame(kData, 0, 0, "x"));
  ASSERT_FALSE(pump());
  const auto goaway = client_->first(NGHTTP2_GOAWAY);
  ASSERT_TRUE(goaway);
  EXPECT_EQ(goaway->error_code, kProtocolError);
  EXPECT_FALSE(server_->alive());
}

}  // namespace
}  // namespace nexus::http2
