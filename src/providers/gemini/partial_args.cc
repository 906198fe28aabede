#include "providers/gemini/partial_args.h"

#include <boost/json.hpp>
#include <charconv>

#include "llm/json_fields.h"

namespace nexus::providers::gemini {
namespace {

// Bounds, so that a hostile stream cannot make the decoder allocate without end, nor build a
// value so deep that freeing it (recursively, in Boost.JSON) overflows the stack.
constexpr size_t kMaxIndex = 1024;
constexpr size_t kMaxDepth = 32;  // steps of one path
constexpr size_t kMaxBytes = size_t{16} << 20;
constexpr size_t kStepBytes = 32;  // what a step may allocate, counted in bytes_

}  // namespace

void PartialArguments::reset(const boost::json::object* args) {
  root_ = args != nullptr ? boost::json::value(*args) : boost::json::value(boost::json::object());
  bytes_ = 0;
}

// Follows the first step of `path` from `at` (making the object or array it needs where there
// is null) and consumes it; null when the step cannot be read or followed.
boost::json::value* PartialArguments::step_into(boost::json::value& at, std::string_view& path) {
  std::string_view key;
  if (path.starts_with('.')) {
    const size_t end = path.find_first_of(".[", 1);
    key = path.substr(1, end == std::string_view::npos ? path.size() - 1 : end - 1);
    path.remove_prefix(1 + key.size());
  } else if (path.starts_with("['") || path.starts_with("[\"")) {
    const size_t end = path.find(path[1], 2);
    if (end == std::string_view::npos || end + 1 >= path.size() || path[end + 1] != ']') {
      return nullptr;
    }
    key = path.substr(2, end - 2);
    path.remove_prefix(end + 2);
  } else if (path.starts_with('[')) {
    size_t index = 0;
    const auto [end, ec] = std::from_chars(path.data() + 1, path.data() + path.size(), index);
    if (ec != std::errc() || end == path.data() + path.size() || *end != ']' || index > kMaxIndex) {
      return nullptr;
    }
    path.remove_prefix(static_cast<size_t>(end - path.data()) + 1);
    if (at.is_null()) {
      at = boost::json::array();
    }
    boost::json::array* array = at.if_array();
    if (array == nullptr) {
      return nullptr;
    }
    if (array->size() <= index) {
      bytes_ += (index + 1 - array->size()) * sizeof(boost::json::value);  // counted, bounded
      array->resize(index + 1);
    }
    return &(*array)[index];
  } else {
    return nullptr;
  }
  if (at.is_null()) {
    at = boost::json::object();
  }
  boost::json::object* object = at.if_object();
  return object != nullptr && !key.empty() ? &(*object)[key] : nullptr;
}

std::string PartialArguments::json() const { return boost::json::serialize(root_); }

bool PartialArguments::apply(const boost::json::object& entry) {
  std::string_view path = llm::string_field(entry, "jsonPath");
  if (!path.starts_with('$')) {
    return false;
  }
  path.remove_prefix(1);
  if (path.empty()) {
    return false;  // "$": the arguments stay an object
  }
  bytes_ += path.size();
  boost::json::value* at = &root_;
  for (size_t depth = 0; !path.empty() && at != nullptr; ++depth) {
    bytes_ += kStepBytes;
    if (depth == kMaxDepth || bytes_ > kMaxBytes) {
      return false;
    }
    at = step_into(*at, path);
  }
  if (at == nullptr) {
    return false;
  }
  if (const boost::json::value* text = entry.if_contains("stringValue"); text != nullptr) {
    if (!text->is_string()) {
      return false;
    }
    bytes_ += text->get_string().size();
    if (boost::json::string* string = at->if_string(); string != nullptr) {
      string->append(text->get_string());
    } else {
      *at = text->get_string();
    }
  } else if (const boost::json::value* number = entry.if_contains("numberValue")) {
    *at = *number;
  } else if (const boost::json::value* flag = entry.if_contains("boolValue")) {
    *at = *flag;
  } else {
    *at = nullptr;  // nullValue
  }
  return bytes_ <= kMaxBytes;
}

}  // namespace nexus::providers::gemini
