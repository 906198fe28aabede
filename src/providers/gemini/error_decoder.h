// Gemini's (and Vertex AI's) error answers as llm::ApiError.
#pragma once

#include <string_view>

#include "llm/ir/api_error.h"

namespace nexus::providers::gemini {

// A non-2xx answer: {"error":{"code","message","status","details"}} (also inside a one-element
// array, as some Google front ends send it). `type` is the OpenAI-style word for Google's
// status (error_type); `code` is the reason of a google.rpc.ErrorInfo detail when there is one
// ("api_key_invalid"), otherwise the status ("resource_exhausted"), lower-cased; the message is
// Google's. A body that is not such JSON (an HTML page from a proxy) keeps the status and the
// body's start as the message.
llm::ApiError decode_error(int status, std::string_view body);

// The OpenAI-style error type for a Google status word (INVALID_ARGUMENT: invalid_request_error,
// UNAUTHENTICATED: authentication_error, PERMISSION_DENIED: permission_error,
// RESOURCE_EXHAUSTED: rate_limit_error, UNAVAILABLE/INTERNAL/...: server_error), or for the HTTP
// status when the word is empty or unknown (0: server_error).
std::string_view error_type(std::string_view status, int http_status);

}  // namespace nexus::providers::gemini
