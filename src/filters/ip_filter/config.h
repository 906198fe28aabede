// ip_filter: allow and deny lists of CIDR prefixes, and the trusted proxies whose
// X-Forwarded-For entries name the real client (README.md).
#pragma once

#include <memory>

#include "core/cidr.h"
#include "filters/registry.h"

namespace nexus::filters {

struct IpFilterConfig {
  CidrSet allow;            // empty: every address not denied
  CidrSet deny;             // wins over allow
  CidrSet trusted_proxies;  // peers whose X-Forwarded-For is believed
};

Result<std::shared_ptr<filter::FilterFactory>> parse_ip_filter_filter(const Reader& reader,
                                                                      const Field& config);

}  // namespace nexus::filters
