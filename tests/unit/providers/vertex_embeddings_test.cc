// Vertex AI's embeddings (:predict): the body, the answer's vectors and token counts, the
// per-model number of texts a call takes, and the calls encode_upstream_embeddings makes and
// decode_upstream_embeddings puts back together. There is no recording of Vertex's embeddings:
// the bodies are the documented shape.
#include "providers/gemini/vertex_embeddings.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "llm/codecs.h"

namespace nexus::providers::gemini {
namespace {

config::Provider vertex_provider() {
  config::Provider provider;
  provider.name = "vx";
  provider.type = config::ProviderType::kVertex;
  provider.api_key = "ya29.token";
  provider.host = "us-central1-aiplatform.googleapis.com";
  provider.gcp_project = "proj";
  provider.gcp_location = "us-central1";
  return provider;
}

// {"predictions":[...]} with one prediction per value of `firsts`: the vector {first, 0.5} and
// token_count `tokens`.
std::string predictions(const std::vector<int>& firsts, int tokens) {
  boost::json::array out;
  for (const int first : firsts) {
    out.push_back(
        boost::json::object{{"embeddings",
                             {{"values", boost::json::array{first, 0.5}},
                              {"statistics", {{"token_count", tokens}, {"truncated", false}}}}}});
  }
  return boost::json::serialize(boost::json::object{{"predictions", std::move(out)}});
}

TEST(VertexEmbeddings, BodyWithTaskTypeAndDimensions) {
  const llm::EmbeddingsRequest request{.model = "client",
                                       .inputs = {"one", "two"},
                                       .dimensions = 256,
                                       .user = "u",
                                       .purpose = llm::EmbeddingPurpose::kSearchDocument};
  std::string body;
  ASSERT_TRUE(encode_vertex_embeddings_request(request, body).has_value());
  EXPECT_EQ(boost::json::parse(body), boost::json::parse(R"({"instances":[
      {"content":"one","task_type":"RETRIEVAL_DOCUMENT"},
      {"content":"two","task_type":"RETRIEVAL_DOCUMENT"}],
      "parameters":{"outputDimensionality":256}})"));
}

TEST(VertexEmbeddings, NoPurposeNoDimensionsAndNoInput) {
  llm::EmbeddingsRequest request{.inputs = {"a"}};
  std::string body;
  ASSERT_TRUE(encode_vertex_embeddings_request(request, body).has_value());
  EXPECT_EQ(boost::json::parse(body), boost::json::parse(R"({"instances":[{"content":"a"}]})"));
  request.inputs.clear();
  auto refused = encode_vertex_embeddings_request(request, body);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kBadRequest);
  EXPECT_EQ(refused.error().param(), "input");
}

TEST(VertexEmbeddings, AnswerVectorsAndTokenCounts) {
  auto decoded = decode_vertex_embeddings_response(R"({"predictions":[
      {"embeddings":{"values":[1,0.25],"statistics":{"token_count":6,"truncated":false}}},
      {"embeddings":{"values":[-2],"statistics":{"token_count":4.0}}},
      {"embeddings":{"values":[]}}],"metadata":{"billableCharacterCount":12}})");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->vectors, (std::vector<std::vector<float>>{{1.0f, 0.25f}, {-2.0f}, {}}));
  EXPECT_EQ(decoded->usage, (llm::Usage{.input = 10}));
  EXPECT_TRUE(decoded->model.empty());
}

TEST(VertexEmbeddings, MalformedAnswersAreProtocolErrors) {
  for (const char* bad : {"", "[]", "{}", R"({"predictions":{}})", R"({"predictions":[1]})",
                          R"({"predictions":[{"embeddings":{}}]})",
                          R"({"predictions":[{"embeddings":{"values":["x"]}}]})",
                          R"({"predictions":[{"values":[1]}]})",
                          R"({"predictions":[{"embeddings":{"values":[1],
                              "statistics":{"token_count":-1}}}]})",
                          R"({"predictions":[{"embeddings":{"values":[1],
                              "statistics":{"token_count":1.5}}}]})",
                          R"({"predictions":[{"embeddings":{"values":[1],
                              "statistics":{"token_count":"3"}}}]})"}) {
    auto decoded = decode_vertex_embeddings_response(bad);
    ASSERT_FALSE(decoded.has_value()) << bad;
    EXPECT_EQ(decoded.error().code(), ErrorCode::kUpstreamProtocolError) << bad;
  }
}

