// libFuzzer target: bytes as a chat request body, read for routing as the server reads it
// (needs_of on OpenAI's and Anthropic's shapes, then what a deployment lacks). Nothing may
// crash; a body without "tools" needs none; every media part is counted whole, and the rest of
// the estimate stays within a few tokens per byte of the body (a message's 4 tokens take at
// least "{}," and text is at most one token per byte), so no count wraps or runs away.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "llm/routing/request_needs.h"
#include "llm/routing/token_estimate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  const boost::json::object* request = ec ? nullptr : parsed.if_object();
  if (request == nullptr) {
    return 0;
  }
  for (const bool anthropic : {false, true}) {
    const nexus::llm::routing::RequestNeeds needs =
        nexus::llm::routing::needs_of(*request, anthropic);
    using nexus::llm::routing::TokenTally;
    const uint64_t media_tokens = needs.media * TokenTally::kTokensPerMedia;
    if (needs.prompt_tokens < media_tokens ||
        needs.prompt_tokens - media_tokens > 4 * size + TokenTally::kTokensPerMessage ||
        (needs.tools && !request->contains("tools"))) {
      std::abort();
    }
    const nexus::config::Capabilities small{.context_window = 16, .tools = false};
    (void)nexus::llm::routing::lacks(small, needs);
  }
  return 0;
}
