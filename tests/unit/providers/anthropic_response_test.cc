// Anthropic whole responses: recorded bodies decoded (text, thinking with its signature, tool
// input as JSON arguments, server and MCP tool blocks skipped, usage), broken bodies refused,
// and a recorded stream added up having the shape of the same case's recorded body.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "providers/anthropic/response_decoder.h"
#include "providers/anthropic/stream_decoder.h"
#include "stream_test_support.h"

namespace nexus::providers::anthropic {
namespace {

llm::Response body(const std::string& name) {
  auto decoded = decode_response(testing::fixture(name));
  EXPECT_TRUE(decoded.has_value()) << name << ": " << (decoded ? "" : decoded.error().message());
  return decoded.value_or(llm::Response{});
}

TEST(AnthropicResponse, TextWithCacheUsage) {
  const llm::Response r = body("anthropic/ddtrace__completion_anthropic.json");
  EXPECT_EQ(r.id, "msg_01UrbpBt2CSChZUHSJja5BBB");
  EXPECT_EQ(r.model, "claude-sonnet-4-5-20250929");
  ASSERT_EQ(r.choices.size(), 1u);
  EXPECT_TRUE(r.choices[0].text.starts_with("Hey! Not much"));
  EXPECT_EQ(r.choices[0].finish, llm::FinishReason::kStop);
  EXPECT_EQ(r.choices[0].finish_word, "end_turn");
  EXPECT_EQ(r.usage, (llm::Usage{13, 21, 1, 2, 0}));
}

TEST(AnthropicResponse, ThinkingWithItsSignature) {
  const llm::Response r = body("anthropic/vercel__anthropic-claude-opus-5-reasoning-high.1.json");
  EXPECT_TRUE(r.choices.at(0).reasoning.starts_with("I need to find all roots"));
  EXPECT_FALSE(r.choices.at(0).reasoning_signature.empty());
  EXPECT_TRUE(r.choices.at(0).text.starts_with("## Step 1"));
  EXPECT_EQ(r.usage.reasoning, 139u);
}

TEST(AnthropicResponse, ToolInputBecomesJsonArguments) {
  const llm::Response r = body("anthropic/vercel__anthropic-json-tool.1.json");
  ASSERT_EQ(r.choices.at(0).tool_calls.size(), 1u);
  const llm::ToolCall& call = r.choices[0].tool_calls[0];
  EXPECT_TRUE(call.id.starts_with("toolu_"));
  EXPECT_EQ(call.name, "json");
  EXPECT_TRUE(boost::json::parse(call.arguments).is_object());
  EXPECT_EQ(r.choices[0].finish, llm::FinishReason::kToolCalls);
}

TEST(AnthropicResponse, McpBlocksAreSkippedAndTheStreamHasTheBodysShape) {
  const llm::Response whole = body("anthropic/vercel__anthropic-mcp.1.json");
  EXPECT_TRUE(whole.choices.at(0).tool_calls.empty());
  EXPECT_TRUE(whole.choices.at(0).text.starts_with("The echo tool responded"));
  testing::expect_same_shape(
      testing::aggregated<StreamDecoder>("anthropic/vercel__anthropic-mcp.1.chunks.txt"), whole);
}

TEST(AnthropicResponse, BrokenBodiesAreProtocolErrors) {
  const auto error_of = [](std::string_view text) {
    auto decoded = decode_response(text);
    return decoded ? std::string() : decoded.error().message();
  };
  EXPECT_EQ(error_of("[]"), "the response is not a JSON object with a content array");
  EXPECT_EQ(error_of(R"({"content":[1]})"), "a response content block is malformed");
  EXPECT_EQ(error_of(R"({"content":[{"type":"tool_use","id":"t","name":"f","input":"x"}]})"),
            "a response content block is malformed");
  EXPECT_EQ(error_of(R"({"content":[],"usage":{"input_tokens":-2}})"),
            "usage.input_tokens is not a token count");
  EXPECT_EQ(error_of(R"({"content":[{"type":"redacted_thinking","data":"enc"}]})"), "");
}

}  // namespace
}  // namespace nexus::providers::anthropic
