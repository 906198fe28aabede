// The built-in `echo` provider: answers in-process, without a network, so that Nexus can be
// tried (`make run`) and tested offline. Deterministic: the answer is the last user message's
// text, streamed word by word; usage counts words as tokens.
#pragma once

#include <string>
#include <vector>

#include "llm/ir/request.h"
#include "llm/ir/stream.h"

namespace nexus::providers::echo {

// The stream of events an upstream would have sent for `request`. Event views point into
// `storage`, which must outlive them. A request that requires a tool call (tool_choice
// "required" or a named tool) gets one call of the first (or named) tool with arguments
// {"echo": <text>}, so tool handling can be tried too.
void answer(const llm::Request& request, std::string_view model, std::string& storage,
            std::vector<llm::StreamEvent>& out);

}  // namespace nexus::providers::echo
