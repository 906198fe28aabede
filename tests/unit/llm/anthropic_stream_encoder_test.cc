// The Anthropic dialect's stream encoder: recorded OpenAI-shaped streams (decoded by the OpenAI
// provider decoder) written as Anthropic SSE and read back by the Anthropic provider decoder,
// which must find the same text, reasoning, tool calls, finish reason and usage; recorded
// Anthropic streams through decoder, encoder and decoder again unchanged; and the event
// sequence's details on small hand-made streams.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../providers/stream_test_support.h"
#include "llm/dialects/anthropic/messages_stream.h"
#include "providers/anthropic/stream_decoder.h"
#include "providers/openai/stream_decoder.h"

namespace nexus::dialects::anthropic {
namespace {

using providers::testing::Decoded;
using providers::testing::kAnthropicStreams;
using providers::testing::Kind;
using providers::testing::Owned;
using providers::testing::view;

std::string encode_all(const std::vector<Owned>& events) {
  MessagesStreamEncoder encoder;
  std::string sse;
  for (const Owned& e : events) {
    encoder.encode(view(e), sse);
  }
  return sse;
}

llm::Response aggregate(const Decoded& decoded) {
  llm::StreamAggregator aggregator;
  for (const Owned& e : decoded.events) {
    aggregator.add(view(e));
  }
  return aggregator.response();
}

// The SSE read back by the Anthropic provider's decoder, which checks the event sequence.
Decoded read_back(const std::string& sse) {
  return providers::testing::decode_stream<providers::anthropic::StreamDecoder>(sse);
}

// The recorded OpenAI-shaped streams the crossing is checked on: all but the Groq tool-failure
// pair and OpenRouter's error stream, which end in or around an in-stream error.
const std::vector<std::string> kCompleteOpenAiShapedStreams = {
    "openai/ddtrace__chat_completion_stream_prompt_caching_cache_read.sse",
    "openai/ddtrace__completion_stream_with_tools.sse",
    "openai/vercel__openai-text.chunks.txt",
    "azure/ddtrace__completion_azure_stream.sse",
    "groq/vercel__groq-text.chunks.txt",
    "groq/vercel__groq-tool-call.chunks.txt",
    "mistral/ddtrace__mistral_v1_chat_completions_post_1798d156.sse",
    "mistral/vercel__mistral-text.chunks.txt",
    "mistral/vercel__mistral-reasoning.chunks.txt",
    "zai/pydantic__test_zai_thinking_stream.sse",
    "xai/vercel__openai-compatible-xai-text.chunks.txt",
    "xai/vercel__xai-xai-tool-call.chunks.txt",
    "qwen/vercel__alibaba-reasoning.chunks.txt",
    "qwen/vercel__alibaba-tool-call.chunks.txt",
    "deepseek/vercel__deepseek-reasoning.chunks.txt",
    "deepseek/vercel__deepseek-tool-call.chunks.txt",
    "perplexity/vercel__perplexity-text.chunks.txt",
};

TEST(AnthropicStreamEncoder, OpenAiShapedStreamsSurviveTheCrossing) {
  size_t with_tools = 0;
  size_t with_reasoning = 0;
  for (const std::string& name : kCompleteOpenAiShapedStreams) {
    SCOPED_TRACE(name);
    const Decoded upstream = providers::testing::decode_stream<providers::openai::StreamDecoder>(
        providers::testing::recorded_stream(name));
    ASSERT_EQ(upstream.error, "");
    const std::string sse = encode_all(upstream.events);
    const Decoded client = read_back(sse);
    ASSERT_EQ(client.error, "") << sse;
    providers::testing::expect_ir_rules(client);
    const llm::Response expected = aggregate(upstream);
    const llm::Response got = aggregate(client);
    ASSERT_EQ(got.choices.size(), 1u);
    const llm::Choice& want = expected.choices.at(0);
    EXPECT_EQ(got.choices[0].text, want.text);
    EXPECT_EQ(got.choices[0].reasoning, want.reasoning);
    EXPECT_EQ(got.choices[0].tool_calls, want.tool_calls);
    EXPECT_EQ(got.choices[0].finish, want.finish);
    EXPECT_EQ(got.usage, expected.usage);
    EXPECT_EQ(got.model, expected.model);
    EXPECT_TRUE(got.id.starts_with("msg_"));
    with_tools += want.tool_calls.empty() ? 0 : 1;
    with_reasoning += want.reasoning.empty() ? 0 : 1;
  }
  EXPECT_GE(with_tools, 4u);  // the crossing was tested with tool calls and reasoning
  EXPECT_GE(with_reasoning, 3u);
}

TEST(AnthropicStreamEncoder, AnthropicStreamsComeBackTheSame) {
  for (const std::string& name : kAnthropicStreams) {
    SCOPED_TRACE(name);
    const Decoded upstream = providers::testing::decode_stream<providers::anthropic::StreamDecoder>(
        providers::testing::recorded_stream(name));
    ASSERT_EQ(upstream.error, "");
    const Decoded client = read_back(encode_all(upstream.events));
    ASSERT_EQ(client.error, "");
    EXPECT_EQ(aggregate(client), aggregate(upstream));
    // message_start carries the upstream's own input usage.
    EXPECT_EQ(client.of(Kind::kUsage).front().usage.input,
              upstream.of(Kind::kUsage).front().usage.input);
  }
}

TEST(AnthropicStreamEncoder, AnUpstreamErrorBecomesAnErrorEvent) {
  const Decoded upstream = providers::testing::decode_stream<providers::openai::StreamDecoder>(
      providers::testing::recorded_stream("openai/vercel__openai-error.1.chunks.txt"));
  ASSERT_FALSE(upstream.of(Kind::kError).empty());
  const std::string sse = encode_all(upstream.events);
  EXPECT_NE(sse.find("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\""),
            std::string::npos);
  const Decoded client = read_back(sse);
  ASSERT_EQ(client.error, "");
  ASSERT_EQ(client.of(Kind::kError).size(), 1u);
  EXPECT_EQ(client.of(Kind::kError)[0].text, upstream.of(Kind::kError)[0].text);
  EXPECT_TRUE(client.of(Kind::kMessageStop).empty());
}

std::vector<Owned> events(std::initializer_list<Owned> list) { return list; }

Owned event(Kind kind, std::string text = "", uint32_t tool = 0, std::string id = "",
            std::string name = "") {
  return {kind, 0, tool, std::move(text), std::move(id), std::move(name), llm::FinishReason::kStop,
          {}};
}

TEST(AnthropicStreamEncoder, BlocksAreNumberedAndTheFinishWaitsForTheUsage) {
  Owned finish = event(Kind::kFinish, "", 0, "", "tool_calls");
  finish.finish = llm::FinishReason::kToolCalls;
  Owned usage = event(Kind::kUsage);
  usage.usage = {.input = 100, .output = 20, .cache_read = 60, .cache_write = 0, .reasoning = 5};
  Owned other_choice = event(Kind::kTextDelta, "not shown");
  other_choice.choice = 1;
  const std::string sse = encode_all(events({
      event(Kind::kMessageStart, "", 0, "chatcmpl-1", "gpt-x"),
      event(Kind::kReasoningDelta, "hmm"),
      event(Kind::kTextDelta, "Hi"),
      other_choice,
      event(Kind::kRedactedReasoning, "opaque"),
      event(Kind::kToolCallStart, "", 0, "call_1", "get"),
      event(Kind::kToolArgumentsDelta, "{\"a\":", 0),
      event(Kind::kToolArgumentsDelta, "1}", 0),
      finish,
      usage,
      event(Kind::kMessageStop),
  }));
  const std::string expected =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":"
      "\"msg_chatcmpl-1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"gpt-x\","
      "\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":0,"
      "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":0}}}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
      "\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
      "\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,"
      "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,"
      "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2,"
      "\"content_block\":{\"type\":\"redacted_thinking\",\"data\":\"opaque\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":3,"
      "\"content_block\":{\"type\":\"tool_use\",\"id\":\"call_1\",\"name\":\"get\","
      "\"input\":{}}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":3,"
      "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":\"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":3,"
      "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"1}\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":3}\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
      "\"tool_use\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":40,"
      "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":60,\"output_tokens\":20,"
      "\"output_tokens_details\":{\"thinking_tokens\":5}}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  EXPECT_EQ(sse, expected);
}

