// Bedrock embeddings through InvokeModel: the request bodies pydantic-ai sent for Titan v2 and
// Nova (recorded), their recorded answers, Cohere's batches, and the model id's vendor.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "providers/bedrock/embeddings.h"
#include "providers/bedrock/model_id.h"
#include "stream_test_support.h"

namespace nexus::providers::bedrock {
namespace {

using providers::testing::fixture;

TEST(BedrockModelId, VendorAfterTheGeography) {
  EXPECT_EQ(model_vendor("anthropic.claude-3-5-sonnet-20240620-v1:0"), "anthropic");
  EXPECT_EQ(model_vendor("us.anthropic.claude-sonnet-4-20250514-v1:0"), "anthropic");
  EXPECT_EQ(model_vendor("global.anthropic.claude-sonnet-4-5-20250929-v1:0"), "anthropic");
  EXPECT_EQ(model_vendor("us.amazon.nova-lite-v1:0"), "amazon");
  EXPECT_EQ(model_vendor("openai.gpt-oss-120b-1:0"), "openai");
  EXPECT_EQ(model_vendor("arn:aws:bedrock:us-east-1:1:inference-profile/eu.meta.llama3-2-1b-v1:0"),
            "meta");
  EXPECT_EQ(model_vendor("abc123"), "");
  EXPECT_EQ(model_name("us.amazon.titan-embed-text-v2:0"), "titan-embed-text-v2:0");
  // An ARN: the name after its last '/', even when the vendor's name appears before it.
  EXPECT_EQ(model_name("arn:aws:bedrock:us-east-1:1:meta/eu.meta.llama3-2-1b-v1:0"),
            "llama3-2-1b-v1:0");
}

TEST(BedrockEmbeddings, Families) {
  EXPECT_EQ(embeddings_family("amazon.titan-embed-text-v2:0"), EmbeddingsFamily::kTitan);
  EXPECT_EQ(embeddings_family("amazon.titan-embed-text-v1"), EmbeddingsFamily::kTitanV1);
  EXPECT_EQ(embeddings_family("amazon.nova-2-multimodal-embeddings-v1:0"), EmbeddingsFamily::kNova);
  EXPECT_EQ(embeddings_family("cohere.embed-english-v3"), EmbeddingsFamily::kCohere);
  EXPECT_EQ(embeddings_family("us.cohere.embed-v4:0"), EmbeddingsFamily::kCohere);
  EXPECT_EQ(embeddings_family("amazon.titan-embed-image-v1"), EmbeddingsFamily::kUnknown);
  EXPECT_EQ(embeddings_family("meta.llama3-8b-instruct-v1:0"), EmbeddingsFamily::kUnknown);
}

TEST(BedrockEmbeddings, TitanAsRecorded) {
  const llm::EmbeddingsRequest request{.model = "amazon.titan-embed-text-v2:0",
                                       .inputs = {"Test embedding dimensions"},
                                       .dimensions = 256};
  auto bodies = encode_embeddings(request, EmbeddingsFamily::kTitan);
  ASSERT_TRUE(bodies.has_value());
  ASSERT_EQ(bodies->size(), 1u);
  EXPECT_EQ(boost::json::parse(bodies->front()),
            boost::json::parse(fixture(
                "bedrock/pydantic__TestBedrock.test_titan_v2_with_dimensions.request.json")));
  llm::EmbeddingsResponse response;
  ASSERT_TRUE(
      decode_embeddings(EmbeddingsFamily::kTitan,
                        fixture("bedrock/pydantic__TestBedrock.test_titan_v2_with_dimensions.json"),
                        0, response)
          .has_value());
  ASSERT_EQ(response.vectors.size(), 1u);
  EXPECT_EQ(response.vectors[0].size(), 256u);
  EXPECT_FLOAT_EQ(response.vectors[0][0], -0.1208660751581192F);
  EXPECT_EQ(response.usage.input, 4u);
}

// One text per call: three inputs, three bodies, three answers added up in order.
TEST(BedrockEmbeddings, SeveralInputsAreSeveralCalls) {
  const llm::EmbeddingsRequest request{.inputs = {"a", "b", "c"}};
  auto bodies = encode_embeddings(request, EmbeddingsFamily::kTitan);
  ASSERT_TRUE(bodies.has_value());
  ASSERT_EQ(bodies->size(), 3u);
  EXPECT_EQ(boost::json::parse((*bodies)[2]),
            boost::json::parse(R"({"inputText":"c","normalize":true})"));
  llm::EmbeddingsResponse response;
  for (const char* answer : {R"({"embedding":[1,0],"inputTextTokenCount":1})",
                             R"({"embedding":[0,1],"inputTextTokenCount":2})"}) {
    ASSERT_TRUE(decode_embeddings(EmbeddingsFamily::kTitan, answer, 0, response).has_value());
  }
  EXPECT_EQ(response.vectors, (std::vector<std::vector<float>>{{1, 0}, {0, 1}}));
  EXPECT_EQ(response.usage.input, 3u);
}

TEST(BedrockEmbeddings, NovaAsRecorded) {
  const llm::EmbeddingsRequest request{.inputs = {"Test Nova dimensions"},
                                       .dimensions = 256,
                                       .purpose = llm::EmbeddingPurpose::kSearchQuery};
  auto bodies = encode_embeddings(request, EmbeddingsFamily::kNova);
  ASSERT_TRUE(bodies.has_value());
  EXPECT_EQ(boost::json::parse(bodies->front()),
            boost::json::parse(
                fixture("bedrock/pydantic__TestBedrock.test_nova_with_dimensions.request.json")));
  llm::EmbeddingsResponse response;
  // The token count is in the x-amzn-bedrock-input-token-count header only (18 in the recording).
  ASSERT_TRUE(
      decode_embeddings(EmbeddingsFamily::kNova,
                        fixture("bedrock/pydantic__TestBedrock.test_nova_with_dimensions.json"), 18,
                        response)
          .has_value());
  ASSERT_EQ(response.vectors.size(), 1u);
  EXPECT_EQ(response.vectors[0].size(), 256u);
  EXPECT_FLOAT_EQ(response.vectors[0][0], -0.109526575F);
  EXPECT_EQ(response.usage.input, 18u);
}

TEST(BedrockEmbeddings, CohereBatchesOf96) {
  llm::EmbeddingsRequest request{.inputs = std::vector<std::string>(100, "t"),
                                 .purpose = llm::EmbeddingPurpose::kClassification};
  auto bodies = encode_embeddings(request, EmbeddingsFamily::kCohere);
  ASSERT_TRUE(bodies.has_value());
  ASSERT_EQ(bodies->size(), 2u);
  const boost::json::value first = boost::json::parse((*bodies)[0]);
  EXPECT_EQ(first.at("texts").as_array().size(), 96u);
  EXPECT_EQ(first.at("input_type"), "classification");
  EXPECT_EQ(boost::json::parse((*bodies)[1]).at("texts").as_array().size(), 4u);
  llm::EmbeddingsResponse response;
  ASSERT_TRUE(
      decode_embeddings(
          EmbeddingsFamily::kCohere,
          R"({"embeddings":[[0.5,1.5],[2,3]],"id":"x","response_type":"embeddings_floats"})", 7,
          response)
          .has_value());
  ASSERT_TRUE(decode_embeddings(EmbeddingsFamily::kCohere, R"({"embeddings":{"float":[[4,5]]}})", 1,
                                response)
                  .has_value());
  EXPECT_EQ(response.vectors, (std::vector<std::vector<float>>{{0.5, 1.5}, {2, 3}, {4, 5}}));
  EXPECT_EQ(response.usage.input, 8u);
}

TEST(BedrockEmbeddings, RefusalsAndMalformedAnswers) {
  const auto param = [](const llm::EmbeddingsRequest& request, EmbeddingsFamily family) {
    auto bodies = encode_embeddings(request, family);
    return bodies ? std::string("(encoded)") : bodies.error().param();
  };
  EXPECT_EQ(param({.inputs = {"a"}}, EmbeddingsFamily::kUnknown), "model");
  EXPECT_EQ(param({}, EmbeddingsFamily::kTitan), "input");
  EXPECT_EQ(param({.inputs = {"a", ""}}, EmbeddingsFamily::kCohere), "input");
  EXPECT_EQ(param({.inputs = {"a"}, .dimensions = 256}, EmbeddingsFamily::kTitanV1), "dimensions");
  auto dropped =
      encode_embeddings({.inputs = {"a"}, .dimensions = 256}, EmbeddingsFamily::kTitanV1, true);
  ASSERT_TRUE(dropped.has_value());
  EXPECT_EQ(boost::json::parse(dropped->front()), boost::json::parse(R"({"inputText":"a"})"));
  llm::EmbeddingsResponse response;
  EXPECT_FALSE(decode_embeddings(EmbeddingsFamily::kTitan, "nope", 0, response).has_value());
  EXPECT_FALSE(decode_embeddings(EmbeddingsFamily::kTitan, R"({"embedding":["x"]})", 0, response)
                   .has_value());
  EXPECT_FALSE(
      decode_embeddings(EmbeddingsFamily::kNova, R"({"embeddings":[]})", 0, response).has_value());
  EXPECT_FALSE(
      decode_embeddings(EmbeddingsFamily::kCohere, R"({"embeddings":{"int8":[[1]]}})", 0, response)
          .has_value());
}

}  // namespace
}  // namespace nexus::providers::bedrock
