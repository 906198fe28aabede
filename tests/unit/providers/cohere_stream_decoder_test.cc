// The Cohere stream decoder against the recorded Cohere streams (the IR's rules, every split of
// their bytes, the same answer as the whole responses), and streams that end early, break the
// event sequence or carry an error.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "providers/cohere/response_decoder.h"
#include "providers/cohere/stream_decoder.h"
#include "stream_test_support.h"

namespace nexus::providers::cohere {
namespace {

using testing::Decoded;
using testing::Kind;
using testing::Owned;

const std::vector<std::string> kStreams = {
    "cohere/vercel__cohere-reasoning.chunks.txt",
    "cohere/vercel__cohere-tool-call.chunks.txt",
};

// A .chunks.txt framed as Cohere sends it (the fixtures' README): `event: <type>` then the
// data line. (stream_test_support's recorded_stream frames only OpenAI's and Anthropic's.)
std::string cohere_stream(const std::string& name) {
  std::istringstream lines(testing::fixture(name));
  std::string framed;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) {
      continue;
    }
    framed += "event: ";
    framed += boost::json::parse(line).at("type").as_string();
    framed += "\ndata: ";
    framed += line;
    framed += "\n\n";
  }
  return framed;
}

Decoded decode_text(std::string_view text) { return testing::decode_stream<StreamDecoder>(text); }

// The stream fed to one parser and decoder in the given pieces.
Decoded decode_pieces(const std::vector<std::string_view>& pieces) {
  return testing::decode_pieces<StreamDecoder>(pieces);
}

bool same_events(const Decoded& a, const Decoded& b) {
  if (a.error != b.error || a.events.size() != b.events.size()) {
    return false;
  }
  for (size_t i = 0; i < a.events.size(); ++i) {
    const Owned& x = a.events[i];
    const Owned& y = b.events[i];
    if (x.kind != y.kind || x.tool != y.tool || x.text != y.text || x.id != y.id ||
        x.name != y.name || x.finish != y.finish || x.usage != y.usage) {
      return false;
    }
  }
  return true;
}

llm::Response aggregate(const Decoded& decoded) {
  llm::StreamAggregator aggregator;
  for (const Owned& e : decoded.events) {
    aggregator.add(testing::view(e));
  }
  return aggregator.response();
}

TEST(CohereStreamDecoder, EveryRecordedStreamKeepsTheRules) {
  for (const std::string& name : kStreams) {
    SCOPED_TRACE(name);
    const Decoded d = decode_text(cohere_stream(name));
    ASSERT_EQ(d.error, "");
    testing::expect_ir_rules(d);
  }
}

TEST(CohereStreamDecoder, EverySplitOfTheBytesGivesTheSameEvents) {
  for (const std::string& name : kStreams) {
    SCOPED_TRACE(name);
    const std::string text = cohere_stream(name);
    const Decoded whole = decode_text(text);
    for (size_t at = 0; at <= text.size(); ++at) {
      const std::string_view all = text;
      ASSERT_TRUE(same_events(decode_pieces({all.substr(0, at), all.substr(at)}), whole)) << at;
    }
    std::vector<std::string_view> bytes;
    bytes.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
      bytes.push_back(std::string_view(text).substr(i, 1));
    }
    EXPECT_TRUE(same_events(decode_pieces(bytes), whole));
  }
}

TEST(CohereStreamDecoder, ThinkingThenTextWithBilledUsageAndCachedTokens) {
  const Decoded d = decode_text(cohere_stream("cohere/vercel__cohere-reasoning.chunks.txt"));
  ASSERT_EQ(d.error, "");
  EXPECT_EQ(d.of(Kind::kMessageStart)[0].id, "c9117d7f-a7e4-499f-b643-a2a1e139687b");
  EXPECT_TRUE(d.joined(Kind::kReasoningDelta).starts_with("The user is asking for the sum of 2"));
  EXPECT_EQ(d.joined(Kind::kTextDelta), "The answer to 2 + 2 is 4.");
  EXPECT_EQ(d.of(Kind::kBlockStop).size(), 2u);
  ASSERT_EQ(d.of(Kind::kFinish).size(), 1u);
  EXPECT_EQ(d.of(Kind::kFinish)[0].finish, llm::FinishReason::kStop);
  EXPECT_EQ(d.of(Kind::kFinish)[0].name, "COMPLETE");
  // billed 8 in, 50 out; 1360 cached of 1394 tokens, of which 1386 are Cohere's unbilled
  // template: none of the billed input was cached.
  ASSERT_EQ(d.of(Kind::kUsage).size(), 1u);
  EXPECT_EQ(d.of(Kind::kUsage)[0].usage, (llm::Usage{8, 50, 0, 0, 0}));
}

