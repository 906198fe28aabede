// The rate_limit filter. The factory owns one LimitStore per limit: the process-wide state that
// the filters of every worker thread decide against, so a limit is not multiplied by the number
// of workers. A config reload builds a new factory, and so starts the counts afresh.
#pragma once

#include <memory>
#include <vector>

#include "filters/rate_limit/config.h"
#include "filters/rate_limit/store.h"
#include "http/filter/filter.h"

namespace nexus::filters {

class RateLimitFactory final : public filter::FilterFactory {
 public:
  explicit RateLimitFactory(RateLimitConfig config);

  [[nodiscard]] std::string_view type() const override { return "rate_limit"; }
  [[nodiscard]] uint32_t hooks() const override {
    return filter::kRequestHeadersHook | (config_.headers ? filter::kResponseHeadersHook : 0U);
  }
  [[nodiscard]] filter::ArenaPtr<filter::Filter> create(filter::Arena& arena) const override;

  [[nodiscard]] const RateLimitConfig& config() const { return config_; }
  // The stores are thread-safe: a const factory hands them out to every worker's filters.
  [[nodiscard]] rate_limit::LimitStore& store(size_t limit) const { return *stores_[limit]; }

 private:
  RateLimitConfig config_;
  std::vector<std::unique_ptr<rate_limit::LimitStore>> stores_;
};

}  // namespace nexus::filters
