// The Anthropic dialect's response side: llm::Response and llm::ApiError into the bodies an
// Anthropic client expects.
#pragma once

#include <string>

#include "llm/ir/api_error.h"
#include "llm/ir/response.h"

namespace nexus::dialects::anthropic {

// A `message` object from choice 0: content blocks in order thinking / redacted_thinking, text,
// tool_use (input parsed from the arguments' JSON), stop_reason in Anthropic's words, usage with
// input_tokens excluding cache reads and writes (cache_read_input_tokens,
// cache_creation_input_tokens).
void encode_messages_response(const llm::Response& response, std::string& out);

// {"type":"error","error":{"type","message"}}, the type from the status when the error has
// none Anthropic uses (invalid_request_error, authentication_error, permission_error,
// not_found_error, request_too_large, rate_limit_error, api_error, overloaded_error).
void encode_error(const llm::ApiError& error, std::string& out);

}  // namespace nexus::dialects::anthropic
