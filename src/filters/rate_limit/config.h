// rate_limit: limits requests per key (client IP, identity, route, a header, or everything) with
// one of four algorithms, state shared by all worker threads (README.md, docs/filters.md).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "filters/rate_limit/algorithms.h"
#include "filters/rate_limit/store.h"
#include "filters/registry.h"

namespace nexus::filters {

namespace rate_limit {

enum class KeyKind { kClientIp, kIdentity, kRoute, kHeader, kGlobal };

struct LimitConfig {
  std::string name;  // for the error message; defaults to "limits[i]"
  LimitSpec spec;
  KeyKind key = KeyKind::kClientIp;
  std::string header;               // key: header, lower case
  bool skip_missing_header = true;  // key: header: no such header skips the limit ("" if false)
  size_t max_keys = 100000;
  WhenFull when_full = WhenFull::kEvict;
};

// More limits than this in one filter is a config error (the filter keeps per-limit results in
// a fixed array, so that deciding allocates nothing).
constexpr size_t kMaxLimits = 16;

}  // namespace rate_limit

struct RateLimitConfig {
  std::vector<rate_limit::LimitConfig> limits;
  bool headers = true;  // X-RateLimit-* on every response
};

Result<std::shared_ptr<filter::FilterFactory>> parse_rate_limit_filter(const Reader& reader,
                                                                       const Field& config);

}  // namespace nexus::filters
