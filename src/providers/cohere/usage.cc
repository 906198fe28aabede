#include "providers/cohere/usage.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <optional>
#include <string>

#include "llm/json_fields.h"

namespace nexus::providers::cohere {
namespace {

class CountReader {
 public:
  // The count at `key` of `object` (null: 0); `path` names it in the error.
  uint64_t count(const boost::json::object* object, std::string_view key, std::string_view path) {
    const boost::json::value* value = object != nullptr ? object->if_contains(key) : nullptr;
    if (value == nullptr || value->is_null()) {
      return 0;
    }
    if (value->is_uint64()) {
      return value->get_uint64();
    }
    if (value->is_int64() && value->get_int64() >= 0) {
      return static_cast<uint64_t>(value->get_int64());
    }
    constexpr double kMaxExact = 9007199254740992.0;  // 2^53
    if (value->is_double()) {
      const double number = value->get_double();
      if (number >= 0 && number < kMaxExact && std::trunc(number) == number) {
        return static_cast<uint64_t>(number);
      }
    }
    if (!error_) {
      std::string message(path);
      message += " is not a token count";
      error_ = llm::upstream_protocol_error(std::move(message));
    }
    return 0;
  }

  [[nodiscard]] Result<void> status() const {
    if (error_) {
      return std::unexpected(*error_);
    }
    return {};
  }

 private:
  std::optional<Error> error_;
};

}  // namespace

Result<llm::Usage> decode_usage(const boost::json::object& usage) {
  CountReader read;
  const boost::json::object* billed = llm::object_field(usage, "billed_units");
  const boost::json::object* tokens = llm::object_field(usage, "tokens");
  const uint64_t billed_input =
      read.count(billed, "input_tokens", "usage.billed_units.input_tokens");
  const uint64_t billed_output =
      read.count(billed, "output_tokens", "usage.billed_units.output_tokens");
  const uint64_t token_input = read.count(tokens, "input_tokens", "usage.tokens.input_tokens");
  const uint64_t token_output = read.count(tokens, "output_tokens", "usage.tokens.output_tokens");
  const uint64_t cached = read.count(&usage, "cached_tokens", "usage.cached_tokens");
  if (auto status = read.status(); !status) {
    return std::unexpected(std::move(status.error()));
  }
  llm::Usage out;
  if (billed != nullptr) {
    out.input = billed_input;
    out.output = billed_output;
  } else {
    out.input = token_input;
    out.output = token_output;
  }
  // The unbilled template comes first in the prompt, so it is the first part of what was cached.
  const uint64_t unbilled =
      billed != nullptr && token_input > billed_input ? token_input - billed_input : 0;
  out.cache_read = cached > unbilled ? std::min(cached - unbilled, out.input) : 0;
  return out;
}

}  // namespace nexus::providers::cohere