TEST(CohereStreamDecoder, ToolPlanThenTwoToolCalls) {
  const Decoded d = decode_text(cohere_stream("cohere/vercel__cohere-tool-call.chunks.txt"));
  ASSERT_EQ(d.error, "");
  EXPECT_EQ(d.joined(Kind::kTextDelta),
            "I will use the weather tool to find the weather in San Francisco and the "
            "cityAttractions tool to find attractions in San Francisco.");
  const std::vector<Owned> starts = d.of(Kind::kToolCallStart);
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0].tool, 0u);
  EXPECT_EQ(starts[0].id, "weather_e8p4pn45zt0t");
  EXPECT_EQ(starts[0].name, "weather");
  EXPECT_EQ(starts[1].tool, 1u);
  EXPECT_EQ(starts[1].id, "cityAttractions_pyxssbwnq9fq");
  EXPECT_EQ(starts[1].name, "cityAttractions");
  EXPECT_EQ(boost::json::parse(d.joined(Kind::kToolArgumentsDelta, 0)),
            boost::json::parse(R"({"location":"San Francisco"})"));
  EXPECT_TRUE(boost::json::parse(d.joined(Kind::kToolArgumentsDelta, 1)).is_object());
  EXPECT_EQ(d.of(Kind::kBlockStop).size(), 3u);  // the plan and both calls
  EXPECT_EQ(d.of(Kind::kFinish)[0].finish, llm::FinishReason::kToolCalls);
  EXPECT_EQ(d.of(Kind::kFinish)[0].name, "TOOL_CALL");
  // billed 119 in; 1504 cached of 1549 tokens, 1430 of them the unbilled template.
  EXPECT_EQ(d.of(Kind::kUsage)[0].usage, (llm::Usage{119, 44, 74, 0, 0}));
}

// No recording has the same case whole and streamed; the tool-plan-then-call shape of the
// whole null-args response is compared with the streamed tool call's.
TEST(CohereStreamDecoder, AStreamAddsUpToWhatTheWholeResponseSays) {
  const llm::Response streamed =
      aggregate(decode_text(cohere_stream("cohere/vercel__cohere-tool-call.chunks.txt")));
  auto whole = decode_response(testing::fixture("cohere/vercel__cohere-null-args.json"));
  ASSERT_TRUE(whole.has_value());
  ASSERT_EQ(streamed.choices.size(), 1u);
  const llm::Choice& s = streamed.choices[0];
  const llm::Choice& w = whole->choices[0];
  EXPECT_EQ(s.finish, w.finish);
  EXPECT_EQ(s.finish_word, w.finish_word);
  EXPECT_TRUE(s.text.starts_with("I will use the "));
  EXPECT_TRUE(w.text.starts_with("I will use the "));
  ASSERT_EQ(s.tool_calls.size(), 2u);
  EXPECT_EQ(s.tool_calls[0].id, "weather_e8p4pn45zt0t");
  EXPECT_TRUE(boost::json::parse(s.tool_calls[1].arguments).is_object());
  EXPECT_EQ(streamed.usage, (llm::Usage{119, 44, 74, 0, 0}));
  const llm::Response reasoning =
      aggregate(decode_text(cohere_stream("cohere/vercel__cohere-reasoning.chunks.txt")));
  EXPECT_EQ(reasoning.choices[0].text, "The answer to 2 + 2 is 4.");
  EXPECT_FALSE(reasoning.choices[0].reasoning.empty());
}

// Small invented streams: the recorded shapes, cut or broken.
constexpr std::string_view kStart =
    "event: message-start\n"
    R"(data: {"id":"m1","type":"message-start","delta":{"message":{"role":"assistant"}}})"
    "\n\n";
constexpr std::string_view kEnd =
    "event: message-end\n"
    R"(data: {"type":"message-end","delta":{"finish_reason":"TOOL_CALL","usage":{"billed_units":{"input_tokens":3,"output_tokens":2}}}})"
    "\n\n";

std::string event(std::string_view data) {
  std::string text = "data: ";
  text += data;
  text += "\n\n";
  return text;
}

std::string tool_start(std::string_view arguments) {
  std::string data =
      R"({"type":"tool-call-start","index":0,"delta":{"message":{"tool_calls":{"id":"t1","type":"function","function":{"name":"f","arguments":")";
  data += arguments;
  data += R"("}}}}})";
  return event(data);
}

std::string tool_delta(std::string_view arguments) {
  std::string data =
      R"({"type":"tool-call-delta","index":0,"delta":{"message":{"tool_calls":{"function":{"arguments":")";
  data += arguments;
  data += R"("}}}}})";
  return event(data);
}

const std::string kToolEnd = event(R"({"type":"tool-call-end","index":0})");

Decoded decode_message(const std::vector<std::string>& events, bool end = true) {
  std::string text(kStart);
  for (const std::string& e : events) {
    text += e;
  }
  if (end) {
    text += kEnd;
  }
  return decode_text(text);
}

TEST(CohereStreamDecoder, NullOrMissingArgumentsAreSentAsAnEmptyObject) {
  for (const auto& pieces :
       std::vector<std::vector<std::string>>{{tool_start(""), kToolEnd},
                                             {tool_start("nu"), tool_delta("ll"), kToolEnd},
                                             {tool_start(" null "), kToolEnd}}) {
    const Decoded d = decode_message(pieces);
    ASSERT_EQ(d.error, "");
    EXPECT_EQ(d.joined(Kind::kToolArgumentsDelta), "{}");
    testing::expect_ir_rules(d);
  }
  const Decoded object =
      decode_message({tool_start(""), tool_delta(R"({\"a\")"), tool_delta(":1}"), kToolEnd});
  ASSERT_EQ(object.error, "");
  EXPECT_EQ(object.joined(Kind::kToolArgumentsDelta), R"({"a":1})");
  EXPECT_EQ(object.of(Kind::kToolArgumentsDelta).size(), 2u);
}

