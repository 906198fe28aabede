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

// Parses a response `body` into `parsed` and returns the array at `key` of the JSON object it
// must be; null when the body is not such an object.
inline const boost::json::array* parse_object_with_array(std::string_view body,
                                                         std::string_view key,
                                                         boost::json::value& parsed) {
  boost::system::error_code ec;
  parsed = boost::json::parse(body, ec);
  const boost::json::object* object = ec ? nullptr : parsed.if_object();
  return object != nullptr ? array_field(*object, key) : nullptr;
}

// What an upstream did that breaks its own protocol (a 502 for the client).
inline Error upstream_protocol_error(std::string message) {
  return {ErrorCode::kUpstreamProtocolError, std::move(message)};
}

}  // namespace nexus::llm
