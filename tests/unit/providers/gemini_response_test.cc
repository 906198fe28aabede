// The Gemini response decoder, usage, error decoder and embeddings codec against every recorded
// Gemini and Vertex AI body of theirs, and bodies that break the format.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "providers/gemini/embeddings.h"
#include "providers/gemini/error_decoder.h"
#include "providers/gemini/response_decoder.h"
#include "providers/gemini/usage.h"
#include "stream_test_support.h"

namespace nexus::providers::gemini {
namespace {

using llm::FinishReason;

llm::Response decoded(const std::string& name) {
  auto response = decode_response(testing::fixture("google/" + name));
  EXPECT_TRUE(response.has_value()) << name << ": " << (response ? "" : response.error().message());
  return response ? *response : llm::Response{};
}

// Every whole generateContent answer recorded (Gemini API and Vertex AI).
const std::vector<std::string> kResponses = {
    "ddtrace__vertexai_generate_content_score.json",
    "pydantic__test_google_model.json",
    "pydantic__test_google_model_cached_content.1.json",
    "pydantic__test_google_model_cached_content.2.json",
    "pydantic__test_google_tool_config_any_with_tool_without_args.0.json",
    "pydantic__test_google_tool_config_any_with_tool_without_args.1.json",
    "pydantic__test_multimodal_tool_return_matrix_direct-url-image-google_vertex.0.json",
    "pydantic__test_multimodal_tool_return_matrix_direct-url-image-google_vertex.1.json",
    "pydantic__test_ref_sibling_wire_contract_google-structured-dict.json",
    "vercel__google-reasoning.json",
    "vercel__google-tool-call-gemini3.json",
};

TEST(GeminiResponseDecoder, EveryRecordedResponseDecodes) {
  for (const std::string& name : kResponses) {
    SCOPED_TRACE(name);
    const llm::Response response = decoded(name);
    ASSERT_EQ(response.choices.size(), 1u);
    EXPECT_EQ(response.choices[0].finish_word, "STOP");
    EXPECT_GT(response.usage.total(), 0u);
  }
}

// The usage semantics, checked on every recording: Gemini's totalTokenCount is the IR's
// input + output, so thoughts are outside candidatesTokenCount and cached tokens inside the
// prompt's.
TEST(GeminiUsage, InputPlusOutputIsGeminisTotalInEveryRecording) {
  for (const std::string& name : kResponses) {
    SCOPED_TRACE(name);
    const boost::json::value body = boost::json::parse(testing::fixture("google/" + name));
    const boost::json::object& usage = body.at("usageMetadata").as_object();
    auto decoded = decode_usage(usage);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->total(), usage.at("totalTokenCount").to_number<uint64_t>());
  }
}

TEST(GeminiResponseDecoder, TextUsageWithThoughtsAndCache) {
  llm::Response response = decoded("pydantic__test_google_model.json");
  EXPECT_EQ(response.id, "bzlXaa_EE_aHqtsPi_zw8Ao");
  EXPECT_EQ(response.model, "gemini-2.5-flash");
  EXPECT_EQ(response.choices[0].text, "Hello! How can I help you today?");
  EXPECT_EQ(response.choices[0].finish, FinishReason::kStop);
  EXPECT_EQ(response.usage, (llm::Usage{.input = 9, .output = 43, .reasoning = 34}));
  response = decoded("pydantic__test_google_model_cached_content.1.json");
  EXPECT_EQ(response.choices[0].text, "Paris.");
  EXPECT_EQ(response.usage,
            (llm::Usage{.input = 3520, .output = 44, .cache_read = 3512, .reasoning = 42}));
  response = decoded("ddtrace__vertexai_generate_content_score.json");  // Vertex AI
  EXPECT_EQ(response.choices[0].text, R"({"score_eval": 8})");
  EXPECT_EQ(response.usage, (llm::Usage{.input = 20, .output = 10}));
  // Gemini 3's signature on a text part is not reasoning.
  response = decoded("vercel__google-reasoning.json");
  EXPECT_TRUE(response.choices[0].text.starts_with("There are **3**"));
  EXPECT_EQ(response.choices[0].reasoning_signature, "");
  EXPECT_EQ(response.usage, (llm::Usage{.input = 9, .output = 311, .reasoning = 282}));
}

TEST(GeminiResponseDecoder, FunctionCallsWithGeneratedIdsAndSignatures) {
  llm::Response response =
      decoded("pydantic__test_google_tool_config_any_with_tool_without_args.0.json");
  ASSERT_EQ(response.choices[0].tool_calls.size(), 1u);
  EXPECT_EQ(
      response.choices[0].tool_calls[0],
      (llm::ToolCall{.id = "call_LFteaOOfMaPG1PIPi5qVEA_0_0", .name = "bar", .arguments = "{}"}));
  EXPECT_EQ(response.choices[0].finish, FinishReason::kToolCalls);
  EXPECT_EQ(response.choices[0].finish_word, "STOP");
  response = decoded("pydantic__test_ref_sibling_wire_contract_google-structured-dict.json");
  const llm::ToolCall& call = response.choices[0].tool_calls.at(0);
  EXPECT_EQ(call.name, "final_result");
  EXPECT_EQ(boost::json::parse(call.arguments), boost::json::parse(R"(
      {"address":{"city":"London","street":"12 Baker Street"},"name":"Ada Lovelace"})"));
  EXPECT_TRUE(call.id.starts_with("call_W81gar6JN_K1qtsP4-zLsQs_0_0__thought__CrwDARFNMg"));
  EXPECT_EQ(response.usage, (llm::Usage{.input = 154, .output = 151, .reasoning = 117}));
  response =
      decoded("pydantic__test_multimodal_tool_return_matrix_direct-url-image-google_vertex.0.json");
  EXPECT_EQ(response.choices[0].tool_calls.at(0).arguments, R"({"type":"IMAGE"})");
  EXPECT_TRUE(response.choices[0].tool_calls[0].id.ends_with("qZr8="));
  response = decoded("vercel__google-tool-call-gemini3.json");
  EXPECT_EQ(response.choices[0].tool_calls.at(0).name, "weather");
  EXPECT_EQ(response.usage.reasoning, 1801u);
}

TEST(GeminiResponseDecoder, CandidatesReasoningAndBlockedPrompts) {
  auto response = decode_response(R"({"candidates":[
      {"index":1,"content":{"parts":[{"text":"b"}]},"finishReason":"MAX_TOKENS"},
      {"index":0,"content":{"parts":[{"text":"hm","thought":true,"thoughtSignature":"S"},
                                      {"text":"a"}]},"finishReason":"SAFETY"}]})");
  ASSERT_TRUE(response.has_value());
  ASSERT_EQ(response->choices.size(), 2u);
  EXPECT_EQ(response->choices[0].reasoning, "hm");
  EXPECT_EQ(response->choices[0].reasoning_signature, "S");
  EXPECT_EQ(response->choices[0].text, "a");
  EXPECT_EQ(response->choices[0].finish, FinishReason::kContentFilter);
  EXPECT_EQ(response->choices[1].finish, FinishReason::kLength);
  response = decode_response(R"({"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}})");
  ASSERT_TRUE(response.has_value());
  ASSERT_EQ(response->choices.size(), 1u);
  EXPECT_EQ(response->choices[0].finish, FinishReason::kContentFilter);
  EXPECT_EQ(response->choices[0].finish_word, "PROHIBITED_CONTENT");
  response = decode_response(R"({"candidates":[{"content":{"parts":[{"functionCall":
      {"name":"f","args":{}}}]},"finishReason":"MALFORMED_FUNCTION_CALL"}]})");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->choices[0].finish, FinishReason::kOther);
}

