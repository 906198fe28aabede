// libFuzzer target: bytes as a response body through each provider's decode_response (OpenAI-
// shaped, Anthropic). It must not crash, and it must decide the same way twice (a second decode
// of the same bytes gives an equal response or the same error: no state or uninitialised memory
// leaks into the result).
#include <cstddef>
#include <cstdint>
#include <string_view>

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

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  decide_twice(nexus::providers::openai::decode_response, body);
  decide_twice(nexus::providers::anthropic::decode_response, body);
  return 0;
}
