#include "providers/cohere/rerank.h"

#include <boost/json.hpp>
#include <string>

#include "llm/json_fields.h"
#include "providers/cohere/usage.h"

namespace nexus::providers::cohere {
namespace {

Result<void> bad_request(std::string message, std::string_view param) {
  return std::unexpected<Error>(std::in_place, ErrorCode::kBadRequest, std::move(message),
                                std::string(param));
}

bool has_token_counts(const boost::json::object* counts) {
  return counts != nullptr &&
         (counts->contains("input_tokens") || counts->contains("output_tokens"));
}

}  // namespace

Result<void> check_rerank_request(const boost::json::object& request) {
  const boost::json::value* query = request.if_contains("query");
  if (query == nullptr || !query->is_string() || query->get_string().empty()) {
    return bad_request("query is required (a non-empty string)", "query");
  }
  const boost::json::array* documents = llm::array_field(request, "documents");
  if (documents == nullptr || documents->empty()) {
    return bad_request("documents is required (a non-empty array of strings or objects)",
                       "documents");
  }
  for (size_t i = 0; i < documents->size(); ++i) {
    const boost::json::value& document = (*documents)[i];
    if (!document.is_string() && !document.is_object()) {
      std::string param = "documents[";
      param += std::to_string(i);
      param += ']';
      std::string message = param;
      message += " is neither a string nor an object";
      return bad_request(std::move(message), param);
    }
  }
  return {};
}

std::optional<llm::Usage> decode_rerank_usage(std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  const boost::json::object* answer = ec ? nullptr : parsed.if_object();
  const boost::json::object* meta =
      answer != nullptr ? llm::object_field(*answer, "meta") : nullptr;
  if (meta == nullptr) {
    return std::nullopt;
  }
  const boost::json::object* billed = llm::object_field(*meta, "billed_units");
  const boost::json::object* tokens = llm::object_field(*meta, "tokens");
  const bool billed_tokens = has_token_counts(billed);
  if (!billed_tokens && !has_token_counts(tokens)) {
    return std::nullopt;  // search units only
  }
  // The chat decoder's reading of the two counts; billed_units is left out when it holds no
  // tokens, so that the token counts are used instead of a billed zero.
  boost::json::object usage;
  if (billed_tokens) {
    usage["billed_units"] = *billed;
  }
  if (tokens != nullptr) {
    usage["tokens"] = *tokens;
  }
  auto decoded = decode_usage(usage);
  return decoded ? std::optional<llm::Usage>(*decoded) : std::nullopt;
}

}  // namespace nexus::providers::cohere
