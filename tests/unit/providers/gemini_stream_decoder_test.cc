// The Gemini stream decoder against every recorded Gemini and Vertex AI stream (the IR's rules,
// the same events for every split of the bytes, the aggregated stream against the whole answer
// of the same case), particular recordings (function calls whole and with streamed arguments,
// thought signatures, usage), errors inside the stream, and streams that end too early or break
// the rules.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "providers/gemini/response_decoder.h"
#include "providers/gemini/stream_decoder.h"
#include "stream_test_support.h"

namespace nexus::providers::gemini {
namespace {

using testing::Decoded;
using testing::Kind;
using testing::Owned;

// A recorded stream: .sse as it is; .chunks.txt framed as Gemini sends it (the fixtures'
// README): `data: <line>` and CRLF CRLF, no [DONE].
std::string gemini_stream(const std::string& name) {
  std::string text = testing::fixture(name);
  if (!name.ends_with(".chunks.txt")) {
    return text;
  }
  std::istringstream lines(text);
  std::string framed;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) {
      framed += "data: ";
      framed += line;
      framed += "\r\n\r\n";
    }
  }
  return framed;
}

const std::vector<std::string> kStreams = {
    "google/pydantic__test_google_model_iter_stream.0.sse",
    "google/pydantic__test_google_model_iter_stream.1.sse",
    "google/pydantic__test_google_model_iter_stream.2.sse",
    "google/pydantic__test_google_vertex_service_tier_flex_stream.sse",
    "google/pydantic__test_native_output_with_function_tools_stream.0.sse",
    "google/pydantic__test_native_output_with_function_tools_stream.1.sse",
    "google/vercel__google-reasoning-gemini3.chunks.txt",
    "google/vercel__google-stream-tool-call-arguments.chunks.txt",
    "google/vercel__google-tool-call.chunks.txt",
};

Decoded decode_text(std::string_view text) { return testing::decode_stream<StreamDecoder>(text); }

Decoded decode_fixture(const std::string& name) { return decode_text(gemini_stream(name)); }

// The stream fed to the parser in two pieces split at `at`.
Decoded decode_split(std::string_view text, size_t at) {
  return testing::decode_pieces<StreamDecoder>({text.substr(0, at), text.substr(at)});
}

bool same(const Owned& a, const Owned& b) {
  return a.kind == b.kind && a.choice == b.choice && a.tool == b.tool && a.text == b.text &&
         a.id == b.id && a.name == b.name && a.finish == b.finish && a.usage == b.usage;
}

TEST(GeminiStreamDecoder, EveryRecordedStreamKeepsTheRulesWhateverItsSplit) {
  for (const std::string& name : kStreams) {
    SCOPED_TRACE(name);
    const std::string text = gemini_stream(name);
    const Decoded whole = decode_text(text);
    ASSERT_EQ(whole.error, "");
    testing::expect_ir_rules(whole);
    for (size_t at = 0; at <= text.size(); ++at) {
      const Decoded split = decode_split(text, at);
      ASSERT_EQ(split.error, "") << at;
      ASSERT_EQ(split.events.size(), whole.events.size()) << at;
      for (size_t i = 0; i < whole.events.size(); ++i) {
        ASSERT_TRUE(same(split.events[i], whole.events[i])) << at << " " << i;
      }
    }
  }
}

llm::Response aggregated(const std::string& name) {
  const Decoded decoded = decode_fixture(name);
  EXPECT_EQ(decoded.error, "") << name;
  llm::StreamAggregator aggregator;
  for (const Owned& e : decoded.events) {
    aggregator.add(testing::view(e));
  }
  return aggregator.response();
}

llm::Response whole(const std::string& name) {
  auto response = decode_response(testing::fixture(name));
  EXPECT_TRUE(response.has_value()) << name;
  return response ? *response : llm::Response{};
}

// The same cases recorded streamed and whole (vercel/ai's Gemini 3 fixtures).
TEST(GeminiStreamDecoder, AggregatedStreamsHaveTheShapeOfTheWholeAnswers) {
  testing::expect_same_shape(aggregated("google/vercel__google-tool-call.chunks.txt"),
                             whole("google/vercel__google-tool-call-gemini3.json"));
  testing::expect_same_shape(aggregated("google/vercel__google-reasoning-gemini3.chunks.txt"),
                             whole("google/vercel__google-reasoning.json"));
}

