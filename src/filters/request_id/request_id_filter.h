// The request_id filter: decides the request's id in on_request_headers (the client's, when it
// is trusted and sane, else a new UUIDv7), stores it in the kRequestId slot, sets it on the
// request that goes upstream, and adds it to the response in on_response_headers, local replies
// of later filters included.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "filters/request_id/config.h"
#include "http/filter/filter.h"

namespace nexus::filters {

// Whether a client's id may be kept: 1 to kMaxRequestIdLength visible ASCII characters (no
// spaces, no controls), so that it is safe in logs and in headers sent on.
bool is_sane_request_id(std::string_view id);

class RequestIdFactory final : public filter::FilterFactory {
 public:
  explicit RequestIdFactory(RequestIdConfig config) : config_(std::move(config)) {}

  [[nodiscard]] std::string_view type() const override { return "request_id"; }
  [[nodiscard]] uint32_t hooks() const override {
    return filter::kRequestHeadersHook | (config_.response ? filter::kResponseHeadersHook : 0U);
  }
  [[nodiscard]] filter::ArenaPtr<filter::Filter> create(filter::Arena& arena) const override;
  [[nodiscard]] const RequestIdConfig& config() const { return config_; }

 private:
  RequestIdConfig config_;
};

}  // namespace nexus::filters
