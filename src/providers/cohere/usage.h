// Cohere's `usage` object (v2 /chat, whole responses and the stream's message-end), normalised
// to llm::Usage.
//
// Cohere reports two counts: `billed_units` (what the request is charged for) and `tokens`
// (everything the model read and wrote, including the prompt template and tool-call syntax
// Cohere adds and does not bill: 1394 tokens against 8 billed for "2 + 2" in the recorded
// reasoning stream). llm::Usage is what costs and budgets add up, so input and output are the
// billed units; `tokens` is used only when billed_units is absent.
//
// `cached_tokens` counts prompt tokens that hit Cohere's cache on the `tokens` scale: the
// recordings show it above billed input (2928 cached, 2935 tokens, 2406 billed), because the
// template Cohere puts first is cached too. The template (tokens.input - billed.input) is taken
// as cached first, so cache_read = cached - template, clamped to [0, input]: 2399 of 2406 in
// that recording, whose 11,599-character system prompt was cached and its 19-character user
// message not. Reasoning tokens are not reported separately (they are part of output).
#pragma once

#include <boost/json/fwd.hpp>

#include "llm/ir/usage.h"
#include "nexus/core/result.h"

namespace nexus::providers::cohere {

// Counts may be integers or integral numbers (Cohere's SDKs type them as floats); a field that
// is present but not a non-negative integral number is an upstream protocol error naming it.
// Missing or null fields count as 0.
Result<llm::Usage> decode_usage(const boost::json::object& usage);

}  // namespace nexus::providers::cohere
