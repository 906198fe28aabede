// The OpenAI dialect's response side: llm::Response and llm::ApiError into the bodies an OpenAI
// client expects.
#pragma once

#include <cstdint>
#include <string>

#include "llm/ir/api_error.h"
#include "llm/ir/response.h"

namespace nexus::dialects::openai {

// A `chat.completion` object: choices with message {role, content, reasoning_content when there
// is reasoning, tool_calls}, finish_reason in OpenAI's words, usage with prompt_tokens_details
// .cached_tokens and completion_tokens_details.reasoning_tokens. `created`: Unix seconds.
void encode_chat_response(const llm::Response& response, int64_t created, std::string& out);

// {"error":{"message","type","param","code"}}, param and code null when empty.
void encode_error(const llm::ApiError& error, std::string& out);

}  // namespace nexus::dialects::openai
