// An error answer of an LLM API, whatever its dialect: what a provider's error body said (each
// provider's decode_error), or one of Nexus's own errors, written back in the client's dialect.
#pragma once

#include <string>

#include "nexus/core/result.h"

namespace nexus::llm {

struct ApiError {
  int status = 500;
  std::string type;     // the dialect's error type ("invalid_request_error", ...), may be empty
  std::string message;  // for people
  std::string param;    // OpenAI: the request parameter at fault, may be empty
  std::string code;     // OpenAI: a machine-readable code ("model_not_found", ...), may be empty
};

// One of Nexus's own errors (a request refused by a decoder or an encoder, an upstream that
// could not be reached) as an API error.
inline ApiError api_error(const Error& error) {
  return {.status = error.http_status(),
          .type = std::string(error.type_name()),
          .message = error.message(),
          .param = error.param(),
          .code = std::string(error.code_name())};
}

}  // namespace nexus::llm
