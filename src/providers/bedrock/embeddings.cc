#include "providers/bedrock/embeddings.h"

#include <algorithm>
#include <boost/json.hpp>

#include "llm/json_fields.h"
#include "providers/bedrock/model_id.h"

namespace nexus::providers::bedrock {
namespace {

using llm::EmbeddingPurpose;
using llm::upstream_protocol_error;

constexpr uint32_t kNovaDefaultDimension = 3072;

std::unexpected<Error> bad_request(std::string param, std::string_view what) {
  std::string message = param;
  message += ": ";
  message += what;
  return std::unexpected<Error>(std::in_place, ErrorCode::kBadRequest, std::move(message),
                                std::move(param));
}

std::string_view nova_purpose(EmbeddingPurpose purpose) {
  switch (purpose) {
    case EmbeddingPurpose::kSearchQuery:
      return "GENERIC_RETRIEVAL";
    case EmbeddingPurpose::kClassification:
      return "CLASSIFICATION";
    case EmbeddingPurpose::kClustering:
      return "CLUSTERING";
    default:
      return "GENERIC_INDEX";
  }
}

std::string_view cohere_input_type(EmbeddingPurpose purpose) {
  switch (purpose) {
    case EmbeddingPurpose::kSearchQuery:
      return "search_query";
    case EmbeddingPurpose::kClassification:
      return "classification";
    case EmbeddingPurpose::kClustering:
      return "clustering";
    default:
      return "search_document";
  }
}

std::string single_body(const llm::EmbeddingsRequest& request, EmbeddingsFamily family,
                        const std::string& text) {
  boost::json::object body;
  if (family == EmbeddingsFamily::kNova) {
    body["taskType"] = "SINGLE_EMBEDDING";
    body["singleEmbeddingParams"] = {
        {"embeddingPurpose", nova_purpose(request.purpose)},
        {"text", {{"value", text}, {"truncationMode", "NONE"}}},
        {"embeddingDimension", request.dimensions.value_or(kNovaDefaultDimension)}};
  } else {
    body["inputText"] = text;
    if (family == EmbeddingsFamily::kTitan) {
      if (request.dimensions) {
        body["dimensions"] = *request.dimensions;
      }
      body["normalize"] = true;  // as OpenAI's vectors are
    }
  }
  return boost::json::serialize(body);
}

// Appends the numbers of `value` (an array of numbers) as one vector.
Result<void> append_vector(const boost::json::value* value, llm::EmbeddingsResponse& out) {
  const boost::json::array* numbers = value != nullptr ? value->if_array() : nullptr;
  if (numbers == nullptr || numbers->empty()) {
    return std::unexpected(upstream_protocol_error("an embedding is not an array of numbers"));
  }
  std::vector<float>& vector = out.vectors.emplace_back();
  vector.reserve(numbers->size());
  for (const boost::json::value& number : *numbers) {
    if (!number.is_number()) {
      return std::unexpected(upstream_protocol_error("an embedding is not an array of numbers"));
    }
    vector.push_back(static_cast<float>(number.to_number<double>()));
  }
  return {};
}

Result<void> append_vectors(const boost::json::value* list, llm::EmbeddingsResponse& out) {
  const boost::json::array* vectors = list != nullptr ? list->if_array() : nullptr;
  if (vectors == nullptr) {
    return std::unexpected(upstream_protocol_error("embeddings is not an array"));
  }
  for (const boost::json::value& vector : *vectors) {
    if (auto appended = append_vector(&vector, out); !appended) {
      return appended;
    }
  }
  return {};
}

}  // namespace

EmbeddingsFamily embeddings_family(std::string_view model_id) {
  const std::string_view vendor = model_vendor(model_id);
  const std::string_view name = model_name(model_id);
  if (vendor == "cohere") {
    return EmbeddingsFamily::kCohere;
  }
  if (vendor != "amazon") {
    return EmbeddingsFamily::kUnknown;
  }
  if (name.starts_with("titan-embed-text-v1")) {
    return EmbeddingsFamily::kTitanV1;
  }
  if (name.starts_with("titan-embed-text")) {
    return EmbeddingsFamily::kTitan;
  }
  return name.starts_with("nova") ? EmbeddingsFamily::kNova : EmbeddingsFamily::kUnknown;
}

Result<std::vector<std::string>> encode_embeddings(const llm::EmbeddingsRequest& request,
                                                   EmbeddingsFamily family,
                                                   bool drop_unsupported_params) {
  if (family == EmbeddingsFamily::kUnknown) {
    return bad_request("model", "not a Bedrock embeddings model Nexus knows");
  }
  if (request.inputs.empty() || std::ranges::any_of(request.inputs, &std::string::empty)) {
    return bad_request("input", "Bedrock embeds non-empty texts only");
  }
  if (family == EmbeddingsFamily::kTitanV1 && request.dimensions && !drop_unsupported_params) {
    return bad_request("dimensions", "Titan text embeddings v1 has a fixed size");
  }
  std::vector<std::string> bodies;
  if (family != EmbeddingsFamily::kCohere) {
    for (const std::string& text : request.inputs) {
      bodies.push_back(single_body(request, family, text));
    }
    return bodies;
  }
  for (size_t first = 0; first < request.inputs.size(); first += kCohereMaxTexts) {
    const size_t last = std::min(request.inputs.size(), first + kCohereMaxTexts);
    boost::json::array texts;
    for (size_t i = first; i < last; ++i) {
      texts.emplace_back(request.inputs[i]);
    }
    boost::json::object body{{"texts", std::move(texts)},
                             {"input_type", cohere_input_type(request.purpose)}};
    if (request.dimensions) {
      body["output_dimension"] = *request.dimensions;
    }
    bodies.push_back(boost::json::serialize(body));
  }
  return bodies;
}

Result<void> decode_embeddings(EmbeddingsFamily family, std::string_view body,
                               uint64_t header_input_tokens, llm::EmbeddingsResponse& out) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  const boost::json::object* json = ec ? nullptr : parsed.if_object();
  if (json == nullptr) {
    return std::unexpected(upstream_protocol_error("an embeddings answer is not a JSON object"));
  }
  uint64_t tokens = header_input_tokens;
  Result<void> appended;
  switch (family) {
    case EmbeddingsFamily::kTitanV1:
    case EmbeddingsFamily::kTitan:
      appended = append_vector(json->if_contains("embedding"), out);
      if (const boost::json::value* count = json->if_contains("inputTextTokenCount");
          count != nullptr && count->is_int64() && count->get_int64() >= 0) {
        tokens = static_cast<uint64_t>(count->get_int64());
      }
      break;
    case EmbeddingsFamily::kNova: {
      const boost::json::array* list = llm::array_field(*json, "embeddings");
      const boost::json::object* first =
          list != nullptr && list->size() == 1 ? list->front().if_object() : nullptr;
      appended = first != nullptr ? append_vector(first->if_contains("embedding"), out)
                                  : std::unexpected(upstream_protocol_error(
                                        "a Nova embeddings answer without one embedding"));
      break;
    }
    case EmbeddingsFamily::kCohere: {
      const boost::json::value* list = json->if_contains("embeddings");
      if (list != nullptr && list->is_object()) {
        list = list->as_object().if_contains("float");  // v4, embedding_types
      }
      appended = append_vectors(list, out);
      break;
    }
    case EmbeddingsFamily::kUnknown:
      return std::unexpected(upstream_protocol_error("an unknown embeddings family"));
  }
  if (!appended) {
    return appended;
  }
  out.usage.input += tokens;
  return {};
}

}  // namespace nexus::providers::bedrock
