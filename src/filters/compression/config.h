// compression: compresses responses (gzip, br, zstd, negotiated from Accept-Encoding) and
// decompresses request bodies sent with a Content-Encoding (docs/filters.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "filters/compression/decoder.h"
#include "filters/compression/negotiate.h"
#include "filters/registry.h"

namespace nexus::filters {

struct CompressionConfig {
  // Offered codings, in server preference order (ties in Accept-Encoding go to the earlier one).
  // Empty: responses are never compressed.
  std::vector<compression::Coding> algorithms = {
      compression::Coding::kBrotli, compression::Coding::kZstd, compression::Coding::kGzip};
  uint64_t min_size = 1024;  // a response with a smaller Content-Length is sent as is
  // Media types ("type/subtype", lower case) or "type/*" whose responses are compressed.
  std::vector<std::string> content_types;
  // Media types whose every body piece is flushed to the client at once (streams of events).
  std::vector<std::string> flush_content_types;
  int gzip_level = 6;
  int brotli_level = 4;  // quality 4-5 keeps per-event flushing cheap on SSE streams
  int zstd_level = 3;

  bool decompress_requests = true;
  compression::DecodeLimits request_limits;
};

extern const std::vector<std::string> kDefaultCompressedTypes;
extern const std::vector<std::string> kDefaultFlushedTypes;

Result<std::shared_ptr<filter::FilterFactory>> parse_compression_filter(const Reader& reader,
                                                                        const Field& config);

}  // namespace nexus::filters
