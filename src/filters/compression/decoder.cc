#include "filters/compression/decoder.h"

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>

namespace nexus::filters::compression {
namespace {

constexpr size_t kChunk = size_t{16} * 1024;
// Decoder memory is bounded too: zstd frames may ask for any window size, and RFC 8878 §3.1.1.1.2
// only asks HTTP decoders to support 8 MiB.
constexpr int kZstdMaxWindowLog = 23;

// Appends `size` bytes of room to `out`; returns where it starts. `used` gets the old size.
uint8_t* grow(std::string& out, size_t size, size_t& used) {
  used = out.size();
  out.resize(used + size);
  return reinterpret_cast<uint8_t*>(out.data() + used);
}

// gzip and deflate through zlib. "deflate" is zlib-wrapped by the standard, but some clients send
// raw deflate: the first two bytes tell which (a zlib header is a multiple of 31 with method 8).
class ZlibDecoder final : public Decoder {
 public:
  ZlibDecoder(Coding coding, DecodeLimits limits) : Decoder(limits), coding_(coding) {}
  ~ZlibDecoder() override {
    if (ready_) {
      inflateEnd(&stream_);
    }
  }
  ZlibDecoder(const ZlibDecoder&) = delete;
  ZlibDecoder& operator=(const ZlibDecoder&) = delete;
  ZlibDecoder(ZlibDecoder&&) = delete;
  ZlibDecoder& operator=(ZlibDecoder&&) = delete;

 protected:
  Result<void> decode(std::string_view input, std::string& out) override {
    if (ready_) {
      return inflate_all(input, out);
    }
    if (coding_ == Coding::kGzip) {
      if (auto started = init(); !started) {
        return started;
      }
      return inflate_all(input, out);
    }
    held_.append(input);  // deflate: the wrapper is told by the first two bytes
    if (held_.size() < 2) {
      return {};
    }
    if (auto started = init(); !started) {
      return started;
    }
    const std::string held = std::move(held_);
    return inflate_all(held, out);
  }

  [[nodiscard]] bool complete() const override { return ended_; }

 private:
  Result<void> init() {
    int window = 15 + 16;  // gzip only
    if (coding_ == Coding::kDeflate) {
      const auto cmf = static_cast<unsigned char>(held_[0]);
      const auto flg = static_cast<unsigned char>(held_[1]);
      const bool zlib_header = (cmf & 0x0f) == 8 && ((cmf << 8) | flg) % 31 == 0;
      window = zlib_header ? 15 : -15;
    }
    if (inflateInit2(&stream_, window) != Z_OK) {
      return fail(ErrorCode::kInternal, "inflateInit2 failed");
    }
    ready_ = true;
    return {};
  }

  Result<void> inflate_all(std::string_view input, std::string& out) {
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    stream_.avail_in = static_cast<uInt>(input.size());
    for (;;) {
      if (ended_ && stream_.avail_in > 0) {
        if (coding_ != Coding::kGzip) {
          return corrupt(coding_name(coding_), "data after the end of the stream");
        }
        inflateReset(&stream_);  // gzip allows several members, one after the other
        ended_ = false;
      }
      size_t used = 0;
      const size_t size = room();
      stream_.next_out = grow(out, size, used);
      stream_.avail_out = static_cast<uInt>(size);
      const int rc = inflate(&stream_, Z_NO_FLUSH);
      const size_t produced = size - stream_.avail_out;
      out.resize(used + produced);
      if (rc == Z_MEM_ERROR) {
        return fail(ErrorCode::kInternal, "inflate ran out of memory");
      }
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        return corrupt(coding_name(coding_), stream_.msg != nullptr ? stream_.msg : "bad data");
      }
      if (auto counted = account(produced); !counted) {
        return counted;
      }
      ended_ = rc == Z_STREAM_END;
      // Done when the input is taken and inflate had room to spare (it holds nothing back).
      if ((stream_.avail_in == 0 && stream_.avail_out != 0) || rc == Z_BUF_ERROR) {
        return {};
      }
    }
  }

  Coding coding_;
  z_stream stream_{};
  std::string held_;  // deflate bytes received before the wrapper was known
  bool ready_ = false;
  bool ended_ = false;
};

class BrotliDecoder final : public Decoder {
 public:
  explicit BrotliDecoder(DecodeLimits limits)
      : Decoder(limits), state_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {}
  [[nodiscard]] bool ready() const { return state_ != nullptr; }

