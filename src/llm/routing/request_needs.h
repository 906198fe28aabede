// What a chat request needs of a deployment (capability-aware routing): room in the context
// window, tools, images, JSON schema output. Read from the IR when the request was decoded,
// or from the client's JSON on the passthrough path (OpenAI's and Anthropic's shapes).
#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <string>

#include "llm/ir/request.h"
#include "nexus/config/config.h"

namespace nexus::llm::routing {

struct RequestNeeds {
  // Estimated, not counted, on the high side (token_estimate.h): enough to tell a request that
  // cannot fit, and to hold a token-per-minute limit before the provider reports the usage.
  uint64_t prompt_tokens = 0;
  uint64_t max_output = 0;  // the client's max_tokens; 0 when not given
  // Images, documents and audio in the prompt: their tokens depend on their size in pixels or
  // pages, not on their bytes in the body (a URL is a few bytes), so a bound counts them apart.
  uint32_t media = 0;
  bool stream = false;
  bool tools = false;
  bool vision = false;
  bool json_schema = false;
};

RequestNeeds needs_of(const Request& request);
// `anthropic`: the body is Anthropic's Messages shape, else OpenAI's chat completions.
RequestNeeds needs_of(const boost::json::object& body, bool anthropic);

// Empty when a deployment with `can` serves the request; otherwise what it lacks
// ("a context window of 8000 tokens (the request needs about 9100)").
std::string lacks(const config::Capabilities& can, const RequestNeeds& needs);

// The request does not fit the context window (its other needs may still be met).
bool too_long(const config::Capabilities& can, const RequestNeeds& needs);

}  // namespace nexus::llm::routing
