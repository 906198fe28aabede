#include "filters/request_id/config.h"

#include <algorithm>

#include "filters/request_id/request_id_filter.h"
#include "http/http1/syntax.h"

namespace nexus::filters {

Result<std::shared_ptr<filter::FilterFactory>> parse_request_id_filter(const Reader& r,
                                                                       const Field& field) {
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"header", "trust_incoming", "response"}));
  RequestIdConfig config;
  NEXUS_CONFIG_TRY(r.read(field, "header", config.header));
  if (!http1::syntax::is_token(config.header)) {
    return r.error(r.child(field, "header"), "expected a header name, got '" + config.header + "'");
  }
  std::ranges::transform(config.header, config.header.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  NEXUS_CONFIG_TRY(r.read(field, "trust_incoming", config.trust_incoming));
  NEXUS_CONFIG_TRY(r.read(field, "response", config.response));
  return std::make_shared<RequestIdFactory>(std::move(config));
}

}  // namespace nexus::filters
