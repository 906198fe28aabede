// Decodes a Gemini generateContent body (Gemini API and Vertex AI alike) into llm::Response.
#pragma once

#include <string_view>

#include "llm/ir/response.h"
#include "nexus/core/result.h"

namespace nexus::providers::gemini {

// candidates -> choices (by their `index`, else their position): text parts -> text,
// `thought: true` parts -> reasoning (a thought part's thoughtSignature -> reasoning_signature),
// functionCall parts -> tool calls with whole-JSON arguments (`args`, "{}" when absent) and the
// id of tool_call_id.h (Gemini's id or "call_<responseId>_<candidate>_<n>", with the part's
// thoughtSignature appended). Signatures on text parts are left out: Gemini does not require
// them back. finishReason -> finish (finish_reason.h; a candidate with function calls that
// STOPs finishes as kToolCalls) and finish_word. A prompt blocked before any candidate
// (promptFeedback.blockReason and no candidates) is one choice finished as kContentFilter with
// the block reason as its word. responseId -> id, modelVersion -> model, usageMetadata -> usage
// (usage.h). A body that is not a JSON object, has neither candidates nor a block reason, or
// whose parts have the wrong types is an upstream protocol error.
Result<llm::Response> decode_response(std::string_view body);

}  // namespace nexus::providers::gemini
