// The OpenAI dialect's `messages` array into the IR's system prompt and messages (a part of
// decode_chat_request, in its own file to keep both small).
#pragma once

#include <boost/json/array.hpp>

#include "llm/ir/request.h"
#include "nexus/core/result.h"

namespace nexus::dialects::openai::detail {

// Appends system and developer messages to request.system, the others to request.messages.
Result<void> decode_messages(const boost::json::array& messages, llm::Request& request);

}  // namespace nexus::dialects::openai::detail
