// Anthropic's `usage` objects, normalised to llm::Usage.
//
// input_tokens leaves out cache reads (cache_read_input_tokens) and cache writes
// (cache_creation_input_tokens), so all three add up to llm::Usage::input. Thinking tokens
// (output_tokens_details.thinking_tokens) are part of output_tokens.
#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>

#include "llm/ir/usage.h"
#include "nexus/core/result.h"

namespace nexus::providers::anthropic {

// Usage spread over a stream: message_start's message.usage has the input side, each
// message_delta's usage the output so far (newer API versions repeat the input fields). A field
// present in a later object replaces the earlier value; absent fields keep theirs.
class UsageAccumulator {
 public:
  // A malformed field is an upstream protocol error (the accumulator keeps its values).
  Result<void> add(const boost::json::object& usage);
  [[nodiscard]] llm::Usage usage() const;

 private:
  uint64_t input_ = 0;
  uint64_t cache_read_ = 0;
  uint64_t cache_write_ = 0;
  uint64_t output_ = 0;
  uint64_t thinking_ = 0;
};

// One whole response's usage.
Result<llm::Usage> decode_usage(const boost::json::object& usage);

}  // namespace nexus::providers::anthropic
