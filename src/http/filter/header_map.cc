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
  // In place when the field exists (it keeps its position); later duplicates are dropped.
  auto first = std::ranges::find_if(
      *fields_, [&](const http1::Header& field) { return http1::iequals(field.name, name); });
  if (first == fields_->end()) {
    add(name, value);
    return;
  }
  first->value = arena_->keep(value);
  const auto duplicates = std::ranges::remove_if(
      std::next(first), fields_->end(),
      [&](const http1::Header& field) { return http1::iequals(field.name, name); });
  fields_->erase(duplicates.begin(), duplicates.end());
}

size_t HeaderMap::remove(std::string_view name) {
  return std::erase_if(
      *fields_, [&](const http1::Header& field) { return http1::iequals(field.name, name); });
}

}  // namespace nexus::filter
