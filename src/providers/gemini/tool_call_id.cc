#include "providers/gemini/tool_call_id.h"

namespace nexus::providers::gemini {

void append_tool_call_id(std::string_view gemini_id, std::string_view response_id,
                         uint32_t candidate, uint32_t n, std::string_view signature,
                         std::string& out) {
  if (!gemini_id.empty()) {
    out += gemini_id;
  } else {
    out += "call_";
    if (!response_id.empty()) {
      out += response_id;
      out += '_';
    }
    out += std::to_string(candidate);
    out += '_';
    out += std::to_string(n);
  }
  if (!signature.empty()) {
    out += kThoughtSeparator;
    out += signature;
  }
}

ToolCallId split_tool_call_id(std::string_view id) {
  const size_t at = id.find(kThoughtSeparator);
  if (at == std::string_view::npos) {
    return {.id = id, .signature = {}};
  }
  return {.id = id.substr(0, at), .signature = id.substr(at + kThoughtSeparator.size())};
}

}  // namespace nexus::providers::gemini
