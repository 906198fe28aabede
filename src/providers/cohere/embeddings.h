// The Cohere provider's embeddings codec: llm::EmbeddingsRequest into a v2 /embed body
// (POST https://api.cohere.com/v2/embed), and its answer into llm::EmbeddingsResponse.
#pragma once

#include <string>
#include <string_view>

#include "llm/ir/embeddings.h"
#include "nexus/core/result.h"

namespace nexus::providers::cohere {

// Writes (appends) {"model", "texts", "input_type", "embedding_types":["float"],
// "output_dimension"?}. `model` replaces the request's when not empty. input_type, which
// Cohere's v3 and later models require, comes from the purpose: kUnspecified and
// kSearchDocument "search_document", kSearchQuery "search_query", kClassification
// "classification", kClustering "clustering". dimensions becomes output_dimension (embed-v4
// takes 256, 512, 1024 or 1536; Cohere refuses what a model cannot do). Floats are always
// asked for: a client's base64 is written by the dialect from them. `user` has no Cohere field
// and is dropped; truncate is left to Cohere's default. No inputs is a kBadRequest naming
// "input".
Result<void> encode_embeddings_request(const llm::EmbeddingsRequest& request,
                                       std::string_view model, std::string& body);

// Reads the vectors from `embeddings.float` (v2, response_type "embeddings_by_type") or from an
// `embeddings` array of vectors (v1, "embeddings_floats"), and meta.billed_units.input_tokens
// into usage.input. Cohere's answer names no model (left empty). A body without float vectors,
// or with a vector that is not an array of numbers, is an upstream protocol error.
Result<llm::EmbeddingsResponse> decode_embeddings_response(std::string_view body);

}  // namespace nexus::providers::cohere
