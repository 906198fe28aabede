// The Anthropic stream decoder against every recorded Anthropic stream (the IR's rules),
// particular recordings (text, thinking with its signature, tool input in pieces, server and MCP
// tools skipped, usage), and streams that end early or break the event sequence.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "providers/anthropic/stream_decoder.h"
#include "stream_test_support.h"

namespace nexus::providers::anthropic {
namespace {

using testing::Decoded;
using testing::kAnthropicStreams;
using testing::Kind;
using testing::Owned;

Decoded decode_text(std::string_view text) { return testing::decode_stream<StreamDecoder>(text); }

Decoded decode_fixture(const std::string& name) {
  return decode_text(testing::recorded_stream(name));
}

TEST(AnthropicStreamDecoder, EveryRecordedStreamKeepsTheRules) {
  for (const std::string& name : kAnthropicStreams) {
    SCOPED_TRACE(name);
    const Decoded d = decode_fixture(name);
    ASSERT_EQ(d.error, "");
    testing::expect_ir_rules(d);
  }
}

TEST(AnthropicStreamDecoder, TextStreamWithStopReasonAndUsage) {
  const Decoded d = decode_fixture("anthropic/ddtrace__anthropic_completion_stream.sse");
  ASSERT_EQ(d.error, "");
  EXPECT_EQ(d.of(Kind::kMessageStart)[0].id, "msg_01PgicqXb8hKdXEPHm3LLTGF");
  EXPECT_EQ(d.of(Kind::kMessageStart)[0].name, "claude-3-opus-20240229");
  EXPECT_TRUE(d.joined(Kind::kTextDelta).starts_with("The phrase \"I think, therefore I"));
  ASSERT_EQ(d.of(Kind::kFinish).size(), 1u);
  EXPECT_EQ(d.of(Kind::kFinish)[0].finish, llm::FinishReason::kLength);
  EXPECT_EQ(d.of(Kind::kFinish)[0].name, "max_tokens");
  EXPECT_EQ(d.of(Kind::kUsage).back().usage, (llm::Usage{27, 15, 0, 0, 0}));
}

TEST(AnthropicStreamDecoder, ThinkingWithItsSignatureThenText) {
  const Decoded d = decode_fixture("anthropic/vercel__anthropic-clear-thinking.1.chunks.txt");
  ASSERT_EQ(d.error, "");
  EXPECT_FALSE(d.joined(Kind::kReasoningDelta).empty());
  EXPECT_FALSE(d.joined(Kind::kReasoningSignature).empty());
  EXPECT_FALSE(d.joined(Kind::kTextDelta).empty());
  EXPECT_EQ(d.of(Kind::kBlockStop).size(), 2u);
  EXPECT_EQ(d.of(Kind::kFinish)[0].finish, llm::FinishReason::kStop);
}

TEST(AnthropicStreamDecoder, ToolInputInPiecesIsWholeJson) {
  const Decoded d = decode_fixture("anthropic/vercel__anthropic-json-tool.2.chunks.txt");
  ASSERT_EQ(d.error, "");
  ASSERT_EQ(d.of(Kind::kToolCallStart).size(), 1u);
  const Owned start = d.of(Kind::kToolCallStart)[0];
  EXPECT_EQ(start.tool, 0u);
  EXPECT_TRUE(start.id.starts_with("toolu_"));
  EXPECT_FALSE(start.name.empty());
  EXPECT_TRUE(boost::json::parse(d.joined(Kind::kToolArgumentsDelta)).is_object());
  EXPECT_FALSE(d.joined(Kind::kTextDelta).empty());  // the text block before it
  EXPECT_EQ(d.of(Kind::kFinish)[0].finish, llm::FinishReason::kToolCalls);
}

TEST(AnthropicStreamDecoder, ServerAndMcpToolBlocksAreSkippedWithTheirDeltas) {
  const Decoded mcp = decode_fixture("anthropic/vercel__anthropic-mcp.1.chunks.txt");
  ASSERT_EQ(mcp.error, "");
  EXPECT_TRUE(mcp.of(Kind::kToolCallStart).empty());
  EXPECT_TRUE(mcp.of(Kind::kToolArgumentsDelta).empty());
  EXPECT_FALSE(mcp.joined(Kind::kTextDelta).empty());
  EXPECT_EQ(mcp.of(Kind::kBlockStop).size(), 1u);  // the text block only
  // A thinking block with no text, only its signature; usage corrected by message_delta.
  const Decoded advisor =
      decode_fixture("anthropic/pydantic__test_anthropic_advisor_tool_stream.sse");
  ASSERT_EQ(advisor.error, "");
  EXPECT_TRUE(advisor.of(Kind::kToolCallStart).empty());
  EXPECT_TRUE(advisor.joined(Kind::kReasoningDelta).empty());
  EXPECT_FALSE(advisor.joined(Kind::kReasoningSignature).empty());
  EXPECT_EQ(advisor.of(Kind::kUsage).back().usage, (llm::Usage{2411, 145, 0, 0, 47}));
}

constexpr std::string_view kStart =
    "event: message_start\n"
    R"(data: {"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":3}}})"
    "\n\n";

Decoded decode_after_start(std::string_view rest) {
  std::string text(kStart);  // appended: g++ 12 warns falsely on operator+ chains
  text += rest;
  return decode_text(text);
}

TEST(AnthropicStreamDecoder, AnErrorEventEndsTheStreamWithoutMessageStop) {
  const Decoded d = decode_after_start(
      "event: error\n"
      R"(data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"
      "\n\n");
  EXPECT_EQ(d.error, "");
  ASSERT_EQ(d.of(Kind::kError).size(), 1u);
  EXPECT_EQ(d.of(Kind::kError)[0].text, "Overloaded");
  EXPECT_EQ(d.of(Kind::kError)[0].name, "overloaded_error");
  EXPECT_TRUE(d.of(Kind::kMessageStop).empty());
}

TEST(AnthropicStreamDecoder, StreamsThatEndEarlyOrBreakTheSequenceAreErrors) {
  const std::string text_block =
      R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"
      "\n\n";
  EXPECT_EQ(decode_after_start("").error, "the stream ended before message_stop");
  EXPECT_EQ(decode_after_start(text_block + R"(data: {"type":"message_stop"})"
                                            "\n\n")
                .error,
            "the stream ended with a content block open");
  EXPECT_EQ(decode_text(R"(data: {"type":"content_block_stop","index":0})"
                        "\n\n")
                .error,
            "a stream event before message_start");
  EXPECT_EQ(decode_after_start(R"(data: {"type":"content_block_delta","index":3,"delta":{}})"
                               "\n\n")
                .error,
            "a content_block_delta for a block that is not open");
  EXPECT_EQ(
      decode_after_start(
          R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}})"
          "\n\n"
          R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}})"
          "\n\n"
          R"(data: {"type":"content_block_stop","index":0})"
          "\n\n")
          .error,
      "tool call 0's input is not whole JSON");
  EXPECT_EQ(
      decode_after_start(R"(data: {"type":"message_delta","delta":{"stop_reason":"end_turn"}})"
                         "\n\n" +
                         text_block)
          .error,
      "content after the stop reason");
  EXPECT_EQ(decode_after_start(
                text_block + R"(data: {"type":"message_delta","delta":{"stop_reason":"end_turn"}})"
                             "\n\n")
                .error,
            "a stop reason with a content block open");
  EXPECT_EQ(decode_after_start("data: [1]\n\n").error, "a stream event is not a JSON object");
  EXPECT_EQ(decode_after_start(std::string(kStart)).error, "an unexpected message_start");
}

}  // namespace
}  // namespace nexus::providers::anthropic
