// Reads token counts out of a provider's usage object, for the usage decoders of every
// provider: an absent or null field counts 0; a field that is present but not an integer from
// 0 to 2^53 is an upstream protocol error naming it (the first such field is reported).
#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

#include "nexus/core/result.h"

namespace nexus::llm {

class TokenCountReader {
 public:
  // `parent` names the object for the error ("" for the usage object itself; otherwise e.g.
  // "prompt_tokens_details"). `object` may be null (the parent was absent): every count is 0.
  uint64_t count(const boost::json::object* object, std::string_view parent, std::string_view key);

  // The object at `key` of `parent`, or null when absent or not an object.
  static const boost::json::object* child(const boost::json::object& parent, std::string_view key);

  // The first malformed field's error, if any.
  [[nodiscard]] Result<void> status() const;

 private:
  std::optional<Error> error_;
};

}  // namespace nexus::llm
