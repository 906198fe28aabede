// The scalar side of the Anthropic request encoder (max_tokens, thinking, sampling, stop
// sequences, metadata) and the refusal of what Anthropic cannot do. Internal to
// request_encoder.cc, apart so that each file stays small.
#pragma once

#include <boost/json/object.hpp>

#include "nexus/core/result.h"
#include "providers/anthropic/request_encoder.h"

namespace nexus::providers::anthropic {

Result<void> write_options(const llm::Request& request, const EncodeOptions& options,
                           boost::json::object& body);

}  // namespace nexus::providers::anthropic
