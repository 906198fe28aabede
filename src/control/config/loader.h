// Loads, interpolates and validates the YAML configuration.
//
// Every error names the file, the line and the key, e.g.
//   "nexus.yaml:12: clusters.backend.lb: unknown value 'fastest' (expected round_robin, ...)".
// Unknown keys are errors. ${VAR} and ${VAR:-default} in scalar values are replaced from the
// environment before a value is checked; an unset ${VAR} without a default is an error.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "nexus/config/config.h"
#include "nexus/core/result.h"

namespace nexus::control {

// Reads `path` and returns the validated config (ErrorCode::kInvalidConfig on any problem).
Result<config::Config> load_config_file(const std::string& path);

// The same from text; `source_name` stands in for the file name in messages.
Result<config::Config> load_config_text(std::string_view yaml, const std::string& source_name);

// The price table shipped in the binary (data/prices.yaml, docs/pricing.md), parsed once; what
// a config without a `prices` section uses.
Result<std::shared_ptr<const llm::pricing::PriceTable>> builtin_price_table();

}  // namespace nexus::control
