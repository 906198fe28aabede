// An embeddings request and its answer, whatever the API: OpenAI's /v1/embeddings is decoded
// into EmbeddingsRequest (src/llm/dialects/openai/embeddings.h), each provider that takes
// embeddings in another shape (Gemini, Bedrock's Titan and Cohere models, Cohere) encodes it in
// its own, and decodes its answer into EmbeddingsResponse, which the dialect writes back as
// OpenAI's list of vectors (floats, or base64 of little-endian float32 when asked).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "llm/ir/usage.h"

namespace nexus::llm {

// What the vectors are for. OpenAI has no such field; Cohere requires one (input_type) and
// Gemini takes one (taskType). Clients set it with the `input_type` extension field.
enum class EmbeddingPurpose : uint8_t {
  kUnspecified,     // the provider's default (Cohere: search_document)
  kSearchDocument,  // texts stored to be searched
  kSearchQuery,     // the query searched with
  kClassification,
  kClustering,
};

struct EmbeddingsRequest {
  std::string model;
  std::vector<std::string> inputs;     // texts; token-id inputs cannot cross APIs
  std::optional<uint32_t> dimensions;  // a shorter vector, where the model can
  bool base64 = false;                 // encoding_format "base64" (the client's answer only)
  std::string user;
  EmbeddingPurpose purpose = EmbeddingPurpose::kUnspecified;
};

struct EmbeddingsResponse {
  std::string model;
  std::vector<std::vector<float>> vectors;  // one per input, in the inputs' order
  Usage usage;                              // input tokens only
};

}  // namespace nexus::llm
