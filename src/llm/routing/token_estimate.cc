#include "llm/routing/token_estimate.h"

#include <boost/json/value.hpp>

namespace nexus::llm::routing {

void TokenTally::add_text(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      ++ascii_bytes_;
    } else if ((byte & 0xC0U) != 0x80) {  // a lead byte: one more character
      ++other_characters_;
    }
  }
}

void TokenTally::add_json(const boost::json::value& value) {
  if (const auto* text = value.if_string()) {
    add_text(*text);
  } else if (const auto* object = value.if_object()) {
    for (const auto& member : *object) {
      add_text(member.key());
      ++counted_;
      add_json(member.value());
    }
  } else if (const auto* array = value.if_array()) {
    for (const boost::json::value& element : *array) {
      add_json(element);
    }
  } else if (!value.is_null()) {
    ++counted_;  // a number or a boolean
  }
}

uint64_t TokenTally::tokens() const {
  return (ascii_bytes_ + kAsciiBytesPerToken - 1) / kAsciiBytesPerToken + other_characters_ +
         counted_;
}

}  // namespace nexus::llm::routing
