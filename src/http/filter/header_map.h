// A mutable view of a message's header fields for filters. The fields themselves are views (into
// the connection's buffers); a value a filter writes is copied into the request's arena first, so
// it lives as long as the exchange and never dangles when the filter's own string goes away.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/filter/arena.h"
#include "http/http1/message.h"

namespace nexus::filter {

class HeaderMap {
 public:
  HeaderMap(std::vector<http1::Header>& fields, Arena& arena) : fields_(&fields), arena_(&arena) {}

  // The first value of `name` (case-insensitive), or nullptr.
  [[nodiscard]] const std::string_view* find(std::string_view name) const;
  [[nodiscard]] std::string_view get(std::string_view name) const;  // "" when absent
  [[nodiscard]] bool has(std::string_view name) const { return find(name) != nullptr; }

  // Appends a field (keeps existing ones of the same name).
  void add(std::string_view name, std::string_view value);
  // Replaces every field named `name` by one with `value`, where the first of them was.
  void set(std::string_view name, std::string_view value);
  // Removes every field named `name`; returns how many.
  size_t remove(std::string_view name);

  [[nodiscard]] const std::vector<http1::Header>& fields() const { return *fields_; }

 private:
  std::vector<http1::Header>* fields_;
  Arena* arena_;
};

}  // namespace nexus::filter
