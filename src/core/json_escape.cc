#include "core/json_escape.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace nexus {
namespace {

// Which bytes a JSON string cannot hold as they are: a table, so that the byte-wise part of the
// scan is a load per byte.
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

char* write_escape(char* out, char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out++ = '\\';
  switch (c) {
    case '"':
    case '\\':
      *out++ = c;
      return out;
    case '\n':
      *out++ = 'n';
      return out;
    case '\r':
      *out++ = 'r';
      return out;
    case '\t':
      *out++ = 't';
      return out;
    default: {
      const auto byte = static_cast<unsigned char>(c);
      out[0] = 'u';
      out[1] = '0';
      out[2] = '0';
      out[3] = kHex[byte >> 4];
      out[4] = kHex[byte & 0xf];
      return out + 5;
    }
  }
}

// Whether any of the 8 bytes in `word` needs escaping, tested for all of them at once (the
// classic "has a byte less than n / equal to b" bit tricks). A 0 is exact; the bytes themselves
// are then found with the table.
constexpr bool word_needs_escape(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  const auto has_zero_byte = [](uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  const uint64_t control = (word - kOnes * 0x20) & ~word & kHighs;  // a byte < 0x20
  return (control | has_zero_byte(word ^ (kOnes * '"')) | has_zero_byte(word ^ (kOnes * '\\')) |
          has_zero_byte(word ^ (kOnes * 0x7f))) != 0;
}

// The first byte from `it` that needs escaping, or `end`.
const char* find_special(const char* it, const char* end) {
  while (end - it >= 8) {
    uint64_t word = 0;
    std::memcpy(&word, it, sizeof(word));
    if (word_needs_escape(word)) {
      break;
    }
    it += 8;
  }
  while (it != end && !kNeedsEscape[static_cast<unsigned char>(*it)]) {
    ++it;
  }
  return it;
}

}  // namespace

char* write_json_escaped(char* out, std::string_view text) {
  // Runs of plain bytes (nearly every field, nearly always) are copied in one piece.
  const char* it = text.data();
  const char* const end = it + text.size();
  while (it != end) {
    const char* special = find_special(it, end);
    std::memcpy(out, it, static_cast<size_t>(special - it));
    out += special - it;
    if (special == end) {
      break;
    }
    out = write_escape(out, *special);
    it = special + 1;
  }
  return out;
}

void append_json_escaped(std::string& out, std::string_view text) {
  // Appended run by run: growing `out` by the worst case first would zero-fill six times the
  // text's size for nothing.
  const char* it = text.data();
  const char* const end = it + text.size();
  while (it != end) {
    const char* special = find_special(it, end);
    out.append(it, static_cast<size_t>(special - it));
    if (special == end) {
      break;
    }
    std::array<char, kJsonEscapeMaxGrowth> escaped{};
    const char* escaped_end = write_escape(escaped.data(), *special);
    out.append(escaped.data(), static_cast<size_t>(escaped_end - escaped.data()));
    it = special + 1;
  }
}

}  // namespace nexus
