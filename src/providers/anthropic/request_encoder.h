// The Anthropic provider's request side: an llm::Request into a Messages API body, and an
// upstream error body into an llm::ApiError.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "llm/ir/api_error.h"
#include "llm/ir/request.h"
#include "nexus/core/result.h"

namespace nexus::providers::anthropic {

struct EncodeOptions {
  std::string_view model;                // the upstream's model id (replaces the request's)
  bool drop_unsupported_params = false;  // drop what cannot be translated instead of a 400
  uint64_t default_max_tokens = 4096;    // Anthropic requires max_tokens; used when absent
  // Vertex AI's Claude endpoints: the model is in the path, not the body, and the API version
  // is in the body ("vertex-2023-10-16"), not a header. Empty: Anthropic's own API.
  std::string_view body_version;
};

// Writes the body. What Anthropic cannot do is a kBadRequest naming the parameter unless
// dropped: n > 1, logprobs, top_logprobs, seed, presence_penalty, frequency_penalty,
// response_format json_object / json_schema. reasoning_effort becomes thinking with
// budget_tokens low 1024, medium 2048, high 4096 ("minimal": no thinking), max_tokens raised
// above the budget when needed. Images become base64 or url sources; tool results, tool
// choice (parallel_tool_calls false: disable_parallel_tool_use), stop sequences, user
// (metadata.user_id) and cache_control map one to one.
Result<void> encode_request(const llm::Request& request, const EncodeOptions& options,
                            std::string& body);

// An upstream's non-2xx answer: {"type":"error","error":{type,message}} (529: overloaded);
// otherwise the status alone, with the body's start as the message.
llm::ApiError decode_error(int status, std::string_view body);

}  // namespace nexus::providers::anthropic
