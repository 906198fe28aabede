// Strict field readers for the Anthropic dialect's request decoder: a client's mistake is a 400
// naming the parameter in Anthropic's own path style ("messages.1.content.0.source"), unlike the
// lenient readers of llm/json_fields.h that the provider decoders use. Null reads as absent.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nexus/core/result.h"

namespace nexus::dialects::anthropic::detail {

inline std::unexpected<Error> bad_request(std::string param, std::string_view what) {
  std::string message = param;
  message += ": ";
  message += what;
  return std::unexpected<Error>(std::in_place, ErrorCode::kBadRequest, std::move(message),
                                std::move(param));
}

// "messages" + 1 -> "messages.1"; "tools.0" + "type" -> "tools.0.type".
inline std::string at(std::string_view base, size_t index) {
  std::string path(base);
  path += '.';
  path += std::to_string(index);
  return path;
}
inline std::string at(std::string_view base, std::string_view key) {
  std::string path(base);
  if (!path.empty()) {
    path += '.';
  }
  path += key;
  return path;
}

// The value at `key`, or null when absent or JSON null.
inline const boost::json::value* present(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value != nullptr && !value->is_null() ? value : nullptr;
}

// A required string.
inline Result<std::string> required_string(const boost::json::object& object, std::string_view key,
                                           std::string_view path) {
  const boost::json::value* value = present(object, key);
  if (value == nullptr) {
    return bad_request(std::string(path), "Field required");
  }
  if (!value->is_string()) {
    return bad_request(std::string(path), "Input should be a valid string");
  }
  return std::string(value->get_string());
}

// An optional string: empty when absent.
inline Result<std::string> optional_string(const boost::json::object& object, std::string_view key,
                                           std::string_view path) {
  if (present(object, key) == nullptr) {
    return std::string();
  }
  return required_string(object, key, path);
}

// A non-negative integer, absent when the field is.
inline Result<std::optional<uint64_t>> optional_count(const boost::json::object& object,
                                                      std::string_view key, std::string_view path) {
  const boost::json::value* value = present(object, key);
  if (value == nullptr) {
    return std::optional<uint64_t>();
  }
  if (value->is_uint64()) {
    return std::optional<uint64_t>(value->get_uint64());
  }
  if (!value->is_int64() || value->get_int64() < 0) {
    return bad_request(std::string(path), "Input should be a non-negative integer");
  }
  return std::optional<uint64_t>(static_cast<uint64_t>(value->get_int64()));
}

inline Result<std::optional<double>> optional_number(const boost::json::object& object,
                                                     std::string_view key, std::string_view path) {
  const boost::json::value* value = present(object, key);
  if (value == nullptr) {
    return std::optional<double>();
  }
  if (!value->is_number()) {
    return bad_request(std::string(path), "Input should be a valid number");
  }
  if (value->is_double()) {
    return std::optional<double>(value->get_double());
  }
  return std::optional<double>(value->is_int64() ? static_cast<double>(value->get_int64())
                                                 : static_cast<double>(value->get_uint64()));
}

inline Result<bool> optional_bool(const boost::json::object& object, std::string_view key,
                                  std::string_view path) {
  const boost::json::value* value = present(object, key);
  if (value == nullptr) {
    return false;
  }
  if (!value->is_bool()) {
    return bad_request(std::string(path), "Input should be a valid boolean");
  }
  return value->get_bool();
}

// cache_control, copied as it is (null when absent); it must be an object.
inline Result<boost::json::value> cache_control(const boost::json::object& object,
                                                std::string_view path) {
  const boost::json::value* value = present(object, "cache_control");
  if (value == nullptr) {
    return boost::json::value();
  }
  if (!value->is_object()) {
    return bad_request(at(path, "cache_control"), "Input should be an object");
  }
  return *value;
}

}  // namespace nexus::dialects::anthropic::detail
