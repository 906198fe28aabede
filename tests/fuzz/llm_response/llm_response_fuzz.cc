// libFuzzer target: bytes as an OpenAI-shaped response body through decode_response. It must not
// crash, and it must decide the same way twice (a second decode of the same bytes gives an equal
// response or the same error: no state or uninitialised memory leaks into the result).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "providers/openai/response_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto first = nexus::providers::openai::decode_response(body);
  const auto second = nexus::providers::openai::decode_response(body);
  const bool same =
      first.has_value() == second.has_value() &&
      (first ? *first == *second : first.error().message() == second.error().message());
  if (!same) {
    __builtin_trap();
  }
  return 0;
}
