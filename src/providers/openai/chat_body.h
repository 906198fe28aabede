// Pieces of a Chat Completions request body that every API in OpenAI's message shape writes
// alike: OpenAI and the OpenAI-compatible providers, and Cohere's v2 chat, whose messages,
// content parts and function tools are OpenAI's.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string_view>
#include <vector>

#include "llm/ir/request.h"
#include "nexus/core/result.h"

namespace nexus::providers::openai {

// Integral numbers as integers ("temperature":1, not 1E0, which some providers' parsers and
// every reader dislike).
boost::json::value json_number(double value);

// A string when the content is one text part (what every such server takes, and what their own
// SDKs send), otherwise an array of `text` and `image_url` parts (inline images as data URLs).
boost::json::value message_content(const std::vector<const llm::Part*>& parts);

// A user message: its tool results first, as `tool` messages (they answer the assistant's calls
// before the user's next words), then the rest as a `user` message, with its participant name
// when `with_name`. Tool messages take text only: an image in a tool result is a kBadRequest
// naming "messages" (`api` names the API in its message) unless `drop_unsupported`.
Result<void> append_user_message(const llm::Message& message, bool drop_unsupported,
                                 std::string_view api, bool with_name, boost::json::array& out);

// {"type":"function","function":{name, description, parameters, strict}}, each field when set
// (`strict` only when `with_strict`).
boost::json::object function_tool(const llm::Tool& tool, bool with_strict);

}  // namespace nexus::providers::openai
