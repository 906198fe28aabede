// The OpenAI dialect's stream encoder, fed with the events of real recorded streams (Anthropic's
// through the Anthropic decoder, the OpenAI-shaped ones through the OpenAI decoder); the SSE it
// writes is parsed back by the OpenAI provider's stream decoder, and added up it must say what
// the recorded stream said: text, reasoning, tool calls, finish reasons and usage.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "llm/dialects/openai/chat_stream.h"
#include "llm/ir/stream_aggregator.h"
#include "openai_fixtures.h"
#include "providers/anthropic/stream_decoder.h"
#include "providers/openai/stream_decoder.h"

namespace nexus::dialects::openai {
namespace {

namespace json = boost::json;
using providers::testing::Decoded;
using providers::testing::kAnthropicStreams;
using providers::testing::Kind;
using providers::testing::kOpenAiShapedStreams;
using providers::testing::Owned;
using providers::testing::view;

std::string encoded(const Decoded& decoded, bool include_usage = true) {
  ChatStreamEncoder encoder(1700000000, include_usage);
  std::string sse;
  for (const Owned& e : decoded.events) {
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

// What the OpenAI shape can say of `original`: Anthropic's reasoning signatures and redacted
// blocks have no place in it, kOther finishes go out as "stop", and the finish words are
// OpenAI's.
// After an error nothing goes out: usage the provider sent with or after it (OpenRouter) is
// Nexus's to meter, not the client's to read.
void expect_same(const llm::Response& original, const llm::Response& written,
                 bool errored = false) {
  EXPECT_EQ(written.id.starts_with("chatcmpl-") ? written.id.substr(9) : written.id,
            original.id.starts_with("chatcmpl-") ? original.id.substr(9) : original.id);
  EXPECT_EQ(written.model, original.model);
  if (!errored) {
    EXPECT_EQ(written.usage, original.usage);
  }
  ASSERT_EQ(written.choices.size(), original.choices.size());
  for (size_t i = 0; i < original.choices.size(); ++i) {
    const llm::Choice& want = original.choices[i];
    const llm::Choice& got = written.choices[i];
    EXPECT_EQ(got.index, want.index);
    EXPECT_EQ(got.text, want.text);
    EXPECT_EQ(got.reasoning, want.reasoning);
    EXPECT_EQ(got.tool_calls, want.tool_calls);
    EXPECT_EQ(got.finish,
              want.finish == llm::FinishReason::kOther ? llm::FinishReason::kStop : want.finish);
  }
}

TEST(OpenAiStreamEncoder, AnthropicStreamsSurviveTheCrossing) {
  for (const std::string& name : kAnthropicStreams) {
    SCOPED_TRACE(name);
    const Decoded anthropic =
        providers::testing::decode_stream<providers::anthropic::StreamDecoder>(
            providers::testing::recorded_stream(name));
    ASSERT_EQ(anthropic.error, "");
    const std::string sse = encoded(anthropic);
    const Decoded back = providers::testing::decode_stream<providers::openai::StreamDecoder>(sse);
    ASSERT_EQ(back.error, "") << sse;
    providers::testing::expect_ir_rules(back);
    expect_same(aggregate(anthropic), aggregate(back));
  }
}

TEST(OpenAiStreamEncoder, OpenAiShapedStreamsSurviveDecodeEncodeDecode) {
  for (const std::string& name : kOpenAiShapedStreams) {
    SCOPED_TRACE(name);
    const Decoded original = providers::testing::decode_stream<providers::openai::StreamDecoder>(
        providers::testing::recorded_stream(name));
    ASSERT_EQ(original.error, "");
    const std::string sse = encoded(original);
    const Decoded back = providers::testing::decode_stream<providers::openai::StreamDecoder>(sse);
    ASSERT_EQ(back.error, "") << sse;
    providers::testing::expect_ir_rules(back);
    const bool errored = !original.of(Kind::kError).empty();
    expect_same(aggregate(original), aggregate(back), errored);
    EXPECT_EQ(back.of(Kind::kError).size(), original.of(Kind::kError).size());
  }
}

// Every data line of `sse`, parsed (the [DONE] line as the string "[DONE]").
std::vector<json::value> chunks(const std::string& sse) {
  std::vector<json::value> out;
  size_t at = 0;
  while ((at = sse.find("data: ", at)) != std::string::npos) {
    const size_t end = sse.find("\n\n", at);
    const std::string data = sse.substr(at + 6, end - at - 6);
    out.push_back(data == "[DONE]" ? json::value("[DONE]") : json::parse(data));
    at = end;
  }
  return out;
}

TEST(OpenAiStreamEncoder, ChunksInOpenAisShape) {
  const Decoded anthropic = providers::testing::decode_stream<providers::anthropic::StreamDecoder>(
      providers::testing::recorded_stream("anthropic/vercel__anthropic-json-tool.2.chunks.txt"));
  ASSERT_EQ(anthropic.error, "");
  const std::string sse = encoded(anthropic);
  const std::vector<json::value> all = chunks(sse);
  ASSERT_GE(all.size(), 5u);
  EXPECT_TRUE(sse.ends_with("data: [DONE]\n\n"));
  const json::object& first = all.front().as_object();
  EXPECT_TRUE(first.at("id").as_string().starts_with("chatcmpl-msg_"));
  EXPECT_EQ(first.at("object"), "chat.completion.chunk");
  EXPECT_EQ(first.at("created"), 1700000000);
  EXPECT_EQ(first.at("choices").at(0).at("delta"),
            json::parse(R"({"role":"assistant","content":""})"));
  EXPECT_TRUE(first.at("choices").at(0).at("finish_reason").is_null());
  // The tool call's first chunk: index 0, id, type, name, empty arguments.
  bool saw_start = false;
  for (const json::value& chunk : all) {
    if (!chunk.is_object() || chunk.at("choices").as_array().empty()) {
      continue;
    }
    const json::object& delta = chunk.at("choices").at(0).at("delta").as_object();
    if (delta.contains("tool_calls") && delta.at("tool_calls").at(0).as_object().contains("id")) {
      const json::value& call = delta.at("tool_calls").at(0);
      EXPECT_EQ(call.at("index"), 0);
      EXPECT_EQ(call.at("type"), "function");
      EXPECT_EQ(call.at("function").at("arguments"), "");
      EXPECT_FALSE(call.at("function").at("name").as_string().empty());
      saw_start = true;
    }
  }
  EXPECT_TRUE(saw_start);
  const json::object& usage = all[all.size() - 2].as_object();
  EXPECT_TRUE(usage.at("choices").as_array().empty());
  EXPECT_TRUE(usage.at("usage").as_object().contains("prompt_tokens"));
  const json::object& finish = all[all.size() - 3].as_object();
  EXPECT_EQ(finish.at("choices").at(0).at("delta"), json::object());
  EXPECT_FALSE(finish.at("choices").at(0).at("finish_reason").is_null());
}

TEST(OpenAiStreamEncoder, UsageOnlyWhenAskedAndErrorsEndTheStream) {
  const Decoded anthropic = providers::testing::decode_stream<providers::anthropic::StreamDecoder>(
      providers::testing::recorded_stream("anthropic/ddtrace__anthropic_completion_stream.sse"));
  const std::string sse = encoded(anthropic, false);
  EXPECT_EQ(sse.find("\"usage\""), std::string::npos);
  EXPECT_TRUE(sse.ends_with("}\n\ndata: [DONE]\n\n"));

  ChatStreamEncoder encoder(1, true);
  std::string out;
  encoder.encode({.kind = llm::StreamEventKind::kMessageStart, .id = "x", .name = "m"}, out);
  encoder.encode({.kind = llm::StreamEventKind::kTextDelta, .text = "hi"}, out);
  encoder.encode_error({.status = 529, .type = "overloaded_error", .message = "Overloaded"}, out);
  encoder.encode({.kind = llm::StreamEventKind::kMessageStop}, out);
  const std::vector<json::value> all = chunks(out);
  ASSERT_EQ(all.size(), 3u);  // role, text, error: nothing after it
  EXPECT_EQ(all[2], json::parse(R"({"error":{"message":"Overloaded","type":"overloaded_error",
      "param":null,"code":null}})"));
}

}  // namespace
}  // namespace nexus::dialects::openai
