// headers: removes, sets and adds request headers (in on_upstream_request) and response headers
// (in on_response_headers), with values from request attributes (template.h, README.md).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "filters/headers/template.h"
#include "filters/registry.h"

namespace nexus::filters {

struct HeaderOps {
  std::vector<std::string> remove;                         // names
  std::vector<std::pair<std::string, ValueTemplate>> set;  // replace every field of the name
  std::vector<std::pair<std::string, ValueTemplate>> add;  // append a field
  [[nodiscard]] bool empty() const { return remove.empty() && set.empty() && add.empty(); }
};

struct HeadersConfig {
  HeaderOps request;
  HeaderOps response;
  // Request headers the response templates read (lower case): captured in on_request_headers.
  std::vector<std::string> captured;
};

Result<std::shared_ptr<filter::FilterFactory>> parse_headers_filter(const Reader& reader,
                                                                    const Field& config);

}  // namespace nexus::filters
