// The `usage` object of a provider's whole JSON answer, found without parsing the answer: the
// passthrough path meters every answer, and parsing a long completion to read a few counts at
// its end would cost more than the rest of the exchange.
#pragma once

#include <optional>
#include <string_view>

namespace nexus::llm {

// The text of the answer's top-level `"usage": {...}` object: the last `"usage"` key whose
// object is followed only by scalar members and the answer's closing brace, so that it belongs
// to the outermost object (OpenAI and Anthropic write usage last). nullopt when the answer does
// not end that way: the caller parses it whole then.
std::optional<std::string_view> find_top_level_usage(std::string_view body);

}  // namespace nexus::llm
