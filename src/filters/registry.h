// The built-in filter types: their config names and parsers. The config loader looks a `filters`
// entry's type up here; this is the only file that knows every filter.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "control/config/reader.h"
#include "http/filter/filter.h"

namespace nexus::filters {

using control::config_internal::Field;
using control::config_internal::Reader;

// Parses a filter's own config (the mapping under its type name) into its factory.
using ParseFilter = Result<std::shared_ptr<filter::FilterFactory>> (*)(const Reader& reader,
                                                                       const Field& config);

struct FilterType {
  std::string_view name;
  ParseFilter parse;
};

// Every built-in type, sorted by name.
std::span<const FilterType> builtin_filter_types();

}  // namespace nexus::filters
