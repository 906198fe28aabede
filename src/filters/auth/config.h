// auth: authenticates requests with API keys, HTTP Basic or JWTs, and authorises the identity
// with allow/deny lists and required JWT claims (README.md beside this file). Kept light: the
// registry includes it; the parsed structures are in options.h.
#pragma once

#include <memory>

#include "filters/registry.h"

namespace nexus::filters {

Result<std::shared_ptr<filter::FilterFactory>> parse_auth_filter(const Reader& reader,
                                                                 const Field& config);

}  // namespace nexus::filters
