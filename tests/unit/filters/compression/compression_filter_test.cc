// The compression filter driven through a ChainRun: which responses it compresses, the headers it
// rewrites, SSE flushing end to end, and request body decompression with its error replies.
#include "filters/compression/compression_filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "control/config/loader.h"
#include "http/filter/chain_run.h"
#include "reference_codecs.h"

namespace nexus::filters {
namespace {

using compression::Coding;
using compression::testing::compress;
using compression::testing::reference_decode;
using compression::testing::ReferenceDecoder;
using compression::testing::sample_text;
using filter::Verdict;
using Fields = std::vector<http1::Header>;

constexpr std::string_view kBase =
    "server: { listen: [\"127.0.0.1:8080\"] }\n"
    "routes: [{ match: {}, direct_response: {} }]\n";

class CompressionFilterTest : public ::testing::Test {
 protected:
  void SetUp() override { load("{}"); }

  void load(std::string_view filter_yaml) {
    auto config = control::load_config_text(
        std::string(kBase) + "filters:\n  - compression: " + std::string(filter_yaml) + "\n",
        "test.yaml");
    ASSERT_TRUE(config.has_value()) << config.error().message();
    chain_.clear();  // only this filter (logging.access_log adds one of its own)
    for (const auto& factory : config->global_filters) {
      if (factory->type() == "compression") {
        chain_.push_back(factory);
      }
    }
    ASSERT_EQ(chain_.size(), 1U);
  }

  Verdict request(Fields fields, std::string method = "GET") {
    run_.start(chain_, filter::RequestInfo{.method = std::move(method), .target = "/"}, nullptr,
               1 << 20);
    request_fields_ = std::move(fields);
    return run_.request_headers(request_fields_);
  }

  Verdict respond(int status, Fields fields) {
    response_fields_ = std::move(fields);
    return run_.response_headers(status, response_fields_, false);
  }

  std::string response_body(std::string piece, bool end) {
    run_.response_body(piece, end);
    return piece;
  }

  // The value of a response field ("" when absent), and how many fields have that name.
  [[nodiscard]] std::string response_header(std::string_view name) const {
    return std::string(http1::find_header(response_fields_, name) != nullptr
                           ? http1::find_header(response_fields_, name)->value
                           : "");
  }
  [[nodiscard]] std::string request_header(std::string_view name) const {
    return std::string(http1::find_header(request_fields_, name) != nullptr
                           ? http1::find_header(request_fields_, name)->value
                           : "");
  }

