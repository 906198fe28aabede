// The Bedrock Converse response decoder on every recorded Converse response (text, tool use,
// reasoning, cache writes), its usage normalisation, and the error decoder on the recorded
// error bodies.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "providers/bedrock/error_decoder.h"
#include "providers/bedrock/response_decoder.h"
#include "providers/bedrock/usage.h"
#include "stream_test_support.h"

namespace nexus::providers::bedrock {
namespace {

using providers::testing::fixture;

llm::Response decoded(const std::string& name) {
  auto response = decode_response(fixture(name));
  EXPECT_TRUE(response.has_value()) << name << ": " << (response ? "" : response.error().message());
  return response ? *response : llm::Response{};
}

TEST(BedrockResponse, Text) {
  const llm::Response r = decoded("bedrock/vercel__amazon-bedrock-text.json");
  ASSERT_EQ(r.choices.size(), 1u);
  EXPECT_TRUE(r.choices[0].text.starts_with("Let me count the \"r\"s in \"strawberry\""));
  EXPECT_EQ(r.choices[0].finish, llm::FinishReason::kStop);
  EXPECT_EQ(r.choices[0].finish_word, "end_turn");
  EXPECT_TRUE(r.choices[0].tool_calls.empty());
  EXPECT_EQ(r.usage, (llm::Usage{22, 57, 0, 0, 0}));
}

TEST(BedrockResponse, ToolUse) {
  const llm::Response r = decoded("bedrock/vercel__amazon-bedrock-json-other-tool.1.json");
  ASSERT_EQ(r.choices[0].tool_calls.size(), 1u);
  const llm::ToolCall& call = r.choices[0].tool_calls[0];
  EXPECT_EQ(call.id, "toolu_01PQjhxo3eirCdKNvCJrKc8f");
  EXPECT_EQ(call.name, "get-weather");
  EXPECT_EQ(boost::json::parse(call.arguments),
            boost::json::parse(R"({"location":"San Francisco"})"));
  EXPECT_EQ(r.choices[0].finish, llm::FinishReason::kToolCalls);
  EXPECT_EQ(r.choices[0].finish_word, "tool_use");
  EXPECT_EQ(r.usage, (llm::Usage{843, 28, 0, 0, 0}));

  const llm::Response empty_input = decoded(
      "bedrock/pydantic__test_multimodal_tool_return_matrix_direct-uploaded_file-document-bedrock_"
      "nova.0.json");
  ASSERT_EQ(empty_input.choices[0].tool_calls.size(), 1u);
  EXPECT_EQ(empty_input.choices[0].tool_calls[0].name, "get_file");
  EXPECT_EQ(empty_input.choices[0].tool_calls[0].arguments, "{}");
  EXPECT_EQ(empty_input.usage, (llm::Usage{901, 14, 0, 0, 0}));
}

TEST(BedrockResponse, ReasoningWithoutSignature) {
  const llm::Response r =
      decoded("bedrock/pydantic__test_bedrock_thinking_true_openai_variant.json");
  EXPECT_EQ(r.choices[0].reasoning, "User wants reply with the single word: ok. So just \"ok\".");
  EXPECT_EQ(r.choices[0].reasoning_signature, "");
  EXPECT_EQ(r.choices[0].text, "ok");
  EXPECT_EQ(r.usage, (llm::Usage{74, 26, 0, 0, 0}));
}

// inputTokens leaves the cache write out: totalTokens = 10 + 2 + 1298.
TEST(BedrockResponse, CacheWritesArePartOfInput) {
  const llm::Response r =
      decoded("bedrock/pydantic__test_bedrock_cache_point_adds_cache_control_nova-lite.json");
  EXPECT_EQ(r.choices[0].text, "5");
  EXPECT_EQ(r.usage, (llm::Usage{1308, 2, 0, 1298, 0}));
  EXPECT_EQ(r.usage.total(), 1310u);
}

llm::Usage usage_of(std::string_view json) {
  auto usage = decode_usage(boost::json::parse(json).as_object());
  EXPECT_TRUE(usage.has_value());
  return usage ? *usage : llm::Usage{};
}

TEST(BedrockUsage, CacheReadsAndTheTotalCheck) {
  EXPECT_EQ(usage_of(R"({"inputTokens":5,"outputTokens":7,"cacheReadInputTokens":100,
                         "cacheWriteInputTokens":20,"totalTokens":132})"),
            (llm::Usage{125, 7, 100, 20, 0}));
  // Older field names.
  EXPECT_EQ(usage_of(R"({"inputTokens":5,"outputTokens":7,"cacheReadInputTokenCount":100})"),
            (llm::Usage{105, 7, 100, 0, 0}));
  // A total that says the input already held the cache tokens.
  EXPECT_EQ(usage_of(R"({"inputTokens":120,"outputTokens":7,"cacheReadInputTokens":100,
                         "totalTokens":127})"),
            (llm::Usage{120, 7, 100, 0, 0}));
  auto bad = decode_usage(boost::json::parse(R"({"outputTokens":"7"})").as_object());
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("outputTokens"), std::string::npos);
}

