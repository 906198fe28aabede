#include "providers/gemini/embeddings.h"

#include <boost/json.hpp>

#include "llm/ir/token_counts.h"
#include "llm/json_fields.h"
#include "providers/gemini/request_encoder.h"

namespace nexus::providers::gemini {
namespace {

using llm::EmbeddingPurpose;
using llm::upstream_protocol_error;

}  // namespace

std::string_view embeddings_task_type(EmbeddingPurpose purpose) {
  switch (purpose) {
    case EmbeddingPurpose::kSearchDocument:
      return "RETRIEVAL_DOCUMENT";
    case EmbeddingPurpose::kSearchQuery:
      return "RETRIEVAL_QUERY";
    case EmbeddingPurpose::kClassification:
      return "CLASSIFICATION";
    case EmbeddingPurpose::kClustering:
      return "CLUSTERING";
    case EmbeddingPurpose::kUnspecified:
      break;
  }
  return {};
}

namespace {

// One embedding's values; false when they are not an array of numbers.
bool read_vector(const boost::json::value& embedding, std::vector<float>& vector) {
  const boost::json::object* object = embedding.if_object();
  const boost::json::array* values =
      object != nullptr ? llm::array_field(*object, "values") : nullptr;
  if (values == nullptr) {
    return false;
  }
  vector.reserve(values->size());
  for (const boost::json::value& value : *values) {
    if (!value.is_number()) {
      return false;
    }
    vector.push_back(static_cast<float>(value.to_number<double>()));
  }
  return true;
}

}  // namespace

Result<void> encode_embeddings_request(const llm::EmbeddingsRequest& request,
                                       std::string_view model, std::string& body) {
  if (request.inputs.empty()) {
    return std::unexpected<Error>(std::in_place, ErrorCode::kBadRequest,
                                  "Gemini embeddings need at least one input.", "input");
  }
  if (model.starts_with("models/")) {
    model.remove_prefix(7);
  }
  std::string name = "models/";
  name += model;
  boost::json::array requests;
  for (const std::string& input : request.inputs) {
    boost::json::object entry{
        {"model", name},
        {"content", {{"parts", boost::json::array{boost::json::object{{"text", input}}}}}}};
    if (const std::string_view task = embeddings_task_type(request.purpose); !task.empty()) {
      entry["taskType"] = task;
    }
    if (request.dimensions) {
      entry["outputDimensionality"] = *request.dimensions;
    }
    requests.push_back(std::move(entry));
  }
  body += boost::json::serialize(boost::json::object{{"requests", std::move(requests)}});
  return {};
}

void append_embeddings_path(std::string_view model, std::string& path) {
  path += "/models/";
  append_model_segment(model, path);
  path += ":batchEmbedContents";
}

Result<llm::EmbeddingsResponse> decode_embeddings_response(std::string_view body) {
  boost::json::value parsed;
  const boost::json::array* embeddings = llm::parse_object_with_array(body, "embeddings", parsed);
  if (embeddings == nullptr) {
    return std::unexpected(
        upstream_protocol_error("the response is not a JSON object with an embeddings array"));
  }
  llm::EmbeddingsResponse response;
  response.vectors.resize(embeddings->size());
  for (size_t i = 0; i < embeddings->size(); ++i) {
    if (!read_vector((*embeddings)[i], response.vectors[i])) {
      return std::unexpected(upstream_protocol_error("an embedding has no array of values"));
    }
  }
  if (const boost::json::object* usage =
          llm::TokenCountReader::child(parsed.get_object(), "usageMetadata")) {
    llm::TokenCountReader read;
    response.usage.input = read.count(usage, "usageMetadata", "promptTokenCount");
    if (auto status = read.status(); !status) {
      return std::unexpected(std::move(status.error()));
    }
  }
  return response;
}

}  // namespace nexus::providers::gemini
