// Writes a string into a JSON document as the inside of a string literal.
//
// Hand-written on purpose: the access log escapes several fields on every request, and building a
// boost::json value just to serialise it would allocate on the hot path. Bytes >= 0x80 are
// copied as they are (UTF-8 passes through); control characters become \u00XX.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace nexus {

// The most bytes one input byte becomes (\u00XX).
inline constexpr size_t kJsonEscapeMaxGrowth = 6;

// Writes `text` escaped at `out`, which must have room for kJsonEscapeMaxGrowth * text.size()
// bytes; returns the end of what was written.
char* write_json_escaped(char* out, std::string_view text);

void append_json_escaped(std::string& out, std::string_view text);

}  // namespace nexus
