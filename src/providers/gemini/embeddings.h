// Gemini's embeddings API (batchEmbedContents) for the IR's embeddings request and answer.
#pragma once

#include <string>
#include <string_view>

#include "llm/ir/embeddings.h"
#include "nexus/core/result.h"

namespace nexus::providers::gemini {

// Gemini's and Vertex AI's task type for a purpose (kSearchDocument: RETRIEVAL_DOCUMENT,
// kSearchQuery: RETRIEVAL_QUERY, kClassification: CLASSIFICATION, kClustering: CLUSTERING);
// empty for kUnspecified (the field is then left out).
std::string_view embeddings_task_type(llm::EmbeddingPurpose purpose);

// Writes a batchEmbedContents body: one entry of `requests` per input, each with
// model "models/<model>" (a leading "models/" in `model` is not doubled), content.parts[0].text,
// taskType from the purpose (kSearchDocument: RETRIEVAL_DOCUMENT, kSearchQuery: RETRIEVAL_QUERY,
// kClassification: CLASSIFICATION, kClustering: CLUSTERING; absent when unspecified) and
// outputDimensionality from dimensions. `user` and `base64` are not Gemini's to know (base64 is
// the client's answer format). No input is a kBadRequest naming "input".
Result<void> encode_embeddings_request(const llm::EmbeddingsRequest& request,
                                       std::string_view model, std::string& body);

// Appends "/models/{model}:batchEmbedContents" (the model percent-encoded as a path segment)
// to the base URL's path (e.g. /v1beta). Vertex AI's embeddings use :predict, another body.
void append_embeddings_path(std::string_view model, std::string& path);

// {"embeddings":[{"values":[...]}, ...]}: one vector per input, in order. Gemini reports no
// token usage here (usage stays 0 unless a usageMetadata.promptTokenCount is present) and no
// model (left empty: the caller knows it). Anything else is an upstream protocol error.
Result<llm::EmbeddingsResponse> decode_embeddings_response(std::string_view body);

}  // namespace nexus::providers::gemini
