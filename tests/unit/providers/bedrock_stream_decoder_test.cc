// The Bedrock ConverseStream decoder against every recorded stream (the IR's rules, every
// split of the bytes), particular recordings (text then a tool call, a server tool skipped,
// reasoning with its signature), the stream recorded next to a whole response, exceptions, and
// streams that end early or break the event sequence.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "bedrock_stream_support.h"
#include "providers/bedrock/response_decoder.h"
#include "providers/bedrock/stream_decoder.h"

namespace nexus::providers::bedrock {
namespace {

using providers::testing::Decoded;
using providers::testing::Kind;
using providers::testing::Owned;
using testing::decode_bytes;
using testing::event_message;
using testing::kBedrockStreams;
using testing::recorded_bytes;

Decoded decode_fixture(const std::string& name) { return decode_bytes(recorded_bytes(name)); }

bool same(const Decoded& a, const Decoded& b) {
  if (a.error != b.error || a.events.size() != b.events.size()) {
    return false;
  }
  for (size_t i = 0; i < a.events.size(); ++i) {
    const Owned& x = a.events[i];
    const Owned& y = b.events[i];
    if (x.kind != y.kind || x.tool != y.tool || x.text != y.text || x.id != y.id ||
        x.name != y.name || x.finish != y.finish || !(x.usage == y.usage)) {
      return false;
    }
  }
  return true;
}

TEST(BedrockStreamDecoder, EveryRecordedStreamKeepsTheRules) {
  for (const std::string& name : kBedrockStreams) {
    SCOPED_TRACE(name);
    const Decoded d = decode_fixture(name);
    ASSERT_EQ(d.error, "");
    providers::testing::expect_ir_rules(d);
    EXPECT_FALSE(d.of(Kind::kUsage).empty());
  }
}

TEST(BedrockStreamDecoder, EverySplitGivesTheSameEvents) {
  for (const std::string& name : kBedrockStreams) {
    SCOPED_TRACE(name);
    const std::string bytes = recorded_bytes(name);
    const Decoded whole = decode_bytes(bytes);
    for (size_t piece = 1; piece <= 257; piece += (piece < 16 ? 1 : 37)) {
      EXPECT_TRUE(same(decode_bytes(bytes, piece), whole)) << piece;
    }
  }
}

TEST(BedrockStreamDecoder, TextThenToolCallWithUsage) {
  const Decoded d = decode_fixture("bedrock/ddtrace__bedrock_converse_stream.eventstream");
  ASSERT_EQ(d.error, "");
  EXPECT_EQ(d.joined(Kind::kTextDelta),
            "Okay, let me use the tool to fetch an expert explanation for the concept of "
            "distributed tracing.");
  ASSERT_EQ(d.of(Kind::kToolCallStart).size(), 1u);
  EXPECT_EQ(d.of(Kind::kToolCallStart)[0].id, "tooluse_HA9wsJ32RhOvn8XgIUDpGA");
  EXPECT_EQ(d.of(Kind::kToolCallStart)[0].name, "fetch_concept");
  EXPECT_EQ(boost::json::parse(d.joined(Kind::kToolArgumentsDelta)),
            boost::json::parse(R"({"concept": "distributed tracing"})"));
  EXPECT_EQ(d.of(Kind::kBlockStop).size(), 2u);
  ASSERT_EQ(d.of(Kind::kFinish).size(), 1u);
  EXPECT_EQ(d.of(Kind::kFinish)[0].finish, llm::FinishReason::kToolCalls);
  EXPECT_EQ(d.of(Kind::kFinish)[0].name, "tool_use");
  EXPECT_EQ(d.of(Kind::kUsage).back().usage, (llm::Usage{259, 64, 0, 0, 0}));
}

// Nova's code interpreter runs on Bedrock's side: its toolUse and toolResult blocks are not the
// client's; the final_result call after them is tool 0.
TEST(BedrockStreamDecoder, ServerToolBlocksAreSkipped) {
  const Decoded d =
      decode_fixture("bedrock/pydantic__test_bedrock_model_code_execution_tool_stream.eventstream");
  ASSERT_EQ(d.error, "");
  ASSERT_EQ(d.of(Kind::kToolCallStart).size(), 1u);
  EXPECT_EQ(d.of(Kind::kToolCallStart)[0].name, "final_result");
  EXPECT_EQ(d.of(Kind::kToolCallStart)[0].tool, 0u);
  EXPECT_EQ(d.joined(Kind::kToolArgumentsDelta), R"({"result":7006652.0})");
  EXPECT_EQ(d.of(Kind::kBlockStop).size(), 1u);
  EXPECT_EQ(d.of(Kind::kUsage).back().usage, (llm::Usage{1002, 59, 0, 0, 0}));
}

TEST(BedrockStreamDecoder, ReasoningWithItsSignatureThenText) {
  for (const std::string name :
       {"bedrock/pydantic__test_bedrock_model_thinking_part_stream.eventstream",
        "bedrock/vercel__amazon-bedrock-reasoning.chunks.txt"}) {
    SCOPED_TRACE(name);
    const Decoded d = decode_fixture(name);
    ASSERT_EQ(d.error, "");
    EXPECT_FALSE(d.joined(Kind::kReasoningDelta).empty());
    EXPECT_TRUE(d.joined(Kind::kReasoningSignature).starts_with("E"));
    EXPECT_FALSE(d.joined(Kind::kTextDelta).empty());
    EXPECT_EQ(d.of(Kind::kBlockStop).size(), 2u);
    EXPECT_EQ(d.of(Kind::kFinish)[0].finish, llm::FinishReason::kStop);
  }
  const Decoded d =
      decode_fixture("bedrock/pydantic__test_bedrock_model_thinking_part_stream.eventstream");
  EXPECT_TRUE(d.joined(Kind::kReasoningDelta).starts_with("The user has greeted me"));
  EXPECT_EQ(d.joined(Kind::kTextDelta), "Hello! It's nice to meet you. How can I help you today?");
}

// The same prompt recorded streamed and whole (vercel's amazon-bedrock-text).
TEST(BedrockStreamDecoder, AggregatedStreamMatchesTheWholeResponse) {
  const Decoded d = decode_fixture("bedrock/vercel__amazon-bedrock-text.chunks.txt");
  ASSERT_EQ(d.error, "");
  llm::StreamAggregator aggregator;
  for (const Owned& e : d.events) {
    aggregator.add(providers::testing::view(e));
  }
  auto whole =
      decode_response(providers::testing::fixture("bedrock/vercel__amazon-bedrock-text.json"));
  ASSERT_TRUE(whole.has_value());
  const llm::Response streamed = aggregator.response();
  providers::testing::expect_same_shape(streamed, *whole);
  EXPECT_EQ(streamed.usage, (llm::Usage{22, 55, 0, 0, 0}));
  EXPECT_EQ(whole->usage, (llm::Usage{22, 57, 0, 0, 0}));
}

std::string opening() { return event_message("messageStart", R"({"role":"assistant"})"); }

TEST(BedrockStreamDecoder, ExceptionsBecomeErrorEvents) {
  for (const std::string type :
       {"throttlingException", "modelStreamErrorException", "validationException",
        "internalServerException", "serviceUnavailableException"}) {
    const Decoded d = decode_bytes(
        opening() +
        event_message("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})") +
        testing::exception_message(type, R"({"message":"went wrong"})"));
    ASSERT_EQ(d.error, "") << type;
    ASSERT_EQ(d.of(Kind::kError).size(), 1u);
    EXPECT_EQ(d.of(Kind::kError)[0].name, type);
    EXPECT_EQ(d.of(Kind::kError)[0].text, "went wrong");
    providers::testing::expect_ir_rules(d);
  }
}

TEST(BedrockStreamDecoder, IncompleteStreamsAreErrors) {
  const std::string text =
      event_message("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})");
  const std::string tool_start =
      event_message("contentBlockStart",
                    R"({"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"t1","name":"f"}}})");
  const std::string half_input = event_message(
      "contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"toolUse":{"input":"{\"a\":"}}})");
  const std::string stop = event_message("contentBlockStop", R"({"contentBlockIndex":0})");
  const std::string message_stop = event_message("messageStop", R"({"stopReason":"end_turn"})");

  EXPECT_NE(decode_bytes(opening() + text).error.find("before messageStop"), std::string::npos);
  EXPECT_NE(decode_bytes(opening() + tool_start + half_input).error.find("before messageStop"),
            std::string::npos);
  EXPECT_NE(decode_bytes(opening() + tool_start + half_input + stop).error.find("not whole JSON"),
            std::string::npos);
  EXPECT_NE(decode_bytes(opening() + text + message_stop).error.find("block open"),
            std::string::npos);
  EXPECT_EQ(decode_bytes(opening() + text + stop + message_stop).error, "");
  // Cut inside the last message: the parser's finish tells.
  const std::string whole = opening() + text + stop + message_stop;
  EXPECT_NE(decode_bytes(whole.substr(0, whole.size() - 3)).error.find("inside a message"),
            std::string::npos);
}

