#include "filters/registry.h"

#include <array>

#include "filters/access_log/config.h"
#include "filters/auth/config.h"

namespace nexus::filters {

std::span<const FilterType> builtin_filter_types() {
  static constexpr std::array<FilterType, 2> kTypes = {{
      {"access_log", parse_access_log_filter},
      {"auth", parse_auth_filter},
  }};
  return kTypes;
}

}  // namespace nexus::filters
