#include "filters/compression/encoder.h"

#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>

namespace nexus::filters::compression {
namespace {

constexpr size_t kChunk = size_t{16} * 1024;

Result<void> encode_error(std::string_view what) {
  return fail(ErrorCode::kInternal, "compression failed: " + std::string(what));
}

// Grows `out` by up to kChunk bytes of writable room and returns where it starts.
uint8_t* grow(std::string& out, size_t& used) {
  used = out.size();
  out.resize(used + kChunk);
  return reinterpret_cast<uint8_t*>(out.data() + used);
}

class GzipEncoder final : public Encoder {
 public:
  GzipEncoder() = default;
  ~GzipEncoder() override {
    if (ready_) {
      deflateEnd(&stream_);
    }
  }
  GzipEncoder(const GzipEncoder&) = delete;
  GzipEncoder& operator=(const GzipEncoder&) = delete;
  GzipEncoder(GzipEncoder&&) = delete;
  GzipEncoder& operator=(GzipEncoder&&) = delete;

  static Result<std::unique_ptr<Encoder>> create(int level) {
    auto encoder = std::make_unique<GzipEncoder>();
    // windowBits 15 + 16: a gzip wrapper (header, CRC-32 and size trailer) around deflate.
    if (deflateInit2(&encoder->stream_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
      return fail(ErrorCode::kInternal, "deflateInit2 failed");
    }
    encoder->ready_ = true;
    return encoder;
  }

  Result<void> write(std::string_view input, Flush flush, std::string& out) override {
    if (finished_) {
      return encode_error("gzip write after finish");
    }
    const int mode = flush == Flush::kFinish  ? Z_FINISH
                     : flush == Flush::kFlush ? Z_SYNC_FLUSH
                                              : Z_NO_FLUSH;
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    stream_.avail_in = static_cast<uInt>(input.size());
    for (;;) {
      size_t used = 0;
      stream_.next_out = grow(out, used);
      stream_.avail_out = kChunk;
      const int rc = deflate(&stream_, mode);
      out.resize(used + kChunk - stream_.avail_out);
      if (rc == Z_STREAM_END) {
        finished_ = true;
        return {};
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return encode_error("deflate returned " + std::to_string(rc));
      }
      // Room left over means deflate has nothing more for now (all input taken, flush done).
      if (stream_.avail_out != 0 && mode != Z_FINISH) {
        return {};
      }
      if (stream_.avail_out != 0 && rc == Z_BUF_ERROR) {
        return encode_error("deflate made no progress finishing");
      }
    }
  }

 private:
  z_stream stream_{};
  bool ready_ = false;
  bool finished_ = false;
};

class BrotliEncoder final : public Encoder {
 public:
  BrotliEncoder() : state_(BrotliEncoderCreateInstance(nullptr, nullptr, nullptr)) {}

  static Result<std::unique_ptr<Encoder>> create(int level) {
    auto encoder = std::make_unique<BrotliEncoder>();
    if (!encoder->state_) {
      return fail(ErrorCode::kInternal, "BrotliEncoderCreateInstance failed");
    }
    BrotliEncoderState* state = encoder->state_.get();
    // A 512 KiB window (lgwin 19) instead of the default 4 MiB: the state is per response and
    // long SSE streams keep it alive for minutes; larger windows gain little on such bodies.
    if (BrotliEncoderSetParameter(state, BROTLI_PARAM_QUALITY, static_cast<uint32_t>(level)) ==
            BROTLI_FALSE ||
        BrotliEncoderSetParameter(state, BROTLI_PARAM_LGWIN, 19) == BROTLI_FALSE) {
      return fail(ErrorCode::kInternal, "BrotliEncoderSetParameter failed");
    }
    return encoder;
  }

