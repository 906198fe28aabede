// Decodes an OpenAI-shaped chat completion body (OpenAI and every OpenAI-compatible provider)
// into llm::Response, with the same provider differences as the stream decoder: reasoning as
// `reasoning_content`, `reasoning` or Mistral's `thinking` content parts, tool calls without
// `type`, and each provider's usage fields.
#pragma once

#include <string_view>

#include "llm/ir/response.h"
#include "nexus/core/result.h"

namespace nexus::providers::openai {

// A body that is not a JSON object with a `choices` array, or whose parts have the wrong types,
// is an upstream protocol error.
Result<llm::Response> decode_response(std::string_view body);

}  // namespace nexus::providers::openai
