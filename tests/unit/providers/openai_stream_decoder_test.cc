// The OpenAI-shaped stream decoder against every recorded OpenAI-compatible stream (the rules
// every stream must keep), particular recordings (tool calls, reasoning, errors inside the
// stream, usage), and streams that end too early or break the rules.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "providers/openai/stream_decoder.h"
#include "stream_test_support.h"

namespace nexus::providers::openai {
namespace {

using testing::Decoded;
using testing::Kind;
using testing::kOpenAiShapedStreams;
using testing::Owned;

Decoded decode_text(std::string_view text) { return testing::decode_stream<StreamDecoder>(text); }

Decoded decode_fixture(const std::string& name) {
  return decode_text(testing::recorded_stream(name));
}

// The IR's rules (stream_test_support.h) on every recorded OpenAI-shaped stream.
TEST(OpenAiStreamDecoder, EveryRecordedStreamKeepsTheRules) {
  for (const std::string& name : kOpenAiShapedStreams) {
    SCOPED_TRACE(name);
    const Decoded d = decode_fixture(name);
    ASSERT_EQ(d.error, "");
    testing::expect_ir_rules(d);
  }
}

TEST(OpenAiStreamDecoder, ToolCallWithItsArgumentsInPiecesAndUsageOnItsOwnChunk) {
  const Decoded d = decode_fixture("openai/ddtrace__completion_stream_with_tools.sse");
  ASSERT_EQ(d.error, "");
  const auto starts = d.of(Kind::kToolCallStart);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].id, "call_HuRWIamjJM7bLsbCamjSgf8e");
  EXPECT_EQ(starts[0].name, "get_current_weather");
  EXPECT_GT(d.of(Kind::kToolArgumentsDelta).size(), 1u);
  EXPECT_TRUE(boost::json::parse(d.joined(Kind::kToolArgumentsDelta)).is_object());
  const auto finish = d.of(Kind::kFinish);
  ASSERT_EQ(finish.size(), 1u);
  EXPECT_EQ(finish[0].finish, llm::FinishReason::kToolCalls);
  const auto usage = d.of(Kind::kUsage);
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].usage, (llm::Usage{85, 24, 0, 0, 0}));
  // The tool block is closed before the finish.
  ASSERT_GE(d.events.size(), 3u);
  auto at_finish = std::ranges::find(d.events, Kind::kFinish, &Owned::kind);
  EXPECT_EQ(std::prev(at_finish)->kind, Kind::kBlockStop);
}

TEST(OpenAiStreamDecoder, AnEmptyIdOnALaterDeltaDoesNotReplaceTheCallsId) {
  const Decoded d = decode_fixture("qwen/vercel__alibaba-tool-call.chunks.txt");
  ASSERT_EQ(d.error, "");
  const auto starts = d.of(Kind::kToolCallStart);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].id, "call_eee11723464a4b9eb8cee71d");
  EXPECT_EQ(starts[0].name, "weather");
  EXPECT_EQ(boost::json::parse(d.joined(Kind::kToolArgumentsDelta)).at("location"),
            "San Francisco");
}

TEST(OpenAiStreamDecoder, ReasoningThenTextAreTwoBlocks) {
  for (const char* name : {"deepseek/vercel__deepseek-reasoning.chunks.txt",
                           "mistral/vercel__mistral-reasoning.chunks.txt",
                           "zai/pydantic__test_zai_thinking_stream.sse"}) {
    SCOPED_TRACE(name);
    const Decoded d = decode_fixture(name);
    ASSERT_EQ(d.error, "");
    EXPECT_FALSE(d.joined(Kind::kReasoningDelta).empty());
    EXPECT_FALSE(d.joined(Kind::kTextDelta).empty());
    auto first_text = std::ranges::find(d.events, Kind::kTextDelta, &Owned::kind);
    ASSERT_NE(first_text, d.events.end());
    EXPECT_EQ(std::prev(first_text)->kind, Kind::kBlockStop);  // the reasoning block closed
  }
}

