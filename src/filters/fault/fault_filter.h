// The fault filter: for a share of requests (or those that ask, with header_control), a delay
// before the request goes on, and/or an abort answered locally with the configured status. A
// request that gets both is delayed, then aborted.
#pragma once

#include "filters/fault/config.h"
#include "http/filter/filter.h"

namespace nexus::filters {

class FaultFactory final : public filter::FilterFactory {
 public:
  explicit FaultFactory(FaultConfig config) : config_(config) {}

  [[nodiscard]] std::string_view type() const override { return "fault"; }
  [[nodiscard]] uint32_t hooks() const override { return filter::kRequestHeadersHook; }
  [[nodiscard]] filter::ArenaPtr<filter::Filter> create(filter::Arena& arena) const override;
  [[nodiscard]] const FaultConfig& config() const { return config_; }

 private:
  FaultConfig config_;
};

// The JSON body of an injected abort.
filter::LocalReply fault_abort_reply(int status);

}  // namespace nexus::filters