  config::FilterChain chain_;
  filter::ChainRun run_;
  Fields request_fields_;
  Fields response_fields_;
};

const Fields kJson2k = {{"content-type", "application/json; charset=utf-8"},
                        {"content-length", "2048"}};

TEST_F(CompressionFilterTest, CompressesWithTheNegotiatedCodingAndRewritesHeaders) {
  for (auto [accept, coding] : {std::pair{"gzip", Coding::kGzip},
                                {"br, gzip", Coding::kBrotli},
                                {"zstd;q=1, br;q=0.5", Coding::kZstd}}) {
    SCOPED_TRACE(accept);
    ASSERT_EQ(request({{"accept-encoding", accept}}), Verdict::kContinue);
    ASSERT_EQ(respond(200, {{"content-type", "application/json"},
                            {"content-length", "3000"},
                            {"etag", "\"v1\""},
                            {"vary", "Origin"}}),
              Verdict::kContinue);
    EXPECT_EQ(response_header("content-encoding"), compression::coding_name(coding));
    EXPECT_EQ(response_header("content-length"), "");
    EXPECT_TRUE(run_.response_body_resized());
    EXPECT_EQ(response_header("vary"), "Origin, Accept-Encoding");
    EXPECT_EQ(response_header("etag"), "W/\"v1\"");
    const std::string text = sample_text(3000);
    std::string wire = response_body(text.substr(0, 1000), false);
    wire += response_body(text.substr(1000), false);
    wire += response_body("", true);
    EXPECT_LT(wire.size(), text.size());
    EXPECT_EQ(reference_decode(coding, wire), text);
    run_.complete({.status = 200});
  }
}

TEST_F(CompressionFilterTest, EverySseEventReachesTheClientCompressedAtOnce) {
  ASSERT_EQ(request({{"accept-encoding", "gzip, deflate, br, zstd"}}), Verdict::kContinue);
  ASSERT_EQ(respond(200, {{"content-type", "text/event-stream"}, {"cache-control", "no-cache"}}),
            Verdict::kContinue);
  ASSERT_EQ(response_header("content-encoding"), "br");
  ReferenceDecoder client(Coding::kBrotli);
  for (int i = 0; i < 10; ++i) {
    const std::string event =
        "data: {\"choices\":[{\"delta\":{\"content\":\"tok" + std::to_string(i) + "\"}}]}\n\n";
    const std::string wire = response_body(event, false);
    ASSERT_FALSE(wire.empty());
    EXPECT_EQ(client.feed(wire), event);
  }
  EXPECT_EQ(client.feed(response_body("data: [DONE]\n\n", true)), "data: [DONE]\n\n");
  EXPECT_TRUE(client.ended());
}

TEST_F(CompressionFilterTest, NonStreamingBodiesAreNotFlushedPerPiece) {
  ASSERT_EQ(request({{"accept-encoding", "gzip"}}), Verdict::kContinue);
  ASSERT_EQ(respond(200, {{"content-type", "text/html"}}), Verdict::kContinue);  // length unknown
  ASSERT_EQ(response_header("content-encoding"), "gzip");
  std::string wire = response_body("<html>small</html>", false);
  EXPECT_LT(wire.size(), 20U);  // only the gzip header, at most: deflate keeps the data
  wire += response_body("", true);
  EXPECT_EQ(reference_decode(Coding::kGzip, wire), "<html>small</html>");
}

TEST_F(CompressionFilterTest, SkipRules) {
  struct Skip {
    const char* name;
    int status;
    std::string method;
    Fields fields;
    bool varies;  // still gets Vary: Accept-Encoding
  };
  const std::vector<Skip> skips = {
      {"already encoded",
       200,
       "GET",
       {{"content-type", "application/json"}, {"content-encoding", "gzip"}},
       false},
      {"small",
       200,
       "GET",
       {{"content-type", "application/json"}, {"content-length", "1023"}},
       false},
      {"image", 200, "GET", {{"content-type", "image/png"}, {"content-length", "5000"}}, false},
      {"no content type", 200, "GET", {{"content-length", "5000"}}, false},
      {"204", 204, "GET", {{"content-type", "application/json"}}, false},
      {"304", 304, "GET", {{"content-type", "application/json"}}, false},
      {"HEAD", 200, "HEAD", kJson2k, false},
      {"partial",
       206,
       "GET",
       {{"content-type", "text/plain"}, {"content-range", "bytes 0-9/99"}},
       false},
      {"no-transform",
       200,
       "GET",
       {{"content-type", "text/plain"}, {"cache-control", "public, no-transform"}},
       false},
  };
  for (const Skip& skip : skips) {
    SCOPED_TRACE(skip.name);
    ASSERT_EQ(request({{"accept-encoding", "gzip"}}, skip.method), Verdict::kContinue);
    const Fields before = skip.fields;
    ASSERT_EQ(respond(skip.status, skip.fields), Verdict::kContinue);
    EXPECT_FALSE(run_.response_body_resized());
    ASSERT_EQ(response_fields_.size(), before.size());
    EXPECT_EQ(response_body("body bytes", false), "body bytes");
    run_.complete({});
  }
}

TEST_F(CompressionFilterTest, ExactlyMinSizeAndIdentityClientsStillVary) {
  ASSERT_EQ(request({{"accept-encoding", "gzip"}}), Verdict::kContinue);
  ASSERT_EQ(respond(200, {{"content-type", "text/plain"}, {"content-length", "1024"}}),
            Verdict::kContinue);
  EXPECT_EQ(response_header("content-encoding"), "gzip");
  run_.complete({});

  ASSERT_EQ(request({}), Verdict::kContinue);  // no Accept-Encoding: identity
  ASSERT_EQ(respond(200, kJson2k), Verdict::kContinue);
  EXPECT_EQ(response_header("content-encoding"), "");
  EXPECT_EQ(response_header("content-length"), "2048");
  EXPECT_EQ(response_header("vary"), "Accept-Encoding");  // a cache must not serve gzip to it
  EXPECT_EQ(response_body("{}", true), "{}");
}

TEST_F(CompressionFilterTest, VaryFieldsAreMergedIntoOne) {
  ASSERT_EQ(request({{"accept-encoding", "gzip"}}), Verdict::kContinue);
  ASSERT_EQ(respond(200, {{"content-type", "text/plain"}, {"vary", "Origin"}, {"vary", "Cookie"}}),
            Verdict::kContinue);
  int vary_fields = 0;
  for (const http1::Header& field : response_fields_) {
    vary_fields += http1::iequals(field.name, "vary") ? 1 : 0;
  }
  EXPECT_EQ(vary_fields, 1);
  EXPECT_EQ(response_header("vary"), "Origin, Cookie, Accept-Encoding");
  run_.complete({});

  ASSERT_EQ(request({{"accept-encoding", "gzip"}}), Verdict::kContinue);
  ASSERT_EQ(respond(200, {{"content-type", "text/plain"}, {"vary", "accept-encoding"}}),
            Verdict::kContinue);
  EXPECT_EQ(response_header("vary"), "accept-encoding");
}

TEST_F(CompressionFilterTest, LocalRepliesAreLeftAlone) {
  ASSERT_EQ(request({{"accept-encoding", "gzip"}}), Verdict::kContinue);
  response_fields_ = kJson2k;
  ASSERT_EQ(run_.response_headers(429, response_fields_, /*local=*/true), Verdict::kContinue);
  EXPECT_EQ(response_header("content-encoding"), "");
}

TEST_F(CompressionFilterTest, ConfiguredTypesSizeAndAlgorithms) {
  load("{ algorithms: [gzip], min_size: 10, content_types: [application/*] }");
  ASSERT_EQ(request({{"accept-encoding", "br, zstd, gzip;q=0.1"}}), Verdict::kContinue);
  ASSERT_EQ(respond(200, {{"content-type", "application/octet-stream"}, {"content-length", "10"}}),
            Verdict::kContinue);
  EXPECT_EQ(response_header("content-encoding"), "gzip");
  run_.complete({});
  ASSERT_EQ(request({{"accept-encoding", "gzip"}}), Verdict::kContinue);
  ASSERT_EQ(respond(200, {{"content-type", "text/plain"}}), Verdict::kContinue);
  EXPECT_EQ(response_header("content-encoding"), "");
}

TEST_F(CompressionFilterTest, RequestBodyIsDecodedOnItsWayUpstream) {
  for (Coding coding : {Coding::kGzip, Coding::kDeflate, Coding::kBrotli, Coding::kZstd}) {
    SCOPED_TRACE(compression::coding_name(coding));
    const std::string text = sample_text(40'000);
    const std::string wire = compress(coding, text);
    const std::string length = std::to_string(wire.size());
    ASSERT_EQ(request({{"content-type", "application/json"},
                       {"Content-Encoding", compression::coding_name(coding)},
                       {"content-length", length}},
                      "POST"),
              Verdict::kContinue);
    EXPECT_EQ(request_header("content-encoding"), "");
    EXPECT_EQ(request_header("content-length"), "");
    EXPECT_TRUE(run_.request_body_resized());
    std::string decoded;
    for (size_t at = 0; at < wire.size(); at += 1000) {
      std::string piece = wire.substr(at, 1000);
      ASSERT_EQ(run_.request_body(piece, at + 1000 >= wire.size()), Verdict::kContinue);
      decoded += piece;
    }
    EXPECT_EQ(decoded, text);
    run_.complete({});
  }
}

TEST_F(CompressionFilterTest, RequestZipBombIs413) {
  load("{ request_decompression: { max_decompressed_size: 64KiB } }");
  const std::string wire = compress(Coding::kGzip, std::string(16 * 1024 * 1024, 'x'));
  ASSERT_EQ(request({{"content-encoding", "gzip"}}, "POST"), Verdict::kContinue);
  std::string piece = wire;
  ASSERT_EQ(run_.request_body(piece, true), Verdict::kReply);
  const filter::LocalReply reply = run_.take_reply();
  EXPECT_EQ(reply.status, 413);
  EXPECT_NE(reply.body.find("payload_too_large"), std::string::npos);
}

TEST_F(CompressionFilterTest, CorruptOrTruncatedRequestBodyIs400) {
  ASSERT_EQ(request({{"content-encoding", "br"}}, "POST"), Verdict::kContinue);
  std::string garbage = "definitely not brotli";
  ASSERT_EQ(run_.request_body(garbage, false), Verdict::kReply);
  EXPECT_EQ(run_.take_reply().status, 400);
  run_.complete({});

  const std::string wire = compress(Coding::kZstd, sample_text(5000));
  ASSERT_EQ(request({{"content-encoding", "zstd"}}, "POST"), Verdict::kContinue);
  std::string half = wire.substr(0, wire.size() / 2);
  ASSERT_EQ(run_.request_body(half, true), Verdict::kReply);
  const filter::LocalReply reply = run_.take_reply();
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("truncated"), std::string::npos);
}

TEST_F(CompressionFilterTest, UnknownOrStackedRequestCodingIs415) {
  for (const char* encoding : {"compress", "gzip, br", "x-custom"}) {
    SCOPED_TRACE(encoding);
    ASSERT_EQ(request({{"content-encoding", encoding}}, "POST"), Verdict::kReply);
    const filter::LocalReply reply = run_.take_reply();
    EXPECT_EQ(reply.status, 415);
    EXPECT_NE(reply.body.find("unsupported_media_type"), std::string::npos);
    ASSERT_EQ(reply.headers.size(), 1U);
    EXPECT_EQ(reply.headers[0].first, "Accept-Encoding");
    run_.complete({});
  }
}

TEST_F(CompressionFilterTest, IdentityOrDisabledRequestDecodingLeavesTheBodyAlone) {
  ASSERT_EQ(request({{"content-encoding", "identity"}, {"content-length", "2"}}, "POST"),
            Verdict::kContinue);
  EXPECT_EQ(request_header("content-length"), "2");
  std::string body = "{}";
  ASSERT_EQ(run_.request_body(body, true), Verdict::kContinue);
  EXPECT_EQ(body, "{}");
  run_.complete({});

  load("{ request_decompression: { enabled: false } }");
  EXPECT_EQ(chain_[0]->hooks() & filter::kRequestBodyHook, 0U);
  ASSERT_EQ(request({{"content-encoding", "compress"}}, "POST"), Verdict::kContinue);
  EXPECT_EQ(request_header("content-encoding"), "compress");
}

}  // namespace
}  // namespace nexus::filters