TEST(BedrockResponse, MalformedBodiesAreErrors) {
  EXPECT_FALSE(decode_response("not json").has_value());
  EXPECT_FALSE(decode_response(R"({"output":{}})").has_value());
  EXPECT_FALSE(decode_response(R"({"output":{"message":{"content":[1]}}})").has_value());
  EXPECT_FALSE(decode_response(R"({"output":{"message":{"content":[{"text":1}]}}})").has_value());
  EXPECT_FALSE(decode_response(R"({"output":{"message":{"content":[{"toolUse":{"input":{}}}]}}})")
                   .has_value());
  // Server tool use and unknown blocks are skipped; a stop reason Nexus does not know is kOther.
  auto skipped = decode_response(
      R"({"output":{"message":{"content":[{"toolUse":{"toolUseId":"a","name":"b","type":"server_tool_use","input":{}}},
          {"citationsContent":{}},{"reasoningContent":{"redactedContent":"QUJD"}}]}},
          "stopReason":"malformed_tool_use"})");
  ASSERT_TRUE(skipped.has_value());
  EXPECT_TRUE(skipped->choices[0].tool_calls.empty());
  EXPECT_EQ(skipped->choices[0].redacted_reasoning, std::vector<std::string>{"QUJD"});
  EXPECT_EQ(skipped->choices[0].finish, llm::FinishReason::kOther);
}

TEST(BedrockErrors, RecordedErrorBodies) {
  const llm::ApiError expired = decode_error(
      403, "ExpiredTokenException:http://internal.amazon.com/coral/com.amazon.coral.service/",
      fixture("bedrock/ddtrace__bedrock_converse_error.json"));
  EXPECT_EQ(expired.status, 403);
  EXPECT_EQ(expired.type, "ExpiredTokenException");
  EXPECT_EQ(expired.message, "The security token included in the request is expired");

  const llm::ApiError invalid =
      decode_error(400, "", fixture("bedrock/pydantic__test_bedrock_streaming_error.json"));
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(invalid.message, "The provided model identifier is invalid.");

  const llm::ApiError malformed = decode_error(
      400, "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/",
      fixture("bedrock/pydantic__test_multimodal_tool_return_matrix_direct-uploaded_file-"
              "document-bedrock_nova.1.json"));
  EXPECT_EQ(malformed.type, "ValidationException");
  EXPECT_TRUE(malformed.message.starts_with("The model returned the following errors"));
}

TEST(BedrockErrors, OtherShapes) {
  const llm::ApiError typed = decode_error(
      429, "", R"({"__type":"com.amazon.coral#ThrottlingException","Message":"slow"})");
  EXPECT_EQ(typed.type, "ThrottlingException");
  EXPECT_EQ(typed.message, "slow");
  const llm::ApiError raw = decode_error(502, "", "<html>bad gateway</html>");
  EXPECT_EQ(raw.status, 502);
  EXPECT_EQ(raw.message, "<html>bad gateway</html>");
}

}  // namespace
}  // namespace nexus::providers::bedrock
