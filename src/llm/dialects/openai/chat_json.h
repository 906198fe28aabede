// Pieces of JSON the OpenAI dialect's response and stream encoders both write.
#pragma once

#include <string>
#include <string_view>

#include "llm/ir/api_error.h"
#include "llm/ir/stream.h"
#include "llm/ir/usage.h"

namespace nexus::dialects::openai::detail {

// The id, escaped, with the "chatcmpl-" prefix OpenAI's ids have (kept when already there).
void append_chat_id(std::string_view id, std::string& out);

// A usage object: prompt_tokens (every prompt token, cached ones included, as OpenAI counts),
// completion_tokens (reasoning included), total_tokens, and the details.
void append_usage(const llm::Usage& usage, std::string& out);

// finish_reason in OpenAI's words; kOther (Anthropic's pause_turn, refusal...) is "stop".
std::string_view finish_word(llm::FinishReason finish);

// {"error":{"message","type","param","code"}}, param and code null when empty.
void append_error(const llm::ApiError& error, std::string& out);

}  // namespace nexus::dialects::openai::detail
