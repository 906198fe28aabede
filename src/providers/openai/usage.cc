#include "providers/openai/usage.h"

#include <boost/json.hpp>

#include "llm/ir/token_counts.h"

namespace nexus::providers::openai {

Result<llm::Usage> decode_usage(const boost::json::object& usage) {
  llm::TokenCountReader read;
  const boost::json::object* prompt = llm::TokenCountReader::child(usage, "prompt_tokens_details");
  const boost::json::object* completion =
      llm::TokenCountReader::child(usage, "completion_tokens_details");
  const uint64_t prompt_tokens = read.count(&usage, "", "prompt_tokens");
  const uint64_t completion_tokens = read.count(&usage, "", "completion_tokens");
  const uint64_t total_tokens = read.count(&usage, "", "total_tokens");
  const uint64_t reasoning =
      read.count(completion, "completion_tokens_details", "reasoning_tokens");
  // The cached part under whichever name this provider (or its version) uses.
  uint64_t cache_read = read.count(prompt, "prompt_tokens_details", "cached_tokens");
  for (const char* older_name : {"prompt_cache_hit_tokens", "num_cached_tokens"}) {
    if (cache_read == 0) {
      cache_read = read.count(&usage, "", older_name);
    }
  }
  llm::Usage out{.input = prompt_tokens,
                 .output = completion_tokens,
                 .cache_read = cache_read,
                 .cache_write = read.count(prompt, "prompt_tokens_details", "cache_write_tokens"),
                 .reasoning = reasoning};
  if (auto status = read.status(); !status) {
    return std::unexpected(std::move(status.error()));
  }
  const uint64_t sum = prompt_tokens + completion_tokens;
  if (reasoning != 0 && total_tokens != sum && total_tokens == sum + reasoning) {
    out.output += reasoning;  // reported outside completion_tokens (xAI)
  }
  return out;
}

}  // namespace nexus::providers::openai
