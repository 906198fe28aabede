// Test helpers: the libraries' own streaming decoders and one-shot encoders, used directly so that
// the filter's codecs are checked against the real thing rather than against themselves.
#pragma once

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "filters/compression/negotiate.h"

namespace nexus::filters::compression::testing {

// A streaming decoder fed piece by piece: feed() returns everything decodable so far.
class ReferenceDecoder {
 public:
  explicit ReferenceDecoder(Coding coding) : coding_(coding) {
    if (coding == Coding::kGzip || coding == Coding::kDeflate) {
      inflateInit2(&zlib_, coding == Coding::kGzip ? 15 + 16 : 15);
    } else if (coding == Coding::kBrotli) {
      brotli_ = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
    } else {
      zstd_ = ZSTD_createDCtx();
    }
  }
  ~ReferenceDecoder() {
    inflateEnd(&zlib_);
    BrotliDecoderDestroyInstance(brotli_);
    ZSTD_freeDCtx(zstd_);
  }
  ReferenceDecoder(const ReferenceDecoder&) = delete;
  ReferenceDecoder& operator=(const ReferenceDecoder&) = delete;

  std::string feed(std::string_view input) {
    std::string out;
    char buffer[4096];
    if (coding_ == Coding::kGzip || coding_ == Coding::kDeflate) {
      zlib_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
      zlib_.avail_in = static_cast<uInt>(input.size());
      do {
        zlib_.next_out = reinterpret_cast<Bytef*>(buffer);
        zlib_.avail_out = sizeof(buffer);
        const int rc = inflate(&zlib_, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
          throw std::runtime_error("inflate failed");
        }
        ended_ = rc == Z_STREAM_END;
        out.append(buffer, sizeof(buffer) - zlib_.avail_out);
      } while (zlib_.avail_out == 0);
    } else if (coding_ == Coding::kBrotli) {
      size_t avail_in = input.size();
      const auto* next_in = reinterpret_cast<const uint8_t*>(input.data());
      BrotliDecoderResult rc = BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT;
      while (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
        size_t avail_out = sizeof(buffer);
        auto* next_out = reinterpret_cast<uint8_t*>(buffer);
        rc = BrotliDecoderDecompressStream(brotli_, &avail_in, &next_in, &avail_out, &next_out,
                                           nullptr);
        if (rc == BROTLI_DECODER_RESULT_ERROR) {
          throw std::runtime_error("brotli failed");
        }
        out.append(buffer, sizeof(buffer) - avail_out);
      }
      ended_ = rc == BROTLI_DECODER_RESULT_SUCCESS;
    } else {
      ZSTD_inBuffer in{input.data(), input.size(), 0};
      for (;;) {
        ZSTD_outBuffer buf{buffer, sizeof(buffer), 0};
        const size_t rc = ZSTD_decompressStream(zstd_, &buf, &in);
        if (ZSTD_isError(rc) != 0) {
          throw std::runtime_error(ZSTD_getErrorName(rc));
        }
        out.append(buffer, buf.pos);
        ended_ = rc == 0;
        if (in.pos == in.size && buf.pos < buf.size) {
          break;
        }
      }
    }
    return out;
  }
  // The compressed stream ended properly (trailer seen).
  [[nodiscard]] bool ended() const { return ended_; }

 private:
  Coding coding_;
  z_stream zlib_{};
  BrotliDecoderState* brotli_ = nullptr;
  ZSTD_DCtx* zstd_ = nullptr;
  bool ended_ = false;
};

inline std::string reference_decode(Coding coding, std::string_view data) {
  ReferenceDecoder decoder(coding);
  std::string out = decoder.feed(data);
  if (!decoder.ended()) {
    throw std::runtime_error("truncated stream");
  }
  return out;
}

// One-shot compression with the libraries; window_bits picks gzip (31), zlib (15) or raw (-15).
inline std::string zlib_compress(std::string_view data, int window_bits) {
  z_stream stream{};
  deflateInit2(&stream, 9, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

inline std::string brotli_compress(std::string_view data) {
  std::string out(BrotliEncoderMaxCompressedSize(data.size()) + 64, '\0');
  size_t size = out.size();
  BrotliEncoderCompress(5, 22, BROTLI_MODE_GENERIC, data.size(),
                        reinterpret_cast<const uint8_t*>(data.data()), &size,
                        reinterpret_cast<uint8_t*>(out.data()));
  out.resize(size);
  return out;
}

inline std::string zstd_compress(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3));
  return out;
}

inline std::string compress(Coding coding, std::string_view data) {
  switch (coding) {
    case Coding::kGzip:
      return zlib_compress(data, 15 + 16);
    case Coding::kDeflate:
      return zlib_compress(data, 15);
    case Coding::kBrotli:
      return brotli_compress(data);
    default:
      return zstd_compress(data);
  }
}

// Text that compresses moderately, like JSON does.
inline std::string sample_text(size_t size) {
  std::string text;
  uint32_t state = 12345;
  while (text.size() < size) {
    state = state * 1103515245 + 12345;
    text += "{\"id\":" + std::to_string(state % 100000) + ",\"word\":\"w" +
            std::to_string((state >> 8) % 977) + "\"},\n";
  }
  text.resize(size);
  return text;
}

}  // namespace nexus::filters::compression::testing
