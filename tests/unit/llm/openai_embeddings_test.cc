// OpenAI's embeddings endpoint in the IR: the request's fields and their 400s, and the answer in
// both encodings, checked against a recorded OpenAI answer's shape and by decoding base64 back.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <bit>
#include <boost/json.hpp>
#include <cstring>

#include "../providers/stream_test_support.h"
#include "llm/dialects/openai/embeddings.h"
#include "providers/echo/echo.h"

namespace nexus::dialects::openai {
namespace {

TEST(OpenAiEmbeddingsRequest, FieldsAreRead) {
  auto request = decode_embeddings_request(
      R"({"model":"emb","input":["a b","c"],"dimensions":8,"encoding_format":"base64",)"
      R"("user":"u1","input_type":"search_query","extra":{"kept":"no"}})");
  ASSERT_TRUE(request.has_value()) << request.error().message();
  EXPECT_EQ(request->model, "emb");
  EXPECT_EQ(request->inputs, (std::vector<std::string>{"a b", "c"}));
  EXPECT_EQ(request->dimensions, 8U);
  EXPECT_TRUE(request->base64);
  EXPECT_EQ(request->user, "u1");
  EXPECT_EQ(request->purpose, llm::EmbeddingPurpose::kSearchQuery);

  auto single = decode_embeddings_request(R"({"model":"emb","input":"one"})");
  ASSERT_TRUE(single.has_value());
  EXPECT_EQ(single->inputs, (std::vector<std::string>{"one"}));
  EXPECT_FALSE(single->base64);
  EXPECT_EQ(single->purpose, llm::EmbeddingPurpose::kUnspecified);
}

TEST(OpenAiEmbeddingsRequest, RecordedRequestBodiesDecode) {
  const std::string body =
      providers::testing::fixture("openai/pydantic__TestOpenAI.test_embed_error.request.json");
  auto request = decode_embeddings_request(body);
  ASSERT_TRUE(request.has_value()) << request.error().message();
  EXPECT_FALSE(request->inputs.empty());
}

TEST(OpenAiEmbeddingsRequest, ErrorsNameTheParameter) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"[]", ""},
      {R"({"input":"x"})", "model"},
      {R"({"model":"m"})", "input"},
      {R"({"model":"m","input":[]})", "input"},
      {R"({"model":"m","input":[1,2,3]})", "input[0]"},
      {R"({"model":"m","input":["a",[1,2]]})", "input[1]"},
      {R"({"model":"m","input":["a",null]})", "input[1]"},
      {R"({"model":"m","input":"a","dimensions":0})", "dimensions"},
      {R"({"model":"m","input":"a","dimensions":1.5})", "dimensions"},
      {R"({"model":"m","input":"a","dimensions":18446744073709551615})", "dimensions"},
      {R"({"model":"m","input":"a","encoding_format":"int8"})", "encoding_format"},
      {R"({"model":"m","input":"a","input_type":"query"})", "input_type"},
      {R"({"model":"m","input":"a","user":5})", "user"},
  };
  for (const auto& [body, param] : cases) {
    auto request = decode_embeddings_request(body);
    ASSERT_FALSE(request.has_value()) << body;
    EXPECT_EQ(request.error().code(), ErrorCode::kBadRequest) << body;
    EXPECT_EQ(request.error().param(), param) << body;
  }
}

std::vector<float> from_base64(std::string_view text) {
  std::string bytes(text.size(), '\0');
  const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                      reinterpret_cast<const unsigned char*>(text.data()),
                                      static_cast<int>(text.size()));
  const size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  std::vector<float> out((static_cast<size_t>(written) - padding) / sizeof(float));
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t bits = 0;
    std::memcpy(&bits, bytes.data() + i * sizeof(float), sizeof(bits));
    out[i] = std::bit_cast<float>(bits);  // little-endian on every machine this runs on
  }
  return out;
}

TEST(OpenAiEmbeddingsResponse, FloatsAndBase64HoldTheSameExactValues) {
  const llm::EmbeddingsResponse response{
      .model = "emb", .vectors = {{0.1F, -2.5F, 1e-8F}, {0.0F}}, .usage = {.input = 3}};
  std::string out;
  encode_embeddings_response(response, /*base64=*/false, out);
  const boost::json::value floats = boost::json::parse(out);
  // The shape of a recorded OpenAI answer: same keys at every level.
  const boost::json::value recorded =
      boost::json::parse(providers::testing::fixture("openai/ddtrace__embedding_b64.json"));
  for (const auto& [key, value] : recorded.as_object()) {
    EXPECT_TRUE(floats.as_object().contains(key)) << key;
  }
  EXPECT_EQ(floats.at("usage"), boost::json::parse(R"({"prompt_tokens":3,"total_tokens":3})"));
  const boost::json::array& first = floats.at("data").at(0).at("embedding").as_array();
  ASSERT_EQ(first.size(), 3U);
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(static_cast<float>(first[i].to_number<double>()), response.vectors[0][i]);
  }
  EXPECT_EQ(floats.at("data").at(1).at("index"), 1);

  out.clear();
  encode_embeddings_response(response, /*base64=*/true, out);
  const boost::json::value encoded = boost::json::parse(out);
  for (size_t i = 0; i < response.vectors.size(); ++i) {
    EXPECT_EQ(from_base64(encoded.at("data").at(i).at("embedding").as_string()),
              response.vectors[i]);
  }
}

TEST(EchoEmbeddings, DeterministicUnitVectorsOfTheAskedSize) {
  llm::EmbeddingsRequest request{.inputs = {"hello world", "hello world", "other"}};
  const llm::EmbeddingsResponse response = providers::echo::embed(request, "echo");
  ASSERT_EQ(response.vectors.size(), 3U);
  EXPECT_EQ(response.vectors[0].size(), providers::echo::kEmbeddingDimensions);
  EXPECT_EQ(response.vectors[0], response.vectors[1]);
  EXPECT_NE(response.vectors[0], response.vectors[2]);
  double norm = 0;
  for (const float value : response.vectors[2]) {
    norm += static_cast<double>(value) * value;
  }
  EXPECT_NEAR(norm, 1.0, 1e-5);
  EXPECT_EQ(response.usage.input, 5U);  // words as tokens
  request.dimensions = 3;
  EXPECT_EQ(providers::echo::embed(request, "echo").vectors[0].size(), 3U);
}

}  // namespace
}  // namespace nexus::dialects::openai
