#include "http/filter/header_map.h"

#include <algorithm>

namespace nexus::filter {

const std::string_view* HeaderMap::find(std::string_view name) const {
  for (const http1::Header& field : *fields_) {
    if (http1::iequals(field.name, name)) {
      return &field.value;
    }
  }
  return nullptr;
}

std::string_view HeaderMap::get(std::string_view name) const {
  const std::string_view* value = find(name);
  return value != nullptr ? *value : std::string_view{};
}

void HeaderMap::add(std::string_view name, std::string_view value) {
  fields_->push_back({arena_->keep(name), arena_->keep(value)});
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  remove(name);
  add(name, value);
}

size_t HeaderMap::remove(std::string_view name) {
  return std::erase_if(
      *fields_, [&](const http1::Header& field) { return http1::iequals(field.name, name); });
}

}  // namespace nexus::filter
