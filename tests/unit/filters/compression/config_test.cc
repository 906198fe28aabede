// The compression filter's config: defaults, every key, and errors with file, line and key.
#include "filters/compression/config.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "control/config/loader.h"
#include "filters/compression/compression_filter.h"

namespace nexus::filters {
namespace {

using compression::Coding;

constexpr std::string_view kBase =
    "server: { listen: [\"127.0.0.1:8080\"] }\n"
    "routes: [{ match: {}, direct_response: {} }]\n"
    "filters:\n"
    "  - compression: ";

Result<config::Config> load(std::string_view filter_yaml) {
  return control::load_config_text(std::string(kBase) + std::string(filter_yaml) + "\n",
                                   "test.yaml");
}

// The compression factory of the global chain (logging.access_log puts its filter first).
const CompressionFactory& factory_of(const config::Config& config) {
  for (const auto& factory : config.global_filters) {
    if (factory->type() == "compression") {
      return dynamic_cast<const CompressionFactory&>(*factory);
    }
  }
  throw std::runtime_error("no compression filter in the chain");
}

const CompressionConfig& config_of(const config::Config& config) {
  return factory_of(config).config();
}

TEST(CompressionConfigTest, Defaults) {
  auto loaded = load("{}");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const CompressionConfig& config = config_of(*loaded);
  EXPECT_EQ(config.algorithms,
            (std::vector<Coding>{Coding::kBrotli, Coding::kZstd, Coding::kGzip}));
  EXPECT_EQ(config.min_size, 1024U);
  EXPECT_EQ(config.content_types, kDefaultCompressedTypes);
  EXPECT_EQ(config.flush_content_types, kDefaultFlushedTypes);
  EXPECT_EQ(config.gzip_level, 6);
  EXPECT_EQ(config.brotli_level, 4);
  EXPECT_EQ(config.zstd_level, 3);
  EXPECT_TRUE(config.decompress_requests);
  EXPECT_EQ(config.request_limits.max_output, 10U * 1024 * 1024);
  EXPECT_EQ(config.request_limits.max_ratio, 100U);
  const uint32_t hooks = factory_of(*loaded).hooks();
  EXPECT_NE(hooks & filter::kResponseBodyHook, 0U);
  EXPECT_NE(hooks & filter::kRequestBodyHook, 0U);
}

TEST(CompressionConfigTest, EveryKey) {
  auto loaded = load(
      "{ algorithms: [gzip, zstd], min_size: 2KiB, content_types: [Application/JSON, text/*], "
      "flush_content_types: [text/event-stream], levels: { gzip: 9, br: 11, zstd: 19 }, "
      "request_decompression: { enabled: false, max_decompressed_size: 1MiB, max_ratio: 0 } }");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const CompressionConfig& config = config_of(*loaded);
  EXPECT_EQ(config.algorithms, (std::vector<Coding>{Coding::kGzip, Coding::kZstd}));
  EXPECT_EQ(config.min_size, 2048U);
  EXPECT_EQ(config.content_types, (std::vector<std::string>{"application/json", "text/*"}));
  EXPECT_EQ(config.flush_content_types, (std::vector<std::string>{"text/event-stream"}));
  EXPECT_EQ(config.gzip_level, 9);
  EXPECT_EQ(config.brotli_level, 11);
  EXPECT_EQ(config.zstd_level, 19);
  EXPECT_FALSE(config.decompress_requests);
  EXPECT_EQ(config.request_limits.max_output, 1024U * 1024);
  EXPECT_EQ(config.request_limits.max_ratio, 0U);
  EXPECT_EQ(factory_of(*loaded).hooks() & filter::kRequestBodyHook, 0U);
}

TEST(CompressionConfigTest, NoAlgorithmsMeansRequestDecodingOnly) {
  auto loaded = load("{ algorithms: [] }");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const uint32_t hooks = factory_of(*loaded).hooks();
  EXPECT_EQ(hooks & (filter::kResponseHeadersHook | filter::kResponseBodyHook), 0U);
  EXPECT_NE(hooks & filter::kRequestBodyHook, 0U);
}

TEST(CompressionConfigTest, ErrorsNameFileLineAndKey) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"{ level: 3 }", "test.yaml:4: filters[0].compression: unknown key 'level'"},
      {"{ algorithms: [gzip, brotli] }",
       "test.yaml:4: filters[0].compression.algorithms[1]: unknown value 'brotli' (expected "},
      {"{ algorithms: [gzip, gzip] }",
       "test.yaml:4: filters[0].compression.algorithms[1]: 'gzip' is listed twice"},
      {"{ algorithms: gzip }", "test.yaml:4: filters[0].compression.algorithms: expected"},
      {"{ min_size: lots }", "test.yaml:4: filters[0].compression.min_size: expected a size"},
      {"{ content_types: [text] }",
       "test.yaml:4: filters[0].compression.content_types[0]: expected a media type like "
       "text/html or text/*, got 'text'"},
      {"{ flush_content_types: [\"text/plain; charset=utf-8\"] }",
       "test.yaml:4: filters[0].compression.flush_content_types[0]: expected a media type"},
      {"{ levels: { gzip: 10 } }",
       "test.yaml:4: filters[0].compression.levels.gzip: expected an integer from 1 to 9"},
      {"{ levels: { zstd: 22 } }",
       "test.yaml:4: filters[0].compression.levels.zstd: expected an integer from 1 to 19"},
      {"{ levels: { deflate: 1 } }",
       "test.yaml:4: filters[0].compression.levels: unknown key 'deflate'"},
      {"{ request_decompression: { enabled: maybe } }",
       "test.yaml:4: filters[0].compression.request_decompression.enabled: expected"},
      {"{ request_decompression: { max_decompressed_size: 0 } }",
       "test.yaml:4: filters[0].compression.request_decompression.max_decompressed_size: size 0 "
       "bytes is out of range"},
      {"{ request_decompression: { limit: 1 } }",
       "test.yaml:4: filters[0].compression.request_decompression: unknown key 'limit'"},
  };
  for (const auto& [yaml, prefix] : cases) {
    SCOPED_TRACE(yaml);
    auto loaded = load(yaml);
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error().code(), ErrorCode::kInvalidConfig);
    EXPECT_TRUE(loaded.error().message().starts_with(prefix))
        << "  actual: " << loaded.error().message() << "\nexpected: " << prefix << "...";
  }
}

}  // namespace
}  // namespace nexus::filters