 protected:
  Result<void> decode(std::string_view input, std::string& out) override {
    size_t avail_in = input.size();
    const auto* next_in = reinterpret_cast<const uint8_t*>(input.data());
    for (;;) {
      if (ended_) {
        return avail_in == 0 ? Result<void>() : corrupt("br", "data after the end of the stream");
      }
      size_t used = 0;
      const size_t size = room();
      uint8_t* next_out = grow(out, size, used);
      size_t avail_out = size;
      const BrotliDecoderResult rc = BrotliDecoderDecompressStream(
          state_.get(), &avail_in, &next_in, &avail_out, &next_out, nullptr);
      out.resize(used + size - avail_out);
      if (rc == BROTLI_DECODER_RESULT_ERROR) {
        return corrupt("br", BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state_.get())));
      }
      if (auto counted = account(size - avail_out); !counted) {
        return counted;
      }
      ended_ = rc == BROTLI_DECODER_RESULT_SUCCESS;
      if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) {
        return {};
      }
    }
  }

  [[nodiscard]] bool complete() const override { return ended_; }

 private:
  struct Destroy {
    void operator()(BrotliDecoderState* state) const { BrotliDecoderDestroyInstance(state); }
  };
  std::unique_ptr<BrotliDecoderState, Destroy> state_;
  bool ended_ = false;
};

class ZstdDecoder final : public Decoder {
 public:
  explicit ZstdDecoder(DecodeLimits limits) : Decoder(limits), context_(ZSTD_createDCtx()) {}
  bool init() {
    return context_ != nullptr && ZSTD_isError(ZSTD_DCtx_setParameter(
                                      context_.get(), ZSTD_d_windowLogMax, kZstdMaxWindowLog)) == 0;
  }

 protected:
  Result<void> decode(std::string_view input, std::string& out) override {
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    for (;;) {
      size_t used = 0;
      const size_t size = room();
      ZSTD_outBuffer buffer{grow(out, size, used), size, 0};
      const size_t in_before = in.pos;
      const size_t rc = ZSTD_decompressStream(context_.get(), &buffer, &in);
      out.resize(used + buffer.pos);
      if (ZSTD_isError(rc) != 0) {
        return corrupt("zstd", ZSTD_getErrorName(rc));
      }
      if (auto counted = account(buffer.pos); !counted) {
        return counted;
      }
      // 0: a frame just ended (another may follow). A call that took no input and gave no
      // output says nothing about the frame: after a frame ended exactly as the output chunk
      // filled up, the extra call made to check for more output returns the size of the next
      // frame's header (non-zero), which must not reopen the frame.
      if (rc == 0) {
        frame_open_ = false;
      } else if (in.pos != in_before || buffer.pos != 0) {
        frame_open_ = true;
      }
      // Room to spare with all input taken: the decoder has flushed all it could.
      if (in.pos == in.size && buffer.pos < buffer.size) {
        return {};
      }
    }
  }

  [[nodiscard]] bool complete() const override { return !frame_open_; }

 private:
  struct Free {
    void operator()(ZSTD_DCtx* context) const { ZSTD_freeDCtx(context); }
  };
  std::unique_ptr<ZSTD_DCtx, Free> context_;
  bool frame_open_ = false;
};

}  // namespace

Result<void> Decoder::write(std::string_view input, std::string& out) {
  if (input.empty()) {
    return {};
  }
  consumed_ += input.size();
  return decode(input, out);
}

Result<void> Decoder::finish() const {
  if (consumed_ == 0 || complete()) {
    return {};
  }
  return fail(ErrorCode::kBadRequest, "the compressed request body is truncated");
}

size_t Decoder::room() const {
  // account() fails as soon as produced_ passes the limit, so the room is never 0 here.
  const uint64_t left = produced_ <= limits_.max_output ? limits_.max_output - produced_ : 0;
  return static_cast<size_t>(std::min<uint64_t>(kChunk, left + 1));
}

Result<void> Decoder::account(size_t produced) {
  produced_ += produced;
  if (produced_ > limits_.max_output) {
    return fail(ErrorCode::kPayloadTooLarge, "the decompressed request body is over the limit of " +
                                                 std::to_string(limits_.max_output) + " bytes");
  }
  if (limits_.max_ratio != 0 && produced_ > kRatioFloor &&
      produced_ / limits_.max_ratio > consumed_) {
    return fail(ErrorCode::kPayloadTooLarge, "the request body decompresses more than " +
                                                 std::to_string(limits_.max_ratio) +
                                                 " times its size");
  }
  return {};
}

Result<void> Decoder::corrupt(std::string_view coding, std::string_view detail) {
  return fail(ErrorCode::kBadRequest, "the request body is not valid " + std::string(coding) +
                                          " data: " + std::string(detail));
}

Result<std::unique_ptr<Decoder>> make_decoder(Coding coding, DecodeLimits limits) {
  switch (coding) {
    case Coding::kGzip:
    case Coding::kDeflate:
      return std::make_unique<ZlibDecoder>(coding, limits);
    case Coding::kBrotli: {
      auto decoder = std::make_unique<BrotliDecoder>(limits);
      if (!decoder->ready()) {
        return fail(ErrorCode::kInternal, "BrotliDecoderCreateInstance failed");
      }
      return decoder;
    }
    case Coding::kZstd: {
      auto decoder = std::make_unique<ZstdDecoder>(limits);
      if (!decoder->init()) {
        return fail(ErrorCode::kInternal, "ZSTD_createDCtx failed");
      }
      return decoder;
    }
    case Coding::kIdentity:
      break;
  }
  return fail(ErrorCode::kInternal, "no decoder for " + std::string(coding_name(coding)));
}

}  // namespace nexus::filters::compression
