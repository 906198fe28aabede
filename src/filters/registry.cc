#include "filters/registry.h"

#include <array>

#include "filters/access_log/config.h"
#include "filters/body_limit/config.h"
#include "filters/fault/config.h"
#include "filters/rate_limit/config.h"

namespace nexus::filters {

std::span<const FilterType> builtin_filter_types() {
  static constexpr std::array<FilterType, 4> kTypes = {{
      {"access_log", parse_access_log_filter},
      {"body_limit", parse_body_limit_filter},
      {"fault", parse_fault_filter},
      {"rate_limit", parse_rate_limit_filter},
  }};
  return kTypes;
}

}  // namespace nexus::filters
