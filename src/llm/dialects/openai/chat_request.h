// The OpenAI dialect's request side: a POST /v1/chat/completions body into an llm::Request.
#pragma once

#include <string_view>

#include "llm/ir/request.h"
#include "nexus/core/result.h"

namespace nexus::dialects::openai {

// Decodes a Chat Completions request body. Messages may use string or content-part content
// (text, image_url with http(s) or data URLs); system and developer messages become the
// request's system prompt; tool messages become user messages with one kToolResult part. A body
// that is not a JSON object, a field of the wrong type or value, and a parameter Nexus does not
// translate are a kBadRequest Error whose param() names the field ("messages[2].content",
// "tools[0].function.name", "logit_bias").
Result<llm::Request> decode_chat_request(std::string_view body);

}  // namespace nexus::dialects::openai
