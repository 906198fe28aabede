// Appends a string to a JSON document as the inside of a string literal.
//
// Hand-written on purpose: the access log escapes several fields on every request, and building a
// boost::json value just to serialise it would allocate on the hot path. Bytes >= 0x80 are
// copied as they are (UTF-8 passes through); control characters become \u00XX.
#pragma once

#include <string>
#include <string_view>

namespace nexus {

void append_json_escaped(std::string& out, std::string_view text);

}  // namespace nexus
