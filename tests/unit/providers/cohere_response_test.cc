// The Cohere response decoder on every recorded Cohere chat body (text, stop sequence, tool
// plan and null arguments, citations skipped, billed usage and cached tokens), the usage
// decoder's choices, error bodies, and the embeddings codec on its recorded request and
// answers.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "providers/cohere/embeddings.h"
#include "providers/cohere/error_decoder.h"
#include "providers/cohere/response_decoder.h"
#include "providers/cohere/usage.h"
#include "stream_test_support.h"

namespace nexus::providers::cohere {
namespace {

llm::Response decoded(const std::string& name) {
  auto response = decode_response(testing::fixture("cohere/" + name));
  EXPECT_TRUE(response.has_value()) << name << ": " << (response ? "" : response.error().message());
  return response ? *response : llm::Response{};
}

TEST(CohereResponse, TextWithCachedTokens) {
  const llm::Response r = decoded("pydantic__test_request_usage_with_cached_tokens.json");
  EXPECT_EQ(r.id, "0bf8e1a5-2af6-4014-a539-c12363a043a3");
  ASSERT_EQ(r.choices.size(), 1u);
  EXPECT_EQ(r.choices[0].text, "Hello!");
  EXPECT_EQ(r.choices[0].finish, llm::FinishReason::kStop);
  EXPECT_EQ(r.choices[0].finish_word, "COMPLETE");
  // Billed 2406 in, 2 out; 2928 of 2935 tokens cached, 529 of them Cohere's unbilled template.
  EXPECT_EQ(r.usage, (llm::Usage{2406, 2, 2399, 0, 0}));
}

TEST(CohereResponse, StopSequence) {
  const llm::Response r = decoded("pydantic__test_stop_settings_cohere.json");
  EXPECT_EQ(r.choices[0].text, "The capital of France is a city known as");
  EXPECT_EQ(r.choices[0].finish, llm::FinishReason::kStop);
  EXPECT_EQ(r.choices[0].finish_word, "STOP_SEQUENCE");
  EXPECT_EQ(r.usage, (llm::Usage{25, 9, 0, 0, 0}));
}

TEST(CohereResponse, ToolPlanIsTextAndNullArgumentsAnEmptyObject) {
  const llm::Response r = decoded("vercel__cohere-null-args.json");
  const llm::Choice& c = r.choices[0];
  EXPECT_EQ(c.text, "I will use the currentTime tool to find the current time.");
  ASSERT_EQ(c.tool_calls.size(), 1u);
  EXPECT_EQ(
      c.tool_calls[0],
      (llm::ToolCall{.id = "currentTime_tf4dywn8wgnk", .name = "currentTime", .arguments = "{}"}));
  EXPECT_EQ(c.finish, llm::FinishReason::kToolCalls);
  EXPECT_EQ(c.finish_word, "TOOL_CALL");
  EXPECT_EQ(r.usage, (llm::Usage{46, 14, 0, 0, 0}));  // all 992 cached were template
}

TEST(CohereResponse, CitationsAreSkipped) {
  const llm::Response r = decoded("vercel__cohere-citations.json");
  EXPECT_EQ(r.choices[0].text,
            "The key benefits mentioned in this document are:\n1. Automation of tasks\n2. Better "
            "decision-making\n3. Cost reduction");
  EXPECT_TRUE(r.choices[0].tool_calls.empty());
  EXPECT_EQ(r.usage, (llm::Usage{39, 27, 0, 0, 0}));
}

TEST(CohereResponse, ThinkingIsReasoningAndOtherFinishWords) {
  auto r = decode_response(
      R"({"id":"x","message":{"role":"assistant","content":[{"type":"thinking","thinking":"hm"},
          {"type":"text","text":"4"}]},"finish_reason":"MAX_TOKENS"})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->choices[0].reasoning, "hm");
  EXPECT_EQ(r->choices[0].text, "4");
  EXPECT_EQ(r->choices[0].finish, llm::FinishReason::kLength);
  for (const char* word : {"ERROR", "TIMEOUT"}) {
    std::string body = R"({"message":{},"finish_reason":")";
    body += word;
    body += R"("})";
    EXPECT_EQ(decode_response(body)->choices[0].finish, llm::FinishReason::kOther);
  }
}

TEST(CohereResponse, BrokenBodiesAreProtocolErrors) {
  for (const char* body : {"", "[]", R"({"id":"x"})", R"({"message":{"content":[1]}})",
                           R"({"message":{"tool_calls":[{"id":"a"}]}})",
                           R"({"message":{},"usage":{"billed_units":{"input_tokens":-1}}})"}) {
    auto r = decode_response(body);
    ASSERT_FALSE(r.has_value()) << body;
    EXPECT_EQ(r.error().code(), ErrorCode::kUpstreamProtocolError) << body;
  }
}

Result<llm::Usage> usage_of(std::string_view json) {
  return decode_usage(boost::json::parse(json).as_object());
}

TEST(CohereUsage, BilledUnitsOrTokensAndCachedTokensWithinInput) {
  EXPECT_EQ(*usage_of(R"({"tokens":{"input_tokens":10,"output_tokens":3},"cached_tokens":4})"),
            (llm::Usage{10, 3, 4, 0, 0}));  // no billed units: the tokens
  EXPECT_EQ(*usage_of(R"({"billed_units":{"input_tokens":5,"output_tokens":2.0},
                          "tokens":{"input_tokens":500,"output_tokens":5},"cached_tokens":448})"),
            (llm::Usage{5, 2, 0, 0, 0}));  // vercel's issue-22070 recording
  EXPECT_EQ(*usage_of(R"({"billed_units":{"input_tokens":5},"cached_tokens":9})"),
            (llm::Usage{5, 0, 5, 0, 0}));  // never more than the input
  EXPECT_EQ(*usage_of("{}"), (llm::Usage{}));
  auto bad = usage_of(R"({"tokens":{"input_tokens":1.5}})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message(), "usage.tokens.input_tokens is not a token count");
}

