// The scalar side of the Bedrock request encoder (inferenceConfig, additionalModelRequestFields,
// outputConfig) and the refusal of what Converse cannot say. Internal to request_encoder.cc,
// apart so that each file stays small.
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "nexus/core/result.h"
#include "providers/bedrock/request_encoder.h"

namespace nexus::providers::bedrock {

// A kBadRequest naming `param`: "<param>: <what>".
std::unexpected<Error> unsupported(std::string param, std::string_view what);

Result<void> write_options(const llm::Request& request, const EncodeOptions& options,
                           boost::json::object& body);

}  // namespace nexus::providers::bedrock
