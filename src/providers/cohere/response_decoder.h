// Decodes a Cohere v2 /chat response body into llm::Response (one choice).
#pragma once

#include <string_view>

#include "llm/ir/response.h"
#include "nexus/core/result.h"

namespace nexus::providers::cohere {

// The mapping:
// - id; model is left empty (Cohere's body names none: the caller knows which it asked for);
// - message.content: "text" parts into the choice's text, "thinking" parts into its
//   reasoning, other part types skipped;
// - message.tool_plan (the text Cohere's models write before their tool calls) into the text,
//   before the content's text: it is what the model said to the user;
// - message.tool_calls: {id, function {name, arguments}}; arguments absent, empty or the JSON
//   `null` (recorded for a tool without parameters) become "{}", so that every client gets an
//   object;
// - message.citations are skipped (the IR has no place for them);
// - finish_reason through finish_reason() (finish_reason.h), the word kept as finish_word;
// - usage through decode_usage() (usage.h): billed units, cached tokens as cache_read.
// A body that is not a JSON object with a `message` object, or whose content or tool calls
// have the wrong types, is an upstream protocol error.
Result<llm::Response> decode_response(std::string_view body);

}  // namespace nexus::providers::cohere