// A call without arguments streams no input: its arguments are "{}", as in a whole response.
TEST(BedrockStreamDecoder, ACallWithoutArgumentsGetsAnEmptyObject) {
  const std::string tool_start =
      event_message("contentBlockStart",
                    R"({"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"t1","name":"f"}}})");
  const Decoded d = decode_bytes(opening() + tool_start +
                                 event_message("contentBlockStop", R"({"contentBlockIndex":0})") +
                                 event_message("messageStop", R"({"stopReason":"tool_use"})"));
  ASSERT_EQ(d.error, "");
  EXPECT_EQ(d.joined(Kind::kToolArgumentsDelta), "{}");
}

TEST(BedrockStreamDecoder, BrokenSequencesAreErrors) {
  const std::string text =
      event_message("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})");
  const std::string stop = event_message("contentBlockStop", R"({"contentBlockIndex":0})");
  const std::string message_stop = event_message("messageStop", R"({"stopReason":"end_turn"})");
  EXPECT_NE(decode_bytes(text).error.find("before messageStart"), std::string::npos);
  EXPECT_NE(decode_bytes(opening() + opening()).error.find("second messageStart"),
            std::string::npos);
  EXPECT_NE(decode_bytes(opening() + text + stop + stop).error.find("not open"), std::string::npos);
  EXPECT_NE(
      decode_bytes(opening() + text + stop + message_stop + text).error.find("after messageStop"),
      std::string::npos);
  EXPECT_NE(
      decode_bytes(opening() +
                   event_message("contentBlockDelta",
                                 R"({"contentBlockIndex":3,"delta":{"toolUse":{"input":"{}"}}})"))
          .error.find("never started"),
      std::string::npos);
  EXPECT_NE(
      decode_bytes(opening() + text +
                   event_message("contentBlockDelta",
                                 R"({"contentBlockIndex":0,"delta":{"toolUse":{"input":"{}"}}})"))
          .error.find("another kind"),
      std::string::npos);
  EXPECT_NE(
      decode_bytes(opening() + event_message("metadata", "not json")).error.find("JSON object"),
      std::string::npos);
  EXPECT_NE(decode_bytes(opening() + event_message("metadata", R"({"usage":{"inputTokens":-1}})"))
                .error.find("inputTokens"),
            std::string::npos);
}

TEST(BedrockStreamDecoder, RedactedReasoningAndUnknownEventsPass) {
  const Decoded d = decode_bytes(
      opening() +
      event_message(
          "contentBlockDelta",
          R"({"contentBlockIndex":0,"delta":{"reasoningContent":{"redactedContent":"QUJD"}}})") +
      event_message("contentBlockStop", R"({"contentBlockIndex":0})") +
      event_message("someFutureEvent", R"({})") +
      event_message("messageStop", R"({"stopReason":"guardrail_intervened"})"));
  ASSERT_EQ(d.error, "");
  ASSERT_EQ(d.of(Kind::kRedactedReasoning).size(), 1u);
  EXPECT_EQ(d.of(Kind::kRedactedReasoning)[0].text, "QUJD");
  EXPECT_EQ(d.of(Kind::kFinish)[0].finish, llm::FinishReason::kContentFilter);
  EXPECT_EQ(d.events.back().kind, Kind::kMessageStop);
}

}  // namespace
}  // namespace nexus::providers::bedrock
