// Pieces of the Anthropic dialect's output shared by the response and the stream encoders:
// stop reasons, message ids, usage objects and error types in Anthropic's words.
#pragma once

#include <string>
#include <string_view>

#include "llm/ir/api_error.h"
#include "llm/ir/stream.h"
#include "llm/ir/usage.h"

namespace nexus::dialects::anthropic::detail {

// The stop_reason for a finish; `word` is the upstream's own reason, which keeps Anthropic's
// stop_sequence apart from end_turn.
std::string_view stop_reason(llm::FinishReason finish, std::string_view word);

// Appends the message id: the upstream's when it is Anthropic's ("msg_..."), else "msg_" + it.
void append_message_id(std::string& out, std::string_view id);

// Appends {"input_tokens":..,"cache_creation_input_tokens":..,"cache_read_input_tokens":..,
// "output_tokens":..} (with output_tokens_details.thinking_tokens when reasoning was counted);
// input_tokens leaves the cache reads and writes out, as Anthropic counts.
void append_usage(std::string& out, const llm::Usage& usage);

// {"type":"error","error":{"type":..,"message":..}}, without the SSE framing.
void append_error(std::string& out, const llm::ApiError& error);

}  // namespace nexus::dialects::anthropic::detail
