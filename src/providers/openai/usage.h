// The `usage` object of OpenAI-shaped responses and stream chunks (OpenAI and every
// OpenAI-compatible provider), normalised to llm::Usage.
#pragma once

#include <boost/json/fwd.hpp>

#include "llm/ir/usage.h"
#include "nexus/core/result.h"

namespace nexus::providers::openai {

// Reads prompt_tokens, completion_tokens and their details. Variants handled:
// - cached tokens in prompt_tokens_details.cached_tokens, or (older DeepSeek and Mistral
//   responses) prompt_cache_hit_tokens or num_cached_tokens; cache writes in
//   prompt_tokens_details.cache_write_tokens;
// - reasoning tokens outside completion_tokens (xAI): recognised because total_tokens then
//   equals prompt + completion + reasoning, and added to output;
// - missing or null fields count as 0.
// A field that is present but not a non-negative integer is an upstream protocol error.
Result<llm::Usage> decode_usage(const boost::json::object& usage);

}  // namespace nexus::providers::openai
