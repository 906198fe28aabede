#include "core/json_escape.h"

#include <algorithm>

namespace nexus {
namespace {

bool needs_escape(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return c == '"' || c == '\\' || byte < 0x20 || byte == 0x7f;
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Runs of plain bytes (nearly every field, nearly always) are appended in one piece.
  auto it = text.begin();
  while (it != text.end()) {
    const auto special = std::find_if(it, text.end(), needs_escape);
    out.append(it, special);
    if (special == text.end()) {
      return;
    }
    const char c = *special;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        const auto byte = static_cast<unsigned char>(c);
        out += "\\u00";
        out += kHex[byte >> 4];
        out += kHex[byte & 0xf];
      }
    }
    it = special + 1;
  }
}

}  // namespace nexus