TEST(GeminiResponseDecoder, MalformedBodiesAreUpstreamErrors) {
  for (const char* body : {"", "[]", "{}", R"({"candidates":[1]})",
                           R"({"candidates":[{"content":{"parts":[{"text":1}]}}]})",
                           R"({"candidates":[{"content":{"parts":[{"functionCall":
                               {"name":"f","args":[1]}}]}}]})",
                           R"({"candidates":[{"index":-1}]})",
                           R"({"candidates":[{}],"usageMetadata":{"promptTokenCount":"x"}})"}) {
    SCOPED_TRACE(body);
    auto response = decode_response(body);
    ASSERT_FALSE(response.has_value());
    EXPECT_EQ(response.error().code(), ErrorCode::kUpstreamProtocolError);
  }
}

TEST(GeminiErrorDecoder, RecordedErrorBodies) {
  llm::ApiError error = decode_error(
      404, testing::fixture("google/pydantic__test_model_name_suggestion_google.json"));
  EXPECT_EQ(error.status, 404);
  EXPECT_EQ(error.type, "invalid_request_error");
  EXPECT_EQ(error.code, "not_found");
  EXPECT_TRUE(error.message.starts_with("models/gemini-3.6-flahs is not found"));
  error = decode_error(
      404, testing::fixture("google/pydantic__TestGoogle.test_count_tokens_error.json"));
  EXPECT_TRUE(error.message.starts_with("models/nonexistent-model is not found"));
  error = decode_error(
      400,
      testing::fixture(
          "google/"
          "pydantic__test_multimodal_tool_return_matrix_direct-url-image-google_vertex.2.json"));
  EXPECT_EQ(error.type, "invalid_request_error");
  EXPECT_EQ(error.code, "invalid_argument");
  EXPECT_TRUE(error.message.starts_with("Cannot fetch content from the provided URL."));
}

