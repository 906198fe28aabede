#include "llm/ir/token_counts.h"

#include <boost/json.hpp>
#include <string>

namespace nexus::llm {

uint64_t TokenCountReader::count(const boost::json::object* object, std::string_view parent,
                                 std::string_view key) {
  const boost::json::value* value = object != nullptr ? object->if_contains(key) : nullptr;
  if (value == nullptr || value->is_null()) {
    return 0;
  }
  // Past 2^53 no count is real, and decoders add counts up: bounded, the sums cannot wrap.
  constexpr int64_t kMaxTokenCount = int64_t{1} << 53;
  if (value->is_int64() && value->get_int64() >= 0 && value->get_int64() <= kMaxTokenCount) {
    return static_cast<uint64_t>(value->get_int64());
  }
  if (!error_) {
    std::string path = "usage.";
    if (!parent.empty()) {
      path.append(parent).push_back('.');
    }
    path.append(key);
    error_ = Error(ErrorCode::kUpstreamProtocolError, path + " is not a token count");
  }
  return 0;
}

const boost::json::object* TokenCountReader::child(const boost::json::object& parent,
                                                   std::string_view key) {
  const boost::json::value* value = parent.if_contains(key);
  return value != nullptr ? value->if_object() : nullptr;
}

Result<void> TokenCountReader::status() const {
  if (error_) {
    return std::unexpected(*error_);
  }
  return {};
}

}  // namespace nexus::llm
