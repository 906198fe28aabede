// The Anthropic dialect's message content: system and messages[] blocks into llm::Parts.
// Internal to messages_request.cc, apart so that each file stays small.
#pragma once

#include <boost/json/value.hpp>
#include <vector>

#include "llm/ir/request.h"
#include "nexus/core/result.h"

namespace nexus::dialects::anthropic::detail {

// `messages`: an array of {role: user | assistant, content: string | blocks}.
Result<std::vector<llm::Message>> decode_messages(const boost::json::value& messages);

// `system`: a string or an array of text blocks.
Result<std::vector<llm::Part>> decode_system(const boost::json::value& system);

}  // namespace nexus::dialects::anthropic::detail