TEST(AnthropicStreamEncoder, AnOpenBlockIsClosedAtTheEndAndNothingFollowsIt) {
  const std::string sse = encode_all(events({
      event(Kind::kMessageStart, "", 0, "msg_1", "m"),
      event(Kind::kTextDelta, "cut"),
      event(Kind::kMessageStop),
      event(Kind::kTextDelta, "late"),
  }));
  const Decoded client = read_back(sse);
  ASSERT_EQ(client.error, "") << sse;
  EXPECT_EQ(client.joined(Kind::kTextDelta), "cut");
  EXPECT_EQ(client.of(Kind::kFinish).at(0).name, "end_turn");
  EXPECT_EQ(client.of(Kind::kMessageStart).at(0).id, "msg_1");
}

TEST(AnthropicStreamEncoder, StopReasonsInAnthropicsWords) {
  const auto reason_for = [](llm::FinishReason finish, std::string word) {
    Owned end = event(Kind::kFinish, "", 0, "", std::move(word));
    end.finish = finish;
    const Decoded client =
        read_back(encode_all(events({event(Kind::kMessageStart), end, event(Kind::kMessageStop)})));
    return client.of(Kind::kFinish).at(0).name;
  };
  EXPECT_EQ(reason_for(llm::FinishReason::kStop, "stop"), "end_turn");
  EXPECT_EQ(reason_for(llm::FinishReason::kStop, "stop_sequence"), "stop_sequence");
  EXPECT_EQ(reason_for(llm::FinishReason::kLength, "length"), "max_tokens");
  EXPECT_EQ(reason_for(llm::FinishReason::kToolCalls, "tool_calls"), "tool_use");
  EXPECT_EQ(reason_for(llm::FinishReason::kContentFilter, "content_filter"), "refusal");
  EXPECT_EQ(reason_for(llm::FinishReason::kOther, "weird"), "end_turn");
}