TEST(CohereStreamDecoder, StreamsThatEndEarlyAreErrors) {
  EXPECT_EQ(decode_text("").error, "the stream ended before message-end");
  EXPECT_EQ(decode_message({}, false).error, "the stream ended before message-end");
  EXPECT_EQ(decode_message({tool_start(""), tool_delta(R"({\"a\")")}, false).error,
            "the stream ended with tool call 0 open");
  EXPECT_EQ(decode_message({tool_start(""), tool_delta(R"({\"a\")"), kToolEnd}).error,
            "tool call 0's arguments are not whole JSON");
  EXPECT_EQ(decode_message({tool_start("nul"), kToolEnd}).error,
            "tool call 0's arguments are not whole JSON");
  EXPECT_EQ(
      decode_message(
          {event(
              R"({"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text"}}}})")},
          false)
          .error,
      "the stream ended with a content block open");
}

TEST(CohereStreamDecoder, EventsThatBreakTheSequenceAreErrors) {
  EXPECT_EQ(decode_text(tool_start("")).error, "a stream event before message-start");
  EXPECT_EQ(decode_message({tool_delta("{}")}).error,
            "a tool-call-delta for a tool call that is not open");
  EXPECT_EQ(decode_message({event(R"({"type":"content-end","index":0})")}).error,
            "a content-end for a content block that is not open");
  EXPECT_EQ(decode_message({tool_start(""), tool_start("")}).error,
            "tool-call-start while a content block or tool call is open");
  EXPECT_EQ(decode_message({tool_start(""), event(R"({"type":"tool-call-end","index":3})")}).error,
            "a tool-call-end for a tool call that is not open");
  EXPECT_EQ(decode_message({tool_start("")}).error,
            "message-end while a content block or tool call is open");
  EXPECT_EQ(decode_message({std::string(kEnd)}).error, "a stream event after message-end");
  EXPECT_EQ(decode_message({event("[1]")}).error, "a stream event is not a JSON object");
  EXPECT_EQ(decode_message({event(R"({"type":"message-start"})")}).error, "a second message-start");
}

TEST(CohereStreamDecoder, TheSseEventNameServesWhenTheJsonHasNoType) {
  const Decoded d = decode_text(
      "event: message-start\ndata: {\"id\":\"x\"}\n\n"
      "event: message-end\ndata: {\"delta\":{\"finish_reason\":\"MAX_TOKENS\"}}\n\n");
  ASSERT_EQ(d.error, "");
  EXPECT_EQ(d.of(Kind::kFinish)[0].finish, llm::FinishReason::kLength);
  EXPECT_EQ(d.of(Kind::kFinish)[0].name, "MAX_TOKENS");
}

TEST(CohereStreamDecoder, AFailedGenerationIsAnErrorEvent) {
  const Decoded failed = decode_message(
      {event(R"({"type":"message-end","delta":{"finish_reason":"ERROR","error":"internal"}})")},
      false);
  EXPECT_EQ(failed.error, "");
  ASSERT_EQ(failed.of(Kind::kError).size(), 1u);
  EXPECT_EQ(failed.of(Kind::kError)[0].text, "internal");
  EXPECT_EQ(failed.of(Kind::kError)[0].name, "ERROR");
  EXPECT_TRUE(failed.of(Kind::kMessageStop).empty());
  testing::expect_ir_rules(failed);
  const Decoded error_event =
      decode_message({event(R"({"type":"error","message":"overloaded"})")}, false);
  EXPECT_EQ(error_event.error, "");
  EXPECT_EQ(error_event.of(Kind::kError)[0].text, "overloaded");
}

TEST(CohereStreamDecoder, CitationsAndUnknownContentAreSkipped) {
  const Decoded d = decode_message(
      {event(
           R"({"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":"a"}}}})"),
       event(
           R"({"type":"citation-start","index":0,"delta":{"message":{"citations":{"start":0}}}})"),
       event(R"({"type":"citation-end","index":0})"),
       event(R"({"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"b"}}}})"),
       event(R"({"type":"content-end","index":0})"),
       event(
           R"({"type":"content-start","index":1,"delta":{"message":{"content":{"type":"image"}}}})"),
       event(R"({"type":"content-delta","index":1,"delta":{"message":{"content":{"text":"x"}}}})"),
       event(R"({"type":"content-end","index":1})"), event(R"({"type":"debug","prompt":"p"})")});
  ASSERT_EQ(d.error, "");
  EXPECT_EQ(d.joined(Kind::kTextDelta), "ab");
  EXPECT_EQ(d.of(Kind::kBlockStop).size(), 1u);
}

}  // namespace
}  // namespace nexus::providers::cohere
