// Cohere's error answers (any non-2xx status of /v2/chat or /v2/embed) as llm::ApiError.
#pragma once

#include <string_view>

#include "llm/ir/api_error.h"

namespace nexus::providers::cohere {

// Cohere's body is {"message": "..."} (sometimes with an "id"), e.g. 400 {"message":"invalid
// request: ..."}, 401 {"message":"invalid api token"}, 429 {"message":"You are using a Trial
// key, which is limited to ... API calls / minute..."}. {"error": "..." | {"message",...}} and
// {"detail": "..."} (gateways in front of Cohere) are read too; a body that is none of these
// (an HTML page) becomes the message, cut to its first 512 bytes, or the status's reason phrase
// when empty. Cohere sends no error type, so it comes from the status, in OpenAI's words:
// 400/413/422 and other 4xx invalid_request_error, 401 authentication_error, 402
// billing_error, 403 permission_error, 404 not_found_error, 429 rate_limit_error, 5xx
// api_error (503 overloaded_error, 504 timeout_error).
llm::ApiError decode_error(int status, std::string_view body);

}  // namespace nexus::providers::cohere
