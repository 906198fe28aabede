// Vertex AI's text embeddings API (the :predict method of Google's publisher models) for the
// IR's embeddings request and answer. Vertex AI is the Google Cloud variant of Gemini, but its
// embeddings are not Gemini's batchEmbedContents: another body, another answer, per-model
// limits on how many texts one call takes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "llm/ir/embeddings.h"
#include "nexus/core/result.h"

namespace nexus::providers::gemini {

// How many texts one :predict call to `model` takes: gemini-embedding-001 (and the other
// gemini-embedding models) one instance per request, the text-embedding and
// text-multilingual-embedding models 250 (Vertex AI's documented limits; Vertex also refuses a
// call over 20,000 tokens in all, which Nexus cannot count beforehand).
size_t vertex_embeddings_per_call(std::string_view model);

// Appends {"instances":[{"content": TEXT, "task_type"?}, ...], "parameters":
// {"outputDimensionality"?}}: one instance per input, task_type from the purpose as for Gemini
// (absent when unspecified), outputDimensionality from dimensions (parameters is left out
// without it). `user` has no Vertex field; base64 is the client's answer format. No input is a
// kBadRequest naming "input".
Result<void> encode_vertex_embeddings_request(const llm::EmbeddingsRequest& request,
                                              std::string& body);

// {"predictions":[{"embeddings":{"values":[...],"statistics":{"token_count":N,...}}}, ...]}:
// one vector per instance, in order; usage.input is the sum of token_count (an integral number,
// Vertex may write it as 6.0). Anything else (no predictions array, a prediction without an
// array of numbers, a token_count that is not a count) is an upstream protocol error.
Result<llm::EmbeddingsResponse> decode_vertex_embeddings_response(std::string_view body);

}  // namespace nexus::providers::gemini
