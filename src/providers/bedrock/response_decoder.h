// Decodes a Converse response body into llm::Response (one choice): output.message.content's
// text blocks (joined), reasoningContent (reasoningText's text and signature, or
// redactedContent), and toolUse blocks (toolUseId, name, and the input object as the tool
// call's JSON arguments); stopReason as the finish (the word kept); usage (usage.h).
//
// Blocks the IR has no place for are skipped: server tool use (toolUse of type
// "server_tool_use", such as Nova's code interpreter) and its toolResult, citationsContent,
// images, documents. Bedrock's answer has no id and no model: both stay empty (the caller knows
// the model it asked for).
#pragma once

#include <string_view>

#include "llm/ir/response.h"
#include "nexus/core/result.h"

namespace nexus::providers::bedrock {

// A body that is not a JSON object with output.message.content an array, or whose blocks have
// the wrong types, is an upstream protocol error.
Result<llm::Response> decode_response(std::string_view body);

}  // namespace nexus::providers::bedrock