TEST(AnthropicStreamEncoder, InterleavedToolArgumentsAreAnErrorNotALoss) {
  const std::string sse = encode_all(events({
      event(Kind::kMessageStart),
      event(Kind::kToolCallStart, "", 0, "call_0", "a"),
      event(Kind::kToolCallStart, "", 1, "call_1", "b"),
      event(Kind::kToolArgumentsDelta, "{}", 0),
      event(Kind::kMessageStop),
  }));
  const Decoded client = read_back(sse);
  ASSERT_EQ(client.of(Kind::kError).size(), 1u) << sse;
  EXPECT_TRUE(client.of(Kind::kMessageStop).empty());
}

TEST(AnthropicStreamEncoder, ErrorEventShape) {
  MessagesStreamEncoder encoder;
  std::string sse;
  encoder.encode_error({.status = 529, .message = "Overloaded"}, sse);
  EXPECT_EQ(sse,
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
            "\"message\":\"Overloaded\"}}\n\n");
  encoder.encode(view(event(Kind::kTextDelta, "after")), sse);
  encoder.encode(view(event(Kind::kMessageStop)), sse);
  EXPECT_EQ(sse.find("after"), std::string::npos);
  EXPECT_EQ(sse.find("message_stop"), std::string::npos);
}

}  // namespace
}  // namespace nexus::dialects::anthropic
