// Embeddings through Bedrock's InvokeModel (POST /model/<id>/invoke: sigv4.h's
// append_invoke_path), whose body is each model family's own:
// - Amazon Titan text ("amazon.titan-embed-text-v2:0", "amazon.titan-embed-text-v1"):
//   {"inputText", "dimensions", "normalize": true} -> {"embedding", "inputTextTokenCount"}.
//   ONE text per call (v1 takes only inputText: dimensions are refused for it).
// - Amazon Nova multimodal embeddings ("amazon.nova-2-multimodal-embeddings-v1:0"):
//   {"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {embeddingPurpose,
//   embeddingDimension, text {value, truncationMode NONE}}} -> {"embeddings": [{"embedding"}]}. One
//   text per call; embeddingDimension is the request's dimensions or 3072 (the model's full size);
//   purpose GENERIC_INDEX (documents, unspecified), GENERIC_RETRIEVAL (queries), CLASSIFICATION,
//   CLUSTERING. Token counts only in the x-amzn-bedrock-input-token-count header.
// - Cohere embed ("cohere.embed-english-v3", "cohere.embed-multilingual-v3", "cohere.embed-v4:0"):
//   {"texts", "input_type", "output_dimension" (v4)} -> {"embeddings": [[...]]} or (v4)
//   {"embeddings": {"float": [[...]]}}; up to 96 texts per call; input_type search_document
//   (documents, unspecified), search_query, classification, clustering.
//
// So one EmbeddingsRequest may need several calls: encode_embeddings gives their bodies in
// order; the caller sends each (in order, or concurrently) and gives each answer, in the same
// order, to decode_embeddings, which appends its vectors and adds its token count to one
// response.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llm/ir/embeddings.h"
#include "nexus/core/result.h"

namespace nexus::providers::bedrock {

enum class EmbeddingsFamily : uint8_t { kUnknown, kTitanV1, kTitan, kNova, kCohere };

// The family from the model id's vendor prefix (model_id.h) and, for Amazon's, its name:
// "titan-embed-text-v1" -> kTitanV1, other "titan-embed-text*" -> kTitan, "nova*" -> kNova;
// "cohere" -> kCohere. Anything else (Titan's multimodal image model included) is kUnknown.
EmbeddingsFamily embeddings_family(std::string_view model_id);

// Cohere's limit of texts per call.
inline constexpr size_t kCohereMaxTexts = 96;

// The InvokeModel bodies for `request`, in order: one per input for Titan and Nova, one per 96
// inputs for Cohere. kBadRequest naming "model" for kUnknown, "input" when there is no input or
// an input is empty, "dimensions" for Titan v1 (unless drop_unsupported_params).
Result<std::vector<std::string>> encode_embeddings(const llm::EmbeddingsRequest& request,
                                                   EmbeddingsFamily family,
                                                   bool drop_unsupported_params = false);

// Decodes the answer to one of those bodies: appends its vectors to `out.vectors` and adds its
// input token count (Titan's inputTextTokenCount; otherwise `header_input_tokens`, the
// x-amzn-bedrock-input-token-count response header, 0 when absent) to out.usage.input. A body
// without the family's vectors (numbers) is an upstream protocol error.
Result<void> decode_embeddings(EmbeddingsFamily family, std::string_view body,
                               uint64_t header_input_tokens, llm::EmbeddingsResponse& out);

}  // namespace nexus::providers::bedrock
