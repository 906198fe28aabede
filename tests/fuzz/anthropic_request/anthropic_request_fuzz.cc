// libFuzzer target: bytes as an Anthropic Messages request body through the dialect's decoder.
// It must not crash; what it accepts goes through the Anthropic provider's encoder (its outcome
// is not checked: only that it does not crash either).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "llm/dialects/anthropic/messages_request.h"
#include "providers/anthropic/request_encoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto request = nexus::dialects::anthropic::decode_messages_request(body);
  if (request) {
    std::string encoded;
    if (!nexus::providers::anthropic::encode_request(*request, {}, encoded)) {
      return 0;  // a refusal is an answer too
    }
  }
  return 0;
}
