// libFuzzer target: bytes as a response body through each provider's decode_response (OpenAI-
// shaped, Anthropic). It must not crash, and it must decide the same way twice (a second decode
// of the same bytes gives an equal response or the same error: no state or uninitialised memory
// leaks into the result). The passthrough path's usage scan (llm/usage_scan.h) must find only
// the outermost object's `usage`: whenever it finds one in a body that parses, the body's
// top-level `usage` is that object.
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "llm/usage_scan.h"
#include "providers/anthropic/response_decoder.h"
#include "providers/openai/response_decoder.h"

template <typename Decode>
void decide_twice(Decode decode, std::string_view body) {
  const auto first = decode(body);
  const auto second = decode(body);
  const bool same =
      first.has_value() == second.has_value() &&
      (first ? *first == *second : first.error().message() == second.error().message());
  if (!same) {
    __builtin_trap();
  }
}

void check_usage_scan(std::string_view body) {
  const auto text = nexus::llm::find_top_level_usage(body);
  if (!text) {
    return;
  }
  boost::system::error_code ec;
  const boost::json::value whole = boost::json::parse(body, ec);
  if (ec || !whole.is_object()) {
    return;  // not JSON: the scan's answer is parsed, and refused, by the caller
  }
  const boost::json::value* usage = whole.get_object().if_contains("usage");
  const boost::json::value found = boost::json::parse(*text, ec);
  if (usage == nullptr || ec || found != *usage) {
    __builtin_trap();
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  check_usage_scan(body);
  decide_twice(nexus::providers::openai::decode_response, body);
  decide_twice(nexus::providers::anthropic::decode_response, body);
  return 0;
}