TEST(GeminiStreamDecoder, WholeFunctionCalls) {
  Decoded d = decode_fixture("google/pydantic__test_google_model_iter_stream.0.sse");
  ASSERT_EQ(d.error, "");
  auto starts = d.of(Kind::kToolCallStart);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].id, "call_1lpeaMTxIpW1nvgP-O3vwQY_0_0");
  EXPECT_EQ(starts[0].name, "get_capital");
  ASSERT_EQ(d.of(Kind::kToolArgumentsDelta).size(), 1u);
  EXPECT_EQ(d.joined(Kind::kToolArgumentsDelta), R"({"country":"France"})");
  auto finish = d.of(Kind::kFinish);
  ASSERT_EQ(finish.size(), 1u);
  EXPECT_EQ(finish[0].finish, llm::FinishReason::kToolCalls);
  EXPECT_EQ(finish[0].name, "STOP");
  EXPECT_EQ(d.of(Kind::kUsage).back().usage, (llm::Usage{.input = 52, .output = 5}));
  EXPECT_EQ(d.events[0].id, "1lpeaMTxIpW1nvgP-O3vwQY");
  EXPECT_EQ(d.events[0].name, "gemini-2.0-flash");
  // Gemini 3: the call's own id and its thought signature; the finish comes on a later chunk.
  d = decode_fixture("google/pydantic__test_native_output_with_function_tools_stream.0.sse");
  ASSERT_EQ(d.error, "");
  starts = d.of(Kind::kToolCallStart);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_TRUE(starts[0].id.starts_with("96c1su3s__thought__EpIDCo8DAQw51scL"));
  EXPECT_EQ(d.joined(Kind::kToolArgumentsDelta), "{}");
  EXPECT_EQ(d.of(Kind::kFinish).at(0).finish, llm::FinishReason::kToolCalls);
  EXPECT_EQ(d.of(Kind::kUsage).back().usage,
            (llm::Usage{.input = 29, .output = 81, .reasoning = 69}));
}

// Vertex's streamed arguments: two calls of getWeather, each in pieces, ended by an empty
// functionCall.
TEST(GeminiStreamDecoder, StreamedArgumentsAreAssembled) {
  const Decoded d = decode_fixture("google/vercel__google-stream-tool-call-arguments.chunks.txt");
  ASSERT_EQ(d.error, "");
  const auto starts = d.of(Kind::kToolCallStart);
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0].name, "getWeather");
  EXPECT_TRUE(starts[0].id.starts_with("call_dqHOab6xGLzWodAPkPuViA4_0_0__thought__CiMBjz1r"));
  EXPECT_EQ(starts[1].id, "call_dqHOab6xGLzWodAPkPuViA4_0_1");
  EXPECT_EQ(d.joined(Kind::kToolArgumentsDelta, 0), R"({"location":"Boston"})");
  EXPECT_EQ(d.joined(Kind::kToolArgumentsDelta, 1), R"({"location":"San Francisco"})");
  EXPECT_EQ(d.of(Kind::kFinish).at(0).finish, llm::FinishReason::kToolCalls);
  EXPECT_EQ(d.of(Kind::kUsage).back().usage,
            (llm::Usage{.input = 26, .output = 155, .reasoning = 132}));
}

