#include "filters/compression/config.h"

#include <algorithm>
#include <array>

#include "filters/compression/compression_filter.h"
#include "filters/compression/response_rules.h"

namespace nexus::filters {

using compression::Coding;

const std::vector<std::string> kDefaultCompressedTypes = {
    "text/*",  // html, plain, css, csv, javascript, markdown, xml and event-stream among them
    "application/json",
    "application/x-ndjson",
    "application/problem+json",
    "application/ld+json",
    "application/javascript",
    "application/xml",
    "application/xhtml+xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/graphql-response+json",
    "application/wasm",
    "image/svg+xml",
};

// Streams of events: each piece is an event the client waits for (SSE, and the NDJSON streams
// of Ollama-style APIs).
const std::vector<std::string> kDefaultFlushedTypes = {"text/event-stream", "application/x-ndjson"};

namespace {

constexpr std::array<std::string_view, 3> kAlgorithms = {"br", "gzip", "zstd"};

Result<std::vector<Coding>> read_algorithms(const Reader& r, const Field& field) {
  std::vector<Coding> codings;
  const auto add = [&](const Field& item, const std::string& name) -> Result<void> {
    const std::optional<Coding> coding = compression::coding_from_name(name);
    if (!coding) {  // cannot happen: every choice is a coding name
      return r.error(item, "unknown coding '" + name + "'");
    }
    if (std::ranges::find(codings, *coding) != codings.end()) {
      return r.error(item, "'" + name + "' is listed twice");
    }
    codings.push_back(*coding);
    return {};
  };
  NEXUS_CONFIG_TRY(r.strings(field, /*non_empty=*/false, kAlgorithms, add));
  return codings;
}

// Media types like text/html or text/*, stored as compression::media_type_pattern makes them.
auto media_type_check(const Reader& r) {
  return [&r](const Field& item, std::string& text) -> Result<void> {
    std::optional<std::string> pattern = compression::media_type_pattern(text);
    if (!pattern) {
      return r.error(item, "expected a media type like text/html or text/*, got '" + text + "'");
    }
    text = std::move(*pattern);
    return {};
  };
}

Result<void> read_levels(const Reader& r, const Field& field, CompressionConfig& config) {
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"gzip", "br", "zstd"}));
  uint32_t gzip = config.gzip_level;
  uint32_t brotli = config.brotli_level;
  uint32_t zstd = config.zstd_level;
  NEXUS_CONFIG_TRY(r.read_integer(field, "gzip", gzip, 1, 9));
  NEXUS_CONFIG_TRY(r.read_integer(field, "br", brotli, 0, 11));
  // Above 19 zstd wants windows larger than the 8 MiB HTTP clients must support (RFC 8878).
  NEXUS_CONFIG_TRY(r.read_integer(field, "zstd", zstd, 1, 19));
  config.gzip_level = static_cast<int>(gzip);
  config.brotli_level = static_cast<int>(brotli);
  config.zstd_level = static_cast<int>(zstd);
  return {};
}

Result<void> read_request_decompression(const Reader& r, const Field& field,
                                        CompressionConfig& config) {
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"enabled", "max_decompressed_size", "max_ratio"}));
  NEXUS_CONFIG_TRY(r.read(field, "enabled", config.decompress_requests));
  NEXUS_CONFIG_TRY(
      r.read_size(field, "max_decompressed_size", config.request_limits.max_output, 1, 1ULL << 40));
  NEXUS_CONFIG_TRY(
      r.read_integer(field, "max_ratio", config.request_limits.max_ratio, 0, 1'000'000));
  return {};
}

}  // namespace

Result<std::shared_ptr<filter::FilterFactory>> parse_compression_filter(const Reader& r,
                                                                        const Field& field) {
  NEXUS_CONFIG_TRY(
      r.check_mapping(field, {"algorithms", "min_size", "content_types", "flush_content_types",
                              "levels", "request_decompression"}));
  CompressionConfig config;
  config.content_types = kDefaultCompressedTypes;
  config.flush_content_types = kDefaultFlushedTypes;
  if (Field algorithms = r.child(field, "algorithms"); algorithms.present) {
    auto codings = read_algorithms(r, algorithms);
    if (!codings) {
      return std::unexpected(std::move(codings.error()));
    }
    config.algorithms = std::move(*codings);
  }
  NEXUS_CONFIG_TRY(r.read_size(field, "min_size", config.min_size, 0, 1ULL << 40));
  for (auto [key, out] : {std::pair{"content_types", &config.content_types},
                          {"flush_content_types", &config.flush_content_types}}) {
    if (Field types = r.child(field, key); types.present) {
      auto parsed = r.strings(types, /*non_empty=*/false, media_type_check(r));
      if (!parsed) {
        return std::unexpected(std::move(parsed.error()));
      }
      *out = std::move(*parsed);
    }
  }
  if (Field levels = r.child(field, "levels"); levels.present) {
    NEXUS_CONFIG_TRY(read_levels(r, levels, config));
  }
  if (Field request = r.child(field, "request_decompression"); request.present) {
    NEXUS_CONFIG_TRY(read_request_decompression(r, request, config));
  }
  return std::make_shared<CompressionFactory>(std::move(config));
}

}  // namespace nexus::filters
