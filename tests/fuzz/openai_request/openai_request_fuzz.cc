// libFuzzer target: bytes as a Chat Completions request body through the OpenAI dialect's
// decode_chat_request. It must not crash; a body it accepts goes on through the OpenAI
// provider's encode_request (whose outcome, a body or a refusal, does not matter here).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "llm/dialects/openai/chat_request.h"
#include "providers/openai/request_encoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto request = nexus::dialects::openai::decode_chat_request(body);
  if (request) {
    std::string encoded;
    (void)nexus::providers::openai::encode_request(*request, {.model = "m"}, encoded);
  }
  return 0;
}
