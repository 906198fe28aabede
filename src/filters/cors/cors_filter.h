// The cors filter: a preflight (OPTIONS with Origin and Access-Control-Request-Method) is
// answered in on_request_headers, 204 with the CORS headers when origin, method and requested
// headers are allowed, 403 otherwise. For other requests it copies the Origin and, in
// on_response_headers, adds Access-Control-Allow-Origin (and -Credentials, -Expose-Headers) for
// an allowed origin and merges Origin into Vary, for local replies of later filters too.
#pragma once

#include <memory>
#include <string_view>

#include "filters/cors/config.h"
#include "http/filter/filter.h"

namespace nexus::filters {

class CorsFactory final : public filter::FilterFactory {
 public:
  explicit CorsFactory(CorsPolicy policy) : policy_(std::move(policy)) {}

  [[nodiscard]] std::string_view type() const override { return "cors"; }
  [[nodiscard]] uint32_t hooks() const override {
    return filter::kRequestHeadersHook | filter::kResponseHeadersHook;
  }
  [[nodiscard]] filter::ArenaPtr<filter::Filter> create(filter::Arena& arena) const override;
  [[nodiscard]] const CorsPolicy& policy() const { return policy_; }

 private:
  CorsPolicy policy_;
};

// Adds `token` to the Vary fields of `headers` (merged into one field) unless it, or "*", is
// already there.
void merge_vary(filter::HeaderMap& headers, std::string_view token);

}  // namespace nexus::filters
