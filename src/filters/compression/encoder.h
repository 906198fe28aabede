// Streaming compressors for response bodies, one per content coding, behind one interface so
// that the filter does not care which library does the work.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "filters/compression/negotiate.h"
#include "nexus/core/result.h"

namespace nexus::filters::compression {

enum class Flush : uint8_t {
  kNone,    // emit whatever the encoder has ready; it may keep input buffered
  kFlush,   // emit everything written so far, decodable by the client now (SSE events)
  kFinish,  // end the stream (trailer, checksum); no write may follow
};

class Encoder {
 public:
  virtual ~Encoder() = default;
  // Compresses `input` and appends what the encoder produced to `out` (possibly nothing with
  // kNone). An error means the stream is unusable (out of memory, or a write after kFinish).
  virtual Result<void> write(std::string_view input, Flush flush, std::string& out) = 0;
};

// An encoder for gzip, br or zstd at `level` (gzip 1-9, br 0-11, zstd 1-19); an error when the
// library cannot set it up (out of memory, bad level) or the coding has no encoder here.
Result<std::unique_ptr<Encoder>> make_encoder(Coding coding, int level);

}  // namespace nexus::filters::compression
