// Streaming decompressors for request bodies, one per content coding, with zip-bomb limits.
//
// Decoding is incremental: each piece is inflated into chunks of at most 16 KiB, and the limits
// are checked after every chunk, so a small body that would inflate to gigabytes is rejected
// after producing a little more than the limit, never after allocating the whole output.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "filters/compression/negotiate.h"
#include "nexus/core/result.h"

namespace nexus::filters::compression {

struct DecodeLimits {
  uint64_t max_output = 10ULL * 1024 * 1024;  // decoded bytes of the whole body
  // Decoded bytes per encoded byte (0: unchecked). Only checked past kRatioFloor decoded bytes:
  // small, repetitive bodies legitimately compress far better than large ones.
  uint64_t max_ratio = 100;
};

// Below this many decoded bytes the ratio is not checked.
inline constexpr uint64_t kRatioFloor = uint64_t{1024} * 1024;

class Decoder {
 public:
  virtual ~Decoder() = default;
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;
  Decoder(Decoder&&) = delete;
  Decoder& operator=(Decoder&&) = delete;

  // Decodes the next piece of the body and appends the result to `out`. Errors: kPayloadTooLarge
  // when a limit is passed, kBadRequest when the data is corrupt (or follows the end of the
  // compressed stream), kInternal when the library fails (out of memory).
  Result<void> write(std::string_view input, std::string& out);
  // The body ended: kBadRequest when the compressed stream is incomplete. An empty body is fine.
  Result<void> finish() const;

  [[nodiscard]] uint64_t decoded_bytes() const { return produced_; }

 protected:
  explicit Decoder(DecodeLimits limits) : limits_(limits) {}

  // Consumes all of `input`, appending output in chunks of at most room() bytes and calling
  // account() after each.
  virtual Result<void> decode(std::string_view input, std::string& out) = 0;
  // Whether the compressed stream ended properly (the body may end here).
  [[nodiscard]] virtual bool complete() const = 0;

  // The size of the next output chunk: small enough that passing the limit is noticed at most
  // one byte after it.
  [[nodiscard]] size_t room() const;
  // Counts `produced` decoded bytes; the error when a limit is passed.
  Result<void> account(size_t produced);
  // kBadRequest "the request body is not valid <coding> data: <detail>".
  static Result<void> corrupt(std::string_view coding, std::string_view detail);

 private:
  DecodeLimits limits_;
  uint64_t consumed_ = 0;
  uint64_t produced_ = 0;
};

// A decoder for gzip (also x-gzip), deflate (zlib-wrapped, or raw as some clients send), br or
// zstd; kInternal when the library cannot set it up or for identity.
Result<std::unique_ptr<Decoder>> make_decoder(Coding coding, DecodeLimits limits);

}  // namespace nexus::filters::compression
