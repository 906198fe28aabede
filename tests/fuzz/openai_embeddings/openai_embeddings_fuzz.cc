// libFuzzer target: bytes as an embeddings request body through the OpenAI dialect's
// decode_embeddings_request. It must not crash; a body it accepts goes on through the echo
// provider and the answer's encoder in both encodings.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "llm/dialects/openai/embeddings.h"
#include "providers/echo/echo.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto request = nexus::dialects::openai::decode_embeddings_request(body);
  if (request) {
    const auto response = nexus::providers::echo::embed(*request, request->model);
    std::string out;
    nexus::dialects::openai::encode_embeddings_response(response, request->base64, out);
    nexus::dialects::openai::encode_embeddings_response(response, !request->base64, out);
  }
  return 0;
}
