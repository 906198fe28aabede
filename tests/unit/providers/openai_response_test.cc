// OpenAI-shaped whole responses: recorded bodies decoded (text, reasoning in each spelling, tool
// calls, usage), broken bodies refused, and the invariant that a recorded stream added up
// (StreamAggregator) has the shape of the same case's recorded body.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "llm/ir/stream_aggregator.h"
#include "providers/openai/response_decoder.h"
#include "providers/openai/stream_decoder.h"
#include "stream_test_support.h"

namespace nexus::providers::openai {
namespace {

llm::Response body(const std::string& name) {
  auto decoded = decode_response(testing::fixture(name));
  EXPECT_TRUE(decoded.has_value()) << name << ": " << (decoded ? "" : decoded.error().message());
  return decoded.value_or(llm::Response{});
}

TEST(OpenAiResponse, ToolCallWithoutContent) {
  const llm::Response r =
      body("openai/pydantic__test_dbos_agent_with_unserializable_deps_type.json");
  EXPECT_EQ(r.id, "chatcmpl-C3rQisW29iISecZ6NMn4FrseeO3A9");
  EXPECT_EQ(r.model, "gpt-4o-2024-08-06");
  ASSERT_EQ(r.choices.size(), 1u);
  EXPECT_EQ(r.choices[0].text, "");
  EXPECT_EQ(
      r.choices[0].tool_calls,
      (std::vector<llm::ToolCall>{{"call_wB0C4FAOjxYgTNJrQT9NzzZ9", "get_model_name", "{}"}}));
  EXPECT_EQ(r.choices[0].finish, llm::FinishReason::kToolCalls);
  EXPECT_EQ(r.usage, (llm::Usage{38, 11, 0, 0, 0}));
}

TEST(OpenAiResponse, ReasoningInEachSpelling) {
  const llm::Response deepseek = body("deepseek/pydantic__test_deepseek_model_thinking_part.json");
  EXPECT_FALSE(deepseek.choices.at(0).reasoning.empty());  // reasoning_content
  EXPECT_TRUE(deepseek.choices.at(0).text.starts_with("Crossing the street safely"));
  const llm::Response groq = body("groq/vercel__groq-reasoning.json");
  EXPECT_TRUE(
      groq.choices.at(0).reasoning.starts_with("Okay, so the user is asking"));  // reasoning
  const llm::Response mistral =
      body("mistral/ddtrace__mistral_v1_chat_completions_post_20aaaaf3.json");  // thinking parts
  EXPECT_TRUE(mistral.choices.at(0).reasoning.starts_with("Okay, the user has asked"));
  EXPECT_FALSE(mistral.choices.at(0).text.empty());
  EXPECT_EQ(mistral.choices.at(0).text.find("Okay, the user"), std::string::npos);
}

TEST(OpenAiResponse, BrokenBodiesAreProtocolErrors) {
  const auto error_of = [](std::string_view text) {
    auto decoded = decode_response(text);
    return decoded ? std::string() : decoded.error().message();
  };
  EXPECT_EQ(error_of("not json"), "the response is not a JSON object with a choices array");
  EXPECT_EQ(error_of(R"({"id":"x"})"), "the response is not a JSON object with a choices array");
  EXPECT_EQ(error_of(R"({"choices":[3]})"), "a response choice is not an object");
  EXPECT_EQ(error_of(R"({"choices":[{"index":0}]})"), "a response choice has no message");
  EXPECT_EQ(error_of(R"({"choices":[{"message":{"tool_calls":[{"id":"t"}]}}]})"),
            "a response tool call has no function");
  EXPECT_EQ(error_of(R"({"choices":[],"usage":{"prompt_tokens":"9"}})"),
            "usage.prompt_tokens is not a token count");
}

TEST(OpenAiResponse, AStreamAddedUpHasTheShapeOfTheWholeResponse) {
  testing::expect_same_shape(
      testing::aggregated<StreamDecoder>("qwen/vercel__alibaba-tool-call.chunks.txt"),
      body("qwen/vercel__alibaba-tool-call.json"));
  testing::expect_same_shape(
      testing::aggregated<StreamDecoder>("mistral/vercel__mistral-text.chunks.txt"),
      body("mistral/vercel__mistral-text.json"));
}

// Everything a stream decoder emits lands in the aggregate: text, reasoning, tool calls in
// order, usage, finish; the redacted thinking blocks of Anthropic each stay whole.
TEST(StreamAggregator, AddsEveryKindOfEvent) {
  llm::StreamAggregator a;
  using K = llm::StreamEventKind;
  a.add({.kind = K::kMessageStart, .id = "m1", .name = "model"});
  a.add({.kind = K::kReasoningDelta, .text = "think"});
  a.add({.kind = K::kReasoningSignature, .text = "sig"});
  a.add({.kind = K::kRedactedReasoning, .text = "enc1"});
  a.add({.kind = K::kRedactedReasoning, .text = "enc2"});
  a.add({.kind = K::kTextDelta, .text = "Hel"});
  a.add({.kind = K::kTextDelta, .text = "lo"});
  a.add({.kind = K::kToolCallStart, .tool = 0, .id = "t0", .name = "f"});
  a.add({.kind = K::kToolArgumentsDelta, .tool = 0, .text = "{\"a\":"});
  a.add({.kind = K::kToolCallStart, .tool = 1, .id = "t1", .name = "g"});
  a.add({.kind = K::kToolArgumentsDelta, .tool = 0, .text = "1}"});
  a.add({.kind = K::kTextDelta, .choice = 1, .text = "second choice"});
  a.add({.kind = K::kFinish, .name = "tool_calls", .finish = llm::FinishReason::kToolCalls});
  a.add({.kind = K::kUsage, .usage = {5, 2, 1, 0, 1}});
  a.add({.kind = K::kUsage, .usage = {5, 3, 1, 0, 1}});  // a later total replaces the earlier
  const llm::Response& r = a.response();
  EXPECT_EQ(r.id, "m1");
  EXPECT_EQ(r.model, "model");
  ASSERT_EQ(r.choices.size(), 2u);
  const llm::Choice& c = r.choices[0];
  EXPECT_EQ(c.text, "Hello");
  EXPECT_EQ(c.reasoning, "think");
  EXPECT_EQ(c.reasoning_signature, "sig");
  EXPECT_EQ(c.redacted_reasoning, (std::vector<std::string>{"enc1", "enc2"}));
  EXPECT_EQ(c.tool_calls, (std::vector<llm::ToolCall>{{"t0", "f", "{\"a\":1}"}, {"t1", "g", ""}}));
  EXPECT_EQ(c.finish, llm::FinishReason::kToolCalls);
  EXPECT_EQ(c.finish_word, "tool_calls");
  EXPECT_EQ(r.choices[1].text, "second choice");
  EXPECT_EQ(r.usage, (llm::Usage{5, 3, 1, 0, 1}));
}

}  // namespace
}  // namespace nexus::providers::openai
