// Usage normalisation against recorded responses and streams: every provider's way of counting
// cached, cache-write and reasoning tokens ends up in one convention (llm/ir/usage.h).
#include "providers/anthropic/usage.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "http/sse/parser.h"
#include "providers/openai/usage.h"
#include "stream_test_support.h"

namespace nexus::providers {
namespace {

using testing::fixture;

// Calls `each` with every JSON object a recorded stream's data lines carry.
template <typename Each>
void for_each_chunk(const std::string& name, Each each) {
  const std::string text = fixture(name);
  sse::Parser parser;
  std::string_view input = text;
  sse::Event event;
  while (parser.next(input, event) == sse::Parser::Step::kEvent) {
    boost::system::error_code ec;
    const boost::json::value chunk = boost::json::parse(event.data, ec);
    if (!ec && chunk.is_object()) {
      each(chunk.as_object());
    }
  }
}

llm::Usage openai_body(const std::string& name) {
  const boost::json::value body = boost::json::parse(fixture(name));
  auto usage = openai::decode_usage(body.at("usage").as_object());
  EXPECT_TRUE(usage.has_value()) << name;
  return usage.value_or(llm::Usage{});
}

// The last usage a stream reports (providers put it on the finish chunk, on a chunk of its own,
// or on every chunk, cumulatively).
llm::Usage openai_stream(const std::string& name) {
  llm::Usage last;
  for_each_chunk(name, [&](const boost::json::object& chunk) {
    if (const auto* usage = chunk.if_contains("usage"); usage != nullptr && usage->is_object()) {
      auto decoded = openai::decode_usage(usage->as_object());
      ASSERT_TRUE(decoded.has_value()) << name;
      last = *decoded;
    }
  });
  return last;
}

llm::Usage anthropic_body(const std::string& name) {
  const boost::json::value body = boost::json::parse(fixture(name));
  auto usage = anthropic::decode_usage(body.at("usage").as_object());
  EXPECT_TRUE(usage.has_value()) << name;
  return usage.value_or(llm::Usage{});
}

llm::Usage anthropic_stream(const std::string& name) {
  anthropic::UsageAccumulator accumulator;
  for_each_chunk(name, [&](const boost::json::object& chunk) {
    const boost::json::object* usage = nullptr;
    if (chunk.at("type") == "message_start") {
      usage = &chunk.at("message").at("usage").as_object();
    } else if (chunk.at("type") == "message_delta") {
      usage = &chunk.at("usage").as_object();
    }
    if (usage != nullptr) {
      ASSERT_TRUE(accumulator.add(*usage).has_value()) << name;
    }
  });
  return accumulator.usage();
}

using U = llm::Usage;

// {input, output, cache_read, cache_write, reasoning}
TEST(OpenAiUsage, RecordedResponses) {
  // Reasoning inside completion_tokens, cached inside prompt_tokens.
  EXPECT_EQ(openai_body("openai/pydantic__test_system_prompt_role_o1_mini.json"),
            (U{30, 212, 0, 0, 192}));
  EXPECT_EQ(openai_body("openai/pydantic__test_openai_chat_prompt_cache_e2e.0.json"),
            (U{4020, 4, 0, 4012, 0}));  // the cache written
  EXPECT_EQ(openai_body("openai/pydantic__test_openai_chat_prompt_cache_e2e.1.json"),
            (U{4020, 4, 4012, 0, 0}));  // and read back
  EXPECT_EQ(openai_body("groq/pydantic__test_tool_use_failed_error.2.json"),
            (U{336, 96, 256, 0, 59}));
  EXPECT_EQ(openai_body("zai/pydantic__test_zai_thinking_mode.json"), (U{13, 247, 0, 0, 237}));
  EXPECT_EQ(openai_body("openrouter/pydantic__test_openrouter_with_native_options.json"),
            (U{687, 240, 682, 0, 165}));
  // DeepSeek: prompt_cache_hit_tokens next to cached_tokens, and alone in older responses.
  EXPECT_EQ(
      openai_body("deepseek/pydantic__test_deepseek_deferred_capability_with_thinking.0.json"),
      (U{563, 116, 512, 0, 60}));
  EXPECT_EQ(openai_body("deepseek/ddtrace__deepseek_completion.json"), (U{20, 96, 0, 0, 0}));
  // Mistral: num_cached_tokens; an embedding's usage full of nulls.
  EXPECT_EQ(
      openai_body("mistral/pydantic__test_tool_choice_matrix_tools_plus_output-mistral.0.json"),
      (U{152, 12, 151, 0, 0}));
  EXPECT_EQ(openai_body("mistral/ddtrace__mistral_v1_embeddings_post_9b4b22cf.json"),
            (U{4, 0, 0, 0, 0}));
  // xAI counts reasoning outside completion_tokens (total = prompt + completion + reasoning).
  EXPECT_EQ(openai_body("xai/vercel__xai-xai-text.json"), (U{12, 229, 2, 0, 228}));
  EXPECT_EQ(openai_body("xai/vercel__openai-compatible-xai-tool-call.json"),
            (U{307, 281, 244, 0, 255}));
}

TEST(OpenAiUsage, RecordedStreams) {
  EXPECT_EQ(openai_stream("openai/ddtrace__chat_completion_stream_prompt_caching_cache_read.sse"),
            (U{1420, 100, 1280, 0, 0}));  // a usage chunk of its own, choices: []
  EXPECT_EQ(openai_stream("groq/pydantic__test_tool_use_failed_error_streaming_with_text.1.sse"),
            (U{343, 180, 0, 0, 153}));  // on the finish chunk
  EXPECT_EQ(openai_stream("zai/pydantic__test_zai_thinking_stream.sse"), (U{13, 564, 0, 0, 561}));
}

TEST(OpenAiUsage, MalformedCountsAreErrorsNamingTheField) {
  const auto error_of = [](std::string_view json) {
    auto usage = openai::decode_usage(boost::json::parse(json).as_object());
    return usage ? std::string() : usage.error().message();
  };
  EXPECT_EQ(error_of(R"({"prompt_tokens":"12"})"), "usage.prompt_tokens is not a token count");
  EXPECT_EQ(error_of(R"({"prompt_tokens":1,"prompt_tokens_details":{"cached_tokens":-1}})"),
            "usage.prompt_tokens_details.cached_tokens is not a token count");
  EXPECT_EQ(error_of(R"({"completion_tokens":1.5})"),
            "usage.completion_tokens is not a token count");
  EXPECT_EQ(error_of(R"({})"), "");  // nothing reported is zero, not an error
  // Counts no provider could report: bounded, so that adding them up cannot wrap around.
  EXPECT_EQ(error_of(R"({"prompt_tokens":9007199254740992})"), "");  // 2^53
  EXPECT_EQ(error_of(R"({"prompt_tokens":9007199254740993})"),
            "usage.prompt_tokens is not a token count");
  EXPECT_EQ(error_of(R"({"prompt_tokens":18446744073709551615})"),
            "usage.prompt_tokens is not a token count");
}

TEST(AnthropicUsage, RecordedResponsesAddCacheReadsAndWritesToInput) {
  EXPECT_EQ(anthropic_body("anthropic/ddtrace__completion_anthropic.json"), (U{13, 21, 1, 2, 0}));
  EXPECT_EQ(
      anthropic_body(
          "anthropic/pydantic__test_anthropic_to_google_deferred_capability_history_replay.2.json"),
      (U{1160, 110, 1069, 85, 0}));
  EXPECT_EQ(anthropic_body("anthropic/vercel__anthropic-claude-opus-5-reasoning-high.1.json"),
            (U{51, 1699, 0, 0, 139}));
}

TEST(AnthropicUsage, RecordedStreamsMergeStartAndDelta) {
  // message_start has the input side, message_delta only output_tokens.
  EXPECT_EQ(anthropic_stream("anthropic/ddtrace__anthropic_completion_stream.sse"),
            (U{27, 15, 0, 0, 0}));
  EXPECT_EQ(anthropic_stream("anthropic/ddtrace__anthropic_completion_stream_cache_read.sse"),
            (U{1042, 100, 1031, 0, 0}));
  // Newer deltas repeat (and correct) the input fields and add thinking tokens.
  EXPECT_EQ(anthropic_stream("anthropic/pydantic__test_anthropic_advisor_tool_stream.sse"),
            (U{2411, 145, 0, 0, 47}));
}

TEST(AnthropicUsage, AMalformedDeltaChangesNothing) {
  anthropic::UsageAccumulator accumulator;
  ASSERT_TRUE(
      accumulator.add(boost::json::parse(R"({"input_tokens":5,"output_tokens":1})").as_object())
          .has_value());
  auto bad = accumulator.add(
      boost::json::parse(R"({"output_tokens":9,"cache_read_input_tokens":"x"})").as_object());
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message(), "usage.cache_read_input_tokens is not a token count");
  EXPECT_EQ(accumulator.usage(), (U{5, 1, 0, 0, 0}));
}

}  // namespace
}  // namespace nexus::providers
