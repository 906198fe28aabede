// Inside the request encoder (request_encoder.h says what is mapped how): the body's parts
// other than the contents.
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "llm/ir/request.h"
#include "nexus/core/result.h"
#include "providers/gemini/request_encoder.h"

namespace nexus::providers::gemini::detail {

// A kBadRequest naming `param`.
inline std::unexpected<Error> refused(std::string param, std::string message) {
  return std::unexpected<Error>(std::in_place, ErrorCode::kBadRequest, std::move(message),
                                std::move(param));
}

// tools and toolConfig.
Result<void> encode_tools(const llm::Request& request, const EncodeOptions& options,
                          boost::json::object& body);

// generationConfig (absent when nothing is set).
Result<void> encode_generation_config(const llm::Request& request, boost::json::object& body);

}  // namespace nexus::providers::gemini::detail
