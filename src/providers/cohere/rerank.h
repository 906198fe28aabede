// Cohere's rerank API (POST /v2/rerank), which Nexus forwards rather than translates: the
// client's body goes to Cohere with only `model` replaced, and Cohere's answer comes back as it
// was written. What is here is what Nexus itself reads on the way: the request's required
// fields, checked before a call is made, and the tokens in the answer, for metering.
#pragma once

#include <boost/json/fwd.hpp>
#include <optional>
#include <string_view>

#include "llm/ir/usage.h"
#include "nexus/core/result.h"

namespace nexus::providers::cohere {

// `query` must be a non-empty string and `documents` a non-empty array whose items are strings
// or objects (Cohere's v2 takes strings; v1 and LiteLLM-style clients send {"text": ...}
// objects, which Cohere judges). Anything else is a kBadRequest naming the field. The other
// fields (top_n, return_documents, max_tokens_per_doc, rank_fields, ...) are Cohere's to check.
Result<void> check_rerank_request(const boost::json::object& request);

// The tokens of a rerank answer: meta.billed_units.input_tokens/output_tokens when Cohere bills
// tokens, else meta.tokens.input_tokens/output_tokens. Nothing when the answer reports no
// token count (the usual case: rerank is billed in meta.billed_units.search_units, which
// llm::Usage has no place for) or is not a JSON object; a count that is not a non-negative
// integral number is ignored with the rest (metering never fails an answer already received).
std::optional<llm::Usage> decode_rerank_usage(std::string_view body);

}  // namespace nexus::providers::cohere
