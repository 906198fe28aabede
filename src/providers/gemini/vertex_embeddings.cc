#include "providers/gemini/vertex_embeddings.h"

#include <boost/json.hpp>
#include <cmath>

#include "llm/json_fields.h"
#include "providers/gemini/embeddings.h"

namespace nexus::providers::gemini {
namespace {

using llm::upstream_protocol_error;

constexpr size_t kTextEmbeddingsPerCall = 250;

// A token count: a non-negative integer, or an integral floating-point number below 2^53 (what
// a protobuf Struct's number may be written as).
bool read_count(const boost::json::value& value, uint64_t& count) {
  if (value.is_uint64()) {
    count = value.get_uint64();
    return count <= (uint64_t{1} << 53);
  }
  if (value.is_int64()) {
    count = static_cast<uint64_t>(value.get_int64());
    return value.get_int64() >= 0 && value.get_int64() <= (int64_t{1} << 53);
  }
  if (value.is_double()) {
    const double number = value.get_double();
    constexpr double kMaxExact = 9007199254740992.0;  // 2^53
    if (number >= 0 && number <= kMaxExact && std::trunc(number) == number) {
      count = static_cast<uint64_t>(number);
      return true;
    }
  }
  return false;
}

// One prediction's vector into `vector` and its token count into `tokens`; an error names what
// is wrong.
Result<void> read_prediction(const boost::json::value& prediction, std::vector<float>& vector,
                             uint64_t& tokens) {
  const boost::json::object* object = prediction.if_object();
  const boost::json::object* embeddings =
      object != nullptr ? llm::object_field(*object, "embeddings") : nullptr;
  const boost::json::array* values =
      embeddings != nullptr ? llm::array_field(*embeddings, "values") : nullptr;
  if (values == nullptr) {
    return std::unexpected(upstream_protocol_error("a prediction has no embeddings.values array"));
  }
  vector.reserve(values->size());
  for (const boost::json::value& value : *values) {
    if (!value.is_number()) {
      return std::unexpected(upstream_protocol_error("an embedding value is not a number"));
    }
    vector.push_back(static_cast<float>(value.to_number<double>()));
  }
  tokens = 0;
  const boost::json::object* statistics = llm::object_field(*embeddings, "statistics");
  const boost::json::value* count =
      statistics != nullptr ? statistics->if_contains("token_count") : nullptr;
  if (count != nullptr && !count->is_null() && !read_count(*count, tokens)) {
    return std::unexpected(
        upstream_protocol_error("embeddings.statistics.token_count is not a token count"));
  }
  return {};
}

}  // namespace

size_t vertex_embeddings_per_call(std::string_view model) {
  return model.starts_with("gemini-embedding") ? 1 : kTextEmbeddingsPerCall;
}

Result<void> encode_vertex_embeddings_request(const llm::EmbeddingsRequest& request,
                                              std::string& body) {
  if (request.inputs.empty()) {
    return std::unexpected<Error>(std::in_place, ErrorCode::kBadRequest,
                                  "Vertex AI embeddings need at least one input.", "input");
  }
  boost::json::array instances;
  instances.reserve(request.inputs.size());
  const std::string_view task = embeddings_task_type(request.purpose);
  for (const std::string& input : request.inputs) {
    boost::json::object instance{{"content", input}};
    if (!task.empty()) {
      instance["task_type"] = task;
    }
    instances.push_back(std::move(instance));
  }
  boost::json::object out{{"instances", std::move(instances)}};
  if (request.dimensions) {
    out["parameters"] = {{"outputDimensionality", *request.dimensions}};
  }
  body += boost::json::serialize(out);
  return {};
}

Result<llm::EmbeddingsResponse> decode_vertex_embeddings_response(std::string_view body) {
  boost::json::value parsed;
  const boost::json::array* predictions = llm::parse_object_with_array(body, "predictions", parsed);
  if (predictions == nullptr) {
    return std::unexpected(
        upstream_protocol_error("the response is not a JSON object with a predictions array"));
  }
  llm::EmbeddingsResponse response;
  response.vectors.resize(predictions->size());
  for (size_t i = 0; i < predictions->size(); ++i) {
    uint64_t tokens = 0;
    if (auto read = read_prediction((*predictions)[i], response.vectors[i], tokens); !read) {
      return std::unexpected(std::move(read.error()));
    }
    // Each count is at most 2^53: only an answer with thousands more predictions than a call
    // has instances could wrap the sum, and the caller refuses such an answer by its count.
    response.usage.input += tokens;
  }
  return response;
}

}  // namespace nexus::providers::gemini