TEST(CohereErrorDecoder, MessageBodiesAndTypesFromTheStatus) {
  const llm::ApiError bad =
      decode_error(400, R"({"message":"invalid request: message must be at least 1 token long."})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.type, "invalid_request_error");
  EXPECT_EQ(bad.message, "invalid request: message must be at least 1 token long.");
  const llm::ApiError limited = decode_error(
      429,
      R"({"id":"5d9c","message":"You are using a Trial key, which is limited to 20 API calls / minute."})");
  EXPECT_EQ(limited.type, "rate_limit_error");
  EXPECT_TRUE(limited.message.starts_with("You are using a Trial key"));
  EXPECT_EQ(decode_error(401, R"({"message":"invalid api token"})").type, "authentication_error");
  EXPECT_EQ(decode_error(404, R"({"error":{"message":"no such model"}})").message, "no such model");
  EXPECT_EQ(decode_error(422, R"({"detail":"bad"})").message, "bad");
  EXPECT_EQ(decode_error(500, "").type, "api_error");
  EXPECT_EQ(decode_error(500, "").message, "Internal Server Error");
  EXPECT_EQ(decode_error(502, "<html>bad gateway</html>").message, "<html>bad gateway</html>");
  EXPECT_EQ(decode_error(503, "{}").type, "overloaded_error");
}

TEST(CohereEmbeddings, TheRecordedRequestIsWhatTheEncoderWrites) {
  const boost::json::object recorded =
      boost::json::parse(testing::fixture("cohere/pydantic__TestCohere.test_query.request.json"))
          .as_object();
  const llm::EmbeddingsRequest request{.model = "client",
                                       .inputs = {"Hello, world!"},
                                       .purpose = llm::EmbeddingPurpose::kSearchQuery};
  std::string body;
  ASSERT_TRUE(encode_embeddings_request(request, "embed-v4.0", body).has_value());
  const boost::json::object written = boost::json::parse(body).as_object();
  for (const char* key : {"model", "texts", "input_type", "embedding_types"}) {
    EXPECT_EQ(written.at(key), recorded.at(key)) << key;
  }
  EXPECT_FALSE(written.contains("output_dimension"));  // recorded as null: absent
}

TEST(CohereEmbeddings, PurposesDimensionsAndNoInputs) {
  const auto encoded = [](const llm::EmbeddingsRequest& request) {
    std::string body;
    EXPECT_TRUE(encode_embeddings_request(request, "", body).has_value());
    return boost::json::parse(body).as_object();
  };
  llm::EmbeddingsRequest request{.model = "embed-v4.0", .inputs = {"a", "b"}, .dimensions = 256};
  boost::json::object body = encoded(request);
  EXPECT_EQ(body.at("model"), "embed-v4.0");
  EXPECT_EQ(body.at("input_type"), "search_document");  // required by v3+ models
  EXPECT_EQ(body.at("output_dimension"), 256);
  request.purpose = llm::EmbeddingPurpose::kClassification;
  EXPECT_EQ(encoded(request).at("input_type"), "classification");
  request.purpose = llm::EmbeddingPurpose::kClustering;
  EXPECT_EQ(encoded(request).at("input_type"), "clustering");
  std::string ignored;
  auto refused = encode_embeddings_request({.model = "m"}, "", ignored);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().param(), "input");
}

TEST(CohereEmbeddings, RecordedAnswersDecode) {
  auto pydantic =
      decode_embeddings_response(testing::fixture("cohere/pydantic__TestCohere.test_query.json"));
  ASSERT_TRUE(pydantic.has_value());
  ASSERT_EQ(pydantic->vectors.size(), 1u);
  EXPECT_EQ(pydantic->vectors[0].size(), 1536u);
  EXPECT_FLOAT_EQ(pydantic->vectors[0][0], -0.018445116F);
  EXPECT_EQ(pydantic->usage.input, 4u);
  auto vercel =
      decode_embeddings_response(testing::fixture("cohere/vercel__cohere-embedding.json"));
  ASSERT_TRUE(vercel.has_value());
  ASSERT_EQ(vercel->vectors.size(), 2u);
  EXPECT_EQ(vercel->vectors[1], (std::vector<float>{-0.04660034F, 0.00037765503F, -0.061157227F,
                                                    -0.08239746F, -0.010360718F}));
  EXPECT_EQ(vercel->usage.input, 10u);
  EXPECT_EQ(vercel->usage.output, 0u);
}

TEST(CohereEmbeddings, TheV1ListShapeAndBrokenAnswers) {
  auto v1 = decode_embeddings_response(
      R"({"response_type":"embeddings_floats","embeddings":[[1,0.5]],"meta":{"billed_units":{"input_tokens":2}}})");
  ASSERT_TRUE(v1.has_value());
  EXPECT_EQ(v1->vectors, (std::vector<std::vector<float>>{{1.0F, 0.5F}}));
  EXPECT_EQ(v1->usage.input, 2u);
  for (const char* body : {"", "{}", R"({"embeddings":{"int8":[[1]]}})",
                           R"({"embeddings":{"float":[["a"]]}})", R"({"embeddings":[1]})"}) {
    auto r = decode_embeddings_response(body);
    ASSERT_FALSE(r.has_value()) << body;
    EXPECT_EQ(r.error().code(), ErrorCode::kUpstreamProtocolError);
  }
}

}  // namespace
}  // namespace nexus::providers::cohere
