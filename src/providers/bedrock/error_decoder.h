// Bedrock's non-2xx answers as an llm::ApiError.
#pragma once

#include <string_view>

#include "llm/ir/api_error.h"

namespace nexus::providers::bedrock {

// `error_type_header` is the x-amzn-errortype response header ("ValidationException:http://..."
// : the part before ':' is the type), or "" when absent; then the body's "__type"
// ("...#ValidationException": the part after '#') is used. The message is the body's "message"
// or "Message" (AWS writes both); a body that is not such JSON gives its start as the message.
// The status is kept as Bedrock sent it (400 validation, 403 access or expired token, 404 model
// not found, 408 model timeout, 424 model error, 429 throttling, 500, 503); type is the AWS
// exception name ("ThrottlingException").
llm::ApiError decode_error(int status, std::string_view error_type_header, std::string_view body);

}  // namespace nexus::providers::bedrock
