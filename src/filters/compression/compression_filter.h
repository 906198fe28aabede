// The compression filter: negotiates a coding in on_request_headers (the request headers are gone
// by the response), decides in on_response_headers whether this response is compressed, and
// compresses each body piece as it passes; request bodies with a Content-Encoding are decoded
// on their way upstream, within the configured limits.
#pragma once

#include <memory>
#include <string_view>

#include "filters/compression/config.h"
#include "http/filter/filter.h"

namespace nexus::filters {

class CompressionFactory final : public filter::FilterFactory {
 public:
  explicit CompressionFactory(CompressionConfig config) : config_(std::move(config)) {}

  [[nodiscard]] std::string_view type() const override { return "compression"; }
  [[nodiscard]] uint32_t hooks() const override;
  [[nodiscard]] filter::ArenaPtr<filter::Filter> create(filter::Arena& arena) const override;

  [[nodiscard]] const CompressionConfig& config() const { return config_; }
  [[nodiscard]] int level(compression::Coding coding) const;

 private:
  CompressionConfig config_;
};

}  // namespace nexus::filters
