// The body_limit filter: a declared Content-Length over the limit is refused before anything
// goes upstream; a body without a length (chunked, HTTP/2) is counted as it streams and refused
// the moment it passes the limit (the upstream request is then abandoned). It counts the body
// as it reaches this filter: after a decompressing filter placed before it, the decompressed
// bytes.
#pragma once

#include "filters/body_limit/config.h"
#include "http/filter/filter.h"

namespace nexus::filters {

class BodyLimitFactory final : public filter::FilterFactory {
 public:
  explicit BodyLimitFactory(BodyLimitConfig config) : config_(config) {}

  [[nodiscard]] std::string_view type() const override { return "body_limit"; }
  [[nodiscard]] uint32_t hooks() const override {
    return filter::kRequestHeadersHook | filter::kRequestBodyHook;
  }
  [[nodiscard]] filter::ArenaPtr<filter::Filter> create(filter::Arena& arena) const override;
  [[nodiscard]] uint64_t max_bytes() const { return config_.max_bytes; }

 private:
  BodyLimitConfig config_;
};

}  // namespace nexus::filters
