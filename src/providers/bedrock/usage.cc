#include "providers/bedrock/usage.h"

#include <boost/json.hpp>

#include "llm/ir/token_counts.h"

namespace nexus::providers::bedrock {
namespace {

// The count at `key`, or at `older` when `key` is absent.
uint64_t count(llm::TokenCountReader& read, const boost::json::object& usage, std::string_view key,
               std::string_view older) {
  const boost::json::value* value = usage.if_contains(key);
  return read.count(&usage, "", value != nullptr && !value->is_null() ? key : older);
}

}  // namespace

Result<llm::Usage> decode_usage(const boost::json::object& usage) {
  llm::TokenCountReader read;
  const uint64_t input = read.count(&usage, "", "inputTokens");
  const uint64_t output = read.count(&usage, "", "outputTokens");
  const uint64_t total = read.count(&usage, "", "totalTokens");
  const uint64_t cache_read =
      count(read, usage, "cacheReadInputTokens", "cacheReadInputTokenCount");
  const uint64_t cache_write =
      count(read, usage, "cacheWriteInputTokens", "cacheWriteInputTokenCount");
  if (auto status = read.status(); !status) {
    return std::unexpected(std::move(status.error()));
  }
  const bool cache_inside_input =
      cache_read + cache_write > 0 && total == input + output && input >= cache_read + cache_write;
  return llm::Usage{.input = cache_inside_input ? input : input + cache_read + cache_write,
                    .output = output,
                    .cache_read = cache_read,
                    .cache_write = cache_write};
}

}  // namespace nexus::providers::bedrock
