// Converse's `usage` object (whole responses, and the stream's metadata event), normalised to
// llm::Usage.
//
// inputTokens leaves out the prompt-cache reads (cacheReadInputTokens) and writes
// (cacheWriteInputTokens), as Anthropic's input_tokens does: in the recordings, totalTokens is
// inputTokens + outputTokens + cacheReadInputTokens + cacheWriteInputTokens (Nova Lite with a
// cache point: 10 + 2 + 0 + 1298 = 1310). So llm::Usage::input is the sum of the three. Should a
// model's totalTokens instead equal inputTokens + outputTokens with cache tokens present,
// inputTokens is taken to include them already. Bedrock reports no reasoning token count:
// reasoning stays 0 (its tokens are inside outputTokens).
#pragma once

#include <boost/json/fwd.hpp>

#include "llm/ir/usage.h"
#include "nexus/core/result.h"

namespace nexus::providers::bedrock {

// Reads inputTokens, outputTokens, totalTokens and the cache counts (the older names
// cacheReadInputTokenCount / cacheWriteInputTokenCount when the newer are absent). Absent or
// null fields count 0; a present field that is not a non-negative integer is an upstream
// protocol error.
Result<llm::Usage> decode_usage(const boost::json::object& usage);

}  // namespace nexus::providers::bedrock
