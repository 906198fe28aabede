// The built-in `echo` provider: answers in-process, without a network, so that Nexus can be
// tried (`make run`) and tested offline. Deterministic: the answer is the last user message's
// text, streamed word by word; embeddings are derived from each text's bytes; usage counts
// words as tokens.
#pragma once

#include <string>
#include <vector>

#include "llm/ir/embeddings.h"
#include "llm/ir/request.h"
#include "llm/ir/stream.h"

namespace nexus::providers::echo {

// The stream of events an upstream would have sent for `request`. Event views point into
// `storage`, which must outlive them. A request that requires a tool call (tool_choice
// "required" or a named tool) gets one call of the first (or named) tool with arguments
// {"echo": <text>}, so tool handling can be tried too.
void answer(const llm::Request& request, std::string_view model, std::string& storage,
            std::vector<llm::StreamEvent>& out);

// Embeddings for `request.inputs`: per text, a unit vector of `request.dimensions` (default
// kEmbeddingDimensions, at most kMaxEmbeddingDimensions) numbers hashed from its bytes: equal
// texts get equal vectors, different texts (almost surely) different ones. Not semantic: for
// trying the API, not for search.
constexpr uint32_t kEmbeddingDimensions = 16;
constexpr uint32_t kMaxEmbeddingDimensions = 4096;
llm::EmbeddingsResponse embed(const llm::EmbeddingsRequest& request, std::string_view model);

}  // namespace nexus::providers::echo