TEST(GeminiStreamDecoder, TextUsageReplacedAndSignaturesOnTextLeftOut) {
  Decoded d = decode_fixture("google/pydantic__test_google_model_iter_stream.2.sse");
  ASSERT_EQ(d.error, "");
  EXPECT_EQ(d.joined(Kind::kTextDelta), "The temperature in Paris is 30°C.\n");
  const auto usage = d.of(Kind::kUsage);
  ASSERT_EQ(usage.size(), 2u);
  EXPECT_EQ(usage[0].usage, (llm::Usage{.input = 169}));
  EXPECT_EQ(usage[1].usage, (llm::Usage{.input = 79, .output = 12}));
  d = decode_fixture("google/pydantic__test_google_vertex_service_tier_flex_stream.sse");
  ASSERT_EQ(d.error, "");
  EXPECT_EQ(d.joined(Kind::kTextDelta), "OK");
  EXPECT_TRUE(d.of(Kind::kReasoningSignature).empty());
  EXPECT_EQ(d.of(Kind::kUsage).back().usage,
            (llm::Usage{.input = 5, .output = 101, .reasoning = 100}));
  // The text block closes before the finish.
  auto at_finish = std::ranges::find(d.events, Kind::kFinish, &Owned::kind);
  EXPECT_EQ(std::prev(at_finish)->kind, Kind::kBlockStop);
}

constexpr std::string_view kStart =
    "data: {\"responseId\":\"r\",\"modelVersion\":\"m\",\"candidates\":[{\"content\":{\"parts\":"
    "[{\"text\":\"Hi\"}]}}]}\r\n\r\n";

Decoded decode_after_start(std::string_view rest) {
  std::string text(kStart);
  text += rest;
  return decode_text(text);
}

TEST(GeminiStreamDecoder, ThoughtsAreReasoningBeforeText) {
  const Decoded d = decode_text(
      "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"hmm\",\"thought\":true,"
      "\"thoughtSignature\":\"S\"}]}}]}\n\n"
      "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"yes\"}]},"
      "\"finishReason\":\"STOP\"}]}\n\n");
  ASSERT_EQ(d.error, "");
  testing::expect_ir_rules(d);
  EXPECT_EQ(d.joined(Kind::kReasoningDelta), "hmm");
  EXPECT_EQ(d.joined(Kind::kReasoningSignature), "S");
  EXPECT_EQ(d.joined(Kind::kTextDelta), "yes");
  auto first_text = std::ranges::find(d.events, Kind::kTextDelta, &Owned::kind);
  EXPECT_EQ(std::prev(first_text)->kind, Kind::kBlockStop);
}

TEST(GeminiStreamDecoder, ErrorsAndBlockedPromptsInsideTheStream) {
  const Decoded error = decode_after_start(
      "data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded.\","
      "\"status\":\"UNAVAILABLE\"}}\r\n\r\n");
  ASSERT_EQ(error.error, "");
  testing::expect_ir_rules(error);
  ASSERT_EQ(error.of(Kind::kError).size(), 1u);
  EXPECT_EQ(error.of(Kind::kError)[0].text, "The model is overloaded.");
  EXPECT_EQ(error.of(Kind::kError)[0].name, "server_error");
  const Decoded blocked = decode_text(
      "data: {\"promptFeedback\":{\"blockReason\":\"SAFETY\"},\"usageMetadata\":"
      "{\"promptTokenCount\":7,\"totalTokenCount\":7}}\r\n\r\n");
  ASSERT_EQ(blocked.error, "");
  testing::expect_ir_rules(blocked);
  EXPECT_EQ(blocked.of(Kind::kFinish).at(0).finish, llm::FinishReason::kContentFilter);
  EXPECT_EQ(blocked.of(Kind::kFinish).at(0).name, "SAFETY");
}

TEST(GeminiStreamDecoder, StreamsThatEndTooEarlyAreErrors) {
  EXPECT_EQ(decode_text("").error, "the stream ended before its first chunk");
  EXPECT_EQ(decode_text("data: {\"responseId\":\"r\"}\r\n\r\n").error,
            "the stream ended without a finishReason");
  EXPECT_EQ(decode_after_start("").error, "the stream ended before candidate 0 finished");
  EXPECT_EQ(decode_after_start("data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":"
                               "{\"name\":\"f\",\"willContinue\":true}}]}}]}\r\n\r\n")
                .error,
            "the stream ended inside a function call's streamed arguments");
  EXPECT_EQ(decode_after_start("data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":"
                               "{\"name\":\"f\",\"willContinue\":true}}]},"
                               "\"finishReason\":\"STOP\"}]}\r\n\r\n")
                .error,
            "a candidate finished inside a function call's streamed arguments");
}