TEST(GeminiErrorDecoder, StatusWordsDetailsAndOtherBodies) {
  llm::ApiError error = decode_error(400, R"([{"error":{"code":400,"message":"API key not valid.",
      "status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo",
      "reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}])");
  EXPECT_EQ(error.type, "invalid_request_error");
  EXPECT_EQ(error.code, "api_key_invalid");
  EXPECT_EQ(error.message, "API key not valid.");
  const std::pair<const char*, const char*> words[] = {
      {"RESOURCE_EXHAUSTED", "rate_limit_error"},
      {"PERMISSION_DENIED", "permission_error"},
      {"UNAUTHENTICATED", "authentication_error"},
      {"UNAVAILABLE", "server_error"},
      {"INTERNAL", "server_error"},
      {"FAILED_PRECONDITION", "invalid_request_error"}};
  for (const auto& [word, type] : words) {
    std::string body = R"({"error":{"code":1,"message":"m","status":")";
    body += word;
    body += R"("}})";
    EXPECT_EQ(decode_error(500, body).type, type) << word;
  }
  error = decode_error(503, "<html>" + std::string(1000, 'x'));
  EXPECT_EQ(error.status, 503);
  EXPECT_EQ(error.type, "server_error");
  EXPECT_TRUE(error.message.starts_with("<html>"));
  EXPECT_LE(error.message.size(), 512u);
  EXPECT_EQ(decode_error(429, "").type, "rate_limit_error");
}

// The recorded batchEmbedContents call: our body for the same request equals pydantic-ai's.
TEST(GeminiEmbeddings, RecordedRequestAndResponse) {
  const llm::EmbeddingsRequest request{.model = "client",
                                       .inputs = {"Hello, world!"},
                                       .dimensions = 768,
                                       .purpose = llm::EmbeddingPurpose::kSearchQuery};
  std::string body;
  ASSERT_TRUE(encode_embeddings_request(request, "gemini-embedding-2-preview", body).has_value());
  EXPECT_EQ(boost::json::parse(body),
            boost::json::parse(
                testing::fixture("google/pydantic__TestGoogle.test_instrumentation.request.json")));
  auto response = decode_embeddings_response(
      testing::fixture("google/pydantic__TestGoogle.test_instrumentation.json"));
  ASSERT_TRUE(response.has_value());
  ASSERT_EQ(response->vectors.size(), 1u);
  ASSERT_EQ(response->vectors[0].size(), 768u);
  EXPECT_FLOAT_EQ(response->vectors[0][0], -0.039718185f);
  EXPECT_EQ(response->usage.input, 0u);  // Gemini says none
  std::string path = "/v1beta";
  append_embeddings_path("models/gemini-embedding-001", path);
  EXPECT_EQ(path, "/v1beta/models/gemini-embedding-001:batchEmbedContents");
}

TEST(GeminiEmbeddings, PurposesEmptyInputAndMalformedAnswers) {
  llm::EmbeddingsRequest request{.inputs = {"a", "b"},
                                 .purpose = llm::EmbeddingPurpose::kClustering};
  std::string body;
  ASSERT_TRUE(encode_embeddings_request(request, "models/e", body).has_value());
  EXPECT_EQ(boost::json::parse(body), boost::json::parse(R"({"requests":[
      {"model":"models/e","content":{"parts":[{"text":"a"}]},"taskType":"CLUSTERING"},
      {"model":"models/e","content":{"parts":[{"text":"b"}]},"taskType":"CLUSTERING"}]})"));
  request.inputs.clear();
  auto refused = encode_embeddings_request(request, "e", body);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().param(), "input");
  auto two = decode_embeddings_response(R"({"embeddings":[{"values":[1,0.5]},{"values":[]}],
      "usageMetadata":{"promptTokenCount":4}})");
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->vectors, (std::vector<std::vector<float>>{{1.0f, 0.5f}, {}}));
  EXPECT_EQ(two->usage.input, 4u);
  for (const char* bad :
       {"", "{}", R"({"embeddings":[{}]})", R"({"embeddings":[{"values":["x"]}]})"}) {
    EXPECT_FALSE(decode_embeddings_response(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace nexus::providers::gemini
