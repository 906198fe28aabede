// libFuzzer target: bytes as a Vertex AI :predict embeddings answer, through
// decode_vertex_embeddings_response and decode_upstream_embeddings (which adds an answer to the
// vectors of earlier calls). It must not crash; an accepted answer has one vector per
// prediction, and adding it to a response adds exactly those vectors and tokens.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "llm/codecs.h"
#include "providers/gemini/vertex_embeddings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto decoded = nexus::providers::gemini::decode_vertex_embeddings_response(body);
  nexus::config::Provider provider;
  provider.type = nexus::config::ProviderType::kVertex;
  nexus::llm::EmbeddingsResponse response;
  response.vectors.emplace_back();  // an earlier call's vector
  response.usage.input = 1;
  const auto added = nexus::llm::decode_upstream_embeddings(provider, "text-embedding-005", body,
                                                            /*input_tokens=*/0, response);
  if (decoded.has_value() != added.has_value()) {
    std::abort();
  }
  if (decoded && (response.vectors.size() != decoded->vectors.size() + 1 ||
                  response.usage.input != decoded->usage.input + 1)) {
    std::abort();
  }
  return 0;
}
