// The compression filter's codecs against the libraries' own decoders and encoders: round trips,
// per-event flushing for streams, zip bombs and corrupt input.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "filters/compression/decoder.h"
#include "filters/compression/encoder.h"
#include "reference_codecs.h"

namespace nexus::filters::compression {
namespace {

using testing::compress;
using testing::reference_decode;
using testing::ReferenceDecoder;
using testing::sample_text;

class CompressionCodecTest : public ::testing::TestWithParam<Coding> {};

std::unique_ptr<Encoder> encoder_for(Coding coding) {
  auto encoder = make_encoder(coding, coding == Coding::kBrotli ? 4 : 3);
  EXPECT_TRUE(encoder.has_value());
  return encoder ? std::move(*encoder) : nullptr;
}

TEST_P(CompressionCodecTest, RoundTripsThroughTheLibraryDecoderInPieces) {
  const std::string text = sample_text(300'000);
  auto encoder = encoder_for(GetParam());
  ASSERT_NE(encoder, nullptr);
  std::string compressed;
  for (size_t at = 0; at < text.size(); at += 7000) {
    ASSERT_TRUE(encoder->write(std::string_view(text).substr(at, 7000), Flush::kNone, compressed));
  }
  ASSERT_TRUE(encoder->write("", Flush::kFinish, compressed));
  EXPECT_LT(compressed.size(), text.size() / 3);
  EXPECT_EQ(reference_decode(GetParam(), compressed), text);
  EXPECT_FALSE(encoder->write("more", Flush::kNone, compressed));  // finished streams stay so
}

TEST_P(CompressionCodecTest, EmptyBodyIsAValidStream) {
  auto encoder = encoder_for(GetParam());
  ASSERT_NE(encoder, nullptr);
  std::string compressed;
  ASSERT_TRUE(encoder->write("", Flush::kFinish, compressed));
  EXPECT_FALSE(compressed.empty());
  EXPECT_EQ(reference_decode(GetParam(), compressed), "");
}

// Each SSE event, flushed, must come out of a streaming decoder before the next one is written.
TEST_P(CompressionCodecTest, FlushMakesEveryEventDecodableAtOnce) {
  auto encoder = encoder_for(GetParam());
  ASSERT_NE(encoder, nullptr);
  ReferenceDecoder client(GetParam());
  std::string all;
  for (int i = 0; i < 20; ++i) {
    const std::string event = "data: {\"delta\":\"token " + std::to_string(i) + "\"}\n\n";
    std::string piece;
    ASSERT_TRUE(encoder->write(event, Flush::kFlush, piece));
    ASSERT_FALSE(piece.empty());
    EXPECT_EQ(client.feed(piece), event) << "event " << i;
    all += event;
  }
  std::string tail;
  ASSERT_TRUE(encoder->write("", Flush::kFinish, tail));
  EXPECT_EQ(client.feed(tail), "");
  EXPECT_TRUE(client.ended());
}

// Without flushing, small pieces stay in the encoder (that is the point of not flushing).
TEST_P(CompressionCodecTest, WithoutFlushSmallPiecesMayStayBuffered) {
  auto encoder = encoder_for(GetParam());
  ASSERT_NE(encoder, nullptr);
  std::string out;
  ASSERT_TRUE(encoder->write("data: a small event\n\n", Flush::kNone, out));
  ReferenceDecoder client(GetParam());
  EXPECT_EQ(client.feed(out), "");
}

TEST_P(CompressionCodecTest, DecoderInvertsTheLibraryEncoderOneByteAtATime) {
  const std::string text = sample_text(50'000);
  const std::string compressed = compress(GetParam(), text);
  auto decoder = make_decoder(GetParam(), DecodeLimits{});
  ASSERT_TRUE(decoder.has_value());
  std::string out;
  for (char c : compressed) {
    ASSERT_TRUE((*decoder)->write(std::string_view(&c, 1), out));
  }
  EXPECT_TRUE((*decoder)->finish());
  EXPECT_EQ(out, text);
}

TEST_P(CompressionCodecTest, ZipBombIsRejectedWithoutInflatingIt) {
  const std::string zeros(64ULL * 1024 * 1024, '\0');
  const std::string bomb = compress(GetParam(), zeros);
  ASSERT_LT(bomb.size(), 2 * 1024 * 1024U);
  const uint64_t limit = 1024 * 1024;
  auto decoder = make_decoder(GetParam(), DecodeLimits{.max_output = limit, .max_ratio = 0});
  ASSERT_TRUE(decoder.has_value());
  std::string out;
  auto written = (*decoder)->write(bomb, out);  // the whole bomb in one piece
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code(), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(written.error().http_status(), 413);
  EXPECT_LE(out.size(), limit + 1);  // stopped at the limit, not after 64 MiB
  EXPECT_LE((*decoder)->decoded_bytes(), limit + 1);
}

TEST_P(CompressionCodecTest, ExactlyTheLimitIsAccepted) {
  const std::string text = sample_text(100'000);
  auto decoder = make_decoder(GetParam(), DecodeLimits{.max_output = text.size(), .max_ratio = 0});
  ASSERT_TRUE(decoder.has_value());
  std::string out;
  ASSERT_TRUE((*decoder)->write(compress(GetParam(), text), out));
  EXPECT_TRUE((*decoder)->finish());
  EXPECT_EQ(out, text);
}

TEST_P(CompressionCodecTest, RatioLimitStopsHighlyCompressedBodies) {
  const std::string bomb = compress(GetParam(), std::string(8ULL * 1024 * 1024, 'a'));
  auto decoder = make_decoder(GetParam(), DecodeLimits{.max_output = 1ULL << 30, .max_ratio = 100});
  ASSERT_TRUE(decoder.has_value());
  std::string out;
  auto written = (*decoder)->write(bomb, out);
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code(), ErrorCode::kPayloadTooLarge);
  EXPECT_NE(written.error().message().find("100 times"), std::string::npos);
  EXPECT_LT(out.size(), 2 * kRatioFloor);
}

TEST_P(CompressionCodecTest, CorruptDataIsABadRequest) {
  std::string compressed = compress(GetParam(), sample_text(20'000));
  for (size_t i = 10; i < compressed.size(); i += 7) {
    compressed[i] = static_cast<char>(compressed[i] ^ 0x5a);
  }
  auto decoder = make_decoder(GetParam(), DecodeLimits{});
  ASSERT_TRUE(decoder.has_value());
  std::string out;
  auto written = (*decoder)->write(compressed, out);
  if (written) {
    written = (*decoder)->finish();
  }
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code(), ErrorCode::kBadRequest);
}

TEST_P(CompressionCodecTest, GarbageIsABadRequest) {
  auto decoder = make_decoder(GetParam(), DecodeLimits{});
  ASSERT_TRUE(decoder.has_value());
  std::string out;
  auto written = (*decoder)->write("this is not compressed at all, not even slightly", out);
  if (written) {
    written = (*decoder)->finish();
  }
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().http_status(), 400);
}

TEST_P(CompressionCodecTest, TruncatedStreamIsABadRequestAtTheEnd) {
  const std::string compressed = compress(GetParam(), sample_text(20'000));
  auto decoder = make_decoder(GetParam(), DecodeLimits{});
  ASSERT_TRUE(decoder.has_value());
  std::string out;
  ASSERT_TRUE(
      (*decoder)->write(std::string_view(compressed).substr(0, compressed.size() / 2), out));
  auto finished = (*decoder)->finish();
  ASSERT_FALSE(finished.has_value());
  EXPECT_EQ(finished.error().code(), ErrorCode::kBadRequest);
}

// Concatenated gzip members and zstd frames are allowed (below), but not garbage.
TEST_P(CompressionCodecTest, DataAfterTheStreamIsRejected) {
  auto decoder = make_decoder(GetParam(), DecodeLimits{});
  ASSERT_TRUE(decoder.has_value());
  std::string out;
  auto written = (*decoder)->write(compress(GetParam(), "hello") + "trailing", out);
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code(), ErrorCode::kBadRequest);
}

TEST_P(CompressionCodecTest, EmptyBodyDecodesToNothing) {
  auto decoder = make_decoder(GetParam(), DecodeLimits{});
  ASSERT_TRUE(decoder.has_value());
  std::string out;
  ASSERT_TRUE((*decoder)->write("", out));
  EXPECT_TRUE((*decoder)->finish());
  EXPECT_EQ(out, "");
}

INSTANTIATE_TEST_SUITE_P(Codings, CompressionCodecTest,
                         ::testing::Values(Coding::kGzip, Coding::kBrotli, Coding::kZstd),
                         [](const auto& info) { return std::string(coding_name(info.param)); });

// Decoding only: deflate is accepted in requests but never produced.
TEST(CompressionDecoderTest, DeflateAcceptsZlibWrappedAndRawData) {
  const std::string text = sample_text(30'000);
  for (int window : {15, -15}) {
    SCOPED_TRACE(window);
    auto decoder = make_decoder(Coding::kDeflate, DecodeLimits{});
    ASSERT_TRUE(decoder.has_value());
    const std::string compressed = testing::zlib_compress(text, window);
    std::string out;
    ASSERT_TRUE((*decoder)->write(compressed.substr(0, 1), out));  // the wrapper is not known yet
    EXPECT_EQ(out, "");
    ASSERT_TRUE((*decoder)->write(compressed.substr(1), out));
    EXPECT_TRUE((*decoder)->finish());
    EXPECT_EQ(out, text);
  }
}

TEST(CompressionDecoderTest, ConcatenatedGzipMembersAndZstdFramesAreOneBody) {
  for (Coding coding : {Coding::kGzip, Coding::kZstd}) {
    SCOPED_TRACE(coding_name(coding));
    auto decoder = make_decoder(coding, DecodeLimits{});
    ASSERT_TRUE(decoder.has_value());
    std::string out;
    ASSERT_TRUE((*decoder)->write(compress(coding, "first ") + compress(coding, "second"), out));
    EXPECT_TRUE((*decoder)->finish());
    EXPECT_EQ(out, "first second");
  }
}

TEST(CompressionDecoderTest, ZstdFramesAskingForHugeWindowsAreRefused) {
  // Streamed without a pledged size, the frame keeps the 128 MiB window it was told to use.
  ZSTD_CCtx* context = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(context, ZSTD_c_windowLog, 27);
  const std::string text = sample_text(200'000);
  std::string compressed(ZSTD_compressBound(text.size()) + 1024, '\0');
  ZSTD_inBuffer in{text.data(), text.size(), 0};
  ZSTD_outBuffer buffer{compressed.data(), compressed.size(), 0};
  ZSTD_compressStream2(context, &buffer, &in, ZSTD_e_continue);
  while (ZSTD_compressStream2(context, &buffer, &in, ZSTD_e_end) != 0) {
  }
  compressed.resize(buffer.pos);
  ZSTD_freeCCtx(context);
  ASSERT_EQ(testing::reference_decode(Coding::kZstd, compressed), text);
  auto decoder = make_decoder(Coding::kZstd, DecodeLimits{});
  ASSERT_TRUE(decoder.has_value());
  std::string out;
  auto written = (*decoder)->write(compressed, out);
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code(), ErrorCode::kBadRequest);
}

TEST(CompressionDecoderTest, NoDecoderOrEncoderForIdentity) {
  EXPECT_FALSE(make_decoder(Coding::kIdentity, DecodeLimits{}).has_value());
  EXPECT_FALSE(make_encoder(Coding::kIdentity, 1).has_value());
  EXPECT_FALSE(make_encoder(Coding::kDeflate, 1).has_value());
}

}  // namespace
}  // namespace nexus::filters::compression
