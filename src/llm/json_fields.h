// Lenient field access on provider JSON, shared by the provider decoders: a field that is absent
// or of another type reads as empty/null, so that each decoder states only what it requires.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "nexus/core/result.h"

namespace nexus::llm {

inline std::string_view string_field(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) {
    return {};
  }
  return value->get_string();
}

inline const boost::json::object* object_field(const boost::json::object& object,
                                               std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value != nullptr ? value->if_object() : nullptr;
}

inline const boost::json::array* array_field(const boost::json::object& object,
                                             std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value != nullptr ? value->if_array() : nullptr;
}

// What an upstream did that breaks its own protocol (a 502 for the client).
inline Error upstream_protocol_error(std::string message) {
  return {ErrorCode::kUpstreamProtocolError, std::move(message)};
}

}  // namespace nexus::llm
