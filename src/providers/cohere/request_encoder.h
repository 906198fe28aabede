// The Cohere provider's request side: an llm::Request into a Cohere v2 /chat body
// (POST https://api.cohere.com/v2/chat, `Authorization: Bearer <key>`).
#pragma once

#include <string>
#include <string_view>

#include "llm/ir/request.h"
#include "nexus/core/result.h"

namespace nexus::providers::cohere {

struct EncodeOptions {
  std::string_view model;                // the upstream's model id (replaces the request's)
  bool drop_unsupported_params = false;  // drop what cannot be translated instead of a 400
};

// Writes the body (appends to `body`). The mapping:
// - system parts: one `system` message, its content a string (one part) or text parts;
// - user messages: content a string (one text part) or text and image_url parts (an inline
//   image as a data: URL, `detail` kept); each kToolResult part becomes a `tool` message
//   {tool_call_id, content} before the rest of its message, its content a string or text
//   parts. A tool result holding images is a kBadRequest naming "messages" unless dropped
//   (then the images are left out); is_error has no Cohere field and is dropped;
// - assistant messages: tool calls as tool_calls {id, type function, function {name,
//   arguments}} (empty arguments: "{}"); with tool calls, the text becomes `tool_plan` (the
//   text Cohere's models write before their calls, as the decoders read it back); reasoning
//   parts go back as content parts {"type":"thinking"} (v2 takes them; Cohere has no
//   signature); Anthropic's redacted reasoning is dropped; without tool calls, text alone is a
//   string, with reasoning an array of thinking and text parts;
// - tools: {type function, function {name, description, parameters}}; any tool with
//   strict: true sets `strict_tools` (Cohere's switch is per request);
// - tool_choice: auto is Cohere's default (absent), none "NONE", required "REQUIRED"; a named
//   tool, which Cohere cannot name, becomes "REQUIRED" with `tools` cut down to that tool (a
//   name not among the tools is a kBadRequest naming "tool_choice");
//   parallel_tool_calls false is a kBadRequest naming "parallel_tool_calls" unless dropped;
// - response_format: text {"type":"text"}, json_object {"type":"json_object"}, json_schema
//   {"type":"json_object","json_schema":<schema>} (its name and strict have no Cohere field);
// - max_tokens, temperature, stop_sequences, seed, frequency_penalty, presence_penalty as
//   they are; top_p as `p`, top_k as `k`; logprobs true as `logprobs` (the decoders do not
//   carry them back: the IR has no place for them); `stream` always written, as Cohere's SDK
//   does (usage always comes with the stream's message-end);
// - thinking_budget: thinking {type enabled, token_budget}; reasoning_effort "none" or
//   "minimal": thinking {type disabled}, "low": budget 1024, "medium": 2048, "high": enabled
//   without a budget (Cohere's default and recommendation); another word is a kBadRequest
//   naming "reasoning_effort" unless dropped;
// - refused with a kBadRequest naming the parameter unless dropped: n > 1 ("n"),
//   top_logprobs ("top_logprobs");
// - dropped silently: user (Cohere has no end-user field), a message's name, cache_control
//   markers (Cohere caches by itself).
Result<void> encode_request(const llm::Request& request, const EncodeOptions& options,
                            std::string& body);

}  // namespace nexus::providers::cohere
