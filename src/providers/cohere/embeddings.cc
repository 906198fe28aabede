#include "providers/cohere/embeddings.h"

#include <boost/json.hpp>
#include <string>

#include "llm/json_fields.h"
#include "providers/cohere/usage.h"

namespace nexus::providers::cohere {
namespace {

using llm::EmbeddingPurpose;
using llm::upstream_protocol_error;

std::string_view input_type(EmbeddingPurpose purpose) {
  switch (purpose) {
    case EmbeddingPurpose::kSearchQuery:
      return "search_query";
    case EmbeddingPurpose::kClassification:
      return "classification";
    case EmbeddingPurpose::kClustering:
      return "clustering";
    case EmbeddingPurpose::kUnspecified:
    case EmbeddingPurpose::kSearchDocument:
      break;
  }
  return "search_document";
}

Result<std::vector<float>> vector_of(const boost::json::value& value) {
  const boost::json::array* numbers = value.if_array();
  if (numbers == nullptr) {
    return std::unexpected(upstream_protocol_error("an embedding is not an array of numbers"));
  }
  std::vector<float> vector;
  vector.reserve(numbers->size());
  for (const boost::json::value& number : *numbers) {
    if (!number.is_number()) {
      return std::unexpected(upstream_protocol_error("an embedding is not an array of numbers"));
    }
    vector.push_back(static_cast<float>(number.to_number<double>()));
  }
  return vector;
}

}  // namespace

Result<void> encode_embeddings_request(const llm::EmbeddingsRequest& request,
                                       std::string_view model, std::string& body) {
  if (request.inputs.empty()) {
    return std::unexpected<Error>(std::in_place, ErrorCode::kBadRequest,
                                  "input must hold at least one text", "input");
  }
  boost::json::object json;
  json["model"] = model.empty() ? std::string_view(request.model) : model;
  boost::json::array texts;
  for (const std::string& input : request.inputs) {
    texts.emplace_back(input);
  }
  json["texts"] = std::move(texts);
  json["input_type"] = input_type(request.purpose);
  json["embedding_types"] = boost::json::array{"float"};
  if (request.dimensions) {
    json["output_dimension"] = *request.dimensions;
  }
  body += boost::json::serialize(json);
  return {};
}

Result<llm::EmbeddingsResponse> decode_embeddings_response(std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  const boost::json::object* json = ec ? nullptr : parsed.if_object();
  const boost::json::value* embeddings =
      json != nullptr ? json->if_contains("embeddings") : nullptr;
  const boost::json::array* vectors = nullptr;
  if (embeddings != nullptr && embeddings->is_object()) {
    vectors = llm::array_field(embeddings->get_object(), "float");
  } else if (embeddings != nullptr) {
    vectors = embeddings->if_array();
  }
  if (vectors == nullptr) {
    return std::unexpected(
        upstream_protocol_error("the embeddings answer holds no float embeddings"));
  }
  llm::EmbeddingsResponse response;
  response.vectors.reserve(vectors->size());
  for (const boost::json::value& value : *vectors) {
    auto vector = vector_of(value);
    if (!vector) {
      return std::unexpected(std::move(vector.error()));
    }
    response.vectors.push_back(std::move(*vector));
  }
  if (const boost::json::object* meta = llm::object_field(*json, "meta"); meta != nullptr) {
    if (const boost::json::object* billed = llm::object_field(*meta, "billed_units")) {
      // Cohere's `usage` shape, so that the counts are read (and checked) the same way.
      const boost::json::object usage{{"billed_units", *billed}};
      auto decoded = decode_usage(usage);
      if (!decoded) {
        return std::unexpected(std::move(decoded.error()));
      }
      response.usage.input = decoded->input;
    }
  }
  return response;
}

}  // namespace nexus::providers::cohere