TEST(VertexEmbeddings, TextsPerCallByModel) {
  EXPECT_EQ(vertex_embeddings_per_call("gemini-embedding-001"), 1u);
  EXPECT_EQ(vertex_embeddings_per_call("text-embedding-005"), 250u);
  EXPECT_EQ(vertex_embeddings_per_call("text-multilingual-embedding-002"), 250u);
}

// gemini-embedding-001 takes one text a call: three inputs, three calls to :predict, their
// answers put back in the inputs' order with the tokens added up.
TEST(VertexEmbeddings, OneCallPerTextForGeminiEmbedding) {
  const config::Provider provider = vertex_provider();
  const llm::EmbeddingsRequest request{.inputs = {"a", "b", "c"}, .dimensions = 8};
  auto calls = llm::encode_upstream_embeddings(provider, request, "gemini-embedding-001");
  ASSERT_TRUE(calls.has_value());
  ASSERT_EQ(calls->size(), 3u);
  const std::vector<std::string> texts = {"a", "b", "c"};
  llm::EmbeddingsResponse response;
  for (size_t i = 0; i < calls->size(); ++i) {
    const llm::ProviderRequest& call = (*calls)[i];
    EXPECT_TRUE(call.head.starts_with(
        "POST /v1/projects/proj/locations/us-central1/publishers/google/models/"
        "gemini-embedding-001:predict HTTP/1.1\r\n"))
        << call.head;
    EXPECT_NE(call.head.find("\r\nauthorization: Bearer ya29.token\r\n"), std::string::npos);
    const boost::json::value body = boost::json::parse(call.body);
    EXPECT_EQ(body.at("instances"), boost::json::parse(R"([{"content":")" + texts[i] + R"("}])"));
    EXPECT_EQ(body.at("parameters").at("outputDimensionality"), 8);
    ASSERT_TRUE(llm::decode_upstream_embeddings(provider, "gemini-embedding-001",
                                                predictions({static_cast<int>(i)}, 3),
                                                /*input_tokens=*/0, response)
                    .has_value());
  }
  EXPECT_EQ(response.vectors,
            (std::vector<std::vector<float>>{{0.0f, 0.5f}, {1.0f, 0.5f}, {2.0f, 0.5f}}));
  EXPECT_EQ(response.usage.input, 9u);
}

TEST(VertexEmbeddings, TextEmbeddingModelsTake250TextsACall) {
  const config::Provider provider = vertex_provider();
  llm::EmbeddingsRequest request;
  for (int i = 0; i < 251; ++i) {
    request.inputs.push_back("t" + std::to_string(i));
  }
  auto calls = llm::encode_upstream_embeddings(provider, request, "text-embedding-005");
  ASSERT_TRUE(calls.has_value());
  ASSERT_EQ(calls->size(), 2u);
  const boost::json::value first = boost::json::parse((*calls)[0].body);
  const boost::json::value second = boost::json::parse((*calls)[1].body);
  EXPECT_EQ(first.at("instances").as_array().size(), 250u);
  EXPECT_EQ(second.at("instances"), boost::json::parse(R"([{"content":"t250"}])"));
  EXPECT_FALSE(first.as_object().contains("parameters"));
  EXPECT_TRUE(llm::translates_embeddings(provider));
  // An answer Vertex sends with a broken count fails the exchange (a 502 for the client).
  llm::EmbeddingsResponse response;
  EXPECT_FALSE(llm::decode_upstream_embeddings(provider, "text-embedding-005",
                                               R"({"predictions":[{"embeddings":{}}]})", 0,
                                               response)
                   .has_value());
}

}  // namespace
}  // namespace nexus::providers::gemini
