#include "providers/anthropic/usage.h"

#include <boost/json.hpp>

#include "llm/ir/token_counts.h"

namespace nexus::providers::anthropic {
namespace {

// Replaces `field` when `key` is present (and not null) in `object`.
void take(llm::TokenCountReader& read, uint64_t& field, const boost::json::object* object,
          std::string_view parent, std::string_view key) {
  const boost::json::value* value = object != nullptr ? object->if_contains(key) : nullptr;
  if (value != nullptr && !value->is_null()) {
    field = read.count(object, parent, key);
  }
}

}  // namespace

Result<void> UsageAccumulator::add(const boost::json::object& usage) {
  llm::TokenCountReader read;
  UsageAccumulator next = *this;
  take(read, next.input_, &usage, "", "input_tokens");
  take(read, next.cache_read_, &usage, "", "cache_read_input_tokens");
  take(read, next.cache_write_, &usage, "", "cache_creation_input_tokens");
  take(read, next.output_, &usage, "", "output_tokens");
  take(read, next.thinking_, llm::TokenCountReader::child(usage, "output_tokens_details"),
       "output_tokens_details", "thinking_tokens");
  if (auto status = read.status(); !status) {
    return status;
  }
  *this = next;
  return {};
}

llm::Usage UsageAccumulator::usage() const {
  return {.input = input_ + cache_read_ + cache_write_,
          .output = output_,
          .cache_read = cache_read_,
          .cache_write = cache_write_,
          .reasoning = thinking_};
}

Result<llm::Usage> decode_usage(const boost::json::object& usage) {
  UsageAccumulator accumulator;
  if (auto added = accumulator.add(usage); !added) {
    return std::unexpected(std::move(added.error()));
  }
  return accumulator.usage();
}

}  // namespace nexus::providers::anthropic