  Result<void> write(std::string_view input, Flush flush, std::string& out) override {
    if (BrotliEncoderIsFinished(state_.get()) == BROTLI_TRUE) {
      return encode_error("brotli write after finish");
    }
    const BrotliEncoderOperation op = flush == Flush::kFinish  ? BROTLI_OPERATION_FINISH
                                      : flush == Flush::kFlush ? BROTLI_OPERATION_FLUSH
                                                               : BROTLI_OPERATION_PROCESS;
    size_t avail_in = input.size();
    const auto* next_in = reinterpret_cast<const uint8_t*>(input.data());
    for (;;) {
      size_t avail_out = 0;  // the encoder's own buffer is taken below, without a copy in
      if (BrotliEncoderCompressStream(state_.get(), op, &avail_in, &next_in, &avail_out, nullptr,
                                      nullptr) == BROTLI_FALSE) {
        return encode_error("BrotliEncoderCompressStream failed");
      }
      while (BrotliEncoderHasMoreOutput(state_.get()) == BROTLI_TRUE) {
        size_t size = 0;
        const uint8_t* data = BrotliEncoderTakeOutput(state_.get(), &size);
        out.append(reinterpret_cast<const char*>(data), size);
      }
      if (avail_in != 0) {
        continue;
      }
      if (op != BROTLI_OPERATION_FINISH || BrotliEncoderIsFinished(state_.get()) == BROTLI_TRUE) {
        return {};
      }
    }
  }

 private:
  struct Destroy {
    void operator()(BrotliEncoderState* state) const { BrotliEncoderDestroyInstance(state); }
  };

  std::unique_ptr<BrotliEncoderState, Destroy> state_;
};

class ZstdEncoder final : public Encoder {
 public:
  ZstdEncoder() : context_(ZSTD_createCCtx()) {}

  static Result<std::unique_ptr<Encoder>> create(int level) {
    auto encoder = std::make_unique<ZstdEncoder>();
    if (!encoder->context_) {
      return fail(ErrorCode::kInternal, "ZSTD_createCCtx failed");
    }
    if (ZSTD_isError(
            ZSTD_CCtx_setParameter(encoder->context_.get(), ZSTD_c_compressionLevel, level)) != 0) {
      return fail(ErrorCode::kInternal, "zstd rejected level " + std::to_string(level));
    }
    return encoder;
  }

  Result<void> write(std::string_view input, Flush flush, std::string& out) override {
    if (finished_) {
      return encode_error("zstd write after finish");
    }
    const ZSTD_EndDirective mode = flush == Flush::kFinish  ? ZSTD_e_end
                                   : flush == Flush::kFlush ? ZSTD_e_flush
                                                            : ZSTD_e_continue;
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    for (;;) {
      size_t used = 0;
      uint8_t* room = grow(out, used);
      ZSTD_outBuffer buffer{room, kChunk, 0};
      const size_t remaining = ZSTD_compressStream2(context_.get(), &buffer, &in, mode);
      out.resize(used + buffer.pos);
      if (ZSTD_isError(remaining) != 0) {
        return encode_error(ZSTD_getErrorName(remaining));
      }
      // e_continue is done once the input is taken; flush and end once nothing remains.
      const bool done = mode == ZSTD_e_continue ? in.pos == in.size : remaining == 0;
      if (done) {
        finished_ = mode == ZSTD_e_end;
        return {};
      }
    }
  }

 private:
  struct Free {
    void operator()(ZSTD_CCtx* context) const { ZSTD_freeCCtx(context); }
  };

  std::unique_ptr<ZSTD_CCtx, Free> context_;
  bool finished_ = false;
};

}  // namespace

Result<std::unique_ptr<Encoder>> make_encoder(Coding coding, int level) {
  switch (coding) {
    case Coding::kGzip:
      return GzipEncoder::create(std::clamp(level, 1, 9));
    case Coding::kBrotli:
      return BrotliEncoder::create(std::clamp(level, 0, 11));
    case Coding::kZstd:
      return ZstdEncoder::create(std::clamp(level, 1, 19));
    case Coding::kIdentity:
    case Coding::kDeflate:
      break;
  }
  return fail(ErrorCode::kInternal, "no encoder for " + std::string(coding_name(coding)));
}

}  // namespace nexus::filters::compression