TEST(OpenAiStreamDecoder, ErrorsInsideTheStream) {
  // Groq: an `event: error` after some reasoning, and no [DONE].
  const Decoded groq =
      decode_fixture("groq/pydantic__test_tool_use_failed_error_streaming_with_text.0.sse");
  ASSERT_EQ(groq.error, "");
  ASSERT_EQ(groq.of(Kind::kError).size(), 1u);
  EXPECT_EQ(groq.of(Kind::kError)[0].text,
            "Tool choice is required, but model did not call a tool");
  EXPECT_EQ(groq.of(Kind::kError)[0].name, "invalid_request_error");
  // OpenRouter: a chunk with an `error` object, numeric code, no type.
  const Decoded openrouter =
      decode_fixture("openrouter/pydantic__test_openrouter_stream_error.sse");
  ASSERT_EQ(openrouter.error, "");
  ASSERT_EQ(openrouter.of(Kind::kError).size(), 1u);
  EXPECT_EQ(openrouter.of(Kind::kError)[0].text, "Token limit reached");
}

TEST(OpenAiStreamDecoder, UsageRepeatedOnEveryChunkIsReportedWhenItChanges) {
  const Decoded d = decode_fixture("perplexity/vercel__perplexity-text.chunks.txt");
  ASSERT_EQ(d.error, "");
  const auto usage = d.of(Kind::kUsage);
  ASSERT_FALSE(usage.empty());
  for (size_t i = 1; i < usage.size(); ++i) {
    EXPECT_FALSE(usage[i].usage == usage[i - 1].usage);
  }
}

constexpr std::string_view kStart =
    R"(data: {"id":"c1","model":"m","choices":[{"index":0,"delta":{"role":"assistant"}}]})"
    "\n\n";

// kStart, then `rest` (appended: g++ 12 warns, falsely, on operator+ chains of literals).
Decoded decode_after_start(std::string_view rest) {
  std::string text(kStart);
  text += rest;
  return decode_text(text);
}

TEST(OpenAiStreamDecoder, StreamsThatEndTooEarlyAreErrors) {
  EXPECT_EQ(decode_text("").error, "the stream ended before its first chunk");
  EXPECT_EQ(decode_after_start(R"(data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]})"
                               "\n\n")
                .error,
            "the stream ended before choice 0 finished");
  EXPECT_EQ(
      decode_after_start(
          R"(data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t",)"
          R"("function":{"name":"f","arguments":"{\"a\":"}}]},"finish_reason":"tool_calls"}]})"
          "\n\n")
          .error,
      "the stream ended with tool call 0's arguments incomplete");
}

TEST(OpenAiStreamDecoder, ChunksThatBreakTheRulesAreErrors) {
  EXPECT_EQ(decode_after_start("data: not json\n\n").error, "a stream chunk is not a JSON object");
  EXPECT_EQ(decode_after_start(R"(data: {"choices":[{"index":5000}]})"
                               "\n\n")
                .error,
            "stream chunk with an invalid index");
  EXPECT_EQ(decode_after_start(R"(data: {"choices":[7]})"
                               "\n\n")
                .error,
            "a stream chunk's choice is not an object");
  EXPECT_EQ(decode_after_start(R"(data: {"usage":{"prompt_tokens":-1}})"
                               "\n\n")
                .error,
            "usage.prompt_tokens is not a token count");
}

TEST(OpenAiStreamDecoder, ContentAfterAChoiceFinishedIsAnError) {
  const Decoded d = decode_after_start(
      R"(data: {"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}]})"
      "\n\n"
      R"(data: {"choices":[{"index":0,"delta":{"content":"b"}}]})"
      "\n\n");
  EXPECT_EQ(d.error, "a stream chunk continues choice 0 after it finished");
  EXPECT_EQ(d.joined(Kind::kTextDelta), "a");  // nothing of the offending chunk
}

TEST(OpenAiStreamDecoder, NothingAfterDoneCounts) {
  const Decoded d =
      decode_after_start(R"(data: {"choices":[{"index":0,"finish_reason":"stop"}]})"
                         "\n\ndata: [DONE]\n\n"
                         R"(data: {"choices":[{"index":0,"delta":{"content":"late"}}]})"
                         "\n\n");
  EXPECT_EQ(d.error, "");
  EXPECT_TRUE(d.of(Kind::kTextDelta).empty());
  EXPECT_EQ(d.events.back().kind, Kind::kMessageStop);
}

}  // namespace
}  // namespace nexus::providers::openai
