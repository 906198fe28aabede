// body_limit: a per-route limit on the request body (413), tighter than server.limits.
#pragma once

#include <cstdint>
#include <memory>

#include "filters/registry.h"

namespace nexus::filters {

struct BodyLimitConfig {
  uint64_t max_bytes = 0;
};

Result<std::shared_ptr<filter::FilterFactory>> parse_body_limit_filter(const Reader& reader,
                                                                       const Field& config);

}  // namespace nexus::filters
