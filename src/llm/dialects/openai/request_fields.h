// Shared by the OpenAI dialect's request decoder files: the 400 errors it answers with, in
// OpenAI's words and with OpenAI's parameter paths ("messages[2].content[0].image_url.url").
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include "nexus/core/result.h"

namespace nexus::dialects::openai::detail {

// `base[index]`, built by appending (g++ 12 warns falsely on operator+ chains).
inline std::string index_path(std::string_view base, size_t index) {
  std::string path(base);
  path += '[';
  path += std::to_string(index);
  path += ']';
  return path;
}

// `base.key`, or `key` alone at the top level.
inline std::string key_path(std::string_view base, std::string_view key) {
  std::string path(base);
  if (!path.empty()) {
    path += '.';
  }
  path += key;
  return path;
}

inline std::unexpected<Error> bad_request(std::string param, std::string message) {
  return std::unexpected<Error>(std::in_place, ErrorCode::kBadRequest, std::move(message),
                                std::move(param));
}

// "Invalid type for 'messages[0].content': expected a string or an array."
inline std::unexpected<Error> invalid_type(std::string param, std::string_view expected) {
  std::string message = "Invalid type for '";
  message += param;
  message += "': expected ";
  message += expected;
  message += '.';
  return bad_request(std::move(param), std::move(message));
}

// "Invalid value for 'tool_choice': ..."
inline std::unexpected<Error> invalid_value(std::string param, std::string_view why) {
  std::string message = "Invalid value for '";
  message += param;
  message += "': ";
  message += why;
  return bad_request(std::move(param), std::move(message));
}

inline std::unexpected<Error> missing(std::string param) {
  std::string message = "Missing required parameter: '";
  message += param;
  message += "'.";
  return bad_request(std::move(param), std::move(message));
}

// A field present with a non-null value (null means "not set", as OpenAI reads it).
inline const boost::json::value* present(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value != nullptr && !value->is_null() ? value : nullptr;
}

}  // namespace nexus::dialects::openai::detail
