// The ids of Gemini's function calls as the IR carries them.
//
// Gemini often sends a functionCall without an id, and Gemini 3 requires the call's
// thoughtSignature back on the functionCall part in the next request (a 400 otherwise). The IR's
// tool calls have only an id, which every client sends back unchanged with the call and its
// result, so the signature travels inside it, after the separator LiteLLM also uses:
//   "<id>__thought__<signature>"
// where <id> is Gemini's id, or, when it gave none, "call_<responseId>_<candidate>_<n>"
// ("call_<candidate>_<n>" without a responseId): n counts the candidate's function calls from 0,
// so the stream and the whole response name the same call alike, and the responseId keeps the
// ids of different turns apart.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nexus::providers::gemini {

inline constexpr std::string_view kThoughtSeparator = "__thought__";

// Appends the IR id of a function call to `out`.
void append_tool_call_id(std::string_view gemini_id, std::string_view response_id,
                         uint32_t candidate, uint32_t n, std::string_view signature,
                         std::string& out);

struct ToolCallId {
  std::string_view id;         // what Gemini's functionCall.id / functionResponse.id get
  std::string_view signature;  // the thoughtSignature, "" when none
};

// Splits an IR id written by append_tool_call_id (any other id is all `id`).
ToolCallId split_tool_call_id(std::string_view id);

}  // namespace nexus::providers::gemini
