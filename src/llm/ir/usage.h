// Token usage, the same meaning whatever the provider said, so that costs and budgets add up.
//
// Providers disagree on what their numbers include: OpenAI counts cached prompt tokens inside
// prompt_tokens, Anthropic leaves cache reads and writes out of input_tokens; most count
// reasoning inside completion_tokens, xAI outside. Each provider's decoder maps its fields onto
// this one convention (LiteLLM's): `input` is every prompt token, `output` every generated
// token, and the three details are parts of them.
#pragma once

#include <cstdint>

namespace nexus::llm {

struct Usage {
  uint64_t input = 0;        // all prompt tokens: uncached, cache reads and cache writes
  uint64_t output = 0;       // all generated tokens, reasoning included
  uint64_t cache_read = 0;   // part of input, read from the provider's prompt cache
  uint64_t cache_write = 0;  // part of input, written to the provider's prompt cache
  uint64_t reasoning = 0;    // part of output, spent on reasoning ("thinking")

  [[nodiscard]] uint64_t total() const { return input + output; }
  bool operator==(const Usage&) const = default;
};

}  // namespace nexus::llm
