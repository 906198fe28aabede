// The price table shipped with Nexus: data/prices.yaml, compiled into the binary at build time
// (CMake generates the definition from the file; CMakeLists.txt), so that the one binary has
// its prices wherever it runs. Parsed by control::builtin_price_table().
#pragma once

#include <string_view>

namespace nexus::llm::pricing {

// data/prices.yaml's text as it was when Nexus was built.
std::string_view builtin_prices_yaml();

}  // namespace nexus::llm::pricing
