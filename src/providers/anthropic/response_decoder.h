// Decodes an Anthropic Messages response body into llm::Response (one choice): text blocks,
// thinking (with its signature), redacted thinking and tool_use blocks (the input object becomes
// the tool call's JSON arguments); server and MCP tool blocks are skipped, as in the stream.
#pragma once

#include <string_view>

#include "llm/ir/response.h"
#include "nexus/core/result.h"

namespace nexus::providers::anthropic {

// A body that is not a JSON object with a `content` array, or whose blocks have the wrong types,
// is an upstream protocol error.
Result<llm::Response> decode_response(std::string_view body);

}  // namespace nexus::providers::anthropic
