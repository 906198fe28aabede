// The headers filter: request operations in on_upstream_request (every other filter's request
// hook has run by then, so %{identity}, %{request_id} and %{client_ip} are known whatever the
// chain order, and a credential checked by auth can still be removed), response operations in
// on_response_headers (local replies of later filters too). Request headers that response
// templates read are captured in on_request_headers, which runs even when a later filter replies
// locally.
#pragma once

#include <memory>
#include <string_view>

#include "filters/headers/config.h"
#include "http/filter/filter.h"

namespace nexus::filters {

class HeadersFactory final : public filter::FilterFactory {
 public:
  explicit HeadersFactory(HeadersConfig config) : config_(std::move(config)) {}

  [[nodiscard]] std::string_view type() const override { return "headers"; }
  [[nodiscard]] uint32_t hooks() const override;
  [[nodiscard]] filter::ArenaPtr<filter::Filter> create(filter::Arena& arena) const override;
  [[nodiscard]] const HeadersConfig& config() const { return config_; }

 private:
  HeadersConfig config_;
};

}  // namespace nexus::filters
