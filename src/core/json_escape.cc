#include "core/json_escape.h"

#include <array>

namespace nexus {
namespace {

// Which bytes a JSON string cannot hold as they are: a table, so that the scan for them is a load
// per byte (a predicate called through a pointer cost more than the copying).
constexpr std::array<bool, 256> kNeedsEscape = [] {
  std::array<bool, 256> table{};
  for (size_t byte = 0; byte < 0x20; ++byte) {
    table[byte] = true;
  }
  table['"'] = true;
  table['\\'] = true;
  table[0x7f] = true;
  return table;
}();

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Runs of plain bytes (nearly every field, nearly always) are appended in one piece.
  auto it = text.begin();
  while (it != text.end()) {
    auto special = it;
    while (special != text.end() && !kNeedsEscape[static_cast<unsigned char>(*special)]) {
      ++special;
    }
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
