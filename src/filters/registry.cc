#include "filters/registry.h"

#include <array>

#include "filters/access_log/config.h"
#include "filters/body_limit/config.h"
#include "filters/fault/config.h"

namespace nexus::filters {

std::span<const FilterType> builtin_filter_types() {
  static constexpr std::array<FilterType, 3> kTypes = {{
      {"access_log", parse_access_log_filter},
      {"body_limit", parse_body_limit_filter},
      {"fault", parse_fault_filter},
  }};
  return kTypes;
}

}  // namespace nexus::filters
