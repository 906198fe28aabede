// The OpenAI provider's request side: an llm::Request into a Chat Completions body for OpenAI
// and every OpenAI-compatible provider, and an upstream error body into an llm::ApiError.
#pragma once

#include <string>
#include <string_view>

#include "llm/ir/api_error.h"
#include "llm/ir/request.h"
#include "nexus/core/result.h"

namespace nexus::providers::openai {

struct EncodeOptions {
  std::string_view model;                // the upstream's model id (replaces the request's)
  bool drop_unsupported_params = false;  // drop what cannot be translated instead of a 400
  // Send reasoning parts back as assistant messages' `reasoning_content` (DeepSeek-style
  // upstreams, whose thinking models need it back inside a tool-call loop; OpenAI takes none).
  bool reasoning_content = false;
  // Write the output limit as max_completion_tokens (OpenAI itself: its reasoning models refuse
  // max_tokens) instead of max_tokens (what every OpenAI-compatible server takes).
  bool max_completion_tokens = false;
};

// Writes the body. Reasoning parts of assistant messages are left out (OpenAI takes none back)
// unless options.reasoning_content; system parts become one system message each;
// each kToolResult part becomes a `tool` message; Anthropic's top_k, and cache_control markers,
// have no OpenAI equivalent: top_k is a kBadRequest naming "top_k" unless dropped, cache_control
// is dropped (OpenAI caches by itself). thinking_budget becomes reasoning_effort (<= 1024
// tokens: low, <= 2048: medium, more: high). A streaming request always asks for
// stream_options.include_usage, so usage can be metered. A tool result holding images is a
// kBadRequest naming "messages" unless dropped (tool messages take text only).
Result<void> encode_request(const llm::Request& request, const EncodeOptions& options,
                            std::string& body);

// An upstream's non-2xx answer: {"error":{message,type,param,code}} when the body has that
// shape (some providers send a bare string or an array of such objects); otherwise the status
// alone, with the body's start as the message.
llm::ApiError decode_error(int status, std::string_view body);

}  // namespace nexus::providers::openai
