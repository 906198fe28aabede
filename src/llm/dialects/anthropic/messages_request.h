// The Anthropic dialect's request side: a POST /v1/messages body into an llm::Request.
#pragma once

#include <string_view>

#include "llm/ir/request.h"
#include "nexus/core/result.h"

namespace nexus::dialects::anthropic {

// Decodes a Messages request body: system (string or text blocks), messages with string or
// block content (text, image with base64 or url source, tool_use, tool_result, thinking,
// redacted_thinking), tools, tool_choice (with disable_parallel_tool_use), thinking, stop
// sequences, metadata.user_id; cache_control is kept on each block that has it. A body that is
// not a JSON object, a missing or mistyped field and a parameter Nexus does not translate are a
// kBadRequest Error whose param() names the field ("messages.1.content.0.source", "max_tokens").
Result<llm::Request> decode_messages_request(std::string_view body);

}  // namespace nexus::dialects::anthropic
