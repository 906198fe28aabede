// Gemini's usageMetadata (whole responses and every stream chunk), normalised to llm::Usage.
#pragma once

#include <boost/json/fwd.hpp>

#include "llm/ir/usage.h"
#include "nexus/core/result.h"

namespace nexus::providers::gemini {

// Gemini's counts and what they include (checked against the recordings' totalTokenCount, which
// is prompt + candidates + thoughts + toolUsePrompt):
// - promptTokenCount includes cachedContentTokenCount: input = prompt + toolUsePromptTokenCount
//   (the tool-use prompt of server-side tools is counted apart), cache_read = cachedContent;
// - thoughtsTokenCount is NOT inside candidatesTokenCount: output = candidates + thoughts,
//   reasoning = thoughts. Should a response count the thoughts inside the candidates (its total
//   then equals prompt + toolUse + candidates), they are not added twice;
// - missing or null fields count as 0; cache writes do not exist (caches are created apart).
// A field that is present but not a non-negative integer is an upstream protocol error.
Result<llm::Usage> decode_usage(const boost::json::object& usage);

}  // namespace nexus::providers::gemini