TEST(GeminiStreamDecoder, ChunksThatBreakTheRulesAreErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {"data: not json\r\n\r\n", "a stream chunk is not a JSON object"},
      {"data: {\"candidates\":[7]}\r\n\r\n", "a stream chunk's candidate is not an object"},
      {"data: {\"candidates\":[{\"index\":5000}]}\r\n\r\n",
       "a stream chunk's candidate has an invalid index"},
      {"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":1}]}}]}\r\n\r\n",
       "a stream chunk's text is not a string"},
      {"data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\","
       "\"args\":\"x\"}}]}}]}\r\n\r\n",
       "a stream chunk's functionCall args are not an object"},
      {"data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\","
       "\"willContinue\":true,\"partialArgs\":[{\"jsonPath\":\"x\"}]}}]}}]}\r\n\r\n",
       "a stream chunk's partialArgs entry is malformed"},
      {"data: {\"usageMetadata\":{\"promptTokenCount\":-1}}\r\n\r\n",
       "usage.promptTokenCount is not a token count"},
      // The arguments stay an object, and no path may build a value deep enough to overflow
      // the stack when it is freed.
      {"data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\","
       "\"willContinue\":true,\"partialArgs\":[{\"jsonPath\":\"$\",\"numberValue\":1}]}}]}}]}"
       "\r\n\r\n",
       "a stream chunk's partialArgs entry is malformed"},
  };
  for (const auto& [rest, message] : cases) {
    EXPECT_EQ(decode_after_start(rest).error, message) << rest;
  }
}

TEST(GeminiStreamDecoder, ContentAfterACandidateFinishedIsAnError) {
  const Decoded d = decode_after_start(
      "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},"
      "\"finishReason\":\"STOP\"}]}\r\n\r\n"
      "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"b\"}]}}]}\r\n\r\n");
  EXPECT_EQ(d.error, "a stream chunk continues candidate 0 after it finished");
  EXPECT_EQ(d.joined(Kind::kTextDelta), "Hia");
}

TEST(GeminiStreamDecoder, PartialArgumentPathsAreBounded) {
  const auto with_path = [](const std::string& path) {
    std::string stream =
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\","
        "\"willContinue\":true,\"partialArgs\":[{\"jsonPath\":\"";
    stream += path;
    stream += "\",\"stringValue\":\"x\"}]}}]}}]}\r\n\r\n";
    return decode_after_start(stream).error;
  };
  std::string deep = "$";
  for (int i = 0; i < 32; ++i) {
    deep += ".a";
  }
  // 32 steps: the most a path may take (the stream then ends inside the call).
  EXPECT_EQ(with_path(deep), "the stream ended inside a function call's streamed arguments");
  EXPECT_EQ(with_path(deep + ".a"), "a stream chunk's partialArgs entry is malformed");
  std::string wide = "$";
  for (int i = 0; i < 2000; ++i) {
    wide += "[1024]";
  }
  EXPECT_EQ(with_path(wide), "a stream chunk's partialArgs entry is malformed");
}

TEST(GeminiStreamDecoder, PartialArgumentPaths) {
  const Decoded d = decode_after_start(
      "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\","
      "\"willContinue\":true,\"partialArgs\":["
      "{\"jsonPath\":\"$.a.b\",\"numberValue\":1},"
      "{\"jsonPath\":\"$['c'][1]\",\"boolValue\":true},"
      "{\"jsonPath\":\"$.d\",\"stringValue\":\"x\",\"willContinue\":true},"
      "{\"jsonPath\":\"$.d\",\"stringValue\":\"y\"},"
      "{\"jsonPath\":\"$.e\",\"nullValue\":null}]}}]}}]}\r\n\r\n"
      "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{}}]},"
      "\"finishReason\":\"STOP\"}]}\r\n\r\n");
  ASSERT_EQ(d.error, "");
  EXPECT_EQ(boost::json::parse(d.joined(Kind::kToolArgumentsDelta)),
            boost::json::parse(R"({"a":{"b":1},"c":[null,true],"d":"xy","e":null})"));
}

}  // namespace
}  // namespace nexus::providers::gemini
