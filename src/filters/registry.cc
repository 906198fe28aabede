#include "filters/registry.h"

#include <array>

#include "filters/access_log/config.h"
#include "filters/auth/config.h"
#include "filters/body_limit/config.h"
#include "filters/compression/config.h"
#include "filters/cors/config.h"
#include "filters/fault/config.h"
#include "filters/headers/config.h"
#include "filters/ip_filter/config.h"
#include "filters/rate_limit/config.h"
#include "filters/request_id/config.h"

namespace nexus::filters {

std::span<const FilterType> builtin_filter_types() {
  static constexpr std::array<FilterType, 10> kTypes = {{
      {"access_log", parse_access_log_filter},
      {"auth", parse_auth_filter},
      {"body_limit", parse_body_limit_filter},
      {"compression", parse_compression_filter},
      {"cors", parse_cors_filter},
      {"fault", parse_fault_filter},
      {"headers", parse_headers_filter},
      {"ip_filter", parse_ip_filter_filter},
      {"rate_limit", parse_rate_limit_filter},
      {"request_id", parse_request_id_filter},
  }};
  return kTypes;
}

}  // namespace nexus::filters
