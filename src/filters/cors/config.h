// cors: answers CORS preflights locally and adds the CORS response headers for allowed origins
// (README.md). The config is compiled into a CorsPolicy: lower-cased origins, wildcard suffixes
// and the header values that never change, so a request does no string building for them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filters/registry.h"

namespace nexus::filters {

// "https://*.example.com": any origin "https://<labels>.example.com" (one or more labels).
struct WildcardOrigin {
  std::string scheme;  // "https://"
  std::string suffix;  // ".example.com" (with ":port" when the pattern has one)
};

struct CorsPolicy {
  bool any_origin = false;                 // "*"
  std::vector<std::string> exact_origins;  // lower case
  std::vector<WildcardOrigin> wildcard_origins;
  bool any_method = false;
  std::vector<std::string> methods = {"GET", "HEAD", "POST"};  // case-sensitive, as methods are
  bool any_header = false;
  std::vector<std::string> headers;  // lower case
  std::string methods_value;         // "GET, HEAD, POST"
  std::string expose_value;          // Access-Control-Expose-Headers ("" = none)
  bool allow_credentials = false;
  std::optional<std::string> max_age;  // seconds, for Access-Control-Max-Age

  [[nodiscard]] bool origin_allowed(std::string_view origin) const;
  [[nodiscard]] bool method_allowed(std::string_view method) const;
  [[nodiscard]] bool header_allowed(std::string_view lower_name) const;
  // The response never depends on the Origin: "*" without credentials (no Vary needed).
  [[nodiscard]] bool origin_independent() const { return any_origin && !allow_credentials; }
};

Result<std::shared_ptr<filter::FilterFactory>> parse_cors_filter(const Reader& reader,
                                                                 const Field& config);

}  // namespace nexus::filters
