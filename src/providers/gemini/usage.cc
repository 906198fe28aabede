#include "providers/gemini/usage.h"

#include <boost/json.hpp>

#include "llm/ir/token_counts.h"

namespace nexus::providers::gemini {

Result<llm::Usage> decode_usage(const boost::json::object& usage) {
  llm::TokenCountReader read;
  const uint64_t prompt = read.count(&usage, "", "promptTokenCount");
  const uint64_t tool_use = read.count(&usage, "", "toolUsePromptTokenCount");
  const uint64_t candidates = read.count(&usage, "", "candidatesTokenCount");
  const uint64_t thoughts = read.count(&usage, "", "thoughtsTokenCount");
  const uint64_t total = read.count(&usage, "", "totalTokenCount");
  const uint64_t cached = read.count(&usage, "", "cachedContentTokenCount");
  if (auto status = read.status(); !status) {
    return std::unexpected(std::move(status.error()));
  }
  const bool thoughts_inside = thoughts != 0 && total == prompt + tool_use + candidates;
  return llm::Usage{.input = prompt + tool_use,
                    .output = thoughts_inside ? candidates : candidates + thoughts,
                    .cache_read = cached,
                    .cache_write = 0,
                    .reasoning = thoughts};
}

}  // namespace nexus::providers::gemini
