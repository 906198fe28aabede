// OpenAI's /v1/embeddings in the IR (src/llm/ir/embeddings.h), for providers that take
// embeddings in another shape (and the echo provider). An OpenAI-shaped provider gets the
// client's body forwarded instead (passthrough), so nothing is lost there.
#pragma once

#include <string>
#include <string_view>

#include "llm/ir/embeddings.h"
#include "nexus/core/result.h"

namespace nexus::dialects::openai {

// Decodes an embeddings request body. `model` (non-empty string) and `input` (a string, or a
// non-empty array of strings) are required; `dimensions` (a positive integer),
// `encoding_format` ("float" | "base64"), `user`, and the extension `input_type`
// ("search_document" | "search_query" | "classification" | "clustering", what Cohere and
// Gemini want to know) are read. Token-id inputs (arrays of integers) cannot be translated to
// another API's text inputs: 400 naming "input". Other fields are ignored. Errors are 400s
// naming the parameter, in OpenAI's words.
Result<llm::EmbeddingsRequest> decode_embeddings_request(std::string_view body);

// Writes OpenAI's answer: {"object":"list","data":[{"object":"embedding","index":i,
// "embedding":[floats] or "<base64 of little-endian float32s>"}],"model","usage":
// {"prompt_tokens","total_tokens"}}. Floats are written in their shortest exact form.
void encode_embeddings_response(const llm::EmbeddingsResponse& response, bool base64,
                                std::string& out);

}  // namespace nexus::dialects::openai
