#include "filters/body_limit/config.h"

#include "filters/body_limit/body_limit_filter.h"

namespace nexus::filters {

Result<std::shared_ptr<filter::FilterFactory>> parse_body_limit_filter(const Reader& r,
                                                                       const Field& field) {
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"max_bytes"}));
  NEXUS_CONFIG_TRY(r.require(r.child(field, "max_bytes")));
  BodyLimitConfig config;
  NEXUS_CONFIG_TRY(r.read_size(field, "max_bytes", config.max_bytes, 0, UINT64_MAX));
  return std::make_shared<BodyLimitFactory>(config);
}

}  // namespace nexus::filters
